// Package dataverse is the emulator's Dataverse Web API (Dynamics 365
// Sales): records (create, read, update, upsert, delete, alternate keys,
// lookups), queries, the actions of the onboarding process, $batch and the
// bulk messages, with Dataverse's error shape.
//
// A [Service] serves the requests under SalesURL+"/api/data/v9.x/". It
// reads and writes a [store.Store] and hands every record a client writes
// to its [Syncer] (the dual-write engine) in the same transaction. The
// caller serialises the requests (the dualwritetest server holds its lock
// around ServeHTTP), so nothing here locks.
//
// The route table is [Service.route]; each handler takes a *request (the
// parsed request and its answer) and answers errors with its writeError
// and fail methods.
package dataverse

import (
	"net/http"
	"regexp"
	"strings"

	"github.com/b2bflow/d365/dualwrite/dualwritetest/internal/schema"
	"github.com/b2bflow/d365/dualwrite/dualwritetest/internal/store"
	"github.com/b2bflow/d365/dualwrite/dualwritetest/internal/wire"
)

// Syncer runs dual-write for a Dataverse record a client just wrote, in
// the transaction of the write: an error rolls the request back.
type Syncer interface {
	AfterDataverseWrite(t *store.Tx, tb *store.Table, id string, prev, rec store.Record) error
}

// Service is the Dataverse Web API. Set its fields before serving.
type Service struct {
	// Store holds the data.
	Store store.Store
	// Sync runs dual-write after each write; nil runs none.
	Sync Syncer
	// URL is the organization URL, such as http://127.0.0.1:41234.
	URL string
	// BaseCurrencyID is the transactioncurrency given to new records of
	// tables with money columns.
	BaseCurrencyID string
	// UserID, BusinessUnitID and OrganizationID are what WhoAmI answers.
	UserID, BusinessUnitID, OrganizationID string
	// Schema is what the handlers check requests against: the tables
	// (entity sets, case-sensitive), columns and navigation properties;
	// queries check names and types against it, and $metadata and
	// EntityDefinitions describe it. nil is the documented schema
	// (schema.Load).
	Schema *schema.Schema
	// Views maps savedquery ids (lower case) to the $filter of the view,
	// read with leads?savedQuery=<id>. A savedquery not in Views runs its
	// fetchxml column.
	Views map[string]string
	// CustomAPIs are the custom APIs tests register, by unique name
	// (customapi.go).
	CustomAPIs map[string]CustomAPIFunc

	// actor is the user the request being served impersonates, "" for
	// none (impersonate.go).
	actor string
}

type (
	record = store.Record
	entry  = store.Entry
	table  = store.Table
)

// request is a Dataverse request being answered.
type request struct {
	w      http.ResponseWriter
	r      *http.Request
	base   string // service root, ending in "/"
	prefer string // the Prefer header values, joined
	// missing names what a query reached that the emulator does not have
	// (queryenv.go); such a query is answered 501.
	missing string
}

func (d *request) annotations() bool {
	return strings.Contains(d.prefer, "odata.include-annotations")
}

// ServeHTTP answers a Web API request. The caller serialises calls.
func (s *Service) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.route(w, r) }

var apiPathRE = regexp.MustCompile(`^/api/data/(v9\.[0-9])/?(.*)$`)

// splitAPIPath is apiPathRE.FindStringSubmatch without the regular
// expression engine, for the path of every request: the whole path, the
// version ("v9.2") and the rest, or nil.
func splitAPIPath(p string) []string {
	const prefix = "/api/data/v9."
	if len(p) < len(prefix)+1 || p[:len(prefix)] != prefix || p[len(prefix)] < '0' || p[len(prefix)] > '9' {
		return nil
	}
	rest := strings.TrimPrefix(p[len(prefix)+1:], "/")
	if strings.IndexByte(rest, '\n') >= 0 { // "." does not match a newline
		return nil
	}
	return []string{p, p[len("/api/data/") : len(prefix)+1], rest}
}

// route is the route table of the Web API, under /api/data/v9.x/:
//
//	""                                   GET: service document
//	WhoAmI                               GET
//	WinOpportunity, LoseOpportunity      POST (unbound actions)
//	$batch                               POST
//	$metadata                            GET: CSDL (metadata.go)
//	EntityDefinitions[(...)[/...]]       GET: table definitions (metadata.go)
//	<set>                                GET: query (query.go); POST: create
//	<set>/$count                         GET: the number of matching records
//	<set>/CreateMultiple, UpdateMultiple, UpsertMultiple POST (bound to the entity set)
//	<set>(<key>)                         GET (with $expand: query.go), PATCH (update or upsert), DELETE
//	<set>(<key>)/<column>                GET, PUT {"value":...}, DELETE (ref.go)
//	<set>(<key>)/<nav>/$ref              PUT, POST, DELETE (ref.go)
//	<set>(<key>)/<nav>(<id>)/$ref        DELETE (ref.go)
//	leads(<key>)/QualifyLead             POST
//
// Actions may be named with or without Microsoft.Dynamics.CRM. and (); a
// key is a GUID, the primary key or a declared alternate key. Entity sets
// are case-sensitive. A documented function or action the emulator does not
// implement, and any Dataverse header it does not implement, is 501 naming
// it (strict.go); any other path is 404 0x8006088a.
func (s *Service) route(w http.ResponseWriter, r *http.Request) {
	m := splitAPIPath(r.URL.Path)
	if m == nil {
		d := &request{w: w, r: r}
		d.noSegment(strings.Trim(r.URL.Path, "/"))
		return
	}
	d := &request{w: w, r: r, base: s.URL + "/api/data/" + m[1] + "/", prefer: strings.Join(r.Header.Values("Prefer"), ",")}
	if !d.checkHeaders() {
		return
	}
	restore, ok := s.impersonate(d)
	if !ok {
		return
	}
	defer restore()
	if d.annotations() {
		w.Header().Add("Preference-Applied", "odata.include-annotations="+d.annotationPreference())
	}
	rest := m[2]
	if s.customAPI(d, rest, nil, "", false) {
		return
	}
	switch strings.TrimPrefix(strings.TrimSuffix(rest, "()"), "Microsoft.Dynamics.CRM.") {
	case "":
		s.serviceDocument(d)
		return
	case "WhoAmI":
		s.whoAmI(d)
		return
	case "WinOpportunity":
		s.closeOpportunity(d, true)
		return
	case "LoseOpportunity":
		s.closeOpportunity(d, false)
		return
	case "$batch":
		s.batch(d)
		return
	case "$metadata":
		s.metadata(d)
		return
	}
	if rest == "EntityDefinitions" || strings.HasPrefix(rest, "EntityDefinitions(") || strings.HasPrefix(rest, "EntityDefinitions/") {
		s.entityDefinitions(d, strings.TrimPrefix(rest, "EntityDefinitions"))
		return
	}
	for _, m := range []string{"GlobalOptionSetDefinitions", "RelationshipDefinitions", "ManagedPropertyDefinitions"} {
		if rest == m || strings.HasPrefix(rest, m+"(") || strings.HasPrefix(rest, m+"/") {
			d.notImplemented("the metadata entity set " + m + " (EntityDefinitions and $metadata are implemented)")
			return
		}
	}
	seg, key, tail := wire.SplitSegment(rest)
	tb, st, ok := s.table(seg)
	if !ok {
		d.unknownSegment(seg)
		return
	}
	if key == "" {
		if tail != "" && s.customAPI(d, tail, tb, "", true) {
			return
		}
		if tail != "" && r.Method == http.MethodPost && s.bulk(d, tb, tail) {
			return
		}
		if tail == "$count" {
			s.count(d, tb)
			return
		}
		if tail != "" {
			d.unknownSegment(tail)
			return
		}
		switch r.Method {
		case http.MethodGet:
			if d.checkSelect(st) {
				s.list(d, tb)
			}
		case http.MethodPost:
			s.create(d, tb)
		default:
			d.writeError(http.StatusMethodNotAllowed, "0x80060888", "The HTTP method '"+r.Method+"' is not allowed on a collection.")
		}
		return
	}
	id, found, err := s.resolveKey(tb, key)
	if err != nil {
		d.keyError(err)
		return
	}
	if tail != "" {
		if s.customAPI(d, tail, tb, id, found) {
			return
		}
		if strings.TrimPrefix(tail, "Microsoft.Dynamics.CRM.") == "QualifyLead" && tb.Logical == "lead" && r.Method == http.MethodPost {
			s.qualifyLead(d, tb, id, found)
			return
		}
		s.recordPath(d, tb, st, id, found, tail)
		return
	}
	switch r.Method {
	case http.MethodGet:
		if d.needsRetrieve() {
			s.retrieve(d, tb, id, found) // query.go: $expand and refusals through the query package
			return
		}
		s.get(d, tb, id, found)
	case http.MethodPatch:
		s.update(d, tb, id, found, key)
	case http.MethodDelete:
		s.remove(d, tb, id, found)
	default:
		d.writeError(http.StatusMethodNotAllowed, "0x80060888", "The HTTP method '"+r.Method+"' is not allowed on a record.")
	}
}
