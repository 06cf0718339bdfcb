package odata

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"iter"
	"net/url"
	"strconv"
	"strings"
)

// FetchXML queries (GET <set>?fetchXml=<fetch>), paged as "Page results
// using FetchXml" documents: each page answers with
// @Microsoft.Dynamics.CRM.morerecords and, when the Prefer header asks for
// it (odata.include-annotations), @Microsoft.Dynamics.CRM.fetchxmlpagingcookie,
// whose pagingcookie attribute (URL-encoded twice) goes back in the fetch
// element's paging-cookie attribute, with page set to the next page number.

// Names of the FetchXML page annotations.
const (
	annMoreRecords  = "@Microsoft.Dynamics.CRM.morerecords"
	annPagingCookie = "@Microsoft.Dynamics.CRM.fetchxmlpagingcookie"
)

// FetchInfo is what the fetch element of a FetchXML query says about paging.
type FetchInfo struct {
	// Page is the page attribute, 0 when absent.
	Page int
	// Top is set when the query has a top attribute: it is not paged.
	Top bool
	// Aggregate is the aggregate attribute: an aggregate query answers
	// with one page.
	Aggregate bool
}

// ParseFetch checks that fetchXML is a well-formed FetchXML query (its root
// element is fetch) and returns what its fetch element says about paging.
func ParseFetch(fetchXML string) (FetchInfo, error) {
	start, _, err := fetchElement(fetchXML)
	if err != nil {
		return FetchInfo{}, err
	}
	var fi FetchInfo
	for _, a := range start.Attr {
		switch a.Name.Local {
		case "page":
			n, err := strconv.Atoi(a.Value)
			if err != nil || n < 1 {
				return FetchInfo{}, fmt.Errorf("the fetch element's page attribute %q is not a page number", a.Value)
			}
			fi.Page = n
		case "top":
			fi.Top = true
		case "aggregate":
			fi.Aggregate = a.Value == "true" || a.Value == "1"
		}
	}
	// The rest must be well-formed too, so that no half-read query is sent.
	dec := xml.NewDecoder(strings.NewReader(fetchXML))
	for {
		if _, err := dec.Token(); err == io.EOF {
			break
		} else if err != nil {
			return FetchInfo{}, fmt.Errorf("the FetchXML is not well-formed: %w", err)
		}
	}
	return fi, nil
}

// fetchElement finds the root element of fetchXML, which must be fetch,
// and the byte offsets of its start tag.
func fetchElement(fetchXML string) (xml.StartElement, [2]int, error) {
	dec := xml.NewDecoder(strings.NewReader(fetchXML))
	for {
		off := int(dec.InputOffset())
		tok, err := dec.Token()
		if err != nil {
			if err == io.EOF {
				return xml.StartElement{}, [2]int{}, errors.New("the FetchXML has no fetch element")
			}
			return xml.StartElement{}, [2]int{}, fmt.Errorf("the FetchXML is not well-formed: %w", err)
		}
		se, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		if se.Name.Local != "fetch" || se.Name.Space != "" {
			return xml.StartElement{}, [2]int{}, fmt.Errorf("the FetchXML's root element is %s, not fetch", se.Name.Local)
		}
		end := int(dec.InputOffset())
		if strings.HasSuffix(fetchXML[off:end], "/>") {
			return xml.StartElement{}, [2]int{}, errors.New("the fetch element is empty: it has no entity")
		}
		return se.Copy(), [2]int{off, end}, nil
	}
}

// FetchPage returns fetchXML with the fetch element's page attribute set to
// page and its paging-cookie attribute to cookie (removed when empty); the
// rest of the text is kept as written.
func FetchPage(fetchXML string, page int, cookie string) (string, error) {
	start, span, err := fetchElement(fetchXML)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	b.WriteString(fetchXML[:span[0]])
	b.WriteString("<fetch")
	attr := func(name, value string) {
		b.WriteString(" " + name + `="`)
		xml.EscapeText(&b, []byte(value)) //nolint:errcheck // a strings.Builder does not fail
		b.WriteByte('"')
	}
	for _, a := range start.Attr {
		if a.Name.Local == "page" || a.Name.Local == "paging-cookie" {
			continue
		}
		name := a.Name.Local
		if a.Name.Space != "" {
			name = a.Name.Space + ":" + name
		}
		attr(name, a.Value)
	}
	attr("page", strconv.Itoa(page))
	if cookie != "" {
		attr("paging-cookie", cookie)
	}
	b.WriteByte('>')
	b.WriteString(fetchXML[span[1]:])
	return b.String(), nil
}

// PagingCookie reads the @Microsoft.Dynamics.CRM.fetchxmlpagingcookie
// annotation, <cookie pagenumber="2" pagingcookie="%253ccookie..." />: the
// next page's number and the cookie to send with it (decoded twice).
func PagingCookie(annotation string) (page int, cookie string, err error) {
	dec := xml.NewDecoder(strings.NewReader(annotation))
	for {
		tok, err := dec.Token()
		if err != nil {
			return 0, "", fmt.Errorf("the paging cookie %q is not a cookie element: %v", annotation, err)
		}
		se, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		for _, a := range se.Attr {
			switch a.Name.Local {
			case "pagenumber":
				page, err = strconv.Atoi(a.Value)
				if err != nil || page < 1 {
					return 0, "", fmt.Errorf("the paging cookie's pagenumber %q is not a page number", a.Value)
				}
			case "pagingcookie":
				cookie = a.Value
				for range 2 {
					if cookie, err = url.QueryUnescape(cookie); err != nil {
						return 0, "", fmt.Errorf("the paging cookie's pagingcookie is not URL-encoded: %v", err)
					}
				}
			}
		}
		if page == 0 {
			return 0, "", fmt.Errorf("the paging cookie %q has no pagenumber", annotation)
		}
		return page, cookie, nil
	}
}

// fetchPage is what a page of a FetchXML query holds besides its records.
type fetchPage struct {
	value       []byte
	moreRecords bool
	cookie      string
}

// scanFetchPage finds the value array and the paging annotations of a page.
func scanFetchPage(body []byte) (p fetchPage, err error) {
	err = pageMembers(body, func(name, v []byte) error {
		switch string(name) {
		case "value":
			p.value = v
		case annMoreRecords:
			return json.Unmarshal(v, &p.moreRecords)
		case annPagingCookie:
			return json.Unmarshal(v, &p.cookie)
		}
		return nil
	})
	if err == nil && p.value == nil {
		err = errors.New("the page has no value array")
	}
	return p, err
}

// FetchQuery returns the query string that sends fetchXML.
func FetchQuery(fetchXML string) string {
	return "fetchXml=" + strings.ReplaceAll(url.QueryEscape(fetchXML), "+", "%20")
}

// Fetch runs the FetchXML query fetchXML on the entity set at path and
// yields its rows, decoding each into a T, page after page: it sets the
// fetch element's page and paging-cookie attributes from each page's
// annotations until morerecords is false. A query with a top attribute or
// an aggregate one is read in one page. prefer must ask for the paging
// cookie annotation ("*" or its name); without it pages are asked by number
// only. The pages must move on: a page that repeats the number of an
// earlier one ends the iteration with an error.
//
// After an error is yielded the iteration ends.
func Fetch[T any](ctx context.Context, c *Client, path, fetchXML string, prefer Prefer) iter.Seq2[*T, error] {
	return func(yield func(*T, error) bool) {
		fi, err := ParseFetch(fetchXML)
		if err != nil {
			yield(nil, err)
			return
		}
		paged := !fi.Top && !fi.Aggregate
		page, cookie := max(fi.Page, 1), ""
		for first := true; ; first = false {
			q := fetchXML
			if !first {
				if q, err = FetchPage(fetchXML, page, cookie); err != nil {
					yield(nil, err)
					return
				}
			}
			req := &Request{Path: path, Query: FetchQuery(q), Prefer: prefer}
			resp, err := c.Do(ctx, req)
			if err != nil {
				yield(nil, err)
				return
			}
			what := resp.scrub().text(path + " (FetchXML page " + strconv.Itoa(page) + ")")
			p, err := scanFetchPage(resp.Body)
			if err != nil {
				yield(nil, fmt.Errorf("d365: reading a page of %s: %w", what, err))
				return
			}
			els := newElements(p.value)
			n := 0
			for raw := els.next(); raw != nil; raw = els.next() {
				v := new(T)
				if err := unmarshal(raw, v); err != nil {
					yield(nil, fmt.Errorf("d365: decoding a record of %s: %w", what, err))
					return
				}
				if !yield(v, nil) {
					return
				}
				n++
			}
			if els.err != nil {
				yield(nil, fmt.Errorf("d365: reading a page of %s: %w", what, els.err))
				return
			}
			if !paged || !p.moreRecords {
				return
			}
			if n == 0 {
				yield(nil, fmt.Errorf("d365: %s is empty but says more records follow: stopping instead of looping", what))
				return
			}
			next, nextCookie := page+1, ""
			if p.cookie != "" {
				if next, nextCookie, err = PagingCookie(p.cookie); err != nil {
					yield(nil, fmt.Errorf("d365: reading %s: %w", what, err))
					return
				}
			}
			if next <= page {
				yield(nil, fmt.Errorf("d365: the paging cookie of %s names page %d again: stopping instead of looping", what, next))
				return
			}
			page, cookie = next, nextCookie
		}
	}
}
