package multipart

import "net/http/httptest"

// Recorded is the batch answer part of an answer recorded by exec.
func Recorded(rec *httptest.ResponseRecorder, contentID string) Response {
	return Response{Status: rec.Code, Header: rec.Header(), Body: rec.Body.Bytes(), ContentID: contentID}
}

// RunChangeSet runs the requests of a change set in order, all or
// nothing, as both services do. exec runs one request; refs maps the
// Content-IDs of the set's earlier requests to the URLs their answers
// named in the header refHeader (OData-EntityId for Dataverse, Location
// for Finance and Operations), for "$<id>" references. It stops at the
// first answer of 400 or more and returns that answer alone with failed
// true: the caller then undoes the set's writes and answers the set with
// it, in its service's form.
func RunChangeSet(reqs []*Request, refHeader string, exec func(r *Request, refs map[string]string) *httptest.ResponseRecorder) (answers []Response, failed bool) {
	refs := map[string]string{}
	answers = make([]Response, 0, len(reqs))
	for _, r := range reqs {
		rec := exec(r, refs)
		if rec.Code >= 400 {
			return []Response{Recorded(rec, r.ContentID)}, true
		}
		if r.ContentID != "" {
			if loc := rec.Header().Get(refHeader); loc != "" {
				refs[r.ContentID] = loc
			}
		}
		answers = append(answers, Recorded(rec, r.ContentID))
	}
	return answers, false
}
