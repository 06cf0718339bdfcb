package multipart

import (
	"net/http/httptest"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestRunChangeSet checks that a change set's requests see the URLs of the
// earlier ones by Content-ID, and that the first failure stops the set and
// is returned alone.
func TestRunChangeSet(t *testing.T) {
	reqs := []*Request{{ContentID: "1", Target: "leads"}, {ContentID: "2", Target: "$1/notes"}, {ContentID: "3", Target: "bad"}, {ContentID: "4"}}
	var seen []string
	exec := func(r *Request, refs map[string]string) *httptest.ResponseRecorder {
		seen = append(seen, r.ContentID+":"+refs["1"])
		rec := httptest.NewRecorder()
		switch r.ContentID {
		case "1":
			rec.Header().Set("OData-EntityId", "https://org.example/api/data/v9.2/leads(1)")
			rec.WriteHeader(204)
		case "2":
			rec.WriteHeader(204)
		default:
			rec.WriteHeader(400)
		}
		return rec
	}
	answers, failed := RunChangeSet(reqs, "OData-EntityId", exec)
	if !failed || len(answers) != 1 || answers[0].Status != 400 || answers[0].ContentID != "3" {
		t.Errorf("answers %+v, failed %v; want the 400 of request 3 alone", answers, failed)
	}
	if diff := cmp.Diff([]string{"1:", "2:https://org.example/api/data/v9.2/leads(1)", "3:https://org.example/api/data/v9.2/leads(1)"}, seen); diff != "" {
		t.Errorf("requests run, with the URL of $1 (-want +got):\n%s", diff)
	}
	answers, failed = RunChangeSet(reqs[:2], "OData-EntityId", exec)
	if failed || len(answers) != 2 || answers[1].ContentID != "2" {
		t.Errorf("answers %+v, failed %v; want both, in order", answers, failed)
	}
}
