package main

import (
	"bytes"
	"context"
	"os/exec"
	"path/filepath"
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

// A bad key says why; after a skip the count of requests left is right
// (the queue is not "empty" while one is pending).
func TestReviewSkipAndBadKey(t *testing.T) {
	t.Setenv("D365_SALES_URL", "")
	var out bytes.Buffer
	in := strings.NewReader("a\nz\ns\nr\n1\n")
	if err := run(context.Background(), in, &out); err != nil {
		t.Fatal(err)
	}
	s := out.String()
	for _, want := range []string{
		`Unknown answer "z": type a, r, s or q.`,
		"Skipped.",
		"Reviewed every request; 1 request still pending.",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("output lacks %q:\n%s", want, s)
		}
	}
	if strings.Contains(s, "The queue is empty.") {
		t.Errorf("says the queue is empty with a skipped request pending:\n%s", s)
	}
}

// Quitting counts the requests left, skipped ones included.
func TestReviewQuitCountsWhatIsLeft(t *testing.T) {
	t.Setenv("D365_SALES_URL", "")
	var out bytes.Buffer
	if err := run(context.Background(), strings.NewReader("s\nq\n"), &out); err != nil {
		t.Fatal(err)
	}
	if want := "Stopped; the remaining requests stay pending. Left: 3 requests."; !strings.Contains(out.String(), want) {
		t.Errorf("output lacks %q:\n%s", want, out.String())
	}
}

// -h prints the usage and runs nothing.
func TestReviewHelp(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "review")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	out, err := exec.Command(bin, "-h").CombinedOutput()
	if err != nil {
		t.Fatalf("review -h: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "Usage: review") || strings.Contains(string(out), "waiting for a decision") {
		t.Errorf("review -h printed:\n%s", out)
	}
}

// The reviewer is recorded: the session acts as the emulator's
// demonstration user, and each decision's ledger note names them (that
// the note's createdby is the reviewer is held by the onboarding tests,
// TestLedgerNoteOfEachDecision).
func TestReviewRecordsTheReviewer(t *testing.T) {
	t.Setenv("D365_SALES_URL", "")
	var out bytes.Buffer
	if err := run(context.Background(), strings.NewReader("a\ns\nr\n2\n"), &out); err != nil {
		t.Fatal(err)
	}
	s := out.String()
	for _, want := range []string{
		"Reviewing as Demo Reviewer: decisions are made on your behalf",
		`Recorded on the lead's timeline: "Onboarding decision: approved" by Demo Reviewer.`,
		`Recorded on the lead's timeline: "Onboarding decision: rejected (Cannot Contact)" by Demo Reviewer.`,
	} {
		if !strings.Contains(s, want) {
			t.Errorf("output lacks %q:\n%s", want, s)
		}
	}
}
