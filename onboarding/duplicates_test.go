package onboarding_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/b2bflow/d365/dualwrite/dualwritetest"
	"github.com/b2bflow/d365/onboarding"
	"github.com/b2bflow/d365/sales"
	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"
)

// submitAs sends one onboarding request and returns its lead id.
func (e *env) submitAs(t *testing.T, first, company, email string) uuid.UUID {
	t.Helper()
	sub, err := e.srv.SubmitOnboardingRequest(dualwritetest.OnboardingRequest{
		FirstName: first, LastName: "Buyer", Company: company, Email: email, Phone: "+1 425 555 0100", ZipCode: "98052",
	})
	if err != nil {
		t.Fatal(err)
	}
	return sub.LeadID
}

// TestDuplicatePartnerIsFlaggedAndApprovedIntoItsAccount approves a first
// request from fabrikam.example, then runs Process over a second request
// from the same domain and one from a public mail provider: the second is
// flagged to the policy with the partner's account and the rules that
// found it, the third has no match, and approving the second into the
// account creates no account (the counts of accounts before and after),
// one contact of that account, and an opportunity whose customer it is;
// Commerce reuses the partner's Organization customer and hierarchy.
func TestDuplicatePartnerIsFlaggedAndApprovedIntoItsAccount(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	svc := onboarding.New(e.sales, e.commerce, &onboarding.Options{Duplicates: &onboarding.DuplicateOptions{}})
	first := e.submitAs(t, "Mia", "Fabrikam Retail", "mia.chen@fabrikam.example")
	approved, err := svc.Approve(ctx, first, &onboarding.ApproveOptions{Confirm: &onboarding.ConfirmOptions{}})
	if err != nil {
		t.Fatal(err)
	}
	partner, err := e.sales.Accounts.Get(ctx, approved.AccountID, nil)
	if err != nil {
		t.Fatal(err)
	}
	second := e.submitAs(t, "Jon", "Fabrikam Retail", "jon.park@Fabrikam.example")
	stranger := e.submitAs(t, "Ana", "Tailspin Toys", "ana.ruiz@gmail.com")

	accounts, contacts, customers := e.srv.Count("accounts"), e.srv.Count("contacts"), e.srv.Count("CustomersV3")
	seen := map[uuid.UUID][]onboarding.AccountMatch{}
	var outs []*onboarding.Outcome
	sum, err := svc.Process(ctx, func(_ context.Context, r *onboarding.Request) (onboarding.Verdict, error) {
		seen[r.Lead.ID] = r.Matches
		if len(r.Matches) == 0 {
			return onboarding.Verdict{Decision: onboarding.Skip}, nil
		}
		return onboarding.Verdict{Decision: onboarding.Approve, AccountID: r.Matches[0].AccountID, Comment: "known partner"}, nil
	}, &onboarding.ProcessOptions{
		Approve:  &onboarding.ApproveOptions{Confirm: &onboarding.ConfirmOptions{}},
		Progress: func(p onboarding.Progress) { outs = append(outs, p.Outcome) },
	})
	if err != nil || sum.Approved != 1 || sum.Skipped != 1 || sum.Failed != 0 {
		t.Fatalf("summary %+v, err %v", sum, err)
	}
	want := []onboarding.AccountMatch{{AccountID: partner.ID, Name: "Fabrikam Retail", AccountNumber: partner.AccountNumber,
		Rules: []string{"email domain", "contact email domain", "company name"}}}
	if diff := cmp.Diff(want, seen[second]); diff != "" {
		t.Errorf("matches of the second request (-want +got):\n%s", diff)
	}
	if m, ok := seen[stranger]; !ok || m != nil {
		t.Errorf("matches of the gmail.com request: %+v (seen %v), want none", m, ok)
	}
	if n := e.srv.Count("accounts"); n != accounts {
		t.Errorf("%d accounts after approving into the existing one, want %d", n, accounts)
	}
	if n := e.srv.Count("contacts"); n != contacts+1 {
		t.Errorf("%d contacts, want %d (the requester)", n, contacts+1)
	}
	if n := e.srv.Count("CustomersV3"); n != customers+1 {
		t.Errorf("%d Commerce customers, want %d (the requester's Person customer only)", n, customers+1)
	}
	var out *onboarding.Outcome
	for _, o := range outs {
		if o != nil {
			out = o
		}
	}
	if out == nil || !out.ExistingAccount || out.AccountID != partner.ID {
		t.Fatalf("outcome %+v, want an approval into %s", out, partner.ID)
	}
	opp, err := e.sales.Opportunities.Get(ctx, out.OpportunityID, nil)
	if err != nil {
		t.Fatal(err)
	}
	ct, err := e.sales.Contacts.Get(ctx, out.ContactID, nil)
	if err != nil {
		t.Fatal(err)
	}
	if opp.ParentAccountID != partner.ID || ct.ParentCustomerID != partner.ID {
		t.Errorf("opportunity's account %s, contact's company %s; want %s", opp.ParentAccountID, ct.ParentCustomerID, partner.ID)
	}
	if out.Commerce == nil || out.Commerce.OrganizationAccount != approved.Commerce.OrganizationAccount || out.Commerce.HierarchyID != approved.Commerce.HierarchyID {
		t.Errorf("Commerce %+v, want the partner's customer and hierarchy %+v", out.Commerce, approved.Commerce)
	}
	entries, err := svc.Ledger(ctx, second)
	if err != nil || len(entries) != 1 {
		t.Fatalf("ledger of the second request: %v, %v", entries, err)
	}
	if e := entries[0]; !e.ExistingAccount || e.Comment != "known partner" || cmp.Diff(want, e.Matches) != "" {
		t.Errorf("ledger entry %+v", e)
	}

	// Running the approval again changes nothing.
	again, err := svc.Approve(ctx, second, &onboarding.ApproveOptions{ExistingAccountID: partner.ID})
	if err != nil || !again.ExistingAccount || e.srv.Count("accounts") != accounts || e.srv.Count("contacts") != contacts+1 {
		t.Errorf("re-run: %+v, %v; %d accounts, %d contacts", again, err, e.srv.Count("accounts"), e.srv.Count("contacts"))
	}
}

// TestDuplicateSearchIsBounded lists 60 requests with the default rules:
// two groups (50 + 10), each read with one query to the accounts and one
// to the contacts, whatever the number of requests.
func TestDuplicateSearchIsBounded(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	svc := onboarding.New(e.sales, e.commerce, &onboarding.Options{Duplicates: &onboarding.DuplicateOptions{}})
	if _, err := svc.Approve(ctx, e.submitAs(t, "Mia", "Partner 007 Ltd", "mia@partner007.example"), nil); err != nil {
		t.Fatal(err)
	}
	for i := range 60 {
		e.submitAs(t, "Avery", fmt.Sprintf("Partner %03d Ltd", i), fmt.Sprintf("avery@partner%03d.example", i))
	}
	e.srv.ResetRequests()
	matched := 0
	for r, err := range svc.Pending(ctx) {
		if err != nil {
			t.Fatal(err)
		}
		if len(r.Matches) > 0 {
			matched++
			if r.Lead.CompanyName != "Partner 007 Ltd" {
				t.Errorf("%s matched %+v", r.Lead.CompanyName, r.Matches)
			}
		}
	}
	if matched != 1 {
		t.Errorf("%d requests matched, want 1", matched)
	}
	got := map[string]int{}
	for _, r := range e.srv.Requests() {
		switch {
		case strings.Contains(r.Path, "/accounts?"):
			got["accounts"]++
		case strings.Contains(r.Path, "/contacts?"):
			got["contacts"]++
		}
	}
	if diff := cmp.Diff(map[string]int{"accounts": 2, "contacts": 2}, got); diff != "" {
		t.Errorf("queries (-want +got):\n%s", diff)
	}
}

// TestDuplicateMatchersAreConfigurable matches on a custom VAT column only:
// a request whose VAT number an account has is flagged by that rule, and
// bad matchers are refused before any request, naming the field.
func TestDuplicateMatchersAreConfigurable(t *testing.T) {
	e := newEnv(t, &dualwritetest.Options{Schema: &dualwritetest.SchemaExtension{Columns: []dualwritetest.CustomColumn{
		{Table: "lead", LogicalName: "new_vatnumber", Type: dualwritetest.String},
		{Table: "account", LogicalName: "new_vatnumber", Type: dualwritetest.String},
	}}})
	ctx := context.Background()
	acct, err := e.sales.Table("accounts").Create(ctx, map[string]any{"name": "Contoso GmbH", "new_vatnumber": "DE123456789"})
	if err != nil {
		t.Fatal(err)
	}
	lead := e.submitAs(t, "Lena", "Contoso Deutschland", "lena@contoso.example")
	if err := e.sales.Leads.Update(ctx, lead, &sales.LeadChanges{Custom: map[string]any{"new_vatnumber": "de123456789"}}, nil); err != nil {
		t.Fatal(err)
	}
	svc := onboarding.New(e.sales, e.commerce, &onboarding.Options{Duplicates: &onboarding.DuplicateOptions{
		Matchers: []onboarding.Matcher{onboarding.ColumnMatcher("VAT number", "new_vatnumber", "new_vatnumber")},
	}})
	var got []onboarding.AccountMatch
	for r, err := range svc.Pending(ctx) {
		if err != nil {
			t.Fatal(err)
		}
		got = r.Matches
	}
	if diff := cmp.Diff([]onboarding.AccountMatch{{AccountID: acct, Name: "Contoso GmbH", Rules: []string{"VAT number"}}}, got); diff != "" {
		t.Errorf("matches (-want +got):\n%s", diff)
	}

	for _, tc := range []struct {
		m     onboarding.Matcher
		field string
	}{
		{onboarding.Matcher{Rule: "x", Column: "name"}, "Matchers[0].Value"},
		{onboarding.Matcher{Rule: "x", Column: "name) or (1 eq 1", Value: onboarding.LeadEmailDomain}, "Matchers[0].Column"},
		{onboarding.Matcher{Column: "name", Value: onboarding.LeadEmailDomain}, "Matchers[0].Rule"},
	} {
		e.srv.ResetRequests()
		svc := onboarding.New(e.sales, e.commerce, &onboarding.Options{Duplicates: &onboarding.DuplicateOptions{Matchers: []onboarding.Matcher{tc.m}}})
		var err error
		for _, err = range svc.Pending(ctx) {
			if err != nil {
				break
			}
		}
		if err == nil || !strings.Contains(err.Error(), tc.field) {
			t.Errorf("%+v: err %v, want one naming %s", tc.m, err, tc.field)
		}
		if n := len(e.srv.Requests()); n != 0 {
			t.Errorf("%+v: %d requests sent, want none", tc.m, n)
		}
	}
}
