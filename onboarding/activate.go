package onboarding

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/b2bflow/d365"
	"github.com/b2bflow/d365/commerce"
	"github.com/google/uuid"
)

// Activation: what follows an approval in Microsoft's B2B articles, done
// through Commerce headquarters' OData service.
//
//   - Credit terms. "Configure the customer account payment method for B2B
//     e-commerce sites" (articles/commerce/b2b/payment-method.md): the
//     credit limit of a customer is the Credit limit of its Credit and
//     collections FastTab (CustomersV3 CreditLimit); "Mandatory credit
//     limit" (CreditLimitIsMandatory) forces the check even when the credit
//     limit type is None; "Allow on account" (AllowOnAccount) must be on for
//     the customer account payment method; and in B2B the users' customers
//     name the organization's account as their Invoice account
//     (InvoiceAccount), so that orders are invoiced to the organization and
//     the site uses the organization's credit limit.
//   - Users. "Manage business partner users on B2B e-commerce websites"
//     (manage-b2b-users.md) and "Manage B2B business partners using
//     customer hierarchies" (partners-customer-hierarchies.md): approving a
//     prospect creates the Organization and Person customers and a customer
//     hierarchy whose Admin is the requester; each user the administrator
//     adds on the site becomes, once headquarters' jobs ran (P-0001,
//     "Synchronize customers and channel requests"), a customer of type
//     Person added to the hierarchy with the role User. Headquarters users
//     onboard users themselves the same way: a Person customer with a
//     primary e-mail address (the user signs in with it, and Commerce must
//     find exactly one customer with that address in the company), then a
//     node of the hierarchy with its role. Removing a user removes its
//     customer from the hierarchy and keeps the customer. Only one customer
//     can be the Admin. Dual-write's Customers V3 (contacts) map makes the
//     Person customer a sellable contact in Sales (msdyn_contactpersonid =
//     CustomerAccount), and the hierarchy node map mirrors the node to
//     msdyn_customerhierarchynodes.
//
// Entity and field names are those of finops.json in the project's schema
// reference (CustomersV3, CustomerHiearchies, CustomerHierarchyNodes; see
// package commerce). Node types: the only documented member of
// CustHierarchyNodeType is Customer (the dual-write value map), so user
// nodes are NodeType Customer; their customer is the Person.

// ErrNotApproved is returned by Activate, Users and RemoveUser for a request
// that is not approved yet (or was rejected): approve it first.
var ErrNotApproved = errors.New("onboarding: the request is not approved")

// CreditTerms are the credit fields Activate sets on a partner's
// Organization customer. Empty fields are left as they are.
type CreditTerms struct {
	// CreditLimit is the credit limit (CreditLimit), in the customer's
	// currency, such as d365.Decimal("25000").
	CreditLimit d365.Decimal
	// Mandatory sets "Mandatory credit limit" (CreditLimitIsMandatory).
	Mandatory *bool
	// AllowOnAccount sets "Allow on account" (AllowOnAccount), which the
	// customer account payment method of B2B sites needs.
	AllowOnAccount *bool
}

// over returns t with its empty fields taken from def.
func (t CreditTerms) over(def CreditTerms) CreditTerms {
	if t.CreditLimit == "" {
		t.CreditLimit = def.CreditLimit
	}
	if t.Mandatory == nil {
		t.Mandatory = def.Mandatory
	}
	if t.AllowOnAccount == nil {
		t.AllowOnAccount = def.AllowOnAccount
	}
	return t
}

func (t CreditTerms) isZero() bool {
	return t.CreditLimit == "" && t.Mandatory == nil && t.AllowOnAccount == nil
}

// ActivateOptions tunes Activate. The zero value (or nil) sets the
// company's default credit terms (CompanyOptions.Credit) and adds no user.
type ActivateOptions struct {
	// Credit are the credit terms of the Organization customer; each empty
	// field takes the company's default (CompanyOptions.Credit).
	Credit CreditTerms
	// Users are the B2B users to add, beside the Admin (the requester).
	Users []PartnerUser
	// SeparateInvoices leaves the invoice accounts of the users' customers
	// alone. By default each user's Person customer (the Admin's too)
	// names the organization's account as its invoice account.
	SeparateInvoices bool
	// Timeout bounds the wait until Commerce shows the approval (the
	// prospect Approved, its customers and hierarchy); zero means 2
	// minutes.
	Timeout time.Duration
}

// partner is what an approved request is in Commerce.
type partner struct {
	company string
	cc      *commerce.Client
	// org and admin are the Organization customer and the Admin's Person
	// customer.
	org, admin *commerce.Customer
	// nodes are the hierarchy's nodes by party number.
	nodes map[string]commerce.HierarchyNode
}

// Activate makes an approved business partner ready to buy on the B2B
// site: it sets the credit terms of the Organization customer, and adds the
// users of o as Person customers in the hierarchy of the partner, in the
// company of its prospect. It waits (up to o.Timeout) until Commerce shows
// the approval, so it may follow Approve at once.
//
// Like Approve, Activate reads before it writes, so that running it again
// changes nothing, and a run cut short (a failure, a kill, a lost answer)
// is finished by the next one: a user's customer is found by its e-mail
// address before one is created, a node is read before it is added, and
// credit terms equal to those asked for are not sent. A write whose answer
// was lost is verified by reading (StepRecovered). The Outcome lists the
// steps and ends with the partner's users (Outcome.Users); it is returned
// even with an error. A request that is not approved fails with
// ErrNotApproved.
func (s *Service) Activate(ctx context.Context, leadID uuid.UUID, o *ActivateOptions) (*Outcome, error) {
	return s.tel.carryOn(ctx, "activate", func(ctx context.Context) (*Outcome, error) { return s.activate(ctx, leadID, o) })
}

func (s *Service) activate(ctx context.Context, leadID uuid.UUID, o *ActivateOptions) (*Outcome, error) {
	if o == nil {
		o = &ActivateOptions{}
	}
	out := &Outcome{LeadID: leadID, Decision: Approve}
	if err := checkUsers(o.Users); err != nil {
		return out, err
	}
	if err := checkCredit("ActivateOptions.Credit", o.Credit); err != nil {
		return out, err
	}
	p, err := s.partner(ctx, out, o.Timeout)
	if err != nil {
		return out, err
	}
	terms := o.Credit.over(s.cos.opts[p.company].Credit)
	if err := checkCredit("CompanyOptions.Credit of "+p.company, terms); err != nil {
		return out, err
	}
	if err := s.setCredit(ctx, out, p, terms); err != nil {
		return out, err
	}
	if !o.SeparateInvoices {
		if err := s.invoiceAdmin(ctx, out, p); err != nil {
			return out, err
		}
	}
	for _, u := range o.Users {
		if err := s.addUser(ctx, out, p, u, !o.SeparateInvoices); err != nil {
			return out, err
		}
	}
	users, err := s.listUsers(ctx, p, out.Commerce.HierarchyID)
	if err != nil {
		return out, fmt.Errorf("onboarding: activate lead %s: listing the users: %w", leadID, err)
	}
	out.Users = users
	return out, nil
}

// setCredit brings the Organization customer's credit terms to t.
func (s *Service) setCredit(ctx context.Context, out *Outcome, p *partner, t CreditTerms) error {
	if t.isZero() {
		return nil
	}
	start := time.Now()
	ch := creditChanges(p.org, t)
	if ch.IsZero() {
		s.step(ctx, out, StepCreditTerms, StepAlreadyDone, start, nil)
		return nil
	}
	status, err := s.runStep(ctx, func() error {
		return p.cc.Customers.Update(ctx, p.company, p.org.CustomerAccount, ch, nil)
	}, func() (verdict, error) {
		c, err := s.customer(ctx, p.company, p.org.CustomerAccount, commerce.PartyOrganization)
		if err != nil || c == nil {
			return notApplied, err
		}
		if creditChanges(c, t).IsZero() {
			return applied, nil
		}
		return notApplied, nil
	})
	if err != nil {
		s.step(ctx, out, StepCreditTerms, StepFailed, start, err)
		return fmt.Errorf("onboarding: activate lead %s: %s: %w", out.LeadID, StepCreditTerms, err)
	}
	s.step(ctx, out, StepCreditTerms, status, start, nil)
	return nil
}

// creditChanges returns the changes that bring c to the terms t.
func creditChanges(c *commerce.Customer, t CreditTerms) *commerce.CustomerChanges {
	ch := &commerce.CustomerChanges{}
	if t.CreditLimit != "" && !sameDecimal(c.CreditLimit, t.CreditLimit) {
		limit := t.CreditLimit
		ch.CreditLimit = &limit
	}
	if t.Mandatory != nil && c.CreditLimitIsMandatory.Bool() != *t.Mandatory {
		ch.CreditLimitIsMandatory = noYes(*t.Mandatory)
	}
	if t.AllowOnAccount != nil && c.AllowOnAccount.Bool() != *t.AllowOnAccount {
		ch.AllowOnAccount = noYes(*t.AllowOnAccount)
	}
	return ch
}

// invoiceAdmin makes the Admin's Person customer invoice the organization.
func (s *Service) invoiceAdmin(ctx context.Context, out *Outcome, p *partner) error {
	start := time.Now()
	account := p.admin.CustomerAccount
	read := func() (*commerce.Customer, error) {
		return s.customer(ctx, p.company, account, commerce.PartyPerson)
	}
	if strings.EqualFold(p.admin.InvoiceAccount, p.org.CustomerAccount) {
		s.step(ctx, out, StepInvoiceAdmin, StepAlreadyDone, start, nil)
		return nil
	}
	status, err := s.runStep(ctx, func() error {
		return p.cc.Customers.Update(ctx, p.company, account, &commerce.CustomerChanges{InvoiceAccount: p.org.CustomerAccount}, nil)
	}, func() (verdict, error) {
		c, err := read()
		if err != nil || c == nil {
			return notApplied, err
		}
		if strings.EqualFold(c.InvoiceAccount, p.org.CustomerAccount) {
			return applied, nil
		}
		return notApplied, nil
	})
	if err != nil {
		s.step(ctx, out, StepInvoiceAdmin, StepFailed, start, err)
		return fmt.Errorf("onboarding: activate lead %s: %s: %w", out.LeadID, StepInvoiceAdmin, err)
	}
	s.step(ctx, out, StepInvoiceAdmin, status, start, nil)
	return nil
}

// checkCredit refuses credit terms the service would refuse.
func checkCredit(field string, t CreditTerms) error {
	if t.CreditLimit == "" {
		return nil
	}
	r, ok := t.CreditLimit.Rat()
	if _, err := d365.NewDecimal(string(t.CreditLimit)); err != nil || !ok {
		return d365.NewInputError("onboarding: Activate", field+".CreditLimit", "%q is not a decimal number", string(t.CreditLimit))
	}
	if r.Sign() < 0 {
		return d365.NewInputError("onboarding: Activate", field+".CreditLimit", "is %s: a credit limit is not negative", t.CreditLimit)
	}
	return nil
}

// sameDecimal reports whether two decimals are the same number (25000 and
// 25000.000000 are).
func sameDecimal(a, b d365.Decimal) bool {
	if a == "" || b == "" {
		return a == b || (a == "" && isZeroDecimal(b)) || (b == "" && isZeroDecimal(a))
	}
	ra, ok1 := a.Rat()
	rb, ok2 := b.Rat()
	return ok1 && ok2 && ra.Cmp(rb) == 0
}

func isZeroDecimal(d d365.Decimal) bool {
	r, ok := d.Rat()
	return ok && r.Sign() == 0
}

func noYes(b bool) commerce.NoYes {
	if b {
		return commerce.Yes
	}
	return commerce.No
}
