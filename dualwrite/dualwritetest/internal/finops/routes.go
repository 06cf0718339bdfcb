// Package finops is the emulator's Commerce headquarters: the Finance and
// Operations OData service at CommerceURL+"/data/", checked against the
// documented entities (package schema): compound keys that name every key
// field, companies (dataAreaId, cross-company), F&O's $filter dialect
// (wildcards, enum literals), $select, $orderby, $top, $skip, $count,
// server-driven paging, ETags, $batch with change sets, $metadata, and
// Finance and Operations' error shape.
//
// A [Service] reads and writes a [store.Store] and hands every row a
// client writes to its [Syncer] (the dual-write engine) in the same
// transaction. The caller serialises the requests, so nothing here locks.
// The route table is [Service.route]; handlers take a *request and answer
// errors with its fail method. Whatever the service does not implement is
// answered 501, naming it.
package finops

import (
	"net/http"
	"regexp"
	"sort"
	"strings"

	"github.com/b2bflow/d365/dualwrite/dualwritetest/internal/schema"
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
	// Schema holds the documented entities the requests are checked
	// against; nil means the embedded schema (schema.MustLoad).
	Schema *schema.Schema
}

// schema returns the entities' schema, loading the embedded one on first
// use.
func (s *Service) schema() *schema.Schema {
	if s.Schema == nil {
		s.Schema = schema.MustLoad()
	}
	return s.Schema
}

// request is a Finance and Operations request being answered.
type request struct {
	w    http.ResponseWriter
	r    *http.Request
	base string // service root, ending in "/"
}

func (d *request) prefer() string { return strings.Join(d.r.Header.Values("Prefer"), ",") }

// ServeHTTP answers an OData request. The caller serialises calls.
func (s *Service) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.route(w, r) }

var pathRE = regexp.MustCompile(`^/data/?(.*)$`)

// Query options: those implemented, and those F&O documents or OData
// defines that the emulator does not implement (501).
var (
	supportedOptions = map[string]bool{
		"$filter": true, "$select": true, "$orderby": true, "$top": true, "$skip": true, "$count": true, "cross-company": true,
	}
	unsupportedOptions = map[string]string{
		"$expand": "$expand", "$search": "$search", "$apply": "$apply", "$skiptoken": "$skiptoken", "$levels": "$levels",
		"$compute": "$compute", "$index": "$index", "$deltatoken": "$deltatoken", "$schemaversion": "$schemaversion", "$id": "$id",
	}
)

// preferences the service honours in a Prefer header.
var preferences = []string{"odata.maxpagesize", "return=representation", "return=minimal", "odata.continue-on-error"}

// headersNotImplemented are request headers whose meaning the emulator
// does not implement.
var headersNotImplemented = []string{"If-None-Match", "OData-Isolation", "Isolation"}

// checkRequest refuses, with 501 naming them, the query options,
// preferences and headers the emulator does not implement.
func checkRequest(r *http.Request) error {
	q := r.URL.Query()
	names := make([]string, 0, len(q))
	for k := range q {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		switch {
		case supportedOptions[k]:
		case k == "$format":
			if f := strings.ToLower(q.Get(k)); f != "json" && !strings.HasPrefix(f, "application/json") {
				return notImplemented("the $format '" + q.Get(k) + "' (only json)")
			}
		case unsupportedOptions[k] != "":
			return notImplemented("the query option " + k)
		default:
			return notImplemented("the query parameter '" + k + "'")
		}
	}
	for _, h := range headersNotImplemented {
		if r.Header.Get(h) != "" {
			return notImplemented("the " + h + " header")
		}
	}
	for _, v := range r.Header.Values("Prefer") {
		for _, p := range strings.Split(v, ",") {
			p = strings.TrimSpace(p)
			if p == "" {
				continue
			}
			known := false
			for _, k := range preferences {
				known = known || p == k || strings.HasPrefix(p, k+"=")
			}
			if !known {
				return notImplemented("the preference '" + p + "' (Prefer header)")
			}
		}
	}
	return nil
}

// route is the route table of the OData service, under /data/:
//
//	""                   GET: service document
//	$metadata            GET: the CSDL of the documented entities
//	$batch               POST: multipart/mixed batch with change sets
//	<entity>             GET: query; POST: create
//	<entity>/$count      GET: the number of matching records
//	<entity>(<key>)      GET, PATCH, DELETE
//
// Entity names are case sensitive; a key names every key field
// (dataAreaId included), or is a lone value for a single-field key.
func (s *Service) route(w http.ResponseWriter, r *http.Request) {
	d := &request{w: w, r: r, base: s.URL + "/data/"}
	m := pathRE.FindStringSubmatch(r.URL.Path)
	if m == nil {
		d.fail(&foError{status: http.StatusNotFound, msg: "No HTTP resource was found that matches the request URI '" + r.URL.Path + "'.", typ: typeAx})
		return
	}
	if err := checkRequest(r); err != nil {
		d.fail(err)
		return
	}
	switch m[1] {
	case "":
		if r.Method != http.MethodGet {
			d.methodNotAllowed()
			return
		}
		s.serviceDocument(d)
		return
	case "$metadata":
		if r.Method != http.MethodGet {
			d.methodNotAllowed()
			return
		}
		s.metadata(d)
		return
	case "$batch":
		if r.Method != http.MethodPost {
			d.methodNotAllowed()
			return
		}
		s.batch(d)
		return
	}
	seg, key, tail := wire.SplitSegment(m[1])
	tb := s.Store.FinOps(seg)
	ent, ok := s.schema().Entity(seg)
	if tb == nil || tb.Name != seg || !ok {
		d.fail(&foError{status: http.StatusNotFound, msg: "Resource not found for the segment '" + seg + "'.", typ: typeOData})
		return
	}
	switch {
	case key == "" && tail == "$count":
		if r.Method != http.MethodGet {
			d.methodNotAllowed()
			return
		}
		s.count(d, tb, ent)
		return
	case tail != "":
		d.fail(notImplemented("the path segment '" + tail + "' (properties, navigation, actions)"))
		return
	}
	if key == "" {
		switch r.Method {
		case http.MethodGet:
			s.list(d, tb, ent)
		case http.MethodPost:
			s.create(d, tb, ent)
		default:
			d.methodNotAllowed()
		}
		return
	}
	if r.Method == http.MethodPut {
		d.fail(notImplemented("PUT (replace a record); use PATCH"))
		return
	}
	k, e, ok := s.lookup(d, tb, ent, key)
	if !ok {
		return
	}
	switch r.Method {
	case http.MethodGet:
		s.get(d, tb, ent, e)
	case http.MethodPatch:
		s.update(d, tb, ent, k, e)
	case http.MethodDelete:
		s.remove(d, tb, ent, k, e)
	default:
		d.methodNotAllowed()
	}
}

func (d *request) methodNotAllowed() {
	d.fail(&foError{status: http.StatusMethodNotAllowed, msg: "The requested resource does not support http method '" + d.r.Method + "'.", typ: typeAx})
}

// sync runs dual-write for a row just written, when there is a Syncer.
func (s *Service) sync(t *store.Tx, tb *store.Table, prev, row store.Record) error {
	if s.Sync == nil {
		return nil
	}
	return s.Sync.AfterCommerceWrite(t, tb, prev, row)
}

func str(v any) string { return store.Text(v) }
