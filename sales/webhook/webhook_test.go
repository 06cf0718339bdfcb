package webhook

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"
)

func fixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

var (
	contactID = uuid.MustParse("6d81597f-0f9f-e711-8122-000d3aa2331c")
	userID    = uuid.MustParse("75c2dd85-e89e-e711-8122-000d3aa2331c")
	stepID    = uuid.MustParse("75417616-4ea2-e711-8122-000d3aa2331c")
)

func TestDecodeDocumentedUpdate(t *testing.T) {
	c, err := DecodeContext(fixture(t, "update-contact.json"))
	if err != nil {
		t.Fatal(err)
	}
	if c.MessageName != "Update" || c.PrimaryEntityName != "contact" || c.PrimaryEntityID != contactID ||
		c.Stage != 40 || c.Mode != 1 || c.Depth != 1 || c.RequestID != uuid.Nil || c.SecondaryEntityName != "none" {
		t.Errorf("context = %+v", c)
	}
	if got, want := c.OperationCreatedOn, time.UnixMilli(1506409448000).UTC(); !got.Equal(want) {
		t.Errorf("OperationCreatedOn = %v, want %v", got, want)
	}
	if diff := cmp.Diff(&EntityReference{LogicalName: "sdkmessageprocessingstep", ID: stepID}, c.OwningExtension); diff != "" {
		t.Errorf("OwningExtension (-want +got):\n%s", diff)
	}
	want := &Entity{LogicalName: "contact", ID: contactID, FormattedValues: map[string]string{}, Attributes: Parameters{
		"firstname": "James", "contactid": contactID.String(), "fullname": "James Glynn (sample)",
		"yomifullname": "James Glynn (sample)", "modifiedon": time.UnixMilli(1506384247000).UTC(),
		"modifiedby":         &EntityReference{LogicalName: "systemuser", ID: userID},
		"modifiedonbehalfby": nil,
	}}
	if diff := cmp.Diff(want, c.Target()); diff != "" {
		t.Errorf("Target (-want +got):\n%s", diff)
	}
	post := c.PostEntityImages["AsynchronousStepPrimaryName"]
	if post == nil || post.String("fullname") != "James Glynn (sample)" || post.ID != contactID {
		t.Errorf("post image = %+v", post)
	}
	p := c.ParentContext
	if p == nil || p.Stage != 30 || p.OrganizationName != "OneFarm" || p.InputParameters["SuppressDuplicateDetection"] != false {
		t.Fatalf("parent = %+v", p)
	}
	wantShared := []any{KeyValue{Key: "feedback", Value: "Update"}, KeyValue{Key: "contact", Value: "Update"}}
	if diff := cmp.Diff(wantShared, p.SharedVariables["ChangedEntityTypes"]); diff != "" {
		t.Errorf("ChangedEntityTypes (-want +got):\n%s", diff)
	}
}

func TestDecodeTypedValues(t *testing.T) {
	c, err := DecodeContext(fixture(t, "create-lead-typed.json"))
	if err != nil {
		t.Fatal(err)
	}
	lead := c.Target()
	tests := []struct {
		col  string
		want any
	}{
		{"msdyn_b2bcommerceprospect", true},
		{"msdyn_b2bprospectstatus", OptionSetValue{Value: 0}},
		{"budgetamount", Money{Value: 1250.5}},
		{"numberofemployees", int64(42)},
		{"createdon", time.UnixMilli(1764633600000).UTC()},
		{"transactioncurrencyid", &EntityReference{LogicalName: "transactioncurrency", ID: uuid.MustParse("0b3c5a2e-1d3f-4e4a-9a11-00000000c001"), Name: "US Dollar"}},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, lead.Attributes[tt.col]); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tt.col, diff)
		}
	}
	if v, ok := lead.OptionSet("msdyn_b2bprospectstatus"); !ok || v != 0 {
		t.Errorf("OptionSet = %d, %v", v, ok)
	}
	if lead.FormattedValues["msdyn_b2bprospectstatus"] != "Pending" {
		t.Errorf("FormattedValues = %v", lead.FormattedValues)
	}
	if c.OutputParameters["id"] != lead.ID.String() || c.RequestID == uuid.Nil {
		t.Errorf("id = %v, RequestID = %v", c.OutputParameters["id"], c.RequestID)
	}
}

func TestDecodeMultiSelectAndOffsetDate(t *testing.T) {
	const osv = `{"__type":"OptionSetValue:http:\/\/schemas.microsoft.com\/xrm\/2011\/Contracts","Value":%d}`
	body := `{"MessageName":"Create","PrimaryEntityName":"x","OperationCreatedOn":"\/Date(1608007658000+0000)\/",
		"InputParameters":[{"key":"Target","value":{"__type":"Entity:http:\/\/schemas.microsoft.com\/xrm\/2011\/Contracts",
		"LogicalName":"x","Id":null,"Attributes":[{"key":"choices","value":[` + fmt.Sprintf(osv, 1) + `,` + fmt.Sprintf(osv, 2) + `]}]}}]}`
	c, err := DecodeContext([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]any{OptionSetValue{1}, OptionSetValue{2}}, c.Target().Attributes["choices"]); diff != "" {
		t.Errorf("choices (-want +got):\n%s", diff)
	}
	if c.OperationCreatedOn.UnixMilli() != 1608007658000 {
		t.Errorf("OperationCreatedOn = %v", c.OperationCreatedOn)
	}
}

func TestDecodeErrorsNameTheField(t *testing.T) {
	tests := []struct{ body, field string }{
		{`[]`, ""},
		{`{"OperationId":"nope"}`, "OperationId"},
		{`{"OperationCreatedOn":"yesterday"}`, "OperationCreatedOn"},
		{`{"InputParameters":{"key":"Target"}}`, "InputParameters"},
		{`{"InputParameters":[{"value":1}]}`, "InputParameters[0]"},
		{`{"InputParameters":[{"key":"Status","value":{"__type":"OptionSetValue:x","Value":"a"}}]}`, "InputParameters[0].value.Value"},
		{`{"PostEntityImages":[{"key":"i","value":3}]}`, "PostEntityImages[0].value"},
		{`{"ParentContext":{"Depth":"x"}}`, "ParentContext.Depth"},
		{`{"Depth":1}{}`, ""},
	}
	for _, tt := range tests {
		_, err := DecodeContext([]byte(tt.body))
		var de *DecodeError
		if !errors.As(err, &de) || de.Field != tt.field {
			t.Errorf("DecodeContext(%s) = %v, want a DecodeError on %q", tt.body, err, tt.field)
		}
	}
}

func TestParseDate(t *testing.T) {
	for s, want := range map[string]int64{"/Date(0)/": 0, "/Date(1506409448000-0700)/": 1506409448000, "/Date(-1000+0100)/": -1000} {
		got, ok := parseDate(s)
		if !ok || got.UnixMilli() != want {
			t.Errorf("parseDate(%q) = %v, %v", s, got, ok)
		}
	}
	for _, s := range []string{"/Date()/", "Date(1)", "/Date(1)/x", "/Date(12345678901234567)/"} {
		if _, ok := parseDate(s); ok {
			t.Errorf("parseDate(%q) ok", s)
		}
	}
}

func FuzzDecodeContext(f *testing.F) {
	for _, n := range []string{"update-contact.json", "update-contact-size-exceeded.json", "create-lead-typed.json"} {
		f.Add(fixture(f, n))
	}
	f.Add([]byte(`{"InputParameters":[{"key":"a","value":[[[{"__type":"EntityCollection:x","Entities":[{}]}]]]}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := DecodeContext(b)
		if (c == nil) == (err == nil) {
			t.Fatalf("DecodeContext = %v, %v", c, err)
		}
		if c != nil {
			_ = DeliveryKey(c)
			_ = c.Target().String("x")
		}
	})
}

// collector is a Func recording the events, releasing a WaitGroup.
type collector struct {
	mu     sync.Mutex
	events []*Event
	wg     sync.WaitGroup
}

func (c *collector) fn(_ context.Context, e *Event) error {
	c.mu.Lock()
	c.events = append(c.events, e)
	c.mu.Unlock()
	c.wg.Done()
	return nil
}

func post(t *testing.T, h http.Handler, target string, body []byte, hdr map[string]string) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest(http.MethodPost, target, bytes.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	for k, v := range hdr {
		r.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func TestHandlerAuth(t *testing.T) {
	body := fixture(t, "update-contact.json")
	tests := []struct {
		name   string
		auth   Auth
		target string
		hdr    map[string]string
		status int
		reason string
	}{
		{"header ok", Auth{Headers: map[string]string{"X-Key": "s3cret"}}, "/hook", map[string]string{"X-Key": "s3cret"}, 202, "accepted"},
		{"header missing", Auth{Headers: map[string]string{"X-Key": "s3cret"}}, "/hook", nil, 401, "header X-Key is missing"},
		{"header wrong", Auth{Headers: map[string]string{"X-Key": "s3cret"}}, "/hook", map[string]string{"X-Key": "s3cre"}, 403, "header X-Key does not match"},
		{"webhookkey ok", Auth{Code: "00000000-0000-0000-0000-000000000001"}, "/hook?code=00000000-0000-0000-0000-000000000001", nil, 202, "accepted"},
		{"webhookkey wrong", Auth{Code: "00000000-0000-0000-0000-000000000001"}, "/hook?code=00000000-0000-0000-0000-000000000002", nil, 403, "query parameter code does not match"},
		{"webhookkey twice", Auth{Code: "k"}, "/hook?code=k&code=x", nil, 403, "query parameter code does not match"},
		{"query ok", Auth{Query: map[string]string{"Key1": "Value1", "Key2": "Value2"}}, "/hook?Key1=Value1&Key2=Value2", nil, 202, "accepted"},
		{"query one missing", Auth{Query: map[string]string{"Key1": "Value1", "Key2": "Value2"}}, "/hook?Key1=Value1", nil, 401, "query parameter Key2 is missing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var c collector
			if tt.status == 202 {
				c.wg.Add(1)
			}
			h, err := NewHandler(c.fn, &Options{Auth: tt.auth})
			if err != nil {
				t.Fatal(err)
			}
			w := post(t, h, tt.target, body, tt.hdr)
			if w.Code != tt.status || !strings.Contains(w.Body.String(), tt.reason) {
				t.Errorf("answer %d %q, want %d containing %q", w.Code, w.Body.String(), tt.status, tt.reason)
			}
			c.wg.Wait()
			h.Close(context.Background())
			if want := map[bool]int{true: 1, false: 0}[tt.status == 202]; len(c.events) != want {
				t.Errorf("%d events handled, want %d", len(c.events), want)
			}
		})
	}
}

func TestNewHandlerRefusesNoAuth(t *testing.T) {
	if _, err := NewHandler(func(context.Context, *Event) error { return nil }, nil); err == nil || !strings.Contains(err.Error(), "Options.Auth") {
		t.Errorf("err = %v", err)
	}
}

func TestHandlerEventAndDedupe(t *testing.T) {
	var c collector
	c.wg.Add(1)
	h, err := NewHandler(c.fn, &Options{Auth: Auth{Code: "k"}})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close(context.Background())
	hdr := map[string]string{HeaderOrganization: "contoso.crm.dynamics.com", HeaderEntityName: "contact",
		HeaderRequestName: "Update", HeaderCorrelationID: "b374239d-4233-41a9-8b17-a86cb4f737b5"}
	if w := post(t, h, "/?code=k", fixture(t, "update-contact.json"), hdr); w.Code != http.StatusAccepted {
		t.Fatalf("first: %d %s", w.Code, w.Body)
	}
	c.wg.Wait()
	if w := post(t, h, "/?code=k", fixture(t, "update-contact.json"), hdr); w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "duplicate") {
		t.Fatalf("replay: %d %s", w.Code, w.Body)
	}
	h.Close(context.Background())
	if len(c.events) != 1 {
		t.Fatalf("%d events, want 1", len(c.events))
	}
	e := c.events[0]
	if e.Organization != "contoso.crm.dynamics.com" || e.EntityName != "contact" || e.RequestName != "Update" ||
		e.CorrelationRequestID != "b374239d-4233-41a9-8b17-a86cb4f737b5" || e.SizeExceeded || e.Key != DeliveryKey(e.Context) {
		t.Errorf("event = %+v", e)
	}
}

func TestHandlerSizeExceeded(t *testing.T) {
	var c collector
	c.wg.Add(1)
	h, _ := NewHandler(c.fn, &Options{Unauthenticated: true})
	w := post(t, h, "/", fixture(t, "update-contact-size-exceeded.json"), map[string]string{HeaderMsgSizeExceeds: "true"})
	if w.Code != http.StatusAccepted {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
	c.wg.Wait()
	h.Close(context.Background())
	e := c.events[0]
	if !e.SizeExceeded || e.Context.Target() != nil || e.Context.PrimaryEntityID != contactID || len(e.Context.PostEntityImages) != 0 {
		t.Errorf("event = %+v, context = %+v", e, e.Context)
	}
}

func TestHandlerBadInput(t *testing.T) {
	h, _ := NewHandler(func(context.Context, *Event) error { return nil }, &Options{Unauthenticated: true, MaxBody: 64 << 10})
	defer h.Close(context.Background())
	tests := []struct {
		name, method, ct, body string
		status                 int
		reason                 string
	}{
		{"get", http.MethodGet, "", "", 405, "POST"},
		{"xml", http.MethodPost, "text/xml", "<a/>", 415, "application/json"},
		{"not json", http.MethodPost, "application/json", "{", 400, "not JSON"},
		{"bad guid", http.MethodPost, "application/json", `{"MessageName":"Create","PrimaryEntityName":"lead","PrimaryEntityId":"x"}`, 400, "PrimaryEntityId"},
		{"no message", http.MethodPost, "application/json", `{"PrimaryEntityName":"lead"}`, 400, "MessageName is missing"},
		{"too big", http.MethodPost, "application/json", `{"a":"` + strings.Repeat("x", 70<<10) + `"}`, 413, "over 65536 bytes"},
	}
	for _, tt := range tests {
		r := httptest.NewRequest(tt.method, "/", strings.NewReader(tt.body))
		if tt.ct != "" {
			r.Header.Set("Content-Type", tt.ct)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != tt.status || !strings.Contains(w.Body.String(), tt.reason) {
			t.Errorf("%s: %d %q, want %d with %q", tt.name, w.Code, w.Body.String(), tt.status, tt.reason)
		}
	}
}

func TestHandlerQueueFullAnswers503(t *testing.T) {
	release := make(chan struct{})
	started := make(chan struct{}, 4)
	var handled atomic.Int32
	h, _ := NewHandler(func(context.Context, *Event) error {
		started <- struct{}{}
		<-release
		handled.Add(1)
		return nil
	}, &Options{Unauthenticated: true, QueueSize: 1, Workers: 1})
	body := func(i int) []byte {
		return []byte(`{"MessageName":"Create","PrimaryEntityName":"lead","OperationId":"` + uuid.NewSHA1(uuid.Nil, []byte{byte(i)}).String() + `"}`)
	}
	if w := post(t, h, "/", body(1), nil); w.Code != 202 {
		t.Fatalf("1: %d", w.Code)
	}
	<-started // the worker holds event 1; the queue is empty
	if w := post(t, h, "/", body(2), nil); w.Code != 202 {
		t.Fatalf("2: %d", w.Code)
	}
	w := post(t, h, "/", body(3), nil)
	if w.Code != http.StatusServiceUnavailable || w.Header().Get("Retry-After") == "" {
		t.Fatalf("3: %d %v", w.Code, w.Header())
	}
	close(release)
	// Once there is room, the same delivery is taken: the 503 did not
	// record it as seen.
	h.Close(context.Background())
	if handled.Load() != 2 {
		t.Errorf("handled %d, want 2", handled.Load())
	}
	h2, _ := NewHandler(func(context.Context, *Event) error { return nil }, &Options{Unauthenticated: true, Store: h.o.Store})
	defer h2.Close(context.Background())
	if w := post(t, h2, "/", body(3), nil); w.Code != 202 {
		t.Errorf("retry of 3: %d %s", w.Code, w.Body)
	}
	if w := post(t, h2, "/", body(3), nil); w.Code != 200 {
		t.Errorf("replay of 3: %d %s", w.Code, w.Body)
	}
}

func TestHandlerFailedEventIsForgotten(t *testing.T) {
	var mu sync.Mutex
	var failed []error
	done := make(chan struct{}, 2)
	calls := 0
	h, _ := NewHandler(func(context.Context, *Event) error {
		calls++
		if calls == 1 {
			return errors.New("boom")
		}
		return nil
	}, &Options{Unauthenticated: true, OnError: func(_ *Event, err error) {
		mu.Lock()
		failed = append(failed, err)
		mu.Unlock()
		done <- struct{}{}
	}})
	b := fixture(t, "update-contact.json")
	post(t, h, "/", b, nil)
	<-done
	if w := post(t, h, "/", b, nil); w.Code != 202 {
		t.Errorf("after a failure the replay answered %d, want 202", w.Code)
	}
	h.Close(context.Background())
	if calls != 2 || len(failed) != 1 {
		t.Errorf("calls %d, failures %v", calls, failed)
	}
}

func TestMemoryStoreBoundAndTTL(t *testing.T) {
	ctx := context.Background()
	m := NewMemoryStore(2, time.Hour)
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i, k := range []string{"a", "b", "c"} {
		if ok, _ := m.Add(ctx, k, t0.Add(time.Duration(i)*time.Minute)); !ok {
			t.Fatalf("Add(%s) duplicate", k)
		}
	}
	if m.Len() != 2 {
		t.Errorf("Len = %d", m.Len())
	}
	if ok, _ := m.Add(ctx, "a", t0.Add(3*time.Minute)); !ok {
		t.Error("a was not evicted by the bound")
	}
	if ok, _ := m.Add(ctx, "c", t0.Add(4*time.Minute)); ok {
		t.Error("c was forgotten too early")
	}
	if ok, _ := m.Add(ctx, "c", t0.Add(2*time.Hour)); !ok {
		t.Error("c outlived its TTL")
	}
}

func TestHandlerRecoversFromAPanickingFunc(t *testing.T) {
	errs := make(chan error, 1)
	h, _ := NewHandler(func(context.Context, *Event) error { panic("bug") },
		&Options{Unauthenticated: true, OnError: func(_ *Event, err error) { errs <- err }})
	if w := post(t, h, "/", fixture(t, "update-contact.json"), nil); w.Code != 202 {
		t.Fatalf("%d", w.Code)
	}
	if err := <-errs; !strings.Contains(err.Error(), "panicked: bug") {
		t.Errorf("err = %v", err)
	}
	h.Close(context.Background())
}

// FuzzServeHTTP sends arbitrary bodies and headers: the answer is one of
// the documented statuses and nothing panics.
func FuzzServeHTTP(f *testing.F) {
	f.Add(fixture(f, "update-contact.json"), "k", "")
	f.Add(fixture(f, "create-lead-typed.json"), "x", "true")
	f.Add([]byte(`{"MessageName":"Create"}`), "", "")
	h, _ := NewHandler(func(context.Context, *Event) error { return nil }, &Options{Auth: Auth{Code: "k"}, QueueSize: 1 << 16})
	f.Cleanup(func() { h.Close(context.Background()) })
	f.Fuzz(func(t *testing.T, body []byte, code, exceeded string) {
		r := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body))
		q := r.URL.Query()
		q.Set("code", code)
		r.URL.RawQuery = q.Encode()
		r.Header.Set(HeaderMsgSizeExceeds, exceeded)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		switch w.Code {
		case 200, 202, 400, 401, 403, 503:
		default:
			t.Fatalf("status %d: %s", w.Code, w.Body)
		}
	})
}
