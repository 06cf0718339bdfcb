package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

func TestReviewScriptedSession(t *testing.T) {
	t.Setenv("D365_SALES_URL", "")
	var out bytes.Buffer
	// Approve the first, answer nonsense then reject the second as
	// "Cannot Contact", stop at the third.
	in := strings.NewReader("a\nx\nr\n9\nr\n2\nq\n")
	if err := run(context.Background(), in, &out); err != nil {
		t.Fatal(err)
	}
	s := out.String()
	for _, want := range []string{
		"Done: approve; Commerce shows the prospect Approved, customer US-001, hierarchy CH-000001.",
		"No such reason.",
		"Done: reject; Commerce shows the prospect Rejected.",
		"Stopped; the remaining requests stay pending.",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("output lacks %q:\n%s", want, s)
		}
	}
}
