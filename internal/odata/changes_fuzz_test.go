package odata

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// deltaResult is what a page of changes says: its links and, for each row,
// the deleted id or the record's text.
type deltaResult struct {
	NextLink, DeltaLink string
	Rows                []string // "deleted <id>", "record <text>" or "error"
}

// refDelta reads a page of changes with encoding/json alone.
func refDelta(body []byte) (*deltaResult, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(body, &m); err != nil {
		return nil, err
	}
	v, ok := m["value"]
	if !ok || len(v) == 0 || v[0] != '[' {
		return nil, errors.New("the page has no value array")
	}
	var rows []json.RawMessage
	if err := json.Unmarshal(v, &rows); err != nil {
		return nil, err
	}
	p := &deltaResult{}
	for name, dst := range map[string]*string{"@odata.nextLink": &p.NextLink, "@odata.deltaLink": &p.DeltaLink} {
		if l, ok := m[name]; ok {
			if err := json.Unmarshal(l, dst); err != nil {
				return nil, err
			}
		}
	}
	for _, raw := range rows {
		var r map[string]json.RawMessage
		var ctxURL, id string
		if json.Unmarshal(raw, &r) == nil && json.Unmarshal(r["@odata.context"], &ctxURL) == nil && strings.HasSuffix(ctxURL, "/$deletedEntity") {
			if json.Unmarshal(r["id"], &id) != nil || id == "" {
				p.Rows = append(p.Rows, "error")
			} else {
				p.Rows = append(p.Rows, "deleted "+id)
			}
			continue
		}
		var rec json.RawMessage
		if json.Unmarshal(raw, &rec) != nil {
			p.Rows = append(p.Rows, "error")
			continue
		}
		p.Rows = append(p.Rows, "record "+string(raw))
	}
	return p, nil
}

// scannedDelta reads a page of changes the way Changes does.
func scannedDelta(body []byte) (*deltaResult, error) {
	pg, err := scanDeltaPage(body)
	if err != nil {
		return nil, err
	}
	p := &deltaResult{NextLink: pg.nextLink, DeltaLink: pg.deltaLink}
	els := newElements(pg.value)
	for raw := els.next(); raw != nil; raw = els.next() {
		ch, err := decodeChange[json.RawMessage](raw)
		switch {
		case err != nil:
			p.Rows = append(p.Rows, "error")
		case ch.Record == nil:
			p.Rows = append(p.Rows, "deleted "+ch.Deleted)
		default:
			p.Rows = append(p.Rows, "record "+string(*ch.Record))
		}
	}
	return p, els.err
}

var deltaCases = []string{
	`{"@odata.context":"x/$delta","@odata.deltaLink":"d","value":[{"name":"a","accountid":"1"},{"@odata.context":"x/$metadata#accounts/$deletedEntity","id":"2","reason":"deleted"}]}`,
	`{"value":[{"@odata.context":"x/$deletedEntity","id":"1"}],"@odata.nextLink":"n"}`,
	`{"value":[{"\u0040odata.context":"x/$deletedEntity","\u0069d":"1"}],"@odata.delta\u004cink":"d"}`,
	`{"value":[{"@odata.context":5,"@odata.context":"x/$deletedEntity","id":"1"}]}`,
	`{"value":[{"@odata.context":"x/$deletedEntity","@odata.context":5,"id":"1"}]}`,
	`{"value":[{"@odata.context":"x/$deletedEntity","id":5}]}`,
	`{"value":[{"@odata.context":"x/$deletedEntity"}]}`,
	`{"value":[{"@odata.context":"x/$entity","id":"1"}]}`,
	`{"value":[1,"s",null,[]]}`,
	`{"value":[],"@odata.deltaLink":5}`,
	`{"value":[],"@odata.deltaLink":"a","@odata.deltaLink":null}`,
}

func compareDelta(t *testing.T, body []byte) {
	t.Helper()
	want, werr := refDelta(body)
	got, gerr := scannedDelta(body)
	if (werr == nil) != (gerr == nil) {
		t.Fatalf("page %.200q: scanner error %v, encoding/json error %v", body, gerr, werr)
	}
	if werr != nil {
		return
	}
	if diff := cmp.Diff(want, got, cmpopts.EquateEmpty()); diff != "" {
		t.Fatalf("page %.200q (-encoding/json +scanner):\n%s", body, diff)
	}
}

func TestScanDeltaPageReadsWhatEncodingJSONReads(t *testing.T) {
	for _, body := range append(deltaCases, pageCases...) {
		compareDelta(t, []byte(body))
	}
}

func FuzzScanDeltaPage(f *testing.F) {
	for _, s := range append(deltaCases, pageCases...) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		compareDelta(t, []byte(body))
	})
}
