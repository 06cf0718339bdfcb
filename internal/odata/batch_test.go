package odata

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/b2bflow/d365"
	"github.com/b2bflow/d365/internal/vcr"
	"github.com/google/go-cmp/cmp"
)

// boundaries returns a boundary source yielding ids in order.
func boundaries(ids ...string) func() string {
	return func() string {
		id := ids[0]
		ids = ids[1:]
		return id
	}
}

func TestBatchDocumentedChangeSetWithReferences(t *testing.T) {
	base, _ := ServiceURL("orgURL", "https://contoso.crm.dynamics.com/api/data/v9.1/")
	c, err := New(Config{
		BaseURL: base, Resource: Origin(base), Credential: d365.StaticTokenCredential("test-token"),
		Options:  d365.ClientOptions{HTTPClient: vcr.Client(t, "batch-changeset-references", nil)},
		Boundary: boundaries("AAA123", "dd81ccab-11ce-4d57-b91d-12c4e25c3cab"),
	})
	if err != nil {
		t.Fatal(err)
	}
	res, err := c.Batch(context.Background(), &d365.Batch{Parts: []d365.BatchPart{{ChangeSet: []*d365.BatchRequest{
		{Method: "POST", Path: "leads", Body: json.RawMessage(`{"firstname":"aaa","lastname":"bbb"}`)},
		{Method: "POST", Path: "contacts", Body: json.RawMessage(`{"@odata.type":"Microsoft.Dynamics.CRM.contact","firstname":"Oncall Contact-1111"}`)},
		{Method: "POST", Path: "accounts", Body: json.RawMessage(`{"name":"IcM Account","originatingleadid@odata.bind":"$1","primarycontactid@odata.bind":"$2"}`)},
	}}}})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range res {
		got = append(got, fmt.Sprintf("%s %d %s %v", r.ContentID, r.StatusCode, r.Header.Get("OData-EntityId"), r.Err))
	}
	want := []string{
		"1 204 https://contoso.crm.dynamics.com/api/data/v9.1/leads(425195a4-7a75-e911-a97a-000d3a34a1bd) <nil>",
		"2 204 https://contoso.crm.dynamics.com/api/data/v9.1/contacts(495195a4-7a75-e911-a97a-000d3a34a1bd) <nil>",
		"3 204 https://contoso.crm.dynamics.com/api/data/v9.1/accounts(4f5195a4-7a75-e911-a97a-000d3a34a1bd) <nil>",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("results (-want +got):\n%s", diff)
	}
}

// batchServer answers every $batch with the given status and multipart
// body, recording the request.
func batchServer(t *testing.T, status int, body string, got *http.Request, gotBody *string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		*got = *r.Clone(context.Background())
		b, _ := io.ReadAll(r.Body)
		*gotBody = string(b)
		w.Header().Set("Content-Type", "multipart/mixed; boundary=batchresponse_R")
		w.WriteHeader(status)
		io.WriteString(w, strings.ReplaceAll(body, "\n", "\r\n"))
	}
}

const continuedBatch = `--batchresponse_R
Content-Type: application/http
Content-Transfer-Encoding: binary

HTTP/1.1 200 OK
Content-Type: application/json; odata.metadata=minimal
OData-Version: 4.0

{"leadid":"00000000-0000-0000-0000-000000000001","subject":"a"}
--batchresponse_R
Content-Type: application/http
Content-Transfer-Encoding: binary

HTTP/1.1 400 Bad Request
Content-Type: application/json; odata.metadata=minimal
OData-Version: 4.0

{"error":{"code":"0x80040237","message":"A record with matching key values already exists."}}
--batchresponse_R
Content-Type: application/http
Content-Transfer-Encoding: binary

HTTP/1.1 204 No Content
OData-Version: 4.0

--batchresponse_R--
`

func TestBatchContinueOnErrorWithAFailedChangeSet(t *testing.T) {
	var req http.Request
	var body string
	c, _, _, _ := testClient(t, batchServer(t, 200, continuedBatch, &req, &body), func(c *Config) {
		c.Boundary = boundaries("B", "C")
	})
	res, err := c.Batch(context.Background(), &d365.Batch{ContinueOnError: true, Parts: []d365.BatchPart{
		{Request: &d365.BatchRequest{Path: "leads(00000000-0000-0000-0000-000000000001)", Query: "$select=subject"}},
		{ChangeSet: []*d365.BatchRequest{
			{Method: "POST", Path: "leads", Body: map[string]string{"subject": "x"}, ContentID: "lead"},
			{Method: "PATCH", Path: "$lead", Body: map[string]string{"subject": "y"}, IfMatch: "*"},
		}},
		{Request: &d365.BatchRequest{Method: "DELETE", Path: "leads(00000000-0000-0000-0000-000000000009)"}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if req.Header.Get("Prefer") != "odata.continue-on-error" || req.Header.Get("Content-Type") != "multipart/mixed; boundary=batch_B" || req.URL.Path != "/api/data/v9.2/$batch" {
		t.Errorf("sent %s with Prefer %q, Content-Type %q", req.URL.Path, req.Header.Get("Prefer"), req.Header.Get("Content-Type"))
	}
	for _, want := range []string{
		"--batch_B\r\nContent-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n\r\nGET http://",
		"/api/data/v9.2/leads(00000000-0000-0000-0000-000000000001)?$select=subject HTTP/1.1\r\nAccept: application/json\r\n\r\n",
		"--batch_B\r\nContent-Type: multipart/mixed; boundary=changeset_C\r\n\r\n--changeset_C\r\n",
		"Content-ID: lead\r\n\r\nPOST http://",
		"Content-ID: 2\r\n\r\nPATCH $lead HTTP/1.1\r\nAccept: application/json\r\nContent-Type: application/json; type=entry\r\nIf-Match: *\r\n\r\n{\"subject\":\"y\"}\r\n--changeset_C--\r\n",
		"--batch_B--\r\n",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("batch body lacks %q:\n%s", want, body)
		}
	}
	if len(res) != 4 {
		t.Fatalf("%d results, want 4", len(res))
	}
	if res[0].StatusCode != 200 || !strings.Contains(string(res[0].Body), `"subject":"a"`) || res[0].Err != nil {
		t.Errorf("GET result = %+v", res[0])
	}
	for i, id := range []string{"lead", "2"} {
		r := res[1+i]
		var e *d365.Error
		if r.StatusCode != 400 || r.ContentID != id || !errors.As(r.Err, &e) || e.Code != "0x80040237" {
			t.Errorf("change set result %d = %+v (%v), want the change set's 400 with Content-ID %s", i, r, r.Err, id)
		}
	}
	if res[3].StatusCode != 204 || res[3].Err != nil {
		t.Errorf("DELETE result = %+v", res[3])
	}
}

func TestBatchStoppedAtTheFirstFailure(t *testing.T) {
	stopped := `--batchresponse_R
Content-Type: application/http
Content-Transfer-Encoding: binary

HTTP/1.1 404 Not Found
Content-Type: application/json; odata.metadata=minimal

{"error":{"code":"0x80040217","message":"lead With Id = 00000000-0000-0000-0000-000000000001 Does Not Exist"}}
--batchresponse_R--
`
	var req http.Request
	var body string
	c, _, _, _ := testClient(t, batchServer(t, 400, stopped, &req, &body), nil)
	res, err := c.Batch(context.Background(), &d365.Batch{Parts: []d365.BatchPart{
		{Request: &d365.BatchRequest{Path: "leads(00000000-0000-0000-0000-000000000001)"}},
		{Request: &d365.BatchRequest{Path: "leads(00000000-0000-0000-0000-000000000002)"}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if !errors.Is(res[0].Err, d365.ErrNotFound) || !errors.Is(res[1].Err, d365.ErrNotRun) || res[1].StatusCode != 0 {
		t.Errorf("results = %v / %v", res[0].Err, res[1].Err)
	}
	if req.Header.Get("Prefer") != "" {
		t.Errorf("Prefer %q sent without ContinueOnError", req.Header.Get("Prefer"))
	}
}

func TestBatchWholeFailureIsAnError(t *testing.T) {
	c, _, _, _ := testClient(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		io.WriteString(w, `{"error":{"code":"0x0","message":"The batch request must have a Content-Type header with a boundary."}}`)
	}, nil)
	_, err := c.Batch(context.Background(), &d365.Batch{Parts: []d365.BatchPart{{Request: &d365.BatchRequest{Path: "leads"}}}})
	var e *d365.Error
	if !errors.As(err, &e) || e.StatusCode != 400 || !strings.Contains(e.Message, "boundary") {
		t.Errorf("err = %v, want the service's 400", err)
	}
}

func TestBatchValidation(t *testing.T) {
	c, _, _, _ := testClient(t, func(w http.ResponseWriter, r *http.Request) { t.Errorf("request sent") }, nil)
	big := make([]*d365.BatchRequest, d365.MaxBatchRequests+1)
	for i := range big {
		big[i] = &d365.BatchRequest{Method: "POST", Path: "leads", Body: map[string]any{}}
	}
	for name, b := range map[string]*d365.Batch{
		"empty":             {},
		"get in change set": {Parts: []d365.BatchPart{{ChangeSet: []*d365.BatchRequest{{Path: "leads"}}}}},
		"both":              {Parts: []d365.BatchPart{{Request: &d365.BatchRequest{}, ChangeSet: []*d365.BatchRequest{{Method: "POST"}}}}},
		"neither":           {Parts: []d365.BatchPart{{}}},
		"too many":          {Parts: []d365.BatchPart{{ChangeSet: big}}},
		"repeated id":       {Parts: []d365.BatchPart{{ChangeSet: []*d365.BatchRequest{{Method: "POST", Path: "leads", ContentID: "1"}, {Method: "POST", Path: "leads", ContentID: "1"}}}}},
		"escaping path":     {Parts: []d365.BatchPart{{Request: &d365.BatchRequest{Path: "../x"}}}},
	} {
		if _, err := c.Batch(context.Background(), b); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func FuzzReadMultipart(f *testing.F) {
	f.Add("multipart/mixed; boundary=batchresponse_R", strings.ReplaceAll(continuedBatch, "\n", "\r\n"))
	f.Add("multipart/mixed; boundary=b", "--b\r\nContent-Type: multipart/mixed; boundary=c\r\n\r\n--c\r\nContent-Type: application/http\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n--c--\r\n--b--\r\n")
	f.Add("text/html", "<html>")
	// Whatever it reads, written again with mime/multipart (the reference
	// encoder, fuzz_test.go), reads back the same.
	f.Fuzz(func(t *testing.T, ct, body string) {
		parts, err := readMultipart(ct, []byte(body), 0)
		if err != nil || anyPartErr(parts) {
			return
		}
		roundTrip(t, parts)
	})
}

// Hostile answers: a $batch answer that does not line up with the batch is
// reported as outcome unknown, never lined up by guess.

// answerPart is one application/http part of a $batch answer, LF line ends
// (batchServer turns them into CRLF).
func answerPart(status int, contentID, body string) string {
	s := "Content-Type: application/http\nContent-Transfer-Encoding: binary\n"
	if contentID != "" {
		s += "Content-ID: " + contentID + "\n"
	}
	s += fmt.Sprintf("\nHTTP/1.1 %d %s\nOData-Version: 4.0\n", status, http.StatusText(status))
	if body != "" {
		s += "Content-Type: application/json; odata.metadata=minimal\n\n" + body + "\n"
	} else {
		s += "\n"
	}
	return s
}

// changeSetAnswer is a change set's answer part holding parts.
func changeSetAnswer(parts ...string) string {
	s := "Content-Type: multipart/mixed; boundary=changesetresponse_C\n\n"
	for _, p := range parts {
		s += "--changesetresponse_C\n" + p
	}
	return s + "--changesetresponse_C--\n"
}

// batchAnswer is a whole $batch answer holding parts.
func batchAnswer(parts ...string) string {
	var s string
	for _, p := range parts {
		s += "--batchresponse_R\n" + p
	}
	return s + "--batchresponse_R--\n"
}

// sendHostile sends b to a server answering status and body, and returns
// the results.
func sendHostile(t *testing.T, status int, body string, b *d365.Batch) []*d365.BatchResult {
	t.Helper()
	var req http.Request
	var sent string
	c, _, _, _ := testClient(t, batchServer(t, status, body, &req, &sent), nil)
	res, err := c.Batch(context.Background(), b)
	if err != nil {
		t.Fatalf("Batch: %v", err)
	}
	if n := batchRequests(b); len(res) != n {
		t.Fatalf("%d results for %d requests", len(res), n)
	}
	return res
}

func batchRequests(b *d365.Batch) int {
	n := 0
	for _, p := range b.Parts {
		if p.Request != nil {
			n++
		}
		n += len(p.ChangeSet)
	}
	return n
}

// fates sums up results: the status, or the kind of error.
func fates(res []*d365.BatchResult) []string {
	var out []string
	for _, r := range res {
		var f string
		switch {
		case errors.Is(r.Err, d365.ErrOutcomeUnknown):
			f = "unknown"
		case errors.Is(r.Err, d365.ErrNotRun):
			f = "not run"
		default:
			f = fmt.Sprint(r.StatusCode)
		}
		if r.ContentID != "" {
			f = r.ContentID + ":" + f
		}
		if errors.Is(r.Err, d365.ErrOutcomeUnknown) && r.StatusCode != 0 {
			f += " (with a status)"
		}
		out = append(out, f)
	}
	return out
}

func post(path string) *d365.BatchRequest {
	return &d365.BatchRequest{Method: "POST", Path: path, Body: map[string]string{"subject": "x"}}
}

func singles(n int) []d365.BatchPart {
	var ps []d365.BatchPart
	for range n {
		ps = append(ps, d365.BatchPart{Request: post("leads")})
	}
	return ps
}

func changeSet(ids ...string) d365.BatchPart {
	var cs []*d365.BatchRequest
	for _, id := range ids {
		r := post("leads")
		r.ContentID = id
		cs = append(cs, r)
	}
	return d365.BatchPart{ChangeSet: cs}
}

func TestBatchAnswersThatDoNotLineUp(t *testing.T) {
	ok := answerPart(204, "", "")
	failed := answerPart(400, "", `{"error":{"code":"0x80040237","message":"duplicate"}}`)
	for _, tc := range []struct {
		name   string
		status int
		body   string
		batch  *d365.Batch
		want   []string
	}{{
		// Continue-on-error promises an answer for every request: a
		// missing one may have run.
		name: "missing parts with continue-on-error", status: 200,
		body:  batchAnswer(ok),
		batch: &d365.Batch{ContinueOnError: true, Parts: singles(3)},
		want:  []string{"204", "unknown", "unknown"},
	}, {
		name: "missing parts of a 200 answer without continue-on-error", status: 200,
		body:  batchAnswer(ok),
		batch: &d365.Batch{Parts: singles(2)},
		want:  []string{"204", "unknown"},
	}, {
		// The documented stop: a 400 answer ending with the failure.
		name: "stopped at the first failure", status: 400,
		body:  batchAnswer(ok, failed),
		batch: &d365.Batch{Parts: singles(4)},
		want:  []string{"204", "400", "not run", "not run"},
	}, {
		name: "stopped at a failed change set", status: 400,
		body:  batchAnswer(failed),
		batch: &d365.Batch{Parts: []d365.BatchPart{changeSet("a", "b"), changeSet("c")}},
		want:  []string{"a:400", "b:400", "c:not run"},
	}, {
		name: "a 400 answer whose last part succeeded", status: 400,
		body:  batchAnswer(failed, ok),
		batch: &d365.Batch{Parts: singles(3)},
		want:  []string{"400", "204", "unknown"},
	}, {
		name: "a 400 answer with continue-on-error asked", status: 400,
		body:  batchAnswer(failed),
		batch: &d365.Batch{ContinueOnError: true, Parts: singles(2)},
		want:  []string{"400", "unknown"},
	}, {
		// Which answer goes with which request is a guess.
		name: "extra parts", status: 200,
		body:  batchAnswer(ok, ok, ok),
		batch: &d365.Batch{Parts: singles(2)},
		want:  []string{"unknown", "unknown"},
	}, {
		name: "extra parts after a change set", status: 200,
		body:  batchAnswer(changeSetAnswer(answerPart(204, "a", "")), ok),
		batch: &d365.Batch{Parts: []d365.BatchPart{changeSet("a")}},
		want:  []string{"a:unknown"},
	}, {
		// Content-IDs that match no request: no answer by position.
		name: "unknown Content-IDs", status: 200,
		body:  batchAnswer(changeSetAnswer(answerPart(204, "1", ""), answerPart(204, "2", ""))),
		batch: &d365.Batch{Parts: []d365.BatchPart{changeSet("a", "b")}},
		want:  []string{"a:unknown", "b:unknown"},
	}, {
		name: "no Content-IDs", status: 200,
		body:  batchAnswer(changeSetAnswer(answerPart(204, "", ""), answerPart(204, "", ""))),
		batch: &d365.Batch{Parts: []d365.BatchPart{changeSet("a", "b")}},
		want:  []string{"a:unknown", "b:unknown"},
	}, {
		// Two parts for one request, none for the other: neither is known.
		name: "a repeated Content-ID", status: 200,
		body:  batchAnswer(changeSetAnswer(answerPart(204, "a", ""), answerPart(201, "a", ""))),
		batch: &d365.Batch{Parts: []d365.BatchPart{changeSet("a", "b")}},
		want:  []string{"a:unknown", "b:unknown"},
	}, {
		name: "a stray Content-ID next to the right ones", status: 200,
		body:  batchAnswer(changeSetAnswer(answerPart(204, "a", ""), answerPart(204, "b", ""), answerPart(204, "z", ""))),
		batch: &d365.Batch{Parts: []d365.BatchPart{changeSet("a", "b")}},
		want:  []string{"a:unknown", "b:unknown"},
	}, {
		name: "a missing Content-ID, the others answered", status: 200,
		body:  batchAnswer(changeSetAnswer(answerPart(204, "b", "")), ok),
		batch: &d365.Batch{Parts: []d365.BatchPart{changeSet("a", "b"), {Request: post("leads")}}},
		want:  []string{"a:unknown", "b:204", "204"},
	}, {
		name: "Content-IDs out of order", status: 200,
		body:  batchAnswer(changeSetAnswer(answerPart(201, "b", ""), answerPart(204, "a", ""))),
		batch: &d365.Batch{Parts: []d365.BatchPart{changeSet("a", "b")}},
		want:  []string{"a:204", "b:201"},
	}, {
		name: "a change set answer for a single request", status: 200,
		body:  batchAnswer(changeSetAnswer(answerPart(204, "1", "")), ok),
		batch: &d365.Batch{Parts: singles(2)},
		want:  []string{"unknown", "unknown"},
	}, {
		// Found by FuzzLineUp: an empty change set answer was taken for
		// a single answer with status 0 and no error.
		name: "an empty change set answer for a single request", status: 200,
		body:  batchAnswer(changeSetAnswer(), ok),
		batch: &d365.Batch{Parts: singles(2)},
		want:  []string{"unknown", "unknown"},
	}, {
		name: "an empty change set answer", status: 200,
		body:  batchAnswer(changeSetAnswer(), ok),
		batch: &d365.Batch{Parts: []d365.BatchPart{changeSet("a"), {Request: post("leads")}}},
		want:  []string{"a:unknown", "204"},
	}, {
		name: "a status that is no HTTP status", status: 200,
		body:  batchAnswer("Content-Type: application/http\n\nHTTP/1.1 000 Zero\n\n", ok),
		batch: &d365.Batch{Parts: singles(2)},
		want:  []string{"unknown", "204"},
	}, {
		name: "a single success for a change set", status: 200,
		body:  batchAnswer(ok, ok),
		batch: &d365.Batch{Parts: []d365.BatchPart{changeSet("a", "b"), {Request: post("leads")}}},
		want:  []string{"a:unknown", "b:unknown", "unknown"},
	}, {
		// The change set's parts are unreadable; the next part still lines up.
		name: "an unreadable change set", status: 200,
		body:  batchAnswer("Content-Type: multipart/mixed; boundary=changesetresponse_C\n\n--changesetresponse_C\nContent-Type: application/http\n\nnot HTTP\n--changesetresponse_C--\n", ok),
		batch: &d365.Batch{Parts: []d365.BatchPart{changeSet("a"), {Request: post("leads")}}},
		want:  []string{"a:unknown", "204"},
	}, {
		// Cut off in the middle of the second part.
		name: "a truncated answer", status: 200,
		body:  "--batchresponse_R\n" + ok + "--batchresponse_R\nContent-Type: application/http\n\nHTTP/1.1 204 No Content\nOData-Ver",
		batch: &d365.Batch{ContinueOnError: true, Parts: singles(3)},
		want:  []string{"204", "unknown", "unknown"},
	}, {
		name: "a truncated stop answer", status: 400,
		body:  "--batchresponse_R\n" + failed,
		batch: &d365.Batch{Parts: singles(2)},
		want:  []string{"unknown", "unknown"},
	}, {
		name: "a part that is not HTTP", status: 200,
		body:  batchAnswer(ok, "Content-Type: application/http\n\nHTTP/1.1 abc\n\n", ok),
		batch: &d365.Batch{Parts: singles(3)},
		want:  []string{"204", "unknown", "unknown"},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			res := sendHostile(t, tc.status, tc.body, tc.batch)
			if diff := cmp.Diff(tc.want, fates(res)); diff != "" {
				t.Errorf("fates (-want +got):\n%s", diff)
			}
			for i, r := range res {
				if errors.Is(r.Err, d365.ErrOutcomeUnknown) && !strings.Contains(r.Err.Error(), "read the data back") {
					t.Errorf("result %d: %v does not say what to do", i, r.Err)
				}
			}
		})
	}
}

// A success status with a body that is no multipart answer: the batch ran,
// its outcome is unknown.
func TestBatchUnreadableSuccessIsOutcomeUnknown(t *testing.T) {
	c, _, _, _ := testClient(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"value":[]}`)
	}, nil)
	res, err := c.Batch(context.Background(), &d365.Batch{Parts: singles(2)})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"unknown", "unknown"}, fates(res)); diff != "" {
		t.Errorf("fates (-want +got):\n%s", diff)
	}
}

// An answer lost in the middle of its body: the batch's error says the
// outcome is unknown.
func TestBatchLostAnswerIsOutcomeUnknown(t *testing.T) {
	c, _, _, _ := testClient(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "multipart/mixed; boundary=batchresponse_R")
		w.Header().Set("Content-Length", "10000")
		w.WriteHeader(200)
		io.WriteString(w, "--batchresponse_R\r\n")
		w.(http.Flusher).Flush()
		conn, _, _ := w.(http.Hijacker).Hijack()
		conn.Close()
	}, nil)
	_, err := c.Batch(context.Background(), &d365.Batch{Parts: singles(2)})
	if !errors.Is(err, d365.ErrOutcomeUnknown) {
		t.Errorf("err = %v, want ErrOutcomeUnknown", err)
	}
	// A batch of GETs changes nothing: its error is the plain one.
	_, err = c.Batch(context.Background(), &d365.Batch{Parts: []d365.BatchPart{{Request: &d365.BatchRequest{Path: "leads"}}}})
	if err == nil || errors.Is(err, d365.ErrOutcomeUnknown) {
		t.Errorf("GET batch: err = %v", err)
	}
}
