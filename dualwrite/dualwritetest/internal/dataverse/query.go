package dataverse

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/b2bflow/d365/dualwrite/dualwritetest/internal/query"
	"github.com/b2bflow/d365/dualwrite/dualwritetest/internal/wire"
)

// This file holds Dataverse queries, evaluated by the query package: a
// collection GET with $select, $filter, $orderby, $top, $count, $expand
// and $apply; fetchXml=, savedQuery= and userQuery=; <set>/$count; server
// paging with paging cookies; and $expand on a single record. Change
// tracking is in tracking.go.

const maxPageSize = 5000

// parseRawQuery is query.ParseRawQuery with '+' read as a space, as the
// service reads a form-encoded query string (a '+' in a value is %2B).
func parseRawQuery(raw string) (url.Values, error) {
	return query.ParseRawQuery(strings.ReplaceAll(raw, "+", "%20"))
}

// queryError answers an error of the query package (or any other as 400),
// or 501 when the query reached a table the emulator does not have.
func (d *request) queryError(err error) {
	if d.missing != "" {
		d.notImplemented(d.missing)
		return
	}
	var qe *query.Error
	if errors.As(err, &qe) {
		d.writeError(qe.Status, qe.Code, qe.Message)
		return
	}
	d.writeError(http.StatusBadRequest, query.CodeQuery, err.Error())
}

// reachedMissing reports whether the query reached a table the emulator
// does not have.
func (d *request) reachedMissing() bool { return d.missing != "" }

// notImplemented answers 501 naming what the emulator does not implement.
func (d *request) notImplemented(what string) {
	d.writeError(http.StatusNotImplemented, query.CodeQuery, "The emulator does not implement "+what+".")
}

// readPreferences are the Prefer preferences a GET may carry. return= is
// about writes and has no effect on a GET, as in Dataverse.
var readPreferences = map[string]bool{
	"odata.include-annotations": true, "odata.maxpagesize": true, "odata.track-changes": true,
	"return": true, "odata.continue-on-error": true,
}

// preference is one Prefer preference: its name (lower case) and value
// (unquoted).
type preference struct{ name, value string }

// preferences splits the Prefer header values at the commas outside
// quotes: odata.include-annotations="a,b" is one preference.
func (d *request) preferences() []preference {
	var out []preference
	var cur strings.Builder
	quoted := false
	flush := func() {
		p := strings.TrimSpace(cur.String())
		cur.Reset()
		if p == "" {
			return
		}
		name, v, _ := strings.Cut(p, "=")
		out = append(out, preference{strings.ToLower(strings.TrimSpace(name)), strings.Trim(strings.TrimSpace(v), `"`)})
	}
	for _, r := range d.prefer {
		switch {
		case r == '"':
			quoted = !quoted
			cur.WriteRune(r)
		case r == ',' && !quoted:
			flush()
		default:
			cur.WriteRune(r)
		}
	}
	flush()
	return out
}

// checkReadPreferences answers 501 for a Prefer preference of a GET the
// emulator does not implement (respond-async, odata.callback, wait...),
// and reports whether the request may go on.
func (d *request) checkReadPreferences() bool {
	for _, p := range d.preferences() {
		if readPreferences[p.name] {
			continue
		}
		d.notImplemented("the Prefer preference " + p.name)
		return false
	}
	return true
}

// wantsAnnotation reports whether the request's
// odata.include-annotations preference names the annotation term: "*",
// the term itself, or its namespace followed by ".*".
func (d *request) wantsAnnotation(term string) bool {
	ns := term[:strings.LastIndex(term, ".")+1]
	for _, p := range d.preferences() {
		if p.name != "odata.include-annotations" {
			continue
		}
		for _, t := range strings.Split(p.value, ",") {
			t = strings.TrimSpace(t)
			if t == "*" || t == term || t == ns+"*" {
				return true
			}
		}
	}
	return false
}

// hasPreference reports whether the Prefer header carries the preference.
func (d *request) hasPreference(name string) bool {
	for _, p := range d.preferences() {
		if p.name == name {
			return true
		}
	}
	return false
}

// pageSize returns the odata.maxpagesize of the request (0 when none),
// echoing it in Preference-Applied.
func (d *request) pageSize() int {
	n, ok := wire.MaxPageSize(d.prefer)
	if !ok {
		return 0
	}
	if n > maxPageSize || n <= 0 {
		n = maxPageSize
	}
	d.w.Header().Add("Preference-Applied", "odata.maxpagesize="+strconv.Itoa(n))
	return n
}

// list answers a GET of an entity set.
func (s *Service) list(d *request, tb *table) {
	vals, err := parseRawQuery(d.r.URL.RawQuery)
	if err != nil {
		d.queryError(err)
		return
	}
	if !d.checkReadPreferences() {
		return
	}
	switch {
	case vals.Has("$deltatoken"):
		s.delta(d, tb, vals)
		return
	case vals.Has("fetchXml"):
		s.fetchXML(d, tb, vals)
		return
	case (vals.Has("savedQuery") || vals.Has("userQuery")) && d.hasPreference("odata.track-changes"):
		d.notImplemented("change tracking with savedQuery or userQuery")
		return
	case vals.Has("userQuery"):
		s.userQuery(d, tb, vals)
		return
	case vals.Has("savedQuery"):
		sq := vals.Get("savedQuery")
		f, ok := s.Views[strings.ToLower(sq)]
		if !ok {
			s.savedQuery(d, tb, vals)
			return
		}
		if tb.Logical != "lead" {
			d.writeError(http.StatusNotFound, "0x80040217", fmt.Sprintf("savedquery With Id = %s Does Not Exist", sq))
			return
		}
		if own := vals.Get("$filter"); own != "" {
			f = "(" + f + ") and (" + own + ")"
		}
		vals.Set("$filter", f)
		vals.Del("savedQuery")
	}
	track := d.hasPreference("odata.track-changes")
	if track {
		for _, o := range []string{"$filter", "$orderby", "$expand", "$top"} {
			if vals.Has(o) {
				d.writeError(http.StatusBadRequest, query.CodeQuery, fmt.Sprintf(`The "%s" query parameter isn't supported when Change Tracking is enabled.`, strings.TrimPrefix(o, "$")))
				return
			}
		}
		if vals.Has("$apply") {
			d.notImplemented("$apply with change tracking")
			return
		}
	}
	pageSize := d.pageSize()
	env := s.queryEnv(d, tb, pageSize)
	q, err := env.ParseQuery(tb.Logical, withoutToken(vals))
	if err != nil || d.reachedMissing() {
		d.queryError(err)
		return
	}
	if q.Apply != nil {
		rows, err := env.RunApply(tb.Logical, q)
		if err != nil || d.reachedMissing() {
			d.queryError(err)
			return
		}
		value := make([]any, len(rows))
		for i, r := range rows {
			value[i] = r
		}
		wire.WriteJSON(d.w, http.StatusOK, map[string]any{"@odata.context": d.base + "$metadata#" + tb.Name, "value": value})
		return
	}
	if pageSize > 0 {
		// "If you include both, $top is ignored." (Page results using OData)
		q.Top = nil
	} else {
		pageSize = maxPageSize
	}
	rows, err := env.Match(tb.Logical, q)
	if err != nil {
		d.queryError(err)
		return
	}
	total := len(rows)
	offset, page := 0, 1
	if tok := vals.Get("$skiptoken"); tok != "" {
		if offset, page, err = s.resume(env, tb, q, rows, tok, pageSize); err != nil {
			d.queryError(err)
			return
		}
	}
	end := min(offset+pageSize, len(rows))
	pageRows := rows[offset:end]
	objs, err := env.Project(tb.Logical, q, pageRows)
	if err != nil {
		d.queryError(err)
		return
	}
	value := make([]any, len(objs))
	for i, o := range objs {
		value[i] = o
	}
	if d.reachedMissing() {
		d.queryError(nil)
		return
	}
	out := map[string]any{"@odata.context": d.base + "$metadata#" + tb.Name + q.Context(), "value": value}
	if q.Count {
		out["@odata.count"] = min(total, maxPageSize)
	}
	if end < len(rows) && len(pageRows) > 0 {
		first, last := str(pageRows[0][tb.Key]), str(pageRows[len(pageRows)-1][tb.Key])
		out["@odata.nextLink"] = d.base + tb.Name + "?" + rawWithout(d.r.URL.RawQuery, "$skiptoken", "$skiptoken="+query.SkipToken(tb.Key, page, first, last))
	} else if track {
		d.w.Header().Add("Preference-Applied", "odata.track-changes")
		out["@odata.deltaLink"] = d.base + tb.Name + "?" + rawWithout(d.r.URL.RawQuery, "$skiptoken", "$deltatoken="+s.deltaToken())
	}
	wire.WriteJSON(d.w, http.StatusOK, out)
}

// resume finds where the page a $skiptoken asks for starts in rows: after
// the previous page's last row. When that row no longer matches the query,
// the page starts at the first row that sorts after it; only when it no
// longer exists at all does the page number decide.
func (s *Service) resume(env *query.Env, tb *table, q *query.Query, rows []query.Row, tok string, pageSize int) (offset, page int, err error) {
	page, lastID, err := query.ParseSkipToken(tok)
	if err != nil {
		return 0, 0, err
	}
	for i, r := range rows {
		if strings.EqualFold(str(r[tb.Key]), lastID) {
			return i + 1, page, nil
		}
	}
	all := *q
	all.Filter, all.Top = nil, nil
	everyEnv := *env
	if e := s.Store.Deleted(tb.Logical, lastID); e != nil && tb.Get(lastID) == nil {
		// The row is gone: sort it among the others as it was.
		everyEnv.Data = withRow{env.Data, tb.Logical, e.Rec()}
	}
	every, err := everyEnv.Match(tb.Logical, &all)
	if err != nil {
		return 0, 0, err
	}
	rank := map[string]int{}
	for i, r := range every {
		rank[strings.ToLower(str(r[tb.Key]))] = i
	}
	at, ok := rank[lastID]
	if !ok {
		return min(max((page-1)*pageSize, 0), len(rows)), page, nil
	}
	for i, r := range rows {
		if rank[strings.ToLower(str(r[tb.Key]))] > at {
			return i, page, nil
		}
	}
	return len(rows), page, nil
}

// withRow is a query.Data with one more row in a table (appended, as the
// newest).
type withRow struct {
	query.Data
	table string
	row   query.Row
}

func (w withRow) Rows(table string) []query.Row {
	rows := w.Data.Rows(table)
	if table == w.table {
		rows = append(rows, w.row)
	}
	return rows
}

// withoutToken returns the query options without the paging and
// tracking parameters the handler reads itself.
func withoutToken(vals url.Values) url.Values {
	out := url.Values{}
	for k, v := range vals {
		if k != "$skiptoken" {
			out[k] = v
		}
	}
	return out
}

// rawWithout returns a raw query string without the parameter drop, with
// extra appended, keeping the other parameters as the client encoded them
// ("Don't change the @odata.nextLink URL value").
func rawWithout(raw, drop, extra string) string {
	var parts []string
	for _, p := range strings.Split(raw, "&") {
		if p == "" {
			continue
		}
		name, _, _ := strings.Cut(p, "=")
		if n, err := url.QueryUnescape(name); err == nil {
			name = n
		}
		if name == drop {
			continue
		}
		parts = append(parts, p)
	}
	return strings.Join(append(parts, extra), "&")
}

// count answers GET <set>/$count: the number of matching records as plain
// text ("Query data using the Web API": $count).
func (s *Service) count(d *request, tb *table) {
	if d.r.Method != http.MethodGet {
		d.writeError(http.StatusMethodNotAllowed, query.CodeQuery, "The HTTP method '"+d.r.Method+"' is not allowed on $count.")
		return
	}
	vals, err := parseRawQuery(d.r.URL.RawQuery)
	if err != nil {
		d.queryError(err)
		return
	}
	if !d.checkReadPreferences() {
		return
	}
	var n int
	if vals.Has("$deltatoken") {
		since, err := parseDeltaToken(vals.Get("$deltatoken"))
		if err != nil {
			d.queryError(err)
			return
		}
		n = len(s.Store.Changes(tb.Logical, since))
	} else {
		for _, k := range []string{"fetchXml", "savedQuery", "userQuery", "$apply", "$expand"} {
			if vals.Has(k) {
				d.notImplemented(k + " with $count")
				return
			}
		}
		env := s.queryEnv(d, tb, 0)
		q, err := env.ParseQuery(tb.Logical, vals)
		if err != nil || d.reachedMissing() {
			d.queryError(err)
			return
		}
		rows, err := env.Match(tb.Logical, q)
		if err != nil {
			d.queryError(err)
			return
		}
		n = len(rows)
	}
	d.w.Header().Set("Content-Type", "text/plain")
	d.w.Header().Set("OData-Version", "4.0")
	d.w.WriteHeader(http.StatusOK)
	fmt.Fprint(d.w, n)
}

// fetchXML answers GET <set>?fetchXml=...
func (s *Service) fetchXML(d *request, tb *table, vals url.Values) {
	for k := range vals {
		// $count=true goes with fetchXml in the documented first-page
		// request of "Page results using FetchXml"; it adds nothing there.
		if k != "fetchXml" && k != "$count" && !strings.HasPrefix(k, "@") {
			d.notImplemented("the query parameter " + k + " with fetchXml")
			return
		}
	}
	if d.hasPreference("odata.track-changes") {
		d.notImplemented("change tracking with fetchXml")
		return
	}
	xml := vals.Get("fetchXml")
	// web-api-query-data-sample-033 sends the document URL-encoded twice
	// ("%253Cfetch...") and Dataverse runs it: decode once more.
	if strings.HasPrefix(strings.ToLower(xml), "%3cfetch") {
		if u, err := url.PathUnescape(xml); err == nil {
			xml = u
		}
	}
	s.runFetch(d, tb, xml)
}

// runFetch parses and runs a FetchXML query on the table's entity set.
func (s *Service) runFetch(d *request, tb *table, xml string) {
	f, err := query.ParseFetchXML(xml)
	if err != nil {
		d.queryError(err)
		return
	}
	if f.Entity.Name != tb.Logical {
		// The code is FetchXML's Invalid Argument; Dataverse's message for
		// this case is not documented, so the text is the emulator's.
		d.writeError(http.StatusBadRequest, query.CodeFetchXML, fmt.Sprintf("The entity name '%s' in the FetchXML does not match the entity set '%s' (entity '%s').", f.Entity.Name, tb.Name, tb.Logical))
		return
	}
	res, err := s.queryEnv(d, tb, 0).RunFetch(f)
	if err != nil {
		d.queryError(err)
		return
	}
	value := make([]any, len(res.Rows))
	for i, r := range res.Rows {
		value[i] = r
	}
	out := map[string]any{"@odata.context": d.base + "$metadata#" + tb.Name + res.Context(), "value": value}
	if res.TotalRecordCount >= 0 {
		out["@Microsoft.Dynamics.CRM.totalrecordcount"] = res.TotalRecordCount
		out["@Microsoft.Dynamics.CRM.totalrecordcountlimitexceeded"] = res.TotalRecordCountLimitExceeded
	}
	// "With the Web API you must request a paging cookie as an annotation"
	// (Page results using FetchXml), and so the more records flag.
	if res.MoreRecords && d.wantsAnnotation("Microsoft.Dynamics.CRM.morerecords") {
		out["@Microsoft.Dynamics.CRM.morerecords"] = true
	}
	if res.PagingCookie != "" && d.wantsAnnotation("Microsoft.Dynamics.CRM.fetchxmlpagingcookie") {
		out["@Microsoft.Dynamics.CRM.fetchxmlpagingcookie"] = res.PagingCookie
	}
	wire.WriteJSON(d.w, http.StatusOK, out)
}

// savedQuery answers GET <set>?savedQuery=<id> for a view that is a
// savedquery record: its fetchxml runs.
func (s *Service) savedQuery(d *request, tb *table, vals url.Values) {
	s.viewQuery(d, tb, vals, "savedQuery", "savedquery")
}

// userQuery answers GET <set>?userQuery=<id>: the userquery record's
// fetchxml runs ("Retrieve and execute predefined queries").
func (s *Service) userQuery(d *request, tb *table, vals url.Values) {
	s.viewQuery(d, tb, vals, "userQuery", "userquery")
}

func (s *Service) viewQuery(d *request, tb *table, vals url.Values, param, logical string) {
	for k := range vals {
		if k != param {
			d.notImplemented("the query parameter " + k + " with " + param)
			return
		}
	}
	id := strings.ToLower(strings.Trim(vals.Get(param), "{}"))
	views := s.Store.Dataverse(logical)
	var e *entry
	if views != nil {
		e = views.Get(id)
	}
	if e == nil {
		d.writeError(http.StatusNotFound, "0x80040217", fmt.Sprintf("%s With Id = %s Does Not Exist", logical, vals.Get(param)))
		return
	}
	if rt := str(e.Get("returnedtypecode")); rt != "" && rt != tb.Logical {
		d.writeError(http.StatusBadRequest, query.CodeQuery, fmt.Sprintf("The %s %s returns %s records, not %s.", logical, id, rt, tb.Logical))
		return
	}
	xml := str(e.Get("fetchxml"))
	if xml == "" {
		d.notImplemented("a " + logical + " without fetchxml")
		return
	}
	s.runFetch(d, tb, xml)
}

// needsRetrieve reports whether a GET of a record has more than a
// $select (query options, or Prefer preferences a GET does not take), so
// that retrieve answers it (and refuses what it does not implement).
func (d *request) needsRetrieve() bool {
	vals, err := parseRawQuery(d.r.URL.RawQuery) // url.Query drops parameters with ';'
	if err != nil {
		return true
	}
	for k := range vals {
		if k != "$select" {
			return true
		}
	}
	for _, p := range d.preferences() {
		if !readPreferences[p.name] {
			return true
		}
	}
	return false
}

// retrieve answers GET <set>(<key>) with query options ($select and
// $expand) through the query package.
func (s *Service) retrieve(d *request, tb *table, id string, found bool) {
	vals, err := parseRawQuery(d.r.URL.RawQuery)
	if err != nil {
		d.queryError(err)
		return
	}
	if !d.checkReadPreferences() {
		return
	}
	for k := range vals {
		if k == "$select" || k == "$expand" || k == "tag" || strings.HasPrefix(k, "@") {
			continue // tag: the plug-ins' shared variable, accepted
		}
		// As checkOptions: another $ option is Dataverse's 400, any other
		// parameter one the emulator does not know.
		if strings.HasPrefix(k, "$") {
			d.writeError(http.StatusBadRequest, query.CodeQuery, "The query parameter "+k+" is not supported on a single record.")
		} else {
			d.unimplemented("the query parameter '" + k + "' on a single record")
		}
		return
	}
	env := s.queryEnv(d, tb, 0)
	q, err := env.ParseQuery(tb.Logical, vals)
	if err != nil || d.reachedMissing() {
		d.queryError(err)
		return
	}
	e := tb.Get(id)
	if !found || e == nil {
		d.notFound(tb, id)
		return
	}
	if inm := d.r.Header.Get("If-None-Match"); inm != "" && inm == etagOf(e) {
		d.w.Header().Set("OData-Version", "4.0")
		d.w.WriteHeader(http.StatusNotModified)
		return
	}
	env.LookupETags = true
	objs, err := env.Project(tb.Logical, q, []query.Row{e.Rec()})
	if err != nil {
		d.queryError(err)
		return
	}
	o := objs[0]
	o["@odata.context"] = d.base + "$metadata#" + tb.Name + q.Context() + "/$entity"
	d.w.Header().Set("ETag", etagOf(e))
	wire.WriteJSON(d.w, http.StatusOK, o)
}
