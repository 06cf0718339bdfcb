package dataverse

import (
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/b2bflow/d365/dualwrite/dualwritetest/internal/query"
	"github.com/b2bflow/d365/dualwrite/dualwritetest/internal/wire"
)

// This file holds change tracking ("Use change tracking to synchronize
// data with external systems"): a collection GET with
// Prefer: odata.track-changes ends with @odata.deltaLink, whose
// $deltatoken is the store's row version and a time,
// "919042!08/22/2017 08:10:44"; a GET of the delta link returns the rows
// created or changed since, then those deleted as $deletedEntity.

// deltaToken is a $deltatoken for the store as it is now, URL-encoded as
// Dataverse writes it (919042%2108%2f22%2f2017%2008%3a10%3a44).
func (s *Service) deltaToken() string {
	tok := fmt.Sprintf("%d!%s", s.Store.Version(), time.Now().UTC().Format("01/02/2006 15:04:05"))
	return strings.ToLower(strings.ReplaceAll(url.QueryEscape(tok), "+", "%20"))
}

// parseDeltaToken returns the row version a $deltatoken starts from.
func parseDeltaToken(tok string) (int64, error) {
	v, _, _ := strings.Cut(tok, "!")
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return 0, &query.Error{Status: http.StatusBadRequest, Code: query.CodeQuery, Message: fmt.Sprintf("The $deltatoken '%s' is not valid.", tok)}
	}
	return n, nil
}

// delta answers a GET of a delta link.
func (s *Service) delta(d *request, tb *table, vals url.Values) {
	for k := range vals {
		switch k {
		case "$deltatoken", "$select":
		case "$filter", "$orderby", "$expand", "$top":
			d.writeError(http.StatusBadRequest, query.CodeQuery, fmt.Sprintf(`The "%s" query parameter isn't supported when Change Tracking is enabled.`, strings.TrimPrefix(k, "$")))
			return
		default:
			d.notImplemented("the query parameter " + k + " with $deltatoken")
			return
		}
	}
	since, err := parseDeltaToken(vals.Get("$deltatoken"))
	if err != nil {
		d.queryError(err)
		return
	}
	env := s.queryEnv(d, tb, 0)
	sel := url.Values{}
	if vals.Has("$select") {
		sel.Set("$select", vals.Get("$select"))
	}
	q, err := env.ParseQuery(tb.Logical, sel)
	if err != nil {
		d.queryError(err)
		return
	}
	changes := s.Store.Changes(tb.Logical, since)
	sort.SliceStable(changes, func(i, j int) bool { return !changes[i].Deleted && changes[j].Deleted })
	var rows []query.Row
	var deleted []any
	for _, c := range changes {
		if c.Deleted {
			deleted = append(deleted, map[string]any{"@odata.context": d.base + "$metadata#" + tb.Name + "/$deletedEntity", "id": c.ID, "reason": "deleted"})
			continue
		}
		if e := tb.Get(c.ID); e != nil {
			rows = append(rows, e.Rec())
		}
	}
	objs, err := env.Project(tb.Logical, q, rows)
	if err != nil {
		d.queryError(err)
		return
	}
	value := make([]any, 0, len(objs)+len(deleted))
	for _, o := range objs {
		value = append(value, o)
	}
	value = append(value, deleted...)
	wire.WriteJSON(d.w, http.StatusOK, map[string]any{
		"@odata.context":   d.base + "$metadata#" + tb.Name + q.Context() + "/$delta",
		"@odata.deltaLink": d.base + tb.Name + "?" + rawWithout(d.r.URL.RawQuery, "$deltatoken", "$deltatoken="+s.deltaToken()),
		"value":            value,
	})
}
