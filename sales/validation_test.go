package sales

import (
	"context"
	"strings"
	"testing"

	"github.com/b2bflow/d365"
	"github.com/b2bflow/d365/internal/odata"
	"github.com/google/uuid"
)

func TestNewClientValidation(t *testing.T) {
	cred := d365.StaticTokenCredential("test-token")
	for _, c := range []struct {
		url     string
		cred    d365.Credential
		wantErr string
	}{
		{"https://contoso.crm.dynamics.com", nil, "cred is nil"},
		{"", cred, "orgURL"},
		{"http://contoso.crm.dynamics.com", cred, "orgURL"},
		{"https://contoso.crm.dynamics.com/api/data/v9.2", cred, "orgURL"},
	} {
		_, err := NewClient(c.url, c.cred, nil)
		if err == nil || !strings.Contains(err.Error(), c.wantErr) {
			t.Errorf("NewClient(%q): err = %v, want one naming %q", c.url, err, c.wantErr)
		}
	}
	if _, err := NewClient("http://127.0.0.1:8080", cred, nil); err != nil {
		t.Errorf("loopback http: %v", err)
	}
}

// TestValidationSendsNothing checks that bad input fails before any request,
// with a message naming the field.
func TestValidationSendsNothing(t *testing.T) {
	c := noNetwork(t)
	ctx := context.Background()
	first := func(seq func(func(*Lead, error) bool)) error {
		for _, err := range seq {
			return err
		}
		return nil
	}
	for _, tc := range []struct {
		name    string
		err     error
		wantErr string
	}{
		{"create without subject", func() error { _, err := c.Leads.Create(ctx, &Lead{LastName: "Viera"}); return err }(), "Lead.Subject (subject) is empty"},
		{"create with a 301-character subject", func() error {
			_, err := c.Leads.Create(ctx, &Lead{Subject: strings.Repeat("é", 301)})
			return err
		}(), "Lead.Subject (subject) has 301 characters"},
		{"create with a bad decimal", func() error {
			_, err := c.Leads.Create(ctx, &Lead{Subject: "s", BudgetAmount: "12,5"})
			return err
		}(), "Lead.BudgetAmount"},
		{"create as qualified", func() error {
			_, err := c.Leads.Create(ctx, &Lead{Subject: "s", Status: LeadStatusQualified})
			return err
		}(), "Lead.Status"},
		{"get nil id", func() error { _, err := c.Leads.Get(ctx, uuid.Nil, nil); return err }(), "lead id is empty"},
		{"update nil id", c.Leads.Update(ctx, uuid.Nil, &LeadChanges{Phone: Ptr("1")}, nil), "lead id is empty"},
		{"update nothing", c.Leads.Update(ctx, leadID, &LeadChanges{}, nil), "no column to change"},
		{"update empty subject", c.Leads.Update(ctx, leadID, &LeadChanges{Subject: Ptr("")}, nil), "LeadChanges.Subject (subject) is empty"},
		{"update nil lookup", c.Leads.Update(ctx, leadID, &LeadChanges{ParentAccountID: Ptr(uuid.Nil)}, nil), "LeadChanges.ParentAccountID"},
		{"update bad clear", c.Leads.Update(ctx, leadID, &LeadChanges{Clear: []string{"a b"}}, nil), "LeadChanges.Clear"},
		{"update etag with newline", c.Leads.Update(ctx, leadID, &LeadChanges{Phone: Ptr("1")}, &d365.UpdateOptions{IfMatch: "x\r\ny"}), "UpdateOptions.IfMatch"},
		{"delete nil id", c.Leads.Delete(ctx, uuid.Nil), "lead id is empty"},
		{"qualify nil id", func() error { _, err := c.Leads.Qualify(ctx, uuid.Nil, nil); return err }(), "lead id is empty"},
		{"disqualify as qualified", c.Leads.Disqualify(ctx, leadID, LeadStatusQualified), "reason is Qualified"},
		{"disqualify as new", c.Leads.Disqualify(ctx, leadID, LeadStatusNew), "reason is New"},
		{"disqualify unknown", c.Leads.Disqualify(ctx, leadID, 8), "reason is LeadStatus(8)"},
		{"b2b unknown status", first(c.Leads.ListB2B(ctx, 1)), "status 1"},
		{"list bad query", first(c.Leads.List(ctx, &ListOptions{Query: d365.Query{Top: -1}})), "Query.Top"},
		{"opportunity without currency", func() error {
			_, err := c.Opportunities.Create(ctx, &Opportunity{Name: "n"})
			return err
		}(), "Opportunity.TransactionCurrencyID (transactioncurrencyid) is empty"},
		{"opportunity without name", func() error {
			_, err := c.Opportunities.Create(ctx, &Opportunity{TransactionCurrencyID: currencyID})
			return err
		}(), "Opportunity.Name (name) is empty"},
		{"win nil id", c.Opportunities.Win(ctx, uuid.Nil, nil), "opportunity id is empty"},
		{"win bad revenue", c.Opportunities.Win(ctx, oppID, &CloseOptions{ActualRevenue: "lots"}), "CloseOptions.ActualRevenue"},
		{"lose as won", c.Opportunities.Lose(ctx, oppID, OpportunityStatusWon, nil), "reason is Won"},
		{"lose in progress", c.Opportunities.Lose(ctx, oppID, OpportunityStatusInProgress, nil), "reason is In Progress"},
		{"account without name", func() error { _, err := c.Accounts.Create(ctx, &Account{}); return err }(), "Account.Name (name) is empty"},
		{"contact without last name", func() error { _, err := c.Contacts.Create(ctx, &Contact{FirstName: "A"}); return err }(), "Contact.LastName (lastname) is empty"},
		{"note on unknown table", func() error {
			_, err := c.Notes.Create(ctx, &Note{ObjectID: leadID, ObjectType: "x"})
			return err
		}(), "Note.ObjectType"},
		{"notes for nil lead", func() error {
			for _, err := range c.Notes.ForLead(ctx, uuid.Nil) {
				return err
			}
			return nil
		}(), "leadID is empty"},
		{"table bad name get", func() error { _, err := c.Table("leads?x=1").Get(ctx, leadID, nil); return err }(), "table name"},
		{"table bad name list", func() error {
			for _, err := range c.Table("a/b").List(ctx, nil) {
				return err
			}
			return nil
		}(), "table name"},
		{"table bad name create", func() error {
			_, err := c.Table("").Create(ctx, map[string]any{"a": 1})
			return err
		}(), "table name is empty"},
		{"table create nothing", func() error { _, err := c.Table("accounts").Create(ctx, nil); return err }(), "no column"},
	} {
		if tc.err == nil || !strings.Contains(tc.err.Error(), tc.wantErr) {
			t.Errorf("%s: err = %v, want one containing %q", tc.name, tc.err, tc.wantErr)
		}
	}
}

func TestChoiceStrings(t *testing.T) {
	for _, c := range []struct{ got, want string }{
		{LeadStateDisqualified.String(), "Disqualified"},
		{LeadStatusNoLongerInterested.String(), "No Longer Interested"},
		{LeadStatusCanceled.State().String(), "Disqualified"},
		{OpportunityStateWon.String(), "Won"},
		{OpportunityStatusOutSold.String(), "Out-Sold"},
		{B2BProspectStatusRejected.String(), "Rejected"},
		{B2BProspectStatus(7).String(), "B2BProspectStatus(7)"},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
}

func TestDuplicateOnRetry(t *testing.T) {
	for _, c := range []struct {
		err  error
		want bool
	}{
		{&d365.Error{StatusCode: 412, Code: "0x80040237", Attempts: 2}, true},
		{&d365.Error{StatusCode: 412, Attempts: 3}, true},
		{&d365.Error{StatusCode: 412, Code: "0x80040237", Attempts: 1}, false}, // the id was taken before we sent anything
		{&d365.Error{StatusCode: 412, Code: "0x80060882", Attempts: 2}, false},
		{&d365.Error{StatusCode: 400, Attempts: 2}, false},
		{context.Canceled, false},
	} {
		if got := odata.DuplicateOnRetry(c.err); got != c.want {
			t.Errorf("duplicateOnRetry(%v) = %v, want %v", c.err, got, c.want)
		}
	}
}
