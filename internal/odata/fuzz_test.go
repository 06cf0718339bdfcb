package odata

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/b2bflow/d365"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// Differential fuzz targets for the $batch answer reader. The reference
// encoder is mime/multipart's Writer with net/http's response format: what
// it writes, readMultipart must read back as written.

// writeAnswer encodes parts as a multipart/mixed $batch answer with
// mime/multipart and returns its Content-Type and body.
func writeAnswer(t *testing.T, parts []*rawPart) (string, []byte) {
	t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	for _, p := range parts {
		h := textproto.MIMEHeader{}
		if p.changeSet {
			ct, body := writeAnswer(t, p.nested)
			h.Set("Content-Type", ct)
			pw, err := w.CreatePart(h)
			if err != nil {
				t.Fatal(err)
			}
			pw.Write(body)
			continue
		}
		h.Set("Content-Type", "application/http")
		h.Set("Content-Transfer-Encoding", "binary")
		if p.contentID != "" {
			h.Set("Content-ID", p.contentID)
		}
		pw, err := w.CreatePart(h)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(pw, "HTTP/1.1 %03d %s\r\n", p.status, http.StatusText(p.status))
		hdr := p.header.Clone()
		hdr.Del("Content-Length")
		hdr.Del("Transfer-Encoding")
		if len(p.body) > 0 {
			hdr.Set("Content-Length", fmt.Sprint(len(p.body)))
		}
		hdr.Write(pw)
		pw.Write([]byte("\r\n"))
		pw.Write(p.body)
	}
	w.Close()
	return "multipart/mixed; boundary=" + w.Boundary(), buf.Bytes()
}

// partView is what a caller sees of a part, for comparisons.
type partView struct {
	ContentID string
	Status    int
	Header    http.Header
	Body      string
	Nested    []partView
}

func viewParts(parts []*rawPart) []partView {
	var out []partView
	for _, p := range parts {
		v := partView{ContentID: p.contentID, Status: p.status, Body: string(p.body)}
		if p.header != nil {
			v.Header = http.Header{}
			for k, vs := range p.header {
				// net/http reads header names it does not write (such
				// as "0 "): what it writes is what a caller can see again.
				if validToken(k) && k != "Content-Length" && k != "Transfer-Encoding" {
					v.Header[k] = vs
				}
			}
		}
		if p.changeSet {
			v.Nested = viewParts(p.nested)
			if v.Nested == nil {
				v.Nested = []partView{}
			}
		}
		out = append(out, v)
	}
	return out
}

// validToken reports whether s is an HTTP token (RFC 9110), as header
// names must be.
func validToken(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range []byte(s) {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0) {
			return false
		}
	}
	return true
}

func anyPartErr(parts []*rawPart) bool {
	for _, p := range parts {
		if p.err != nil || anyPartErr(p.nested) {
			return true
		}
	}
	return false
}

// roundTrip checks that what readMultipart read, written again by the
// reference encoder, reads back the same.
func roundTrip(t *testing.T, parts []*rawPart) {
	t.Helper()
	ct, body := writeAnswer(t, parts)
	again, err := readMultipart(ct, body, 0)
	if err != nil {
		t.Fatalf("the re-encoded answer does not read back: %v\n%q", err, body)
	}
	if diff := cmp.Diff(viewParts(parts), viewParts(again), cmpopts.EquateEmpty()); diff != "" {
		t.Fatalf("re-encoded parts differ (-read +read again):\n%s\n%q", diff, body)
	}
}

// bodyAllowed reports whether net/http keeps a body for the status.
func bodyAllowed(status int) bool {
	return !(status >= 100 && status <= 199 || status == 204 || status == 304)
}

// FuzzBatchAnswerRoundTrip writes an answer of a change set and a single
// part with the reference encoder and checks that readMultipart returns
// exactly what was written.
func FuzzBatchAnswerRoundTrip(f *testing.F) {
	f.Add(204, 201, 200, "1", "2", "", `{"leadid":"a"}`, `{"value":[]}`)
	f.Add(400, 204, 404, "a", "b", `{"error":{"code":"0x0","message":"m"}}`, "", "--batch_x\r\n")
	f.Add(200, 200, 500, "x y", "z", "line\r\n\r\nbreaks\r\n", "\r\n", "HTTP/1.1 200 OK\r\n\r\n")
	f.Fuzz(func(t *testing.T, s1, s2, s3 int, id1, id2, b1, b2, b3 string) {
		mk := func(status int, id, body string) *rawPart {
			status = 100 + (status%900+900)%900
			if !bodyAllowed(status) {
				body = ""
			}
			return &rawPart{contentID: id, status: status, header: http.Header{"Odata-Version": {"4.0"}}, body: bytes.TrimRight([]byte(body), "\r\n")}
		}
		for _, id := range []string{id1, id2} {
			// Content-IDs are header values: no control character, no
			// edge spaces.
			if strings.IndexFunc(id, func(r rune) bool { return r < 0x20 || r == 0x7f }) >= 0 || strings.TrimSpace(id) != id {
				return
			}
		}
		want := []*rawPart{
			{changeSet: true, nested: []*rawPart{mk(s1, id1, b1), mk(s2, id2, b2)}},
			mk(s3, "", b3),
		}
		ct, body := writeAnswer(t, want)
		got, err := readMultipart(ct, body, 0)
		if err != nil || anyPartErr(got) {
			t.Fatalf("readMultipart: %v (parts %+v)\n%q", err, got, body)
		}
		if diff := cmp.Diff(viewParts(want), viewParts(got), cmpopts.EquateEmpty()); diff != "" {
			t.Fatalf("parts (-written +read):\n%s\n%q", diff, body)
		}
	})
}

// fuzzBatch is the batch FuzzLineUp answers: two single requests, a change
// set of two, one more single request.
var fuzzBatch = &d365.Batch{Parts: []d365.BatchPart{
	{Request: post("leads")},
	{Request: &d365.BatchRequest{Path: "leads"}},
	changeSet("1", "2"),
	{Request: post("leads")},
}}

// FuzzLineUp feeds arbitrary $batch answers to the code that lines them up
// with a batch, and checks the rules: one result per request; every result
// is an answer, ErrNotRun or outcome unknown; ErrNotRun only after the
// documented stop; no answer part serves two requests, except one error
// part for the requests of its change set.
func FuzzLineUp(f *testing.F) {
	ok := answerPart(204, "", "")
	failed := answerPart(400, "", `{"error":{"code":"0x0","message":"m"}}`)
	cs := changeSetAnswer(answerPart(204, "1", ""), answerPart(204, "2", ""))
	for _, s := range []string{
		batchAnswer(ok, ok, cs, ok),
		batchAnswer(ok, failed),
		batchAnswer(ok, ok, failed, ok),
		batchAnswer(ok, ok, changeSetAnswer(answerPart(204, "1", ""), answerPart(204, "1", "")), ok),
		batchAnswer(ok, ok, cs, ok, ok),
		batchAnswer(ok, cs),
		continuedBatch,
	} {
		for _, status := range []int{200, 400} {
			f.Add(status, false, strings.ReplaceAll(s, "\n", "\r\n"))
			f.Add(status, true, strings.ReplaceAll(s, "\n", "\r\n"))
		}
	}
	addCorpus(f, "FuzzReadMultipart", func(s string) { f.Add(200, true, s) })
	base, _ := ServiceURL("u", "https://contoso.crm.dynamics.com/api/data/v9.2/")
	c, err := New(Config{BaseURL: base})
	if err != nil {
		f.Fatal(err)
	}
	n := batchRequests(fuzzBatch)
	f.Fuzz(func(t *testing.T, status int, continueOnError bool, body string) {
		b := *fuzzBatch
		b.ContinueOnError = continueOnError
		parts, perr := readMultipart("multipart/mixed; boundary=batchresponse_R", []byte(body), 0)
		res := c.lineUp(&b, status, parts, perr)
		if len(res) != n {
			t.Fatalf("%d results for %d requests", len(res), n)
		}
		for i, r := range res {
			var de *d365.Error
			switch {
			case errors.Is(r.Err, d365.ErrOutcomeUnknown), r.Err == d365.ErrNotRun:
				if r.StatusCode != 0 || r.Header != nil || r.Body != nil {
					t.Fatalf("result %d: %v with an answer: %+v", i, r.Err, r)
				}
				if r.Err == d365.ErrNotRun && (continueOnError || status < 400 || status >= 500) {
					t.Fatalf("result %d: not run after a %d answer (continue-on-error %v)", i, status, continueOnError)
				}
			case r.Err == nil && r.StatusCode >= 100 && r.StatusCode < 400, errors.As(r.Err, &de) && de.StatusCode == r.StatusCode && r.StatusCode >= 400 && r.StatusCode <= 599:
				if r.Header == nil {
					t.Fatalf("result %d: an answer without headers: %+v", i, r)
				}
			default:
				t.Fatalf("result %d: status %d with error %v", i, r.StatusCode, r.Err)
			}
		}
		// One answer part, one request: the parts' header maps tell them
		// apart (the requests of a failed change set share its part).
		seen := map[uintptrKey]int{}
		for i, r := range res {
			if r.Header == nil {
				continue
			}
			k := keyOf(r.Header)
			if j, dup := seen[k]; dup && !(inChangeSet(j) && inChangeSet(i) && r.StatusCode >= 400) {
				t.Fatalf("results %d and %d come from the same answer part", j, i)
			}
			seen[k] = i
		}
	})
}

// inChangeSet reports whether result i of fuzzBatch belongs to its change
// set.
func inChangeSet(i int) bool { return i == 2 || i == 3 }

type uintptrKey string

// keyOf identifies a header map by its address.
func keyOf(h http.Header) uintptrKey { return uintptrKey(fmt.Sprintf("%p", h)) }

// addCorpus passes each string input of a seed corpus directory to add.
func addCorpus(f *testing.F, target string, add func(string)) {
	files, _ := filepath.Glob(filepath.Join("testdata", "fuzz", target, "*"))
	for _, name := range files {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		// Corpus files hold Go literals, one value a line after the header.
		for _, line := range strings.Split(string(data), "\n")[1:] {
			if v, ok := strings.CutPrefix(line, "string("); ok {
				if s, err := strconv.Unquote(strings.TrimSuffix(v, ")")); err == nil {
					add(s)
				}
			}
		}
	}
}

// FuzzDecodeErrorVsJSON compares DecodeError with encoding/json on OData
// error documents: the code and message it reports are the document's
// (when no token-shaped text is scrubbed from them).
func FuzzDecodeErrorVsJSON(f *testing.F) {
	for _, s := range []string{
		`{"error":{"code":"0x80040217","message":"lead With Id = x Does Not Exist"}}`,
		`{"error":{"code":"0x0","message":"a\u0026b","innererror":{"message":"i"}}}`,
		`{"error":{"code":"1","message":"first"},"error":{"code":"2","message":"last"}}`,
		`{"error":{"c\u006fde":"0x1","message":"escaped name"}}`,
		`{"error":{"code":"0x1","message":"m","message":"repeated"}}`,
	} {
		f.Add(s)
	}
	addCorpus(f, "FuzzDecodeError", func(s string) { f.Add(s) })
	f.Fuzz(func(t *testing.T, body string) {
		if len(body) > 4096 || strings.Contains(body, "eyJ") {
			return
		}
		var doc map[string]json.RawMessage
		if json.Unmarshal([]byte(body), &doc) != nil {
			return
		}
		var inner map[string]json.RawMessage
		if json.Unmarshal(doc["error"], &inner) != nil || inner == nil {
			return
		}
		var code, message string
		if json.Unmarshal(inner["code"], &code) != nil || json.Unmarshal(inner["message"], &message) != nil || message == "" {
			return
		}
		e := DecodeError(400, http.Header{"Content-Type": {"application/json"}}, []byte(body), time.Now())
		if e.Code != code || e.Message != message {
			t.Fatalf("DecodeError(%q) = code %q, message %q; encoding/json reads %q, %q", body, e.Code, e.Message, code, message)
		}
	})
}
