package onboarding

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/b2bflow/d365"
	"github.com/b2bflow/d365/commerce"
	"github.com/b2bflow/d365/dualwrite"
)

// ConfirmOptions makes Approve or Reject wait, once Sales has the decision,
// until Commerce shows it too (dual-write carries it there). The wait is
// skipped when the Service has no Commerce client.
type ConfirmOptions struct {
	// Timeout bounds the wait; zero means 2 minutes.
	Timeout time.Duration
}

// confirm waits until Commerce shows the decision: the prospect Rejected,
// or Approved with the Organization and Person customers and the hierarchy
// whose Admin is the requester.
func (s *Service) confirm(ctx context.Context, out *Outcome, approved bool, timeout time.Duration) error {
	_, err := s.confirmed(ctx, out, approved, timeout)
	return err
}

// seen is what confirming an approval read in Commerce: the Organization
// and Person customers and the hierarchy with its nodes.
type seen struct {
	org, person *commerce.Customer
	hierarchy   *commerce.Hierarchy
}

// confirmed is confirm, returning the records it read last.
func (s *Service) confirmed(ctx context.Context, out *Outcome, approved bool, timeout time.Duration) (*seen, error) {
	start := time.Now()
	var last seen
	if out.Company == "" {
		if err := s.locate(ctx, out, nil); err != nil {
			s.step(ctx, out, StepConfirm, StepFailed, start, err)
			return nil, err
		}
	}
	cc := s.commerceFor(out.Company)
	want := commerce.ProspectRejected
	if approved {
		want = commerce.ProspectApproved
	}
	st := &CommerceState{}
	var orgParty, personParty string
	poll := func(ctx context.Context) (bool, error) {
		p, err := cc.Prospects.Get(ctx, out.Company, out.ProspectID, nil)
		if err != nil {
			return false, err
		}
		st.ProspectStatus = string(p.B2BProspectStatus)
		if p.B2BProspectStatus != want {
			return false, nil
		}
		if !approved {
			return true, nil
		}
		if orgParty == "" {
			acct, err := s.sales.Accounts.Get(ctx, out.AccountID, nil)
			if err != nil || acct.AccountNumber == "" {
				return false, err
			}
			c, err := s.customer(ctx, out.Company, acct.AccountNumber, commerce.PartyOrganization)
			if c == nil || err != nil {
				return false, err
			}
			st.OrganizationAccount, orgParty, last.org = c.CustomerAccount, c.PartyNumber, c
		}
		if personParty == "" {
			ct, err := s.sales.Contacts.Get(ctx, out.ContactID, nil)
			if err != nil || ct.ContactPersonID == "" {
				return false, err
			}
			c, err := s.customer(ctx, out.Company, ct.ContactPersonID, commerce.PartyPerson)
			if c == nil || err != nil {
				return false, err
			}
			st.PersonAccount, personParty, last.person = c.CustomerAccount, c.PartyNumber, c
		}
		h, err := cc.Hierarchies.ForOrganization(ctx, orgParty)
		if errors.Is(err, d365.ErrNotFound) {
			return false, nil
		}
		if err != nil {
			return false, err
		}
		for _, n := range h.Admins() {
			if n.NodePartyNumber == personParty {
				st.HierarchyID, last.hierarchy = h.CustomerHierarchyID, h
				return true, nil
			}
		}
		return false, nil
	}
	err := dualwrite.Await(ctx, poll, &dualwrite.AwaitOptions{Timeout: timeout})
	out.Commerce = st
	if err != nil {
		s.step(ctx, out, StepConfirm, StepFailed, start, err)
		return nil, fmt.Errorf("onboarding: %s lead %s: confirming in Commerce (prospect %s is %s): %w", out.Decision, out.LeadID, out.ProspectID, st.ProspectStatus, err)
	}
	s.step(ctx, out, StepConfirm, StepDone, start, nil)
	return &last, nil
}

// customer reads a customer of company of the given party type; nil
// without an error when it does not exist (yet).
func (s *Service) customer(ctx context.Context, company, account string, party commerce.PartyType) (*commerce.Customer, error) {
	c, err := s.commerceFor(company).Customers.Get(ctx, company, account, nil)
	if errors.Is(err, d365.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if c.PartyType != party {
		return nil, fmt.Errorf("onboarding: customer %s has party type %s, not %s", account, c.PartyType, party)
	}
	return c, nil
}
