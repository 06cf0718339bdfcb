package dualwritetest

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/textproto"
	"net/url"
	"regexp"
	"sort"
	"strings"

	"github.com/google/uuid"
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
// Limitations: the emulator also understands two forms of request that it
// does not support outside a batch, because the documented batch examples
// use them: "PUT <record>/<column>" with {"value": ...} and
// "PUT <record>/<navigation>/$ref" with {"@odata.id": ...}; both are run as
// a PATCH of the record. Content-Transfer-Encoding other than binary is not
// decoded.

// MaxBatchRequests is the most requests the emulator accepts in one $batch,
// as Dataverse; a $batch with more is refused with 400 and nothing runs.
//
// The service protection limits ([Options.Limits]) and the faults count a
// $batch as one request, whatever it holds; its requests are never
// limited nor faulted one by one. Real Dataverse is stricter: the
// combined execution time limit adds up the work of every request inside
// a batch (the emulator does not model that limit), so large batches can
// be throttled there when they are not here.
const MaxBatchRequests = 1000

// batchRequest is one application/http part of a $batch request.
type batchRequest struct {
	contentID string
	method    string
	target    string
	header    http.Header
	body      []byte
}

// batchPart is a single request or a change set.
type batchPart struct {
	req       *batchRequest
	changeSet []*batchRequest
}

func (s *Server) dvBatch(d *dvReq) {
	if d.r.Method != http.MethodPost {
		s.dvError(d.w, d.r, http.StatusMethodNotAllowed, "0x80060888", "The HTTP method '"+d.r.Method+"' is not allowed on $batch: use POST.")
		return
	}
	raw, err := io.ReadAll(d.r.Body)
	if err != nil {
		s.dvError(d.w, d.r, http.StatusBadRequest, "0x80048d19", "Reading the $batch body: "+err.Error())
		return
	}
	parts, n, err := parseBatch(d.r.Header.Get("Content-Type"), raw)
	if err != nil {
		s.dvFail(d, err)
		return
	}
	if n > MaxBatchRequests {
		s.dvError(d.w, d.r, http.StatusBadRequest, "0x8006088b",
			fmt.Sprintf("The number of requests in the batch, %d, exceeds the limit of %d.", n, MaxBatchRequests))
		return
	}
	continueOnError := strings.Contains(d.prefer, "odata.continue-on-error")
	outerPath := strings.TrimSuffix(d.r.URL.Path, "$batch") // "/api/data/v9.2/"

	var buf bytes.Buffer
	boundary := "batchresponse_" + uuid.NewString()
	status := http.StatusOK
	for _, p := range parts {
		if p.req != nil {
			rec := s.batchExec(d.r, outerPath, p.req, nil)
			fmt.Fprintf(&buf, "--%s\r\n", boundary)
			writeResponsePart(&buf, rec, p.req.contentID)
			if rec.Code >= 400 && !continueOnError {
				status = http.StatusBadRequest
				break
			}
			continue
		}
		failed := s.runChangeSet(d.r, outerPath, p.changeSet, &buf, boundary)
		if failed && !continueOnError {
			status = http.StatusBadRequest
			break
		}
	}
	fmt.Fprintf(&buf, "--%s--\r\n", boundary)
	h := d.w.Header()
	h.Set("OData-Version", "4.0")
	h.Set("Content-Type", "multipart/mixed; boundary="+boundary)
	if continueOnError {
		h.Add("Preference-Applied", "odata.continue-on-error")
	}
	d.w.WriteHeader(status)
	d.w.Write(buf.Bytes())
}

// runChangeSet runs the requests of a change set and writes its answer
// part. On the first failure it restores the store and answers the change
// set with that failure alone. It reports whether the change set failed.
func (s *Server) runChangeSet(outer *http.Request, outerPath string, reqs []*batchRequest, buf *bytes.Buffer, boundary string) bool {
	snap := s.store.snapshot()
	refs := map[string]string{}
	recs := make([]*httptest.ResponseRecorder, 0, len(reqs))
	for _, br := range reqs {
		rec := s.batchExec(outer, outerPath, br, refs)
		if rec.Code >= 400 {
			s.store.restore(snap)
			fmt.Fprintf(buf, "--%s\r\n", boundary)
			writeResponsePart(buf, rec, "")
			return true
		}
		if br.contentID != "" {
			if loc := rec.Header().Get("OData-EntityId"); loc != "" {
				refs[br.contentID] = loc
			}
		}
		recs = append(recs, rec)
	}
	cs := "changesetresponse_" + uuid.NewString()
	fmt.Fprintf(buf, "--%s\r\nContent-Type: multipart/mixed; boundary=%s\r\n\r\n", boundary, cs)
	for i, rec := range recs {
		fmt.Fprintf(buf, "--%s\r\n", cs)
		writeResponsePart(buf, rec, reqs[i].contentID)
	}
	fmt.Fprintf(buf, "--%s--\r\n", cs)
	return false
}

// writeResponsePart writes one application/http answer part (after its
// delimiter line), CRLF line endings.
func writeResponsePart(buf *bytes.Buffer, rec *httptest.ResponseRecorder, contentID string) {
	buf.WriteString("Content-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n")
	if contentID != "" {
		fmt.Fprintf(buf, "Content-ID: %s\r\n", contentID)
	}
	fmt.Fprintf(buf, "\r\nHTTP/1.1 %d %s\r\n", rec.Code, http.StatusText(rec.Code))
	h := rec.Header()
	keys := make([]string, 0, len(h))
	for k := range h {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		for _, v := range h[k] {
			fmt.Fprintf(buf, "%s: %s\r\n", k, v)
		}
	}
	buf.WriteString("\r\n")
	buf.Write(bytes.TrimRight(rec.Body.Bytes(), "\r\n"))
	buf.WriteString("\r\n")
}

// outerHeaders are carried from the $batch request to each request inside
// it when the part does not set them.
var outerHeaders = []string{"Authorization", "CallerObjectId", "MSCRMCallerID",
	"MSCRM.SuppressDuplicateDetection", "MSCRM.BypassCustomPluginExecution", "Consistency"}

var propertyTailRE = regexp.MustCompile(`^([A-Za-z_][A-Za-z0-9_]*)(/\$ref)?$`)

// batchExec runs one request of a batch through the Dataverse handler and
// returns its answer. refs maps the Content-IDs of the change set's earlier
// requests to the URLs of the records they wrote (nil outside change
// sets).
func (s *Server) batchExec(outer *http.Request, outerPath string, br *batchRequest, refs map[string]string) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	method, target, body := br.method, br.target, br.body
	fail := func(status int, code, msg string) *httptest.ResponseRecorder {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.Header = br.header
		s.dvError(rec, r, status, code, msg)
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
	header := br.header.Clone()
	if header == nil {
		header = http.Header{}
	}
	for _, k := range outerHeaders {
		if header.Get(k) == "" && outer.Header.Get(k) != "" {
			header.Set(k, outer.Header.Get(k))
		}
	}
	// PUT <record>/<column> and PUT <record>/<nav>/$ref become a PATCH.
	propertyPut := false
	if method == http.MethodPut {
		seg, key, tail := splitSegment(strings.TrimPrefix(path, outerPath))
		if m := propertyTailRE.FindStringSubmatch(tail); key != "" && m != nil {
			var in map[string]any
			dec := json.NewDecoder(bytes.NewReader(body))
			dec.UseNumber()
			if err := dec.Decode(&in); err != nil {
				return fail(http.StatusBadRequest, "0x80048d19", "the request body is not a JSON object: "+err.Error())
			}
			patch := map[string]any{}
			if m[2] != "" {
				id, _ := in["@odata.id"].(string)
				if strings.HasPrefix(id, "$") {
					id = refs[strings.TrimPrefix(id, "$")]
				}
				patch[m[1]+"@odata.bind"] = id
			} else {
				patch[m[1]] = in["value"]
			}
			body, _ = json.Marshal(patch)
			method, path, propertyPut = http.MethodPatch, outerPath+seg+"("+key+")", true
			header.Set("If-Match", "*")
			header.Del("Prefer")
		}
	}
	full := s.SalesURL + path
	if u.RawQuery != "" {
		full += "?" + u.RawQuery
	}
	r, err := http.NewRequestWithContext(outer.Context(), method, full, bytes.NewReader(body))
	if err != nil {
		return fail(http.StatusBadRequest, "0x80048d19", err.Error())
	}
	r.Header = header
	r.RemoteAddr = outer.RemoteAddr
	s.handleDataverse(rec, r)
	h := rec.Header()
	if loc := h.Get("OData-EntityId"); loc != "" && h.Get("Location") == "" && rec.Code < 400 {
		h.Set("Location", loc)
	}
	if propertyPut && rec.Code < 400 {
		h.Del("Location")
		h.Del("OData-EntityId")
		h.Del("ETag")
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

// parseBatch reads a $batch body. It returns the parts and the number of
// requests in all.
func parseBatch(ct string, body []byte) ([]batchPart, int, error) {
	boundary, err := multipartBoundary(ct)
	if err != nil {
		return nil, 0, err
	}
	mr := multipart.NewReader(bytes.NewReader(body), boundary)
	var parts []batchPart
	n := 0
	for {
		p, err := mr.NextRawPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, 0, badRequest("0x80048d19", "The $batch body is not valid multipart/mixed content: %v", err)
		}
		data, err := io.ReadAll(p)
		if err != nil {
			return nil, 0, badRequest("0x80048d19", "The $batch body is not valid multipart/mixed content: %v", err)
		}
		pct := p.Header.Get("Content-Type")
		if isMultipart(pct) {
			reqs, err := parseChangeSet(pct, data, len(parts)+1)
			if err != nil {
				return nil, 0, err
			}
			n += len(reqs)
			parts = append(parts, batchPart{changeSet: reqs})
			continue
		}
		br, err := parseRequestPart(pct, p.Header.Get("Content-ID"), data)
		if err != nil {
			return nil, 0, badRequest("0x80048d19", "Batch part %d: %v", len(parts)+1, err)
		}
		n++
		parts = append(parts, batchPart{req: br})
	}
	if len(parts) == 0 {
		return nil, 0, badRequest("0x80048d19", "The $batch request holds no parts (boundary %q).", boundary)
	}
	return parts, n, nil
}

func parseChangeSet(ct string, data []byte, index int) ([]*batchRequest, error) {
	boundary, err := multipartBoundary(ct)
	if err != nil {
		return nil, badRequest("0x80048d19", "Batch part %d: %v", index, err)
	}
	mr := multipart.NewReader(bytes.NewReader(data), boundary)
	var reqs []*batchRequest
	seen := map[string]bool{}
	for {
		p, err := mr.NextRawPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, badRequest("0x80048d19", "Batch part %d: the change set is not valid multipart/mixed content: %v", index, err)
		}
		b, err := io.ReadAll(p)
		if err != nil {
			return nil, badRequest("0x80048d19", "Batch part %d: the change set is not valid multipart/mixed content: %v", index, err)
		}
		pct := p.Header.Get("Content-Type")
		if isMultipart(pct) {
			return nil, badRequest("0x80048d19", "Batch part %d: change sets cannot be nested.", index)
		}
		cid := strings.TrimSpace(p.Header.Get("Content-ID"))
		br, err := parseRequestPart(pct, cid, b)
		if err != nil {
			return nil, badRequest("0x80048d19", "Batch part %d, change set request %d: %v", index, len(reqs)+1, err)
		}
		if br.method == http.MethodGet {
			return nil, badRequest("0x80048d19", "Batch part %d, change set request %d: a GET request is not allowed inside a change set.", index, len(reqs)+1)
		}
		if cid != "" {
			if seen[cid] {
				return nil, badRequest("0x80048d19", "Batch part %d: the Content-ID '%s' is repeated in the change set.", index, cid)
			}
			seen[cid] = true
		}
		reqs = append(reqs, br)
	}
	if len(reqs) == 0 {
		return nil, badRequest("0x80048d19", "Batch part %d: the change set is empty.", index)
	}
	return reqs, nil
}

func isMultipart(ct string) bool {
	return strings.HasPrefix(strings.ToLower(strings.TrimSpace(ct)), "multipart/")
}

func multipartBoundary(ct string) (string, error) {
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil || mt != "multipart/mixed" || params["boundary"] == "" {
		return "", badRequest("0x80048d19", "The Content-Type '%s' is not multipart/mixed with a boundary.", ct)
	}
	return params["boundary"], nil
}

// parseRequestPart reads an application/http part: a request line (whose
// target may be absolute, relative to the service root, or a $<Content-ID>
// reference), headers and a body.
func parseRequestPart(ct, contentID string, data []byte) (*batchRequest, error) {
	if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "application/http" {
		return nil, badRequest("0x80048d19", "the part's Content-Type '%s' is not application/http.", ct)
	}
	data = bytes.TrimLeft(data, "\r\n")
	if !bytes.Contains(data, []byte("\r\n\r\n")) && !bytes.Contains(data, []byte("\n\n")) {
		// The multipart delimiter took the blank line after the headers.
		data = append(bytes.TrimRight(data, "\r\n"), "\r\n\r\n"...)
	}
	tp := textproto.NewReader(bufio.NewReader(bytes.NewReader(data)))
	line, err := tp.ReadLine()
	if err != nil {
		return nil, badRequest("0x80048d19", "no request line: %v", err)
	}
	f := strings.Fields(line)
	if len(f) < 2 || len(f) > 3 || (len(f) == 3 && !strings.HasPrefix(f[2], "HTTP/")) {
		return nil, badRequest("0x80048d19", "the request line '%s' is not valid.", line)
	}
	method := strings.ToUpper(f[0])
	switch method {
	case http.MethodGet, http.MethodPost, http.MethodPatch, http.MethodPut, http.MethodDelete:
	default:
		return nil, badRequest("0x80048d19", "the method '%s' is not supported in a batch.", f[0])
	}
	mh, err := tp.ReadMIMEHeader()
	if err != nil && err != io.EOF {
		return nil, badRequest("0x80048d19", "the request headers are not valid: %v", err)
	}
	body, _ := io.ReadAll(tp.R)
	return &batchRequest{
		contentID: contentID,
		method:    method,
		target:    f[1],
		header:    http.Header(mh),
		body:      bytes.TrimRight(body, "\r\n\t "),
	}, nil
}

// storeSnapshot is the state of the store before a change set.
type storeSnapshot struct {
	rows         map[*table]map[string]*entry
	dv, sets, fo map[string]*table
	seq, version int64
	counters     map[string]int
}

// snapshot remembers the store. Entries are never changed in place (a
// write stores a new entry), so copying the row maps is enough.
func (st *store) snapshot() *storeSnapshot {
	sn := &storeSnapshot{
		rows: map[*table]map[string]*entry{},
		dv:   copyMap(st.dv), sets: copyMap(st.sets), fo: copyMap(st.fo),
		seq: st.seq, version: st.version, counters: copyMap(st.counters),
	}
	for _, m := range []map[string]*table{st.dv, st.fo} {
		for _, t := range m {
			sn.rows[t] = copyMap(t.rows)
		}
	}
	return sn
}

// restore puts the store back as it was at the snapshot.
func (st *store) restore(sn *storeSnapshot) {
	for t, rows := range sn.rows {
		clear(t.rows)
		for k, v := range rows {
			t.rows[k] = v
		}
	}
	st.dv, st.sets, st.fo = sn.dv, sn.sets, sn.fo
	st.seq, st.version, st.counters = sn.seq, sn.version, sn.counters
}

func copyMap[K comparable, V any](m map[K]V) map[K]V {
	c := make(map[K]V, len(m))
	for k, v := range m {
		c[k] = v
	}
	return c
}
