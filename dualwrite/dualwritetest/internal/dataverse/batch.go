package dataverse

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"

	"github.com/b2bflow/d365/dualwrite/dualwritetest/internal/multipart"
)

// This file holds the Dataverse $batch endpoint.
//
// A $batch request (POST <root>$batch, multipart/mixed) holds parts that
// are single requests (application/http, GET allowed) or change sets
// (nested multipart/mixed, no GET). Each request is run through the
// emulator's ordinary Dataverse handler, so that it behaves as the same
// request sent alone, with the outer request's Authorization and
// impersonation headers.
//
// Faults and service protection limits: the emulator applies armed and
// random faults and the limits to the outer $batch request only, which
// therefore counts as ONE request against Limits.Requests and
// Limits.Concurrent, however many requests it holds; the requests inside
// are never faulted nor limited. This is a simplification. In Dataverse,
// batching does lower the count of the number-of-requests limit, but the
// combined execution time limit (1,200,000 ms per 300 s, which the
// emulator does not model) adds up the work of every request inside the
// batch, and Microsoft documents that limit as the counter to bundling
// requests in batches; Power Platform request entitlements also count the
// inner requests one by one. A program that passes here under a tight
// Limits.Requests may still be throttled by Dataverse when it sends large
// batches.
//
// Change sets are atomic: the store (Dataverse and Commerce tables, and so
// the dual-write side effects) is snapshotted before a change set and
// restored when one of its requests fails.
//
// Limitations: Content-Transfer-Encoding other than binary is not
// decoded.

// MaxBatchRequests is the most requests the emulator accepts in one $batch,
// as Dataverse; a $batch with more is refused with 400 and nothing runs
// (dualwritetest.MaxBatchRequests).
const MaxBatchRequests = 1000

func (s *Service) batch(d *request) {
	if d.r.Method != http.MethodPost {
		d.writeError(http.StatusMethodNotAllowed, "0x80060888", "The HTTP method '"+d.r.Method+"' is not allowed on $batch: use POST.")
		return
	}
	raw, err := io.ReadAll(d.r.Body)
	if err != nil {
		d.badBody("Reading the $batch body: " + err.Error())
		return
	}
	parts, n, err := multipart.Parse(d.r.Header.Get("Content-Type"), raw)
	if err != nil {
		d.badBody(err.Error())
		return
	}
	if n > MaxBatchRequests {
		d.writeError(http.StatusBadRequest, "0x8006088b",
			fmt.Sprintf("The number of requests in the batch, %d, exceeds the limit of %d.", n, MaxBatchRequests))
		return
	}
	continueOnError := strings.Contains(d.prefer, "odata.continue-on-error")
	outerPath := strings.TrimSuffix(d.r.URL.Path, "$batch") // "/api/data/v9.2/"

	mw := multipart.NewWriter()
	status := http.StatusOK
	for _, p := range parts {
		if p.Request != nil {
			rec := s.batchExec(d.r, outerPath, p.Request, nil)
			mw.WriteResponse(multipart.Recorded(rec, p.Request.ContentID))
			if rec.Code >= 400 && !continueOnError {
				status = http.StatusBadRequest
				break
			}
			continue
		}
		failed := s.runChangeSet(d.r, outerPath, p.ChangeSet, mw)
		if failed && !continueOnError {
			status = http.StatusBadRequest
			break
		}
	}
	body := mw.Close()
	h := d.w.Header()
	h.Set("OData-Version", "4.0")
	h.Set("Content-Type", mw.ContentType())
	if continueOnError {
		h.Add("Preference-Applied", "odata.continue-on-error")
	}
	d.w.WriteHeader(status)
	d.w.Write(body)
}

// runChangeSet runs the requests of a change set and writes its answer
// part. On the first failure it restores the store and answers the change
// set with that failure alone, outside a change set, as Dataverse does. It
// reports whether the change set failed.
func (s *Service) runChangeSet(outer *http.Request, outerPath string, reqs []*multipart.Request, mw *multipart.Writer) bool {
	snap := s.Store.Snapshot()
	answers, failed := multipart.RunChangeSet(reqs, "OData-EntityId", func(br *multipart.Request, refs map[string]string) *httptest.ResponseRecorder {
		return s.batchExec(outer, outerPath, br, refs)
	})
	if failed {
		s.Store.Restore(snap)
		answer := answers[0]
		answer.ContentID = ""
		mw.WriteResponse(answer)
		return true
	}
	mw.WriteChangeSet(answers)
	return false
}

// outerHeaders are carried from the $batch request to each request inside
// it when the part does not set them.
var outerHeaders = []string{"Authorization", "CallerObjectId", "MSCRMCallerID",
	"MSCRM.SuppressDuplicateDetection", "MSCRM.BypassCustomPluginExecution", "Consistency"}

// batchExec runs one request of a batch through the Dataverse handler and
// returns its answer. refs maps the Content-IDs of the change set's earlier
// requests to the URLs of the records they wrote (nil outside change
// sets).
func (s *Service) batchExec(outer *http.Request, outerPath string, br *multipart.Request, refs map[string]string) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	method, target, body := br.Method, br.Target, br.Body
	fail := func(status int, code, msg string) *httptest.ResponseRecorder {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.Header = br.Header
		WriteError(rec, r, status, code, msg)
		return rec
	}
	if strings.HasPrefix(target, "$") {
		ref, rest, _ := strings.Cut(target[1:], "/")
		loc, ok := refs[ref]
		if !ok {
			return fail(http.StatusBadRequest, "0x80048d19", fmt.Sprintf("Content-ID Reference: '$%s' does not exist in the batch context.", ref))
		}
		target = loc
		if rest != "" {
			target += "/" + rest
		}
	}
	u, err := url.Parse(target)
	if err != nil {
		return fail(http.StatusBadRequest, "0x80048d19", fmt.Sprintf("The request URI '%s' is not valid.", target))
	}
	path := u.EscapedPath()
	if !u.IsAbs() && !strings.HasPrefix(path, "/") {
		path = outerPath + path
	}
	if len(body) > 0 && len(refs) > 0 && bytes.Contains(body, []byte(`"$`)) {
		if nb, ok := replaceBodyRefs(body, refs); ok {
			body = nb
		}
	}
	header := br.Header.Clone()
	if header == nil {
		header = http.Header{}
	}
	for _, k := range outerHeaders {
		if header.Get(k) == "" && outer.Header.Get(k) != "" {
			header.Set(k, outer.Header.Get(k))
		}
	}
	full := s.URL + path
	if u.RawQuery != "" {
		full += "?" + u.RawQuery
	}
	r, err := http.NewRequestWithContext(outer.Context(), method, full, bytes.NewReader(body))
	if err != nil {
		return fail(http.StatusBadRequest, "0x80048d19", err.Error())
	}
	r.Header = header
	r.RemoteAddr = outer.RemoteAddr
	s.route(rec, r)
	h := rec.Header()
	if loc := h.Get("OData-EntityId"); loc != "" && h.Get("Location") == "" && rec.Code < 400 {
		h.Set("Location", loc)
	}
	return rec
}

// replaceBodyRefs replaces "$<Content-ID>" values of @odata.bind and
// @odata.id members, at any depth, with the URLs of the records.
func replaceBodyRefs(body []byte, refs map[string]string) ([]byte, bool) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, false
	}
	changed := false
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				if sv, ok := e.(string); ok && strings.HasPrefix(sv, "$") && (strings.HasSuffix(k, "@odata.bind") || k == "@odata.id") {
					if loc, ok := refs[sv[1:]]; ok {
						x[k] = loc
						changed = true
					}
					continue
				}
				walk(e)
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	walk(v)
	if !changed {
		return nil, false
	}
	var out bytes.Buffer
	enc := json.NewEncoder(&out)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, false
	}
	return out.Bytes(), true
}
