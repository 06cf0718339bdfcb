package dualwritetest

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/b2bflow/d365"
	"github.com/b2bflow/d365/internal/odata"
)

// batchAnswer is a decoded $batch response.
type batchAnswer struct {
	status int
	header http.Header
	raw    string
	parts  []*answerPart
}

// answerPart is one response part, or a change set's nested parts.
type answerPart struct {
	contentID string
	status    int
	header    http.Header
	body      string
	nested    []*answerPart
}

func (p *answerPart) json(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(p.body), &m); err != nil {
		t.Fatalf("part body is not JSON: %v\n%s", err, p.body)
	}
	return m
}

// postBatch sends a raw $batch body.
func postBatch(t testing.TB, s *Server, contentType, body string, headers ...string) batchAnswer {
	t.Helper()
	req, err := http.NewRequest("POST", api(s)+"$batch", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+Token)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("OData-MaxVersion", "4.0")
	req.Header.Set("OData-Version", "4.0")
	req.Header.Set("Content-Type", contentType)
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Add(headers[i], headers[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	a := batchAnswer{status: res.StatusCode, header: res.Header, raw: string(raw)}
	if strings.HasPrefix(res.Header.Get("Content-Type"), "multipart/") {
		a.parts = readAnswer(t, res.Header.Get("Content-Type"), raw, 0)
		if n, crlf := strings.Count(a.raw, "\n"), strings.Count(a.raw, "\r\n"); n != crlf {
			t.Errorf("the answer has %d line feeds, only %d after a carriage return", n, crlf)
		}
	}
	return a
}

func readAnswer(t testing.TB, ct string, body []byte, depth int) []*answerPart {
	t.Helper()
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil || mt != "multipart/mixed" {
		t.Fatalf("Content-Type %q", ct)
	}
	wantPrefix := "batchresponse_"
	if depth > 0 {
		wantPrefix = "changesetresponse_"
	}
	if !strings.HasPrefix(params["boundary"], wantPrefix) {
		t.Errorf("boundary %q, want %s<uuid>", params["boundary"], wantPrefix)
	}
	mr := multipart.NewReader(bytes.NewReader(body), params["boundary"])
	var out []*answerPart
	for {
		p, err := mr.NextRawPart()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		data, _ := io.ReadAll(p)
		pct := p.Header.Get("Content-Type")
		if strings.HasPrefix(pct, "multipart/") {
			if depth > 0 {
				t.Fatal("nested change set in a change set answer")
			}
			out = append(out, &answerPart{nested: readAnswer(t, pct, data, 1)})
			continue
		}
		if pct != "application/http" || p.Header.Get("Content-Transfer-Encoding") != "binary" {
			t.Errorf("part headers %v", p.Header)
		}
		if !bytes.Contains(data, []byte("\r\n\r\n")) && !bytes.Contains(data, []byte("\n\n")) {
			// The documented answers let the delimiter take the blank line
			// after the headers of a part without a body.
			data = append(bytes.TrimRight(data, "\r\n"), "\r\n\r\n"...)
		}
		res, err := http.ReadResponse(bufio.NewReader(bytes.NewReader(data)), nil)
		if err != nil {
			t.Fatalf("part is not an HTTP response: %v\n%q", err, data)
		}
		rb, _ := io.ReadAll(res.Body)
		out = append(out, &answerPart{
			contentID: p.Header.Get("Content-ID"), status: res.StatusCode, header: res.Header,
			body: strings.TrimRight(string(rb), "\r\n"),
		})
	}
}

// crlf joins lines with CRLF line endings.
func crlf(lines ...string) string { return strings.Join(lines, "\r\n") + "\r\n" }

func httpPart(method, target, contentID, body string, headerLines ...string) []string {
	l := []string{"Content-Type: application/http", "Content-Transfer-Encoding: binary"}
	if contentID != "" {
		l = append(l, "Content-ID: "+contentID)
	}
	l = append(l, "", method+" "+target+" HTTP/1.1", "Accept: application/json")
	l = append(l, headerLines...)
	if body != "" {
		l = append(l, "Content-Type: application/json", "", body)
	} else {
		l = append(l, "")
	}
	return l
}

func changeSet(boundary string, parts ...[]string) []string {
	l := []string{"Content-Type: multipart/mixed; boundary=" + boundary, ""}
	for _, p := range parts {
		l = append(l, "--"+boundary)
		l = append(l, p...)
	}
	return append(l, "--"+boundary+"--")
}

func batchBody(boundary string, parts ...[]string) string {
	var l []string
	for _, p := range parts {
		l = append(l, "--"+boundary)
		l = append(l, p...)
	}
	return crlf(append(l, "--"+boundary+"--")...)
}

func TestBatchChangeSetCommits(t *testing.T) {
	s := NewServer(nil)
	defer s.Close()
	leads, contacts, accounts := s.Count("leads"), s.Count("contacts"), s.Count("accounts")
	body := batchBody("batch_X", changeSet("changeset_Y",
		httpPart("POST", api(s)+"leads", "1", `{"subject":"batch lead","firstname":"aaa","lastname":"bbb"}`),
		httpPart("POST", api(s)+"contacts", "2", `{"firstname":"Batch","lastname":"Contact"}`),
		httpPart("POST", api(s)+"accounts", "3", `{"name":"Batch Account","originatingleadid@odata.bind":"$1","primarycontactid@odata.bind":"$2"}`),
		httpPart("PATCH", "$1", "4", `{"description":"patched by reference"}`),
	))
	a := postBatch(t, s, "multipart/mixed; boundary=batch_X", body)
	if a.status != 200 || len(a.parts) != 1 || len(a.parts[0].nested) != 4 {
		t.Fatalf("status %d, %d parts:\n%s", a.status, len(a.parts), a.raw)
	}
	if a.header.Get("Preference-Applied") != "" {
		t.Errorf("Preference-Applied %q without continue-on-error", a.header.Get("Preference-Applied"))
	}
	ids := map[string]string{}
	for i, p := range a.parts[0].nested {
		if p.status != 204 || p.contentID != fmt.Sprint(i+1) {
			t.Errorf("part %d: %d Content-ID %q: %s", i+1, p.status, p.contentID, p.body)
		}
		loc := p.header.Get("OData-EntityId")
		if loc == "" || p.header.Get("Location") != loc || !strings.HasPrefix(loc, api(s)) {
			t.Errorf("part %d: OData-EntityId %q, Location %q", i+1, loc, p.header.Get("Location"))
		}
		ids[p.contentID] = loc[strings.IndexByte(loc, '(')+1 : len(loc)-1]
	}
	if got := s.Count("leads") - leads; got != 1 {
		t.Errorf("%d leads created", got)
	}
	if s.Count("contacts")-contacts != 1 || s.Count("accounts")-accounts != 1 {
		t.Errorf("contacts +%d, accounts +%d", s.Count("contacts")-contacts, s.Count("accounts")-accounts)
	}
	acc := call(t, "GET", api(s)+"accounts("+ids["3"]+")", nil).want(t, 200).body
	if acc["_originatingleadid_value"] != ids["1"] || acc["_primarycontactid_value"] != ids["2"] {
		t.Errorf("account lookups %v / %v, want %s / %s", acc["_originatingleadid_value"], acc["_primarycontactid_value"], ids["1"], ids["2"])
	}
	if ids["4"] != ids["1"] {
		t.Errorf("PATCH $1 answered for %s, want the lead %s", ids["4"], ids["1"])
	}
	lead := call(t, "GET", api(s)+"leads("+ids["1"]+")", nil).want(t, 200).body
	if lead["description"] != "patched by reference" {
		t.Errorf("lead description %v", lead["description"])
	}
}

func TestBatchChangeSetRollsBack(t *testing.T) {
	s := NewServer(nil)
	defer s.Close()
	before := map[string]int{}
	names := []string{"accounts", "contacts", "leads", "CustomersV3", "msdyn_parties"}
	for _, n := range names {
		before[n] = s.Count(n)
	}
	missing := "00000000-0000-0000-0000-0000000000aa"
	body := batchBody("batch_X", changeSet("changeset_Y",
		// A customer account and a sellable contact: dual-write writes both
		// to CustomersV3 and creates parties.
		httpPart("POST", api(s)+"accounts", "1", `{"name":"Rolled back","customertypecode":3}`),
		httpPart("POST", api(s)+"contacts", "2", `{"firstname":"Rolled","lastname":"Back","parentcustomerid_account@odata.bind":"$1"}`),
		httpPart("PATCH", api(s)+"leads("+missing+")", "3", `{"subject":"x"}`, "If-Match: *"),
		httpPart("POST", api(s)+"leads", "4", `{"subject":"never run"}`),
	))
	a := postBatch(t, s, "multipart/mixed; boundary=batch_X", body)
	if a.status != 400 || len(a.parts) != 1 || a.parts[0].nested != nil {
		t.Fatalf("status %d, parts %d:\n%s", a.status, len(a.parts), a.raw)
	}
	p := a.parts[0]
	if p.status != 404 {
		t.Errorf("error part %d: %s", p.status, p.body)
	}
	if e, _ := p.json(t)["error"].(map[string]any); e["code"] != "0x80040217" {
		t.Errorf("error body %s", p.body)
	}
	for _, n := range names {
		if got := s.Count(n); got != before[n] {
			t.Errorf("%s: %d rows after the rollback, %d before", n, got, before[n])
		}
	}
	// The same writes without the failing request do leave side effects,
	// so the check above means something.
	body = batchBody("batch_X", changeSet("changeset_Y",
		httpPart("POST", api(s)+"accounts", "1", `{"name":"Kept","customertypecode":3}`),
		httpPart("POST", api(s)+"contacts", "2", `{"firstname":"Kept","lastname":"Contact","parentcustomerid_account@odata.bind":"$1"}`),
	))
	a = postBatch(t, s, "multipart/mixed; boundary=batch_X", body)
	if a.status != 200 {
		t.Fatalf("status %d\n%s", a.status, a.raw)
	}
	if s.Count("CustomersV3") <= before["CustomersV3"] || s.Count("accounts") != before["accounts"]+1 {
		t.Errorf("CustomersV3 %d (before %d), accounts %d", s.Count("CustomersV3"), before["CustomersV3"], s.Count("accounts"))
	}
}

func TestBatchRollsBackOnSyncFailure(t *testing.T) {
	s := NewServer(nil)
	defer s.Close()
	accounts, customers := s.Count("accounts"), s.Count("CustomersV3")
	leads := s.Count("leads")
	s.FailSync("CustomersV3")
	body := batchBody("batch_X", changeSet("changeset_Y",
		httpPart("POST", api(s)+"leads", "1", `{"subject":"rolled back with the account"}`),
		httpPart("POST", api(s)+"accounts", "2", `{"name":"Sync fails","customertypecode":3}`),
	))
	a := postBatch(t, s, "multipart/mixed; boundary=batch_X", body)
	if a.status != 400 || len(a.parts) != 1 || a.parts[0].status < 400 {
		t.Fatalf("status %d\n%s", a.status, a.raw)
	}
	if s.Count("accounts") != accounts || s.Count("CustomersV3") != customers || s.Count("leads") != leads {
		t.Errorf("rows remain: accounts %d/%d, customers %d/%d, leads %d/%d", s.Count("accounts"), accounts, s.Count("CustomersV3"), customers, s.Count("leads"), leads)
	}
}

func continueBody(s *Server, missing string) string {
	return batchBody("batch_X",
		httpPart("GET", api(s)+"leads?$select=subject&$top=1", "", ""),
		httpPart("PATCH", api(s)+"leads("+missing+")", "", `{"subject":"x"}`, "If-Match: *"),
		changeSet("changeset_Y", httpPart("POST", api(s)+"leads", "1", `{"subject":"after the failure"}`)),
		httpPart("GET", api(s)+"WhoAmI", "", ""),
	)
}

func TestBatchStopsAtFirstFailure(t *testing.T) {
	s := NewServer(nil)
	defer s.Close()
	leads := s.Count("leads")
	a := postBatch(t, s, "multipart/mixed; boundary=batch_X", continueBody(s, "00000000-0000-0000-0000-0000000000bb"))
	if a.status != 400 || len(a.parts) != 2 {
		t.Fatalf("status %d, %d parts\n%s", a.status, len(a.parts), a.raw)
	}
	if a.parts[0].status != 200 || a.parts[1].status != 404 {
		t.Errorf("parts %d, %d", a.parts[0].status, a.parts[1].status)
	}
	if got := a.parts[0].json(t)["@odata.context"]; !strings.Contains(fmt.Sprint(got), "leads(subject)") {
		t.Errorf("GET part context %v", got)
	}
	if s.Count("leads") != leads {
		t.Error("a part after the failure ran")
	}
	if a.header.Get("Preference-Applied") != "" {
		t.Errorf("Preference-Applied %q", a.header.Get("Preference-Applied"))
	}
}

func TestBatchContinueOnError(t *testing.T) {
	s := NewServer(nil)
	defer s.Close()
	leads := s.Count("leads")
	a := postBatch(t, s, "multipart/mixed;boundary=batch_X", continueBody(s, "00000000-0000-0000-0000-0000000000bb"),
		"Prefer", "odata.continue-on-error")
	if a.status != 200 || len(a.parts) != 4 {
		t.Fatalf("status %d, %d parts\n%s", a.status, len(a.parts), a.raw)
	}
	if a.header.Get("Preference-Applied") != "odata.continue-on-error" {
		t.Errorf("Preference-Applied %q", a.header.Get("Preference-Applied"))
	}
	if a.parts[0].status != 200 || a.parts[1].status != 404 || len(a.parts[2].nested) != 1 || a.parts[2].nested[0].status != 204 || a.parts[3].status != 200 {
		t.Errorf("answers:\n%s", a.raw)
	}
	if a.parts[3].json(t)["UserId"] == nil {
		t.Errorf("WhoAmI part %s", a.parts[3].body)
	}
	if s.Count("leads") != leads+1 {
		t.Error("the change set after the failure did not run")
	}
}

func TestBatchRefusesGETInChangeSet(t *testing.T) {
	s := NewServer(nil)
	defer s.Close()
	leads := s.Count("leads")
	body := batchBody("batch_X", changeSet("changeset_Y",
		httpPart("POST", api(s)+"leads", "1", `{"subject":"never"}`),
		httpPart("GET", api(s)+"leads", "2", ""),
	))
	call(t, "GET", api(s)+"$batch", nil).want(t, 405)
	a := postBatch(t, s, "multipart/mixed; boundary=batch_X", body)
	if a.status != 400 || !strings.Contains(a.raw, "GET request is not allowed inside a change set") || !strings.Contains(a.raw, `"error"`) {
		t.Fatalf("status %d\n%s", a.status, a.raw)
	}
	if s.Count("leads") != leads {
		t.Error("a request of the refused batch ran")
	}
}

func TestBatchRefusesBadBodies(t *testing.T) {
	s := NewServer(nil)
	defer s.Close()
	var parts [][]string
	for i := 0; i < MaxBatchRequests+1; i++ {
		parts = append(parts, httpPart("GET", "WhoAmI", "", ""))
	}
	a := postBatch(t, s, "multipart/mixed; boundary=batch_X", batchBody("batch_X", parts...))
	if a.status != 400 || !strings.Contains(a.raw, "exceeds the limit of 1000") {
		t.Errorf("1001 requests: %d %s", a.status, a.raw)
	}
	a = postBatch(t, s, "multipart/mixed; boundary=batch_X", batchBody("batch_X", parts[:MaxBatchRequests]...))
	if a.status != 200 || len(a.parts) != MaxBatchRequests {
		t.Errorf("1000 requests: %d, %d parts", a.status, len(a.parts))
	}
	for _, ct := range []string{"application/json", "multipart/mixed"} {
		if a := postBatch(t, s, ct, "{}"); a.status != 400 {
			t.Errorf("Content-Type %s: %d %s", ct, a.status, a.raw)
		}
	}
	// Quoted boundary, LF line endings, a relative URL and an unknown
	// Content-ID reference in a change set.
	body := strings.ReplaceAll(batchBody(`batch_Q`,
		httpPart("GET", "WhoAmI", "", ""),
		changeSet("changeset_Y", httpPart("PATCH", "$9", "1", `{"subject":"x"}`)),
	), "\r\n", "\n")
	a = postBatch(t, s, `multipart/mixed; boundary="batch_Q"`, body, "Prefer", "odata.continue-on-error")
	if a.status != 200 || len(a.parts) != 2 || a.parts[0].status != 200 || a.parts[1].status != 400 || !strings.Contains(a.parts[1].body, "$9") {
		t.Errorf("status %d\n%s", a.status, a.raw)
	}
}

// TestBatchDocumentedExample replays the documented change sets with
// references (execute-batch-operations-using-web-api-010, -012, -014,
// -016, copied to testdata/contract) with [Organization URI] replaced by
// the emulator's URL and v9.1 by v9.2, and compares the status codes and
// the shapes of the answers with the documented ones (-011, -013, -015,
// -017).
func TestBatchDocumentedExample(t *testing.T) {
	s := NewServer(nil)
	defer s.Close()
	for _, ex := range []struct{ req, resp string }{{"010", "011"}, {"012", "013"}, {"014", "015"}, {"016", "017"}} {
		t.Run(ex.req, func(t *testing.T) {
			reqText, err := os.ReadFile(filepath.Join("testdata", "contract", "execute-batch-operations-using-web-api-"+ex.req+".http.txt"))
			if err != nil {
				t.Fatal(err)
			}
			respText, err := os.ReadFile(filepath.Join("testdata", "contract", "execute-batch-operations-using-web-api-"+ex.resp+".http.txt"))
			if err != nil {
				t.Fatal(err)
			}
			text := strings.ReplaceAll(string(reqText), "[Organization URI]", s.SalesURL)
			text = strings.ReplaceAll(text, "/api/data/v9.1/", "/api/data/v9.2/")
			head, body, ok := strings.Cut(strings.ReplaceAll(text, "\r\n", "\n"), "\n\n")
			if !ok {
				t.Fatal("no blank line after the headers")
			}
			ct := ""
			for _, l := range strings.Split(head, "\n")[1:] {
				if k, v, _ := strings.Cut(l, ":"); strings.EqualFold(k, "Content-Type") {
					ct = strings.TrimSpace(v)
				}
			}
			got := postBatch(t, s, ct, body)
			want := readDocumented(t, string(respText))
			if got.status != want.status {
				t.Fatalf("status %d, documented %d\n%s", got.status, want.status, got.raw)
			}
			compareShapes(t, got.parts, want.parts)
			// What the change set did.
			ids := map[string]string{}
			for _, p := range got.parts[0].nested {
				if loc := p.header.Get("OData-EntityId"); loc != "" {
					ids[p.contentID] = loc[strings.IndexByte(loc, '(')+1 : len(loc)-1]
				}
			}
			switch ex.req {
			case "010":
				acc := call(t, "GET", api(s)+"accounts("+ids["3"]+")", nil).want(t, 200).body
				if acc["_originatingleadid_value"] != ids["1"] || acc["_primarycontactid_value"] != ids["2"] {
					t.Errorf("account %v", acc)
				}
			case "012":
				c := call(t, "GET", api(s)+"contacts("+ids["1"]+")", nil).want(t, 200).body
				if c["lastname"] != "BBBBB" {
					t.Errorf("contact %v", c)
				}
			case "014", "016":
				acc := call(t, "GET", api(s)+"accounts("+ids["1"]+")", nil).want(t, 200).body
				if acc["_primarycontactid_value"] != ids["2"] {
					t.Errorf("account %v", acc)
				}
			}
		})
	}
}

// readDocumented parses a documented response: status line, blank line,
// multipart body whose boundary is its first line.
func readDocumented(t *testing.T, text string) batchAnswer {
	t.Helper()
	text = strings.ReplaceAll(text, "\r\n", "\n")
	status, body, _ := strings.Cut(text, "\n\n")
	var a batchAnswer
	fmt.Sscanf(status, "%d", &a.status)
	first, _, _ := strings.Cut(strings.TrimLeft(body, "\n"), "\n")
	a.parts = readAnswer(t, "multipart/mixed; boundary="+strings.TrimPrefix(first, "--"), []byte(body), 0)
	return a
}

func compareShapes(t *testing.T, got, want []*answerPart) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d parts, documented %d", len(got), len(want))
	}
	for i := range want {
		g, w := got[i], want[i]
		if (g.nested == nil) != (w.nested == nil) {
			t.Fatalf("part %d: nested %v, documented %v", i, g.nested != nil, w.nested != nil)
		}
		if w.nested != nil {
			compareShapes(t, g.nested, w.nested)
			continue
		}
		if g.status != w.status || g.contentID != w.contentID {
			t.Errorf("part %d: %d Content-ID %q, documented %d %q", i, g.status, g.contentID, w.status, w.contentID)
		}
		for k := range w.header {
			if g.header.Get(k) == "" {
				t.Errorf("part %d: no %s header (documented %q)", i, k, w.header.Get(k))
			}
		}
		if loc := w.header.Get("OData-EntityId"); loc != "" {
			set := loc[strings.LastIndexByte(loc[:strings.IndexByte(loc, '(')], '/')+1 : strings.IndexByte(loc, '(')]
			if !strings.Contains(g.header.Get("OData-EntityId"), "/"+set+"(") {
				t.Errorf("part %d: OData-EntityId %q, documented %q", i, g.header.Get("OData-EntityId"), loc)
			}
		}
	}
}

// TestBatchWithSDKClient sends batches with the SDK's own $batch client, so
// that both sides are shown to agree.
func TestBatchWithSDKClient(t *testing.T) {
	s := NewServer(nil)
	defer s.Close()
	base, _ := url.Parse(api(s))
	c, err := odata.New(odata.Config{BaseURL: base, Resource: s.SalesURL, Credential: s.Credential()})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	leads := s.Count("leads")
	res, err := c.Batch(ctx, &d365.Batch{Parts: []d365.BatchPart{
		{Request: &d365.BatchRequest{Path: "WhoAmI"}},
		{ChangeSet: []*d365.BatchRequest{
			{Method: "POST", Path: "leads", Body: map[string]any{"subject": "sdk lead", "lastname": "One"}},
			{Method: "PATCH", Path: "$1", Body: map[string]any{"firstname": "Ada"}},
			{Method: "POST", Path: "annotations", Body: map[string]any{"subject": "note", "objectid_lead@odata.bind": "$1"}},
		}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 4 {
		t.Fatalf("%d results", len(res))
	}
	for i, r := range res {
		if r.Err != nil || r.StatusCode >= 300 {
			t.Errorf("result %d: %d %v", i, r.StatusCode, r.Err)
		}
	}
	if s.Count("leads") != leads+1 {
		t.Errorf("leads %d, want %d", s.Count("leads"), leads+1)
	}
	rows := s.Rows("leads")
	if last := rows[len(rows)-1]; last["fullname"] != "Ada One" {
		t.Errorf("lead %v", last)
	}

	// A failing change set: every request carries the change set's error,
	// and the later single request is not run.
	res, err = c.Batch(ctx, &d365.Batch{Parts: []d365.BatchPart{
		{ChangeSet: []*d365.BatchRequest{
			{Method: "POST", Path: "leads", Body: map[string]any{"subject": "rolled back"}},
			{Method: "PATCH", Path: "leads(00000000-0000-0000-0000-0000000000cc)", IfMatch: "*", Body: map[string]any{"subject": "x"}},
		}},
		{Request: &d365.BatchRequest{Path: "WhoAmI"}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 3 || res[0].StatusCode != 404 || res[1].StatusCode != 404 || res[2].Err != d365.ErrNotRun {
		for i, r := range res {
			t.Logf("result %d: %d %v", i, r.StatusCode, r.Err)
		}
		t.Error("unexpected results")
	}
	if s.Count("leads") != leads+1 {
		t.Errorf("leads %d after the rollback, want %d", s.Count("leads"), leads+1)
	}
}

func TestBatchCountsOnceAgainstLimits(t *testing.T) {
	s := NewServer(&Options{Limits: &Limits{Requests: 2, Window: time.Minute}})
	defer s.Close()
	body := batchBody("batch_X",
		httpPart("GET", "WhoAmI", "", ""), httpPart("GET", "leads", "", ""), httpPart("GET", "accounts", "", ""),
		changeSet("changeset_Y", httpPart("POST", "leads", "1", `{"subject":"limited"}`)),
	)
	a := postBatch(t, s, "multipart/mixed; boundary=batch_X", body)
	if a.status != 200 || len(a.parts) != 4 {
		t.Fatalf("status %d\n%s", a.status, a.raw)
	}
	if got := a.header.Get("x-ms-ratelimit-burst-remaining-xrm-requests"); got != "1" {
		t.Errorf("remaining %q after one batch of 4 requests, want 1", got)
	}
	r := call(t, "POST", api(s)+"leads/Microsoft.Dynamics.CRM.CreateMultiple", map[string]any{"Targets": []any{
		map[string]any{"@odata.type": "Microsoft.Dynamics.CRM.lead", "subject": "a"},
		map[string]any{"@odata.type": "Microsoft.Dynamics.CRM.lead", "subject": "b"},
		map[string]any{"@odata.type": "Microsoft.Dynamics.CRM.lead", "subject": "c"},
	}}).want(t, 200)
	if got := r.header.Get("x-ms-ratelimit-burst-remaining-xrm-requests"); got != "0" {
		t.Errorf("remaining %q after a CreateMultiple of 3, want 0", got)
	}
	a = postBatch(t, s, "multipart/mixed; boundary=batch_X", body)
	if a.status != 429 || !strings.Contains(a.raw, "0x80072322") {
		t.Errorf("third request: %d %s", a.status, a.raw)
	}
}

func TestBatchFaultsApplyToTheOuterRequest(t *testing.T) {
	s := NewServer(nil)
	defer s.Close()
	body := batchBody("batch_X", httpPart("GET", "WhoAmI", "", ""), httpPart("GET", "leads", "", ""))
	s.FailNext("GET", "leads", 500) // not matched by the parts
	s.FailNext("POST", "$batch", 503)
	a := postBatch(t, s, "multipart/mixed; boundary=batch_X", body)
	if a.status != 503 {
		t.Fatalf("status %d", a.status)
	}
	a = postBatch(t, s, "multipart/mixed; boundary=batch_X", body)
	if a.status != 200 || a.parts[1].status != 200 {
		t.Fatalf("status %d\n%s", a.status, a.raw)
	}
	call(t, "GET", api(s)+"leads", nil).want(t, 500)
}
