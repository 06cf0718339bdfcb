package odata

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sync/atomic"
	"testing"

	"github.com/b2bflow/d365"
	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"
)

// countedServer is pagedServer with @odata.count on every page.
func countedServer(t *testing.T, calls *atomic.Int32) http.HandlerFunc {
	paged := pagedServer(t, calls)
	return func(w http.ResponseWriter, r *http.Request) {
		rec := &bodyRecorder{header: http.Header{}}
		paged(rec, r)
		var body map[string]any
		if err := json.Unmarshal(rec.body, &body); err != nil {
			t.Fatal(err)
		}
		body["@odata.count"] = 6
		json.NewEncoder(w).Encode(body)
	}
}

type bodyRecorder struct {
	header http.Header
	body   []byte
}

func (b *bodyRecorder) Header() http.Header { return b.header }
func (b *bodyRecorder) Write(p []byte) (int, error) {
	b.body = append(b.body, p...)
	return len(p), nil
}
func (b *bodyRecorder) WriteHeader(int) {}

func TestPagesGiveCountAndNextLinkAndResume(t *testing.T) {
	var calls atomic.Int32
	c, _, _, _ := testClient(t, countedServer(t, &calls), nil)
	ctx := context.Background()
	req := &Request{Path: "accounts", Query: "$select=name&$count=true", Prefer: Prefer{MaxPageSize: 2}}
	var saved string
	for p, err := range Pages[row](ctx, c, req, 0) {
		if err != nil {
			t.Fatal(err)
		}
		if p.Count == nil || *p.Count != 6 {
			t.Errorf("page count = %v, want 6", p.Count)
		}
		if len(p.Records) != 2 || p.Records[0].ID != "1" || p.NextLink == "" {
			t.Fatalf("first page = %+v", p)
		}
		saved = p.NextLink
		break // "crash" after the first page
	}
	if calls.Load() != 1 {
		t.Fatalf("calls = %d, want 1", calls.Load())
	}

	// A new listing resumes from the saved link: pages 2 and 3.
	resumed := &Request{Path: "accounts", Prefer: Prefer{MaxPageSize: 2}}
	if err := c.Resume("test", resumed, &d365.Query{PageSize: 2}, saved); err != nil {
		t.Fatal(err)
	}
	var ids []string
	var last *d365.Page[row]
	for p, err := range Pages[row](ctx, c, resumed, 0) {
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range p.Records {
			ids = append(ids, r.ID)
		}
		last = p
	}
	if diff := cmp.Diff([]string{"3", "4", "5", "6"}, ids); diff != "" {
		t.Errorf("resumed records (-want +got):\n%s", diff)
	}
	if last == nil || last.NextLink != "" {
		t.Errorf("last page next link = %+v, want none", last)
	}
	if calls.Load() != 3 {
		t.Errorf("calls = %d, want 3", calls.Load())
	}
}

func TestPagesStopAtMax(t *testing.T) {
	var calls atomic.Int32
	c, _, _, _ := testClient(t, pagedServer(t, &calls), nil)
	var n int
	for p, err := range Pages[row](context.Background(), c, &Request{Path: "accounts", Query: "$select=name", Prefer: Prefer{MaxPageSize: 2}}, 3) {
		if err != nil {
			t.Fatal(err)
		}
		n += len(p.Records)
	}
	if n != 3 || calls.Load() != 2 {
		t.Errorf("records = %d over %d calls, want 3 over 2", n, calls.Load())
	}
}

func TestResumeRefusesForeignLinksAndQueries(t *testing.T) {
	var calls atomic.Int32
	c, _, _, _ := testClient(t, pagedServer(t, &calls), nil)
	for _, tc := range []struct {
		name, link string
		q          *d365.Query
	}{
		{"other host", "https://evil.example/api/data/v9.2/accounts?$skiptoken=x", nil},
		{"not a URL", "http://[::1", nil},
		{"with a filter", c.base.String() + "accounts?$skiptoken=x", &d365.Query{Filter: "name eq 'x'"}},
	} {
		req := &Request{Path: "accounts"}
		err := c.Resume("sales: Leads.List", req, tc.q, tc.link)
		var ie *d365.InputError
		if !errors.As(err, &ie) || ie.Field != "ListOptions.NextLink" || !errors.Is(err, d365.ErrInvalidInput) {
			t.Errorf("%s: err = %v, want an input error naming ListOptions.NextLink", tc.name, err)
		}
		if req.URL != nil {
			t.Errorf("%s: the request was pointed at %s", tc.name, req.URL)
		}
	}
	if calls.Load() != 0 {
		t.Errorf("calls = %d, want none", calls.Load())
	}
}

func TestGetSendsSelectAndExpand(t *testing.T) {
	var got url.Values
	c, _, _, _ := testClient(t, func(w http.ResponseWriter, r *http.Request) {
		got = r.URL.Query()
		if r.URL.Path != "/api/data/v9.2/accounts(1)" {
			t.Errorf("path = %s", r.URL.Path)
		}
		io.WriteString(w, `{"accountid":"1"}`)
	}, nil)
	v, err := Get[row](context.Background(), c, "accounts(1)", &d365.GetOptions{Select: []string{"name", "accountid"}, Expand: []string{"primarycontactid($select=fullname)"}}, Prefer{})
	if err != nil || v.ID != "1" {
		t.Fatalf("Get = %+v, %v", v, err)
	}
	want := url.Values{"$select": {"name,accountid"}, "$expand": {"primarycontactid($select=fullname)"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("query (-want +got):\n%s", diff)
	}
	if _, err := Get[row](context.Background(), c, "accounts(1)", &d365.GetOptions{Select: []string{"a b"}}, Prefer{}); err == nil {
		t.Error("Get with a bad $select column: no error")
	}
}

func TestUpdateIfMatchRules(t *testing.T) {
	var ifMatch []string
	var calls atomic.Int32
	c, _, _, _ := testClient(t, func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		ifMatch = append(ifMatch, r.Header.Get("If-Match"))
		w.WriteHeader(http.StatusNoContent)
	}, nil)
	ctx := context.Background()
	if err := Update(ctx, c, "op", "leads(1)", map[string]any{"a": 1}, nil); err != nil {
		t.Fatal(err)
	}
	if err := Update(ctx, c, "op", "leads(1)", map[string]any{"a": 1}, &d365.UpdateOptions{IfMatch: `W/"7"`}); err != nil {
		t.Fatal(err)
	}
	err := Update(ctx, c, "op", "leads(1)", map[string]any{"a": 1}, &d365.UpdateOptions{IfMatch: "a\r\nb"})
	var ie *d365.InputError
	if !errors.As(err, &ie) || ie.Field != "UpdateOptions.IfMatch" || ie.Op != "op" {
		t.Errorf("If-Match with a line break: err = %v", err)
	}
	if diff := cmp.Diff([]string{"*", `W/"7"`}, ifMatch); diff != "" || calls.Load() != 2 {
		t.Errorf("If-Match headers (-want +got):\n%s (calls %d)", diff, calls.Load())
	}
}

func TestUpdateUnderETagIsNotReplayedAfterLostAnswer(t *testing.T) {
	var calls atomic.Int32
	c, _, _, _ := testClient(t, func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		w.WriteHeader(http.StatusBadGateway)
	}, nil)
	ctx := context.Background()
	calls.Store(0)
	Update(ctx, c, "op", "leads(1)", map[string]any{"a": 1}, &d365.UpdateOptions{IfMatch: `W/"7"`})
	if calls.Load() != 1 {
		t.Errorf("an update under an ETag was sent %d times after a 502, want 1", calls.Load())
	}
	calls.Store(0)
	Update(ctx, c, "op", "leads(1)", map[string]any{"a": 1}, nil)
	if calls.Load() < 2 {
		t.Errorf("an update under * was sent %d times after 502s, want retries", calls.Load())
	}
}

func TestCreateCountsDuplicateOnRetryAsSuccess(t *testing.T) {
	var calls atomic.Int32
	c, _, _, _ := testClient(t, func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 {
			w.WriteHeader(http.StatusBadGateway) // the create went through, the answer was lost
			return
		}
		w.WriteHeader(http.StatusPreconditionFailed)
		io.WriteString(w, `{"error":{"code":"0x80040237","message":"A record with matching key values already exists."}}`)
	}, nil)
	resp, err := Create(context.Background(), c, &Request{Path: "leads", Body: map[string]any{"leadid": "1"}, Idempotent: true})
	if err != nil || resp != nil || calls.Load() != 2 {
		t.Errorf("Create = %v, %v after %d calls, want nil, nil after 2", resp, err, calls.Load())
	}
	calls.Store(0)
	_, err = Create(context.Background(), c, &Request{Path: "leads", Body: map[string]any{"subject": "s"}})
	if err == nil || calls.Load() != 1 {
		t.Errorf("a create without a chosen key: err = %v after %d calls, want a failure after 1", err, calls.Load())
	}
}

func TestUpsertAndDelete(t *testing.T) {
	var got []string
	c, _, _, _ := testClient(t, func(w http.ResponseWriter, r *http.Request) {
		got = append(got, fmt.Sprintf("%s %s If-Match=%q", r.Method, r.URL.Path, r.Header.Get("If-Match")))
		w.WriteHeader(http.StatusNoContent)
	}, nil)
	ctx := context.Background()
	if err := Upsert(ctx, c, "leads(1)", map[string]any{"a": 1}); err != nil {
		t.Fatal(err)
	}
	if err := Delete(ctx, c, "leads(1)"); err != nil {
		t.Fatal(err)
	}
	want := []string{`PATCH /api/data/v9.2/leads(1) If-Match=""`, `DELETE /api/data/v9.2/leads(1) If-Match=""`}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("requests (-want +got):\n%s", diff)
	}
}

// write is a write type for Members.
type write struct {
	Hidden  string
	ID      uuid.UUID     `json:"leadid"`
	Subject *string       `json:"subject" d365:"required,max=5"`
	Note    string        `json:"notetext"`
	Amount  *d365.Decimal `json:"budgetamount"`
	Account *uuid.UUID    `json:"parentaccountid@odata.bind" d365:"bind=accounts"`
	Skip    string        `json:"-"`
	inner
}

type inner struct {
	Flag *bool `json:"flag"`
}

func TestMembers(t *testing.T) {
	id := uuid.MustParse("00000000-0000-0000-0000-000000000001")
	s, empty, f, amount := "abc", "", false, d365.Decimal("12.50")
	m, err := Members(&write{Hidden: "x", ID: id, Subject: &s, Amount: &amount, Account: &id, Skip: "x", inner: inner{Flag: &f}}, "W", false)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"leadid": id, "subject": "abc", "budgetamount": amount,
		"parentaccountid@odata.bind": "/accounts(" + id.String() + ")", "flag": false}
	if diff := cmp.Diff(want, m); diff != "" {
		t.Errorf("members (-want +got):\n%s", diff)
	}
	long, bad, nilID := "abcdef", d365.Decimal("1,5"), uuid.Nil
	for _, tc := range []struct {
		name   string
		w      *write
		create bool
		want   string
	}{
		{"required on create", &write{}, true, "W.Subject (subject) is empty: the column is required"},
		{"empty when set", &write{Subject: &empty}, false, "W.Subject (subject) is empty: the column is required"},
		{"too long", &write{Subject: &long}, false, "W.Subject (subject) has 6 characters: the column holds at most 5"},
		{"bad decimal", &write{Amount: &bad}, false, `W.Amount (budgetamount) "1,5" is not a decimal number`},
		{"nil lookup", &write{Account: &nilID}, false, "W.Account is uuid.Nil: give the id of the accounts record to link"},
	} {
		_, err := Members(tc.w, "W", tc.create)
		if err == nil || err.Error() != tc.want || !errors.Is(err, d365.ErrInvalidInput) {
			t.Errorf("%s: err = %v, want %q", tc.name, err, tc.want)
		}
	}
	if m, err := Members(&write{}, "W", false); err != nil || len(m) != 0 {
		t.Errorf("zero write: %v, %v, want no member", m, err)
	}
}

func TestColumn(t *testing.T) {
	if got := Column[write]("Subject"); got != "subject" {
		t.Errorf("Column(Subject) = %q", got)
	}
	defer func() {
		if recover() == nil {
			t.Error("Column of a field without a json name did not panic")
		}
	}()
	Column[write]("Hidden")
}
