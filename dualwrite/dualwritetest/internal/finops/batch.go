package finops

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"

	"github.com/b2bflow/d365/dualwrite/dualwritetest/internal/multipart"
)

// This file holds the /data/$batch endpoint ("Batch requests are supported
// in the OData service", odata.md).
//
// A batch holds single requests and change sets. Each request runs
// through the same handler as the request sent alone. A change set is
// atomic ("either all the requests are run successfully or, if any request
// fails, none of the requests are run successfully", odata.md): the store
// is snapshotted before it and restored when one of its requests fails.
// The batch itself answers 200 even when a request inside failed, and a
// failed change set is answered as a change set holding the failed
// request's answer only: both as in a live F&O answer (the blog post
// "D365fo Rest Api Smart Talks", 2020, a change set of two customer group
// inserts, the second a duplicate, answered 200 with one 500 part). Without
// Prefer: odata.continue-on-error the batch stops at the first failed part
// (OData 4.0 Part 1, 11.7.2; what F&O does here is not documented).
// Requests of a change set may refer to what an earlier one created as
// $<Content-ID>.

func (s *Service) batch(d *request) {
	raw, err := io.ReadAll(d.r.Body)
	if err != nil {
		d.fail(badRequest("Reading the $batch body: " + err.Error()))
		return
	}
	parts, _, err := multipart.Parse(d.r.Header.Get("Content-Type"), raw)
	if err != nil {
		d.fail(badRequest(err.Error()))
		return
	}
	continueOnError := strings.Contains(d.prefer(), "odata.continue-on-error")
	mw := multipart.NewWriter()
	for _, p := range parts {
		if p.Request != nil {
			rec := s.batchExec(d.r, p.Request, nil)
			mw.WriteResponse(multipart.Recorded(rec, p.Request.ContentID))
			if rec.Code >= 400 && !continueOnError {
				break
			}
			continue
		}
		if failed := s.runChangeSet(d.r, p.ChangeSet, mw); failed && !continueOnError {
			break
		}
	}
	body := mw.Close()
	h := d.w.Header()
	h.Set("OData-Version", "4.0")
	h.Set("Content-Type", mw.ContentType())
	if continueOnError {
		h.Set("Preference-Applied", "odata.continue-on-error")
	}
	d.w.WriteHeader(http.StatusOK)
	d.w.Write(body)
}

// runChangeSet runs the requests of a change set and writes its answer.
// On the first failure it restores the store and answers the change set
// with that failure alone. It reports whether the change set failed.
func (s *Service) runChangeSet(outer *http.Request, reqs []*multipart.Request, mw *multipart.Writer) bool {
	snap := s.Store.Snapshot()
	answers, failed := multipart.RunChangeSet(reqs, "Location", func(br *multipart.Request, refs map[string]string) *httptest.ResponseRecorder {
		return s.batchExec(outer, br, refs)
	})
	if failed {
		s.Store.Restore(snap)
	}
	mw.WriteChangeSet(answers)
	return failed
}

// batchExec runs one request of a batch through the route table. refs
// maps the Content-IDs of the change set's earlier requests to the URLs of
// the records they created (nil outside change sets).
func (s *Service) batchExec(outer *http.Request, br *multipart.Request, refs map[string]string) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	fail := func(err error) *httptest.ResponseRecorder {
		d := &request{w: rec, r: httptest.NewRequest(http.MethodGet, "/data/", nil), base: s.URL + "/data/"}
		d.fail(err)
		return rec
	}
	target := br.Target
	if strings.HasPrefix(target, "$") {
		ref, rest, _ := strings.Cut(target[1:], "/")
		loc, ok := refs[ref]
		if !ok {
			return fail(badRequest(fmt.Sprintf("The Content-ID reference '$%s' does not name an earlier request of the change set.", ref)))
		}
		target = loc
		if rest != "" {
			target += "/" + rest
		}
	}
	u, err := url.Parse(target)
	if err != nil {
		return fail(badRequest(fmt.Sprintf("The request URI '%s' is not valid.", target)))
	}
	path := u.EscapedPath()
	if !u.IsAbs() && !strings.HasPrefix(path, "/") {
		path = "/data/" + path
	}
	full := s.URL + path
	if u.RawQuery != "" {
		full += "?" + u.RawQuery
	}
	r, err := http.NewRequestWithContext(outer.Context(), br.Method, full, bytes.NewReader(br.Body))
	if err != nil {
		return fail(badRequest(err.Error()))
	}
	r.Header = br.Header.Clone()
	if r.Header == nil {
		r.Header = http.Header{}
	}
	if r.Header.Get("Authorization") == "" {
		r.Header.Set("Authorization", outer.Header.Get("Authorization"))
	}
	r.RemoteAddr = outer.RemoteAddr
	s.route(rec, r)
	return rec
}
