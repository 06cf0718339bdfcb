package onboarding

import (
	"context"
	"fmt"
	"strings"

	"github.com/b2bflow/d365/sales"
	"github.com/b2bflow/d365/sales/webhook"
	"github.com/google/uuid"
)

// EventOptions tunes the handler of OnLeadCreated. The zero value (or nil)
// approves and rejects with the default options.
type EventOptions struct {
	// Approve and Reject are the options of each approval and rejection.
	Approve *ApproveOptions
	Reject  *RejectOptions
	// SkipProspects leaves Request.Prospect nil (see ProcessOptions).
	SkipProspects bool
	// Done, when set, is called after each request is settled, with the
	// outcome (nil when skipped) and the error of the decision.
	Done func(r *Request, v Verdict, out *Outcome, err error)
}

// OnLeadCreated returns a webhook.Func that starts onboarding the moment
// Dataverse creates a lead, instead of polling Pending: register it with
// webhook.NewHandler on a webhook step for Create on lead.
//
// For a Create on lead whose record is a Commerce B2B prospect
// (msdyn_b2bcommerceprospect true) with msdyn_b2bprospectstatus Pending,
// it reads the lead (always: the Target of the event is what was written,
// and a size-exceeded event has none), asks decide as Process does, and
// applies the verdict with Approve or Reject. Other events, and leads that
// are no longer open and Pending (a replay, or a decision taken since),
// do nothing. The Target is only used to skip, without a read, a lead the
// event shows is not a Pending B2B prospect.
func (s *Service) OnLeadCreated(decide DecideFunc, o *EventOptions) webhook.Func {
	if o == nil {
		o = &EventOptions{}
	}
	return func(ctx context.Context, e *webhook.Event) error {
		if decide == nil {
			return fmt.Errorf("onboarding: OnLeadCreated: decide is nil")
		}
		c := e.Context
		if c == nil || !strings.EqualFold(c.MessageName, "Create") || !strings.EqualFold(c.PrimaryEntityName, "lead") {
			return nil
		}
		id := c.PrimaryEntityID
		if id == uuid.Nil {
			return fmt.Errorf("onboarding: a Create on lead without PrimaryEntityId")
		}
		if t := c.Target(); t != nil && !e.SizeExceeded && !pendingTarget(t) {
			return nil
		}
		if s.sales == nil {
			return errNoSales
		}
		lead, err := s.sales.Leads.Get(ctx, id, nil)
		if err != nil {
			return fmt.Errorf("onboarding: reading lead %s of a webhook event: %w", id, err)
		}
		if lead.B2BCommerceProspect == nil || !*lead.B2BCommerceProspect ||
			lead.B2BProspectStatus != sales.B2BProspectStatusPending || leadState(lead) != sales.LeadStateOpen {
			return nil
		}
		req := &Request{Lead: lead}
		if s.commerce != nil && !o.SkipProspects {
			if err := s.attachProspects(ctx, []*Request{req}); err != nil {
				return err
			}
		}
		v, err := decide(ctx, req)
		if err != nil {
			return fmt.Errorf("onboarding: deciding on lead %s: %w", id, err)
		}
		var out *Outcome
		switch v.Decision {
		case Approve:
			out, err = s.Approve(ctx, id, o.Approve)
		case Reject:
			ro := RejectOptions{}
			if o.Reject != nil {
				ro = *o.Reject
			}
			if v.Reason != 0 {
				ro.Reason = v.Reason
			}
			out, err = s.Reject(ctx, id, &ro)
		default:
			v = Verdict{Decision: Skip}
		}
		if o.Done != nil {
			o.Done(req, v, out, err)
		}
		return err
	}
}

// pendingTarget reports whether a Target may be a Pending B2B prospect:
// false only when it carries the columns and they say otherwise.
func pendingTarget(t *webhook.Entity) bool {
	if b, ok := t.Bool("msdyn_b2bcommerceprospect"); ok && !b {
		return false
	}
	if t.Has("msdyn_b2bcommerceprospect") {
		if _, ok := t.Bool("msdyn_b2bcommerceprospect"); !ok {
			return false
		}
	}
	if v, ok := t.OptionSet("msdyn_b2bprospectstatus"); ok && v != int(sales.B2BProspectStatusPending) {
		return false
	}
	return true
}
