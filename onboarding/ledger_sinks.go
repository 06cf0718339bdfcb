package onboarding

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/b2bflow/d365"
	"github.com/b2bflow/d365/sales"
	"github.com/google/uuid"
)

// Where ledger entries go (the sinks), and how a decision records its
// entry.

// LedgerSink receives the ledger entries of a Service's decisions.
type LedgerSink interface {
	// Record stores e, the entry of a decision carried out (a decision
	// that failed or conflicts records nothing). It may be called again
	// with an entry of the same ID when a decision is run again (a retry
	// after an error, a resumed run): a sink keeps the first entry of an
	// ID and returns nil for the next ones. An error makes the decision
	// return an error matching ErrLedger. Record may be called from
	// several goroutines at once (Process).
	Record(ctx context.Context, e *LedgerEntry) error
}

// NoLedger is a LedgerSink that records nothing: Options.Ledger = NoLedger
// turns the ledger off.
var NoLedger LedgerSink = noLedger{}

type noLedger struct{}

func (noLedger) Record(context.Context, *LedgerEntry) error { return nil }

// Ledgers returns a sink that records each entry to every one of sinks, in
// order, and returns their errors joined.
func Ledgers(sinks ...LedgerSink) LedgerSink { return multiSink(sinks) }

type multiSink []LedgerSink

func (m multiSink) Record(ctx context.Context, e *LedgerEntry) error {
	var errs []error
	for _, s := range m {
		if err := s.Record(ctx, e); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// NoteLedger returns the default sink: each entry becomes a note on its
// lead (subject LedgerEntry.Subject, text LedgerEntry.Text, annotationid
// the entry's ID), created on behalf of the entry's reviewer when it has
// an ObjectID. A note that exists already (Dataverse answers 412
// 0x80040237) counts as recorded; a write whose answer was lost is sent
// again, which is safe for the same reason.
func NoteLedger(c *sales.Client) LedgerSink { return &noteSink{c: c} }

type noteSink struct{ c *sales.Client }

func (n *noteSink) Record(ctx context.Context, e *LedgerEntry) error {
	if n.c == nil {
		return errNoSales
	}
	text, err := e.Text()
	if err != nil {
		return err
	}
	if e.Reviewer != nil && e.Reviewer.ObjectID != uuid.Nil {
		ctx = actingFor(ctx, e.Reviewer)
	}
	note := &sales.Note{ID: e.ID, Subject: e.Subject(), Text: text, ObjectID: e.LeadID, ObjectType: "lead"}
	for attempt := 1; ; attempt++ {
		_, err = n.c.Notes.Create(ctx, note)
		if err == nil || duplicateKey(err) {
			// A duplicate: recorded by an earlier run, or by the
			// attempt before this one, whose answer was lost.
			return nil
		}
		if attempt >= maxStepAttempts || ctx.Err() != nil || !transient(err) {
			return err
		}
	}
}

// duplicateKey reports whether err is Dataverse's refusal of a create whose
// primary key exists.
func duplicateKey(err error) bool {
	var e *d365.Error
	return errors.As(err, &e) && e.Code == "0x80040237"
}

// actingFor returns ctx whose Dataverse requests are made on behalf of the
// reviewer, keeping the other call options of ctx.
func actingFor(ctx context.Context, r *Reviewer) context.Context {
	if r == nil || r.ObjectID == uuid.Nil {
		return ctx
	}
	o, _ := d365.CallOptionsFrom(ctx)
	o.CallerObjectID = r.ObjectID.String()
	return d365.WithCallOptions(ctx, o)
}

// Ledger reads the ledger entries recorded as notes on the lead, oldest
// first. Notes whose subject begins with LedgerSubject but that do not
// parse are skipped.
func (s *Service) Ledger(ctx context.Context, leadID uuid.UUID) ([]*LedgerEntry, error) {
	if s.sales == nil {
		return nil, errNoSales
	}
	if leadID == uuid.Nil {
		return nil, d365.NewInputError("onboarding: Ledger", "leadID", "is empty (uuid.Nil)")
	}
	var out []*LedgerEntry
	for n, err := range s.sales.Notes.List(ctx, &sales.ListOptions{Query: d365.Query{
		Select:  []string{"annotationid", "subject", "notetext", "createdon"},
		Filter:  d365.Filterf("_objectid_value eq %v and startswith(subject, %v)", leadID, LedgerSubject),
		OrderBy: []string{"createdon asc"},
	}}) {
		if err != nil {
			return nil, fmt.Errorf("onboarding: reading the ledger of lead %s: %w", leadID, err)
		}
		if e, err := ParseLedgerEntry(n.Text); err == nil {
			out = append(out, e)
		}
	}
	return out, nil
}

// ledgerNamespace derives the entries' ids (UUID version 5).
var ledgerNamespace = uuid.MustParse("5d1e0c8a-7b0e-4f43-9d2e-6c6564676572")

// entryID is the id of the entry of a decision on a lead. A skip's id also
// depends on the policy and the reviewer: the same policy skipping the
// same request again records nothing new, another policy or person does.
func entryID(leadID uuid.UUID, d Decision, p Policy, r *Reviewer) uuid.UUID {
	key := leadID.String() + "/" + d.String()
	if d == Skip {
		key += "/" + p.Name + "/" + p.Version
		if r != nil {
			key += "/" + r.ObjectID.String() + "/" + r.Name
		}
	}
	return uuid.NewSHA1(ledgerNamespace, []byte(key))
}

// attribution is who decided and why, for the ledger.
type attribution struct {
	reviewer *Reviewer
	policy   Policy
	comment  string
	matches  []AccountMatch
}

// record builds the entry of an outcome and records it. It returns nil
// when the ledger is off.
func (s *Service) record(ctx context.Context, out *Outcome, a attribution, reason string) error {
	if s.ledger == NoLedger {
		return nil
	}
	e := &LedgerEntry{
		ID: entryID(out.LeadID, out.Decision, a.policy, a.reviewer), LeadID: out.LeadID, Decision: out.Decision,
		Reason: reason, Comment: a.comment, Policy: a.policy, Reviewer: a.reviewer, At: time.Now().UTC(),
		AccountID: out.AccountID, ContactID: out.ContactID, OpportunityID: out.OpportunityID, ProspectID: out.ProspectID,
		ExistingAccount: out.ExistingAccount, Matches: a.matches,
	}
	for _, st := range out.Steps {
		e.Steps = append(e.Steps, LedgerStep{Name: st.Name, Status: st.Status, Duration: st.Duration, RequestIDs: st.RequestIDs, Err: st.Err})
		if st.Name == StepConfirm {
			e.Commerce += st.Duration
		} else {
			e.Sales += st.Duration
		}
	}
	if err := s.ledger.Record(ctx, e); err != nil {
		return fmt.Errorf("%w: lead %s: %w", ErrLedger, out.LeadID, err)
	}
	out.Ledger = e
	return nil
}

// SkipOptions describes a skip for the ledger.
type SkipOptions struct {
	Reviewer *Reviewer
	Policy   Policy
	Comment  string
	// Matches is the duplicate evidence the decision was taken on.
	Matches []AccountMatch
}

// Skip records that the request was looked at and left pending: a ledger
// entry, and nothing else changes. The same policy and reviewer skipping
// the same request again record nothing new (see LedgerSink). With the
// ledger off, Skip does nothing.
func (s *Service) Skip(ctx context.Context, leadID uuid.UUID, o *SkipOptions) (*LedgerEntry, error) {
	if s.sales == nil {
		return nil, errNoSales
	}
	if leadID == uuid.Nil {
		return nil, d365.NewInputError("onboarding: Skip", "leadID", "is empty (uuid.Nil)")
	}
	if o == nil {
		o = &SkipOptions{}
	}
	out := &Outcome{LeadID: leadID, Decision: Skip}
	if err := s.record(actingFor(ctx, o.Reviewer), out, attribution{reviewer: o.Reviewer, policy: o.Policy, comment: o.Comment, matches: o.Matches}, ""); err != nil {
		return nil, err
	}
	return out.Ledger, nil
}

// decision runs one Approve or Reject: on behalf of the reviewer, with
// the request ids of each step collected, then records its ledger entry
// when it succeeded.
func (s *Service) decision(ctx context.Context, d Decision, a attribution, reason func(*Outcome) string, run func(context.Context) (*Outcome, error)) (*Outcome, error) {
	ctx = withRequestIDs(actingFor(ctx, a.reviewer))
	return s.tel.decide(ctx, d, func(ctx context.Context) (*Outcome, error) {
		out, err := run(ctx)
		if err != nil || out == nil {
			return out, err
		}
		return out, s.record(ctx, out, a, reason(out))
	})
}

// requestIDs collects the request ids of the answers of a decision's
// calls, taken by each step as it ends.
type requestIDs struct {
	mu  sync.Mutex
	ids []string
}

type requestIDsKey struct{}

// maxStepRequestIDs bounds the ids kept per step (a long confirmation
// polls many times).
const maxStepRequestIDs = 16

func withRequestIDs(ctx context.Context) context.Context {
	c := &requestIDs{}
	ctx = d365.WithResponseHook(ctx, func(r d365.Response) {
		if r.RequestID == "" {
			return
		}
		c.mu.Lock()
		if len(c.ids) < maxStepRequestIDs {
			c.ids = append(c.ids, r.RequestID)
		}
		c.mu.Unlock()
	})
	return context.WithValue(ctx, requestIDsKey{}, c)
}

// takeRequestIDs returns the ids collected since the last call, nil when
// ctx collects none.
func takeRequestIDs(ctx context.Context) []string {
	c, _ := ctx.Value(requestIDsKey{}).(*requestIDs)
	if c == nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	ids := c.ids
	c.ids = nil
	return ids
}
