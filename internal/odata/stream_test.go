package odata

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/b2bflow/d365"
	"github.com/google/go-cmp/cmp"
)

// The first records of a page reach the consumer while the server is still
// writing the page: the server sends two records, then waits until the
// consumer has the first one before it finishes the page. A client that
// read the page whole would wait forever (here: until the bounded wait
// fails the test).
func TestListYieldsRecordsBeforeThePageEnds(t *testing.T) {
	got := make(chan struct{})
	c, _, _, _ := testClient(t, func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`{"value":[{"accountid":"1"},{"accountid":"2"},`))
		w.(http.Flusher).Flush()
		select {
		case <-got:
		case <-time.After(10 * time.Second):
		}
		w.Write([]byte(`{"accountid":"3"}]}`))
	}, nil)
	var ids []string
	for r, err := range List[row](context.Background(), c, &Request{Path: "accounts"}, 0) {
		if err != nil {
			t.Fatal(err)
		}
		if ids = append(ids, r.ID); len(ids) == 1 {
			select {
			case got <- struct{}{}:
			case <-time.After(10 * time.Second):
				t.Fatal("the server never waited: unreachable")
			}
		}
	}
	if diff := cmp.Diff([]string{"1", "2", "3"}, ids); diff != "" {
		t.Errorf("records (-want +got):\n%s", diff)
	}
}

// A listing gives its concurrency slot back once the page's headers came:
// with MaxConcurrency 1, the loop's body can still call the client.
func TestListReleasesItsSlotWhileThePageIsRead(t *testing.T) {
	c, _, _, _ := testClient(t, func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/api/data/v9.2/accounts(") {
			w.Write([]byte(`{"accountid":"x"}`))
			return
		}
		w.Write([]byte(`{"value":[{"accountid":"1"},{"accountid":"2"}]}`))
	}, func(cfg *Config) { cfg.Options.MaxConcurrency = 1 })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	n := 0
	for r, err := range List[row](ctx, c, &Request{Path: "accounts"}, 0) {
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.Do(ctx, &Request{Path: "accounts(" + r.ID + ")"}); err != nil {
			t.Fatalf("a call inside the loop: %v", err)
		}
		n++
	}
	if n != 2 {
		t.Errorf("listed %d records, want 2", n)
	}
}

// A streamed page is capped by MaxResponseBytes as a whole: records that
// arrived within the cap are yielded, then the error; a page announcing a
// larger Content-Length fails before any record.
func TestStreamedPageAboveTheLimit(t *testing.T) {
	const limit = 1 << 20
	page := func(chunked bool) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			var b bytes.Buffer
			b.WriteString(`{"value":[`)
			for i := 0; b.Len() < 2*limit; i++ {
				if i > 0 {
					b.WriteByte(',')
				}
				fmt.Fprintf(&b, `{"accountid":"%d","pad":"%s"}`, i, strings.Repeat("x", 1000))
			}
			b.WriteString(`]}`)
			if !chunked {
				w.Header().Set("Content-Length", fmt.Sprint(b.Len()))
			}
			w.Write(b.Bytes())
		}
	}
	for _, chunked := range []bool{true, false} {
		c, _, _, _ := testClient(t, page(chunked), func(cfg *Config) { cfg.Options.MaxResponseBytes = limit })
		n := 0
		var last error
		for _, err := range List[row](context.Background(), c, &Request{Path: "accounts"}, 0) {
			if err != nil {
				last = err
				break
			}
			n++
		}
		if !errors.Is(last, d365.ErrResponseTooLarge) || !strings.Contains(last.Error(), "MaxResponseBytes") {
			t.Errorf("chunked %v: err = %v, want ErrResponseTooLarge", chunked, last)
		}
		switch {
		case chunked && (n < 900 || n > limit/1000):
			t.Errorf("chunked: %d records before the error, want those within the first MiB (about %d)", n, limit/1030)
		case !chunked && n != 0:
			t.Errorf("with a Content-Length: %d records before the error, want none", n)
		}
	}
}

// The buffer holds a record, not the page: reading a 20 MB page of 10 KB
// records never grows it past a few records.
func TestPageStreamHoldsOneRecord(t *testing.T) {
	var b bytes.Buffer
	b.WriteString(`{"@odata.context":"x","value":[`)
	rec := `{"accountid":"%d","description":"` + strings.Repeat("y", 10<<10) + `"}`
	for i := range 2000 {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, rec, i)
	}
	b.WriteString(`],"@odata.nextLink":"n"}`)
	ps := newPageStream(&b, 0)
	n, biggest := 0, 0
	for raw := ps.next(); raw != nil; raw = ps.next() {
		var r row
		if err := json.Unmarshal(raw, &r); err != nil || r.ID != fmt.Sprint(n) {
			t.Fatalf("record %d: %q, %v", n, r.ID, err)
		}
		n++
		biggest = max(biggest, cap(ps.buf))
	}
	next, _, err := ps.info()
	if err != nil || next != "n" || n != 2000 {
		t.Fatalf("%d records, next %q, %v", n, next, err)
	}
	if biggest > 4*streamChunk {
		t.Errorf("the buffer grew to %d bytes for records of 10 KB", biggest)
	}
}

// A record's custom columns cost nothing until they are read: decoding a
// record into a type with a d365.Columns field allocates a fraction of what
// a map field does, and reading them gives the same columns.
func TestLazyCustomColumns(t *testing.T) {
	data := []byte(benchRecordJSON)
	type eager struct {
		d365.Annotations
		ID     string         `json:"leadid"`
		Custom map[string]any `json:"-" d365:"custom"`
	}
	type lazy struct {
		d365.Annotations
		ID     string       `json:"leadid"`
		Custom d365.Columns `json:"-" d365:"custom"`
	}
	var e eager
	var l lazy
	eagerAllocs := testing.AllocsPerRun(20, func() {
		e = eager{}
		if err := DecodeRecord(data, &e, &e.Annotations); err != nil {
			t.Fatal(err)
		}
	})
	lazyAllocs := testing.AllocsPerRun(20, func() {
		l = lazy{}
		if err := DecodeRecord(data, &l, &l.Annotations); err != nil {
			t.Fatal(err)
		}
	})
	t.Logf("allocations per record: map %v, d365.Columns %v", eagerAllocs, lazyAllocs)
	if lazyAllocs*3 > eagerAllocs {
		t.Errorf("a lazy record takes %v allocations, a map one %v: want under a third", lazyAllocs, eagerAllocs)
	}
	if diff := cmp.Diff(e.Custom, l.Custom.Map()); diff != "" || len(e.Custom) < 100 {
		t.Errorf("custom columns (-map +lazy):\n%s", diff)
	}
	if v, ok := l.Custom.Get("mobilephone"); !ok || v != "123456778" {
		t.Errorf("Get(mobilephone) = %v, %v", v, ok)
	}
	if v, ok := l.Custom.Get("exchangerate"); !ok || v != json.Number("1") {
		t.Errorf("Get(exchangerate) = %#v, %v", v, ok)
	}
	if v, ok := l.Custom.Get("telephone3"); !ok || v != nil {
		t.Errorf("Get(telephone3) = %v, %v; want a null kept", v, ok)
	}
	if _, ok := l.Custom.Get("leadid"); ok {
		t.Error("Custom holds leadid, which the type has a field for")
	}
	l.Custom.Set("new_x", "y")
	if v, _ := l.Custom.Get("new_x"); v != "y" || l.Custom.Len() != len(e.Custom)+1 || l.Custom.Equal(d365.NewColumns(e.Custom)) {
		t.Errorf("after Set: new_x %v, %d columns", v, l.Custom.Len())
	}
	if !(d365.Columns{}).Equal(d365.NewColumns(nil)) || (d365.Columns{}).Map() != nil {
		t.Error("empty columns are not equal or not nil")
	}
}

// Pages stopped by max mid-page still gives the page's count and next link,
// which come after the records.
func TestPagesAtMaxKeepCountAndNextLink(t *testing.T) {
	c, _, _, _ := testClient(t, func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `{"value":[{"accountid":"1"},{"accountid":"2"},{"accountid":"3"}],"@odata.count":7,"@odata.nextLink":"http://%s/api/data/v9.2/accounts?$skiptoken=2"}`, r.Host)
	}, nil)
	var pages []*d365.Page[row]
	for p, err := range Pages[row](context.Background(), c, &Request{Path: "accounts"}, 2) {
		if err != nil {
			t.Fatal(err)
		}
		pages = append(pages, p)
	}
	if len(pages) != 1 || len(pages[0].Records) != 2 || pages[0].Count == nil || *pages[0].Count != 7 || !strings.HasSuffix(pages[0].NextLink, "$skiptoken=2") {
		t.Fatalf("pages %+v", pages)
	}
}
