package onboarding

import (
	"context"
	"fmt"
	"sync"

	"github.com/b2bflow/d365"
	"github.com/b2bflow/d365/sales"
	"github.com/google/uuid"
)

// Verdict is a decision on one request.
type Verdict struct {
	Decision Decision
	// Reason is the lead's status reason for a rejection (see
	// RejectOptions.Reason); zero means the ProcessOptions' default.
	Reason sales.LeadStatus
	// AccountID approves into this existing account (one of
	// Request.Matches) instead of creating one: see
	// ApproveOptions.ExistingAccountID. uuid.Nil means the
	// ProcessOptions' Approve option.
	AccountID uuid.UUID
	// Comment is recorded in the decision's ledger entry, such as why the
	// policy decided so.
	Comment string
}

// DecideFunc decides on one request. It is called for one request at a
// time, in the order of Pending, so it may ask a person. It is not called
// for a request whose decision is already under way (Request.Unfinished).
// An error stops Process.
type DecideFunc func(ctx context.Context, r *Request) (Verdict, error)

// ProcessOptions tunes Process. The zero value (or nil) applies four
// decisions at a time with the default options.
type ProcessOptions struct {
	// Concurrency is how many decisions are applied at once; zero means 4.
	// The clients' own limits (MaxConcurrency) still apply.
	Concurrency int
	// Limit stops after this many requests have been decided; zero means
	// all of them.
	Limit int
	// Approve and Reject are the options of each approval and rejection.
	Approve *ApproveOptions
	Reject  *RejectOptions
	// SkipProspects leaves Request.Prospect nil, saving a request to
	// Commerce per onboarding request when decide does not need it.
	SkipProspects bool
	// Progress, when set, is called after each request is settled, one
	// call at a time.
	Progress func(Progress)
	// Policy and Reviewer are recorded in the ledger entry of every
	// decision (and skip); with a Reviewer's ObjectID the decisions are
	// made on the reviewer's behalf. They replace those of Approve and
	// Reject when set.
	Policy   Policy
	Reviewer *Reviewer
}

// Progress reports one settled request and the counts so far.
type Progress struct {
	Request *Request
	Verdict Verdict
	// Outcome is nil for a skipped request.
	Outcome *Outcome
	// Err is the failure of the decision, nil when it was applied.
	Err error
	// Summary holds the counts so far.
	Summary Summary
}

// Summary counts what Process did.
type Summary struct {
	Approved, Rejected, Skipped, Failed int
	// Resumed counts the decisions an earlier run had started
	// (Request.Unfinished) that this run finished, without asking
	// decide. They are counted in Approved or Rejected too.
	Resumed int
	// Failures lists the requests whose decision failed, with the error.
	Failures []Failure
}

// Failure is a decision that could not be applied.
type Failure struct {
	LeadID   uuid.UUID
	Decision Decision
	Err      error
}

// attribution returns the reviewer, policy, comment and evidence of a
// decision of Process: those of the ProcessOptions and the verdict, over
// those of the decision's options.
func (o *ProcessOptions) attribution(r *Reviewer, p Policy, comment string, req *Request, v Verdict) (*Reviewer, Policy, string, []AccountMatch) {
	if o.Reviewer != nil {
		r = o.Reviewer
	}
	if o.Policy != (Policy{}) {
		p = o.Policy
	}
	if v.Comment != "" {
		comment = v.Comment
	}
	return r, p, comment, req.Matches
}

// Process walks the pending requests, asks decide about each, and applies
// the decisions with bounded concurrency. One failed decision does not stop
// the others: it is counted, reported through Progress and listed in the
// Summary. Process returns when every decided request is settled; its
// error is the first error of listing or of decide, or the context's.
//
// A request whose decision an earlier run started and did not finish (a
// crash, a deadline or a failure between qualifying the lead and winning
// its opportunity; see Request.Unfinished) is finished with that decision,
// without asking decide, and counted in Summary.Resumed. Running Process
// again after a failure therefore finishes the work left half done.
//
// Every decision, skips included, is recorded in the ledger (see
// Options.Ledger) with ProcessOptions.Policy and Reviewer; a skip whose
// entry could not be recorded counts as failed.
func (s *Service) Process(ctx context.Context, decide DecideFunc, o *ProcessOptions) (*Summary, error) {
	if decide == nil {
		return nil, d365.NewInputError("onboarding: Process", "decide", "is nil")
	}
	if o == nil {
		o = &ProcessOptions{}
	}
	workers := o.Concurrency
	if workers <= 0 {
		workers = 4
	}
	var (
		mu   sync.Mutex
		sum  Summary
		wg   sync.WaitGroup
		sema = make(chan struct{}, workers)
	)
	settle := func(p Progress) {
		mu.Lock()
		defer mu.Unlock()
		switch {
		case p.Err != nil:
			sum.Failed++
			sum.Failures = append(sum.Failures, Failure{LeadID: p.Request.Lead.ID, Decision: p.Verdict.Decision, Err: p.Err})
		case p.Verdict.Decision == Approve:
			sum.Approved++
		case p.Verdict.Decision == Reject:
			sum.Rejected++
		default:
			sum.Skipped++
		}
		if p.Err == nil && p.Request.Unfinished != Skip {
			sum.Resumed++
		}
		if o.Progress != nil {
			p.Summary = sum
			p.Summary.Failures = append([]Failure(nil), sum.Failures...)
			o.Progress(p)
		}
	}
	apply := func(req *Request, v Verdict) {
		defer wg.Done()
		defer func() { <-sema }()
		var out *Outcome
		var err error
		switch v.Decision {
		case Approve:
			ao := ApproveOptions{}
			if o.Approve != nil {
				ao = *o.Approve
			}
			if v.AccountID != uuid.Nil {
				ao.ExistingAccountID = v.AccountID
			}
			ao.Reviewer, ao.Policy, ao.Comment, ao.Matches = o.attribution(ao.Reviewer, ao.Policy, ao.Comment, req, v)
			out, err = s.Approve(ctx, req.Lead.ID, &ao)
		case Reject:
			ro := RejectOptions{}
			if o.Reject != nil {
				ro = *o.Reject
			}
			if v.Reason != 0 {
				ro.Reason = v.Reason
			}
			ro.Reviewer, ro.Policy, ro.Comment, ro.Matches = o.attribution(ro.Reviewer, ro.Policy, ro.Comment, req, v)
			out, err = s.Reject(ctx, req.Lead.ID, &ro)
		}
		settle(Progress{Request: req, Verdict: v, Outcome: out, Err: err})
	}

	var firstErr error
	n := 0
	// seen keeps a request from being decided twice in one run, should a
	// listing whose records change under it show one again.
	seen := map[uuid.UUID]bool{}
	for req, err := range s.pending(ctx, s.commerce != nil && !o.SkipProspects) {
		if err != nil {
			firstErr = err
			break
		}
		if seen[req.Lead.ID] {
			continue
		}
		seen[req.Lead.ID] = true
		var v Verdict
		if req.Unfinished != Skip {
			// The records already show the decision: finish it.
			v = Verdict{Decision: req.Unfinished}
		} else if v, err = decide(ctx, req); err != nil {
			firstErr = fmt.Errorf("onboarding: deciding on lead %s: %w", req.Lead.ID, err)
			break
		}
		if v.Decision != Approve && v.Decision != Reject {
			sk := Verdict{Decision: Skip, Comment: v.Comment}
			rv, pol, comment, matches := o.attribution(nil, Policy{}, "", req, sk)
			_, err := s.Skip(ctx, req.Lead.ID, &SkipOptions{Reviewer: rv, Policy: pol, Comment: comment, Matches: matches})
			settle(Progress{Request: req, Verdict: sk, Err: err})
		} else {
			select {
			case sema <- struct{}{}:
			case <-ctx.Done():
			}
			if ctx.Err() != nil {
				firstErr = ctx.Err()
				break
			}
			wg.Add(1)
			go apply(req, v)
		}
		n++
		if o.Limit > 0 && n >= o.Limit {
			break
		}
	}
	wg.Wait()
	if firstErr == nil {
		firstErr = ctx.Err()
	}
	return &sum, firstErr
}
