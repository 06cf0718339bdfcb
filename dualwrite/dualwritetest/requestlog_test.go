package dualwritetest

import (
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// The request log is kept in chunks: Requests returns every request in
// order across them, and ResetRequests empties it.
func TestRequestLogChunks(t *testing.T) {
	s := NewServer(nil)
	defer s.Close()
	if got := s.Requests(); got != nil {
		t.Fatalf("Requests of a new server = %v, want nil", got)
	}
	var want []Request
	for i := range 2*logChunk + 3 {
		r := Request{Service: "sales", Method: "GET", Path: fmt.Sprintf("/api/data/v9.2/leads?n=%d", i), Status: 200}
		s.record(r)
		want = append(want, r)
	}
	if diff := cmp.Diff(want, s.Requests()); diff != "" {
		t.Errorf("Requests (-want +got):\n%s", diff)
	}
	s.ResetRequests()
	if got := s.Requests(); got != nil {
		t.Errorf("Requests after ResetRequests = %v, want nil", got)
	}
	s.record(want[0])
	if diff := cmp.Diff(want[:1], s.Requests()); diff != "" {
		t.Errorf("Requests after a reset and one request (-want +got):\n%s", diff)
	}
}
