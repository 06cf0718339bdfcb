package onboarding_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/b2bflow/d365"
	"github.com/b2bflow/d365/dualwrite/dualwritetest"
	"github.com/b2bflow/d365/onboarding"
	"github.com/b2bflow/d365/sales"
	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"
)

const reviewerOID = "7f1c2a9e-3b4d-4e5f-8a6b-0c1d2e3f4a5b"

// reviewer adds the reviewer's systemuser to the emulator and returns the
// Reviewer and its systemuserid.
func (e *env) reviewer(t *testing.T) (*onboarding.Reviewer, string) {
	t.Helper()
	id, err := e.srv.AddUser("Jane Reviewer", reviewerOID)
	if err != nil {
		t.Fatal(err)
	}
	return &onboarding.Reviewer{ObjectID: uuid.MustParse(reviewerOID), Name: "Jane Reviewer"}, id
}

// ledgerNotes returns the ledger notes of a lead as the emulator holds
// them.
func ledgerNotes(srv *dualwritetest.Server, lead uuid.UUID) []map[string]any {
	var out []map[string]any
	for _, n := range srv.Rows("annotations") {
		if n["_objectid_value"] == lead.String() && strings.HasPrefix(n["subject"].(string), onboarding.LedgerSubject) {
			out = append(out, n)
		}
	}
	return out
}

// TestLedgerNoteOfEachDecision approves, rejects and skips a request each
// under a reviewer: each decision leaves one note on its lead, with the
// subject naming the verdict, which Service.Ledger reads back equal to the
// entry the decision returned; the note (and the opportunity qualifying
// created) is created by the reviewer on behalf of the application; the
// steps carry the services' request ids; running each decision again
// writes no second note.
func TestLedgerNoteOfEachDecision(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	rv, rvID := e.reviewer(t)
	ids := e.submit(t, 3)
	policy := onboarding.Policy{Name: "partner-review", Version: "2"}
	approved, err := e.svc.Approve(ctx, ids[0], &onboarding.ApproveOptions{Reviewer: rv, Policy: policy, Comment: "references checked",
		Confirm: &onboarding.ConfirmOptions{}})
	if err != nil {
		t.Fatal(err)
	}
	rejected, err := e.svc.Reject(ctx, ids[1], &onboarding.RejectOptions{Reviewer: rv, Policy: policy, Reason: sales.LeadStatusCannotContact})
	if err != nil {
		t.Fatal(err)
	}
	skip := func() onboarding.Summary {
		sum, err := e.svc.Process(ctx, func(_ context.Context, r *onboarding.Request) (onboarding.Verdict, error) {
			return onboarding.Verdict{Decision: onboarding.Skip, Comment: "waiting for the credit check"}, nil
		}, &onboarding.ProcessOptions{Reviewer: rv, Policy: policy})
		if err != nil {
			t.Fatal(err)
		}
		return *sum
	}
	skipped, err := e.svc.Skip(ctx, ids[2], &onboarding.SkipOptions{Reviewer: rv, Policy: policy, Comment: "waiting for the credit check"})
	if err != nil {
		t.Fatal(err)
	}
	// The same skip by Process (the same policy and reviewer) records
	// nothing new.
	if sum := skip(); sum.Skipped != 1 || sum.Failed != 0 {
		t.Fatalf("Process: %+v", sum)
	}

	for i, tc := range []struct {
		subject string
		want    *onboarding.LedgerEntry
	}{
		{"Onboarding decision: approved", approved.Ledger},
		{"Onboarding decision: rejected (Cannot Contact)", rejected.Ledger},
		{"Onboarding decision: skipped", skipped},
	} {
		entries, err := e.svc.Ledger(ctx, ids[i])
		if err != nil {
			t.Fatal(err)
		}
		if len(entries) != 1 {
			t.Fatalf("lead %d: %d ledger entries, want 1", i, len(entries))
		}
		got := entries[0]
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("lead %d: entry read back (-returned +read):\n%s", i, diff)
		}
		if got.Reviewer == nil || *got.Reviewer != *rv || got.Policy != policy || got.LeadID != ids[i] {
			t.Errorf("lead %d: entry %+v", i, got)
		}
		notes := ledgerNotes(e.srv, ids[i])
		if len(notes) != 1 {
			t.Fatalf("lead %d: %d ledger notes, want 1", i, len(notes))
		}
		n := notes[0]
		if n["subject"] != tc.subject || n["_createdby_value"] != rvID || n["_createdonbehalfby_value"] != dualwritetest.SystemUserID {
			t.Errorf("lead %d: note subject %q, createdby %v, createdonbehalfby %v; want %q, the reviewer %s on behalf of %s",
				i, n["subject"], n["_createdby_value"], n["_createdonbehalfby_value"], tc.subject, rvID, dualwritetest.SystemUserID)
		}
		if n["annotationid"] != got.ID.String() {
			t.Errorf("lead %d: note %v holds entry %s", i, n["annotationid"], got.ID)
		}
	}
	e3, _ := e.svc.Ledger(ctx, ids[2])
	if s := e3[0]; s.Decision != onboarding.Skip || s.Comment != "waiting for the credit check" || len(s.Steps) != 0 {
		t.Errorf("skip entry %+v", s)
	}

	// The approval's entry: the steps with their request ids, the
	// durations per side, the records.
	a := approved.Ledger
	if a.Decision != onboarding.Approve || a.Comment != "references checked" || a.AccountID != approved.AccountID || a.OpportunityID != approved.OpportunityID {
		t.Errorf("approval entry %+v", a)
	}
	var names []onboarding.StepName
	seen := map[string]bool{}
	for _, st := range a.Steps {
		names = append(names, st.Name)
		if len(st.RequestIDs) == 0 {
			t.Errorf("step %s has no request id", st.Name)
		}
		for _, id := range st.RequestIDs {
			if seen[id] {
				t.Errorf("request id %s appears twice", id)
			}
			seen[id] = true
		}
	}
	if diff := cmp.Diff([]onboarding.StepName{onboarding.StepReadLead, onboarding.StepQualify, onboarding.StepWin, onboarding.StepConfirm}, names); diff != "" {
		t.Errorf("steps (-want +got):\n%s", diff)
	}
	if a.Sales <= 0 || a.Commerce <= 0 {
		t.Errorf("durations: Sales %v, Commerce %v", a.Sales, a.Commerce)
	}
	// Dataverse's own audit columns name the reviewer.
	for _, o := range e.srv.Rows("opportunities") {
		if o["opportunityid"] == approved.OpportunityID.String() && o["_createdby_value"] != rvID {
			t.Errorf("opportunity createdby %v, want the reviewer %s", o["_createdby_value"], rvID)
		}
	}
	if rejected.Ledger.Reason != "Cannot Contact" {
		t.Errorf("rejection reason %q", rejected.Ledger.Reason)
	}

	// Running every decision again writes no second note.
	if _, err := e.svc.Approve(ctx, ids[0], &onboarding.ApproveOptions{Reviewer: rv, Policy: policy}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Reject(ctx, ids[1], &onboarding.RejectOptions{Reviewer: rv, Policy: policy}); err != nil {
		t.Fatal(err)
	}
	skip()
	for i, id := range ids {
		if n := len(ledgerNotes(e.srv, id)); n != 1 {
			t.Errorf("lead %d: %d ledger notes after running it again, want 1", i, n)
		}
	}
}

// TestLedgerNoteIsOneMoreRequest counts the ledger's cost: one request per
// decision (the note), none with NoLedger, and a note whose answer was
// lost is sent again and counted once.
func TestLedgerNoteIsOneMoreRequest(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	ids := e.submit(t, 3)
	e.srv.ResetRequests()
	if _, err := e.svc.Approve(ctx, ids[0], nil); err != nil {
		t.Fatal(err)
	}
	if n := e.salesRequests(); n != 4 {
		t.Errorf("an approval with its ledger note took %d requests, want 4", n)
	}
	e.srv.ResetRequests()
	if _, err := e.svc.Reject(ctx, ids[1], nil); err != nil {
		t.Fatal(err)
	}
	if n := e.salesRequests(); n != 3 {
		t.Errorf("a rejection with its ledger note took %d requests, want 3", n)
	}

	e.srv.InjectFault("POST", "/annotations", dualwritetest.FaultLoseResponse)
	out, err := e.svc.Approve(ctx, ids[2], nil)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(ledgerNotes(e.srv, ids[2])); n != 1 || out.Ledger == nil {
		t.Errorf("%d ledger notes after a lost answer, want 1 (outcome ledger %v)", n, out.Ledger)
	}

	off := onboarding.New(e.sales, e.commerce, &onboarding.Options{Ledger: onboarding.NoLedger})
	more := e.submit(t, 1)
	notes := e.srv.Count("annotations") // dual-write's note on the new lead included
	if out, err := off.Approve(ctx, more[0], nil); err != nil || out.Ledger != nil {
		t.Fatalf("%+v, %v", out, err)
	}
	if n := e.srv.Count("annotations"); n != notes {
		t.Errorf("NoLedger: %d notes, want %d", n, notes)
	}
}

// memorySink is a LedgerSink of the test's.
type memorySink struct {
	mu      sync.Mutex
	entries map[uuid.UUID]*onboarding.LedgerEntry
	fail    error
}

func (m *memorySink) Record(_ context.Context, e *onboarding.LedgerEntry) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.fail != nil {
		return m.fail
	}
	if m.entries == nil {
		m.entries = map[uuid.UUID]*onboarding.LedgerEntry{}
	}
	if _, ok := m.entries[e.ID]; !ok {
		m.entries[e.ID] = e
	}
	return nil
}

// TestLedgerSinks records to the note ledger and a sink of the caller's
// together; a failing sink makes the decision return ErrLedger with its
// outcome, and running it again records the entry without redoing
// anything.
func TestLedgerSinks(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	ids := e.submit(t, 2)
	mem := &memorySink{}
	svc := onboarding.New(e.sales, e.commerce, &onboarding.Options{Ledger: onboarding.Ledgers(onboarding.NoteLedger(e.sales), mem)})
	out, err := svc.Approve(ctx, ids[0], nil)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(out.Ledger, mem.entries[out.Ledger.ID]); diff != "" {
		t.Errorf("the caller's sink (-returned +recorded):\n%s", diff)
	}
	if n := len(ledgerNotes(e.srv, ids[0])); n != 1 {
		t.Errorf("%d notes, want 1", n)
	}

	broken := &memorySink{fail: errors.New("disk full")}
	svc = onboarding.New(e.sales, e.commerce, &onboarding.Options{Ledger: broken})
	out, err = svc.Reject(ctx, ids[1], nil)
	if !errors.Is(err, onboarding.ErrLedger) || !strings.Contains(err.Error(), "disk full") {
		t.Fatalf("err %v, want ErrLedger with the sink's error", err)
	}
	if len(out.Steps) == 0 || out.Steps[len(out.Steps)-1].Name != onboarding.StepDisqualify || out.Ledger != nil {
		t.Errorf("outcome %+v: want the disqualification done, no entry", out)
	}
	broken.fail = nil
	again, err := svc.Reject(ctx, ids[1], nil)
	if err != nil || again.Ledger == nil || len(broken.entries) != 1 {
		t.Fatalf("re-run: %+v, %v, %d entries", again, err, len(broken.entries))
	}
	if again.Steps[1].Status != onboarding.StepAlreadyDone {
		t.Errorf("re-run steps %v: the disqualification should be already done", stepsOf(again))
	}

	// A skip whose entry cannot be recorded is a failure of Process.
	e.submit(t, 1)
	broken.fail = errors.New("disk full")
	sum, err := svc.Process(ctx, func(context.Context, *onboarding.Request) (onboarding.Verdict, error) {
		return onboarding.Verdict{Decision: onboarding.Skip}, nil
	}, nil)
	if err != nil || sum.Skipped != 0 || sum.Failed != 1 || sum.Failures[0].Decision != onboarding.Skip || !errors.Is(sum.Failures[0].Err, onboarding.ErrLedger) {
		t.Errorf("Process with a failing ledger: %+v, %v", sum, err)
	}
}

// TestParseLedgerEntry reads back what Text writes, ignores members it does
// not know (added later in the same version), and refuses a text without a
// ledger block, another version, a block without ids, and a bad decision.
func TestParseLedgerEntry(t *testing.T) {
	e := &onboarding.LedgerEntry{ID: uuid.New(), LeadID: uuid.New(), Decision: onboarding.Reject, Reason: "Lost",
		Reviewer: &onboarding.Reviewer{Name: "Sam"}, Steps: []onboarding.LedgerStep{{Name: onboarding.StepDisqualify, Status: onboarding.StepDone, Duration: 1234567, RequestIDs: []string{"r-1"}}}}
	text, err := e.Text()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(text, "Rejected by Sam on ") || !strings.Contains(text, "\n"+onboarding.LedgerFormat+"\n{") {
		t.Errorf("text:\n%s", text)
	}
	got, err := onboarding.ParseLedgerEntry(text)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(e, got); diff != "" {
		t.Errorf("parsed (-want +got):\n%s", diff)
	}
	later, err := onboarding.ParseLedgerEntry("Approved.\n\n" + onboarding.LedgerFormat + "\n{\"id\":\"" + e.ID.String() + "\",\"leadId\":\"" + e.LeadID.String() + "\",\"decision\":\"approve\",\"color\":1}")
	if err != nil || later.Decision != onboarding.Approve {
		t.Errorf("entry with a member added later: %+v, %v", later, err)
	}
	for _, bad := range []struct{ text, want string }{
		{"Created by dual-write", onboarding.ErrNotLedgerEntry.Error()},
		{"x\nd365-onboarding-ledger/v2\n{}", `format "d365-onboarding-ledger/v2"`},
		{"d365-onboarding-ledger/v1\n{\"decision\":\"approve\"}", "no id"},
		{"d365-onboarding-ledger/v1\n{\"id\":\"" + e.ID.String() + "\",\"leadId\":\"" + e.LeadID.String() + "\",\"decision\":\"maybe\"}", "not a decision"},
	} {
		if _, err := onboarding.ParseLedgerEntry(bad.text); err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("%q: err %v, want one with %q", bad.text, err, bad.want)
		}
	}
}

// TestSkipNeedsALead refuses a skip without a lead before any request.
func TestSkipNeedsALead(t *testing.T) {
	e := newEnv(t, nil)
	e.srv.ResetRequests()
	_, err := e.svc.Skip(context.Background(), uuid.Nil, nil)
	if !errors.Is(err, d365.ErrInvalidInput) || !strings.Contains(err.Error(), "leadID") || len(e.srv.Requests()) != 0 {
		t.Errorf("err %v, %d requests", err, len(e.srv.Requests()))
	}
}
