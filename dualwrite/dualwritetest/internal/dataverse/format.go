package dataverse

import (
	"fmt"
	"math"
	"net/http"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/b2bflow/d365/dualwrite/dualwritetest/internal/schema"
	"github.com/b2bflow/d365/dualwrite/dualwritetest/internal/wire"
)

// This file holds what records carry besides their columns: the system
// columns set on create, the formatted values and the annotations a
// request asks for, and the record rules a write must pass (state changes
// that need an action, query options a single record accepts).

const formattedValue = "@OData.Community.Display.V1.FormattedValue"

// systemColumns sets the ownership and audit lookups a new record gets, for
// the columns its table declares: createdby, modifiedby, ownerid and
// owninguser (the emulator's user, or the impersonated one, with
// createdonbehalfby the emulator's) and owningbusinessunit.
func (s *Service) systemColumns(st *schema.Table, rec record) {
	if st == nil || s.UserID == "" {
		return
	}
	has := func(c string) bool { _, ok := st.Column(c); return ok }
	user := s.actingUser()
	for _, c := range []string{"createdby", "modifiedby"} {
		if has(c) {
			setLookup(rec, c, c, "systemuser", user)
		}
	}
	if caller := s.onBehalf(); caller != "" && has("createdonbehalfby") {
		setLookup(rec, "createdonbehalfby", "createdonbehalfby", "systemuser", caller)
	}
	if has("ownerid") {
		if _, ok := rec["_ownerid_value"]; !ok {
			setLookup(rec, "ownerid", "ownerid", "systemuser", user)
		}
		if has("owninguser") && rec["_ownerid_value@Microsoft.Dynamics.CRM.lookuplogicalname"] == "systemuser" {
			setLookup(rec, "owninguser", "owninguser", "systemuser", str(rec["_ownerid_value"]))
		}
	}
	if has("owningbusinessunit") && s.BusinessUnitID != "" {
		setLookup(rec, "owningbusinessunit", "owningbusinessunit", "businessunit", s.BusinessUnitID)
	}
}

// formatted returns the formatted value Dataverse sends for a column
// value, as an en-US user in UTC sees it: money with the record's currency
// symbol and two decimals ("$5,000,000.00"), whole numbers with thousands
// separators ("9,500"), decimals with the column's precision, dates
// ("6/18/2026" for a date-only column, "6/18/2026 2:05 PM" otherwise),
// choices and yes/no columns by their labels (several choices joined with
// "; ").
func (s *Service) formatted(tb *table, st *schema.Table, e *entry, col string, v any) (string, bool) {
	var c *schema.Column
	if st != nil {
		c, _ = st.Column(col)
	}
	if c == nil {
		if l, ok := labels[tb.Logical][col]; ok {
			if n, ok := toInt(v); ok && l[n] != "" {
				return l[n], true
			}
		}
		if b, ok := v.(bool); ok {
			return map[bool]string{true: "Yes", false: "No"}[b], true
		}
		return "", false
	}
	switch c.Type {
	case schema.Money:
		f, ok := numberValue(v)
		if !ok {
			return "", false
		}
		return s.currencySymbol(e) + groupDigits(f, 2), true
	case schema.Integer, schema.BigInt:
		f, ok := numberValue(v)
		if !ok {
			return "", false
		}
		return groupDigits(f, 0), true
	case schema.Decimal, schema.Double:
		f, ok := numberValue(v)
		if !ok {
			return "", false
		}
		p := c.Precision
		if p <= 0 {
			p = 2
		}
		return groupDigits(f, p), true
	case schema.DateTime:
		t, ok := timeValue(str(v))
		if !ok {
			return "", false
		}
		if c.DateOnly() || c.DateTimeFormat == "DateOnly" {
			return t.Format("1/2/2006"), true
		}
		return t.UTC().Format("1/2/2006 3:04 PM"), true
	case schema.Boolean:
		b, ok := v.(bool)
		if !ok {
			return "", false
		}
		if b {
			return orDefault(c.TrueLabel, "Yes"), true
		}
		return orDefault(c.FalseLabel, "No"), true
	case schema.Picklist, schema.State, schema.Status:
		n, ok := toInt(v)
		if !ok {
			return "", false
		}
		if l, ok := c.Label(n); ok && l != "" {
			return l, true
		}
		if l := labels[tb.Logical][col][n]; l != "" {
			return l, true
		}
	case schema.MultiSelect:
		var out []string
		for _, p := range strings.Split(str(v), ",") {
			n, err := strconv.Atoi(strings.TrimSpace(p))
			if err != nil {
				return "", false
			}
			l, _ := c.Label(n)
			out = append(out, l)
		}
		return strings.Join(out, "; "), true
	}
	return "", false
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func numberValue(v any) (float64, bool) {
	switch n := v.(type) {
	case string:
		f, err := strconv.ParseFloat(n, 64)
		return f, err == nil
	case fmt.Stringer: // json.Number
		f, err := strconv.ParseFloat(n.String(), 64)
		return f, err == nil
	case float64:
		return n, true
	case int:
		return float64(n), true
	case int64:
		return float64(n), true
	}
	return 0, false
}

func timeValue(s string) (time.Time, bool) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// groupDigits formats f with decimals places and comma thousands
// separators: 5000000 → "5,000,000.00".
func groupDigits(f float64, decimals int) string {
	neg := f < 0
	txt := strconv.FormatFloat(math.Abs(f), 'f', decimals, 64)
	whole, frac, _ := strings.Cut(txt, ".")
	var b strings.Builder
	for i, r := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	out := b.String()
	if frac != "" {
		out += "." + frac
	}
	if neg {
		out = "-" + out
	}
	return out
}

// currencySymbol is the symbol of the record's transactioncurrency.
func (s *Service) currencySymbol(e *entry) string {
	id := str(e.Get("_transactioncurrencyid_value"))
	if tb := s.Store.Dataverse("transactioncurrency"); tb != nil && id != "" {
		if c := tb.Get(id); c != nil {
			return str(c.Get("currencysymbol"))
		}
	}
	return ""
}

// annotationPreference returns the odata.include-annotations value the
// request asked for, quoted, for Preference-Applied.
func (d *request) annotationPreference() string {
	for _, p := range splitPrefer(d.prefer) {
		if v, ok := strings.CutPrefix(p, "odata.include-annotations="); ok {
			return `"` + strings.Trim(v, `"`) + `"`
		}
	}
	return `"*"`
}

// wantAnnotation says whether the patterns of an odata.include-annotations
// preference (its value split at the commas) ask for an annotation term:
// "*", the term itself, or a pattern such as
// "OData.Community.Display.V1.*"; a pattern prefixed with "-" excludes.
func wantAnnotation(patterns []string, term string) bool {
	want := false
	for _, p := range patterns {
		p = strings.TrimSpace(p)
		exclude := strings.HasPrefix(p, "-")
		p = strings.TrimPrefix(p, "-")
		if ok, _ := path.Match(p, term); ok || p == term {
			if exclude {
				return false
			}
			want = true
		}
	}
	return want
}

// filterAnnotations removes from a rendered record the property
// annotations the request's Prefer did not ask for.
func (d *request) filterAnnotations(out map[string]any) map[string]any {
	keep := d.annotationFilter()
	if keep == nil {
		return out
	}
	for k := range out {
		if !keep(k) {
			delete(out, k)
		}
	}
	return out
}

// filterMembers is filterAnnotations for the members of a record.
func (d *request) filterMembers(ms []wire.Member) []wire.Member {
	keep := d.annotationFilter()
	if keep == nil {
		return ms
	}
	return slices.DeleteFunc(ms, func(m wire.Member) bool { return !keep(m.Name) })
}

// annotationFilter returns whether to keep a member of a rendered record
// by its name, nil to keep them all (no annotations asked for: the record
// was rendered without). The preference is parsed once, and each term (a
// record has a handful) matched once.
func (d *request) annotationFilter() func(name string) bool {
	if !d.annotations() {
		return nil
	}
	patterns := strings.Split(strings.Trim(d.annotationPreference(), `"`), ",")
	all := len(patterns) == 1 && strings.TrimSpace(patterns[0]) == "*"
	var seen map[string]bool
	return func(k string) bool {
		_, term, ok := strings.Cut(k, "@")
		if !ok || k[0] == '@' || all && !strings.Contains(term, "/") {
			return true // "*" matches every term without a slash
		}
		want, known := seen[term]
		if !known {
			want = wantAnnotation(patterns, term)
			if seen == nil {
				seen = map[string]bool{}
			}
			seen[term] = want
		}
		return want
	}
}

// closingStates are the statecodes a table's records reach only through an
// action, with the message Dataverse answers a PATCH that sets one.
var closingStates = map[string]map[int]string{
	"opportunity": {
		1: "This message can not be used to set the state of opportunity to Won. In order to set the state of opportunity to Won, use the WinOpportunityRequest message instead.",
		2: "This message can not be used to set the state of opportunity to Lost. In order to set the state of opportunity to Lost, use the LoseOpportunityRequest message instead.",
	},
}

// checkStateChange refuses a write that sets a statecode only an action may
// set (an opportunity's Won and Lost: WinOpportunity, LoseOpportunity),
// with 400 0x80100005.
func (s *Service) checkStateChange(d *request, tb *table, body map[string]any) bool {
	v, ok := body["statecode"]
	if !ok {
		return true
	}
	n, ok := toInt(v)
	if !ok {
		return true
	}
	if msg := closingStates[tb.Logical][n]; msg != "" {
		d.writeError(http.StatusBadRequest, "0x80100005", msg)
		return false
	}
	return true
}

// checkOptions checks the query options of a request on one record:
// $select (every name a property of the table), parameter aliases;
// $expand and any other option is 501, another $ option 400.
func (d *request) checkOptions(tb *table, st *schema.Table) bool {
	q := d.r.URL.Query()
	for k := range q {
		switch {
		case k == "$select":
		case k == "tag": // the plug-ins' shared variable (no plug-ins run here)
		case strings.HasPrefix(k, "@"):
		case k == "$expand":
			d.unimplemented("$expand on a single record")
			return false
		case strings.HasPrefix(k, "$"):
			d.writeError(http.StatusBadRequest, "0x80060888", fmt.Sprintf("The query parameter %s is not supported on a single record of %s.", k, tb.Name))
			return false
		default:
			d.unimplemented("the query parameter '" + k + "' on a single record")
			return false
		}
	}
	return d.checkSelect(st)
}

// checkSelect checks the names of $select against the table (400
// 0x80060888 for one that is no property).
func (d *request) checkSelect(st *schema.Table) bool {
	if st == nil {
		return true
	}
	if sel := wire.SelectList(d.r.URL.Query().Get("$select")); len(sel) > 0 {
		if err := st.CheckSelect(sel...); err != nil {
			d.failSchema(err)
			return false
		}
	}
	return true
}
