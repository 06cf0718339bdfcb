package onboarding_test

import (
	"context"
	"testing"
)

func TestPendingReadsProspectsInGroups(t *testing.T) {
	e := newEnv(t, nil)
	ids := e.submit(t, 120)
	e.srv.ResetRequests()
	n := 0
	for r, err := range e.svc.Pending(context.Background()) {
		if err != nil {
			t.Fatal(err)
		}
		if r.Lead.ID != ids[n] {
			t.Errorf("request %d is lead %s, want %s (oldest first)", n, r.Lead.ID, ids[n])
		}
		if r.Prospect == nil || r.Prospect.ProspectID != r.Lead.ProspectID {
			t.Errorf("request %d: prospect %+v does not match lead's %s", n, r.Prospect, r.Lead.ProspectID)
		}
		n++
	}
	if n != 120 {
		t.Fatalf("%d pending requests, want 120", n)
	}
	commerce := 0
	for _, r := range e.srv.Requests() {
		if r.Service == "commerce" {
			commerce++
		}
	}
	if commerce != 3 {
		t.Errorf("%d requests to Commerce for 120 prospects, want 3 (groups of 50)", commerce)
	}
}

func TestPendingStopsWhenTheConsumerBreaks(t *testing.T) {
	e := newEnv(t, nil)
	e.submit(t, 3)
	for range e.svc.Pending(context.Background()) {
		break
	}
	for r, err := range e.svc.Pending(context.Background()) {
		if err != nil || r == nil {
			t.Fatalf("%v %v", r, err)
		}
	}
}
