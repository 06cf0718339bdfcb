package dataverse

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/b2bflow/d365/dualwrite/dualwritetest/internal/wire"
)

// This file holds Dataverse queries: $select, $filter, $orderby, $top,
// $count, saved views and server paging with paging cookies.

const maxPageSize = 5000

var (
	pageNumberRE = regexp.MustCompile(`pagenumber="(\d+)"`)
	lastIDRE     = regexp.MustCompile(`last="\{([0-9A-Fa-f-]{36})\}"`)
)

// orderRows sorts entries by an $orderby list ("name desc,createdon").
func orderRows(rows []*entry, orderby string) {
	if strings.TrimSpace(orderby) == "" {
		return
	}
	type key struct {
		col  string
		desc bool
	}
	var keys []key
	for _, part := range strings.Split(orderby, ",") {
		f := strings.Fields(part)
		if len(f) == 0 {
			continue
		}
		keys = append(keys, key{f[0], len(f) > 1 && strings.EqualFold(f[1], "desc")})
	}
	sort.SliceStable(rows, func(i, j int) bool {
		for _, k := range keys {
			a, b := rows[i].Rec[k.col], rows[j].Rec[k.col]
			c, ok := compareValues(a, b)
			if !ok { // nulls first
				switch {
				case a == nil && b != nil:
					c = -1
				case a != nil && b == nil:
					c = 1
				}
			}
			if c != 0 {
				if k.desc {
					return c > 0
				}
				return c < 0
			}
		}
		return false
	})
}

func filterRows(rows []*entry, filter string) ([]*entry, error) {
	if strings.TrimSpace(filter) == "" {
		return rows, nil
	}
	expr, err := parseFilter(filter)
	if err != nil {
		return nil, err
	}
	var out []*entry
	for _, e := range rows {
		v, err := expr.eval(func(n string) any { return e.Rec[n] })
		if err != nil {
			return nil, err
		}
		if v == true {
			out = append(out, e)
		}
	}
	return out, nil
}

func (s *Service) list(d *request, tb *table) {
	q := d.r.URL.Query()
	if _, ok := q["$skip"]; ok {
		d.writeError(http.StatusBadRequest, "0x80060888", "The query parameter $skip is not supported")
		return
	}
	rows := tb.Sorted()
	var err error
	if sq := q.Get("savedQuery"); sq != "" {
		f, ok := s.Views[strings.ToLower(sq)]
		if !ok || tb.Logical != "lead" {
			d.writeError(http.StatusNotFound, "0x80040217", fmt.Sprintf("savedquery With Id = %s Does Not Exist", sq))
			return
		}
		if rows, err = filterRows(rows, f); err != nil {
			d.writeError(http.StatusBadRequest, "0x80060888", err.Error())
			return
		}
	}
	if rows, err = filterRows(rows, q.Get("$filter")); err != nil {
		d.writeError(http.StatusBadRequest, "0x80060888", err.Error())
		return
	}
	orderRows(rows, q.Get("$orderby"))
	total := len(rows)

	pageSize := 0
	if n, ok := wire.MaxPageSize(d.prefer); ok {
		pageSize = n
		if pageSize > maxPageSize || pageSize <= 0 {
			pageSize = maxPageSize
		}
		d.w.Header().Add("Preference-Applied", "odata.maxpagesize="+strconv.Itoa(pageSize))
	}
	if top, err := strconv.Atoi(q.Get("$top")); err == nil && top >= 0 && pageSize == 0 {
		if top < len(rows) {
			rows = rows[:top]
		}
	}
	if pageSize == 0 {
		pageSize = maxPageSize
	}
	offset := 0
	if tok := q.Get("$skiptoken"); tok != "" {
		for i := 0; i < 3; i++ {
			if u, err := url.QueryUnescape(tok); err == nil {
				tok = u
			}
		}
		offset = -1
		if m := lastIDRE.FindStringSubmatch(tok); m != nil {
			for i, e := range rows {
				if strings.EqualFold(str(e.Rec[tb.Key]), m[1]) {
					offset = i + 1
					break
				}
			}
		}
		if offset < 0 {
			if m := pageNumberRE.FindStringSubmatch(tok); m != nil {
				n, _ := strconv.Atoi(m[1])
				offset = (n - 1) * pageSize
			} else {
				d.writeError(http.StatusBadRequest, "0x80060888", "The $skiptoken is not a paging cookie.")
				return
			}
		}
	}
	offset = min(max(offset, 0), len(rows))
	end := min(offset+pageSize, len(rows))
	page := rows[offset:end]

	sel := wire.SelectList(q.Get("$select"))
	value := make([]any, 0, len(page))
	for _, e := range page {
		value = append(value, s.out(tb, e, sel, d.annotations()))
	}
	out := map[string]any{"@odata.context": d.base + "$metadata#" + tb.Name + wire.SelectContext(sel), "value": value}
	if q.Get("$count") == "true" {
		out["@odata.count"] = total
	}
	if end < len(rows) && len(page) > 0 {
		pageNo := offset/pageSize + 2
		first, last := strings.ToUpper(str(page[0].Rec[tb.Key])), strings.ToUpper(str(page[len(page)-1].Rec[tb.Key]))
		inner := fmt.Sprintf(`<cookie page="%d"><%s last="{%s}" first="{%s}" /></cookie>`, pageNo-1, tb.Key, last, first)
		cookie := fmt.Sprintf(`<cookie pagenumber="%d" pagingcookie="%s" istracking="False" />`, pageNo, escape(escape(inner)))
		nq := url.Values{}
		for k, v := range q {
			if k != "$skiptoken" {
				nq[k] = v
			}
		}
		link := d.base + tb.Name + "?" + wire.EncodeQuery(nq) + "&$skiptoken=" + url.PathEscape(cookie)
		out["@odata.nextLink"] = strings.Replace(link, "?&", "?", 1)
	}
	wire.WriteJSON(d.w, http.StatusOK, out)
}

// escape percent-encodes like Dataverse's paging cookies: spaces as %20.
func escape(s string) string { return strings.ReplaceAll(url.QueryEscape(s), "+", "%20") }
