// Package finops is the emulator's Commerce headquarters: the Finance and
// Operations OData service at CommerceURL+"/data/", with compound keys,
// companies (dataAreaId, cross-company), enum fields, $skip paging, ETags
// and Finance and Operations' error shape.
//
// A [Service] reads and writes a [store.Store] and hands every row a
// client writes to its [Syncer] (the dual-write engine) in the same
// transaction. The caller serialises the requests, so nothing here locks.
// The route table is [Service.route]; handlers take a *request and answer
// errors with its writeError method.
package finops

import (
	"net/http"
	"regexp"
	"strings"

	"github.com/b2bflow/d365/dualwrite/dualwritetest/internal/store"
	"github.com/b2bflow/d365/dualwrite/dualwritetest/internal/wire"
)

// Syncer runs dual-write for a Commerce row a client just wrote, in the
// transaction of the write: an error rolls the request back.
type Syncer interface {
	AfterCommerceWrite(t *store.Tx, tb *store.Table, prev, row store.Record) error
}

// Service is the Finance and Operations OData service. Set its fields
// before serving.
type Service struct {
	// Store holds the data.
	Store store.Store
	// Sync runs dual-write after each write; nil runs none.
	Sync Syncer
	// URL is the environment URL, such as http://127.0.0.1:41235.
	URL string
	// Company is the default company (dataAreaId), lower case.
	Company string
}

// request is a Finance and Operations request being answered.
type request struct {
	w    http.ResponseWriter
	r    *http.Request
	base string // service root, ending in "/"
}

// writeError answers the request with Finance and Operations' error shape.
func (d *request) writeError(status int, msg string) { WriteError(d.w, d.r, status, "", msg) }

// ServeHTTP answers an OData request. The caller serialises calls.
func (s *Service) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.route(w, r) }

var pathRE = regexp.MustCompile(`^/data/?(.*)$`)

// route is the route table of the OData service, under /data/:
//
//	""              GET: service document
//	<entity>        GET: query; POST: create
//	<entity>(<key>) GET, PATCH, DELETE
//
// Entity names are case sensitive; a key names its fields (dataAreaId
// defaults to the company) or is a lone value for a single-field key.
func (s *Service) route(w http.ResponseWriter, r *http.Request) {
	d := &request{w: w, r: r, base: s.URL + "/data/"}
	m := pathRE.FindStringSubmatch(r.URL.Path)
	if m == nil {
		d.writeError(http.StatusNotFound, "No HTTP resource was found that matches the request URI '"+r.URL.Path+"'.")
		return
	}
	if m[1] == "" {
		s.serviceDocument(d)
		return
	}
	seg, key, tail := wire.SplitSegment(m[1])
	tb := s.Store.FinOps(seg)
	if tb == nil || tb.Name != seg || tail != "" {
		d.writeError(http.StatusNotFound, "Resource not found for the segment '"+seg+"'.")
		return
	}
	cross := strings.EqualFold(r.URL.Query().Get("cross-company"), "true")
	if key == "" {
		switch r.Method {
		case http.MethodGet:
			s.list(d, tb, cross)
		case http.MethodPost:
			s.create(d, tb)
		default:
			d.writeError(http.StatusMethodNotAllowed, "The requested resource does not support http method '"+r.Method+"'.")
		}
		return
	}
	k, e, ok := s.lookup(d, tb, key, cross)
	if !ok {
		return
	}
	switch r.Method {
	case http.MethodGet:
		s.get(d, tb, e)
	case http.MethodPatch:
		s.update(d, tb, k, e)
	case http.MethodDelete:
		s.remove(d, tb, k)
	default:
		d.writeError(http.StatusMethodNotAllowed, "The requested resource does not support http method '"+r.Method+"'.")
	}
}

// sync runs dual-write for a row just written, when there is a Syncer.
func (s *Service) sync(t *store.Tx, tb *store.Table, prev, row store.Record) error {
	if s.Sync == nil {
		return nil
	}
	return s.Sync.AfterCommerceWrite(t, tb, prev, row)
}

func str(v any) string { return store.Text(v) }
