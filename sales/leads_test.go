package sales

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/b2bflow/d365"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

var ignoreAnnotations = cmpopts.IgnoreFields(d365.Annotations{}, "Raw")

func TestLeadsCreate(t *testing.T) {
	c, sent := replay(t, "leads_create")
	id, err := c.Leads.Create(context.Background(), &Lead{
		Subject:             "B2B onboarding: Alpine Ski House",
		FirstName:           "Cacilia",
		LastName:            "Viera",
		FullName:            "read-only, never sent",
		CompanyName:         "Alpine Ski House",
		Email:               "cacilia@alpineskihouse.com",
		NumberOfEmployees:   Ptr(0),
		BudgetAmount:        "12345678901234.5678",
		EstimatedCloseDate:  date("2024-06-30"),
		B2BCommerceProspect: Ptr(true),
		B2BProspectStatus:   B2BProspectStatusPending,
		ParentAccountID:     accountID,
		State:               Ptr(LeadStateQualified), // read-only, never sent
		CreatedOn:           ts("2024-01-01T00:00:00Z"),
	})
	if err != nil {
		t.Fatal(err)
	}
	if id != leadID {
		t.Errorf("id = %s, want %s", id, leadID)
	}
	if b := sent.Body(t, 0); !strings.Contains(b, `"budgetamount":12345678901234.5678`) {
		t.Errorf("budgetamount lost digits: %s", b)
	}
}

func TestLeadsCreateWithIDIsRetriedAndIdempotent(t *testing.T) {
	c, _ := replay(t, "leads_create_with_id_retry")
	id, err := c.Leads.Create(context.Background(), &Lead{ID: newLeadID, Subject: "Retry-safe lead"})
	if err != nil {
		t.Fatal(err)
	}
	if id != newLeadID {
		t.Errorf("id = %s, want %s", id, newLeadID)
	}
}

func TestLeadsGet(t *testing.T) {
	c, _ := replay(t, "leads_get")
	got, err := c.Leads.Get(context.Background(), leadID, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := &Lead{
		Annotations:         d365.Annotations{ETag: `W/"4788911"`},
		ID:                  leadID,
		Subject:             "B2B onboarding: Alpine Ski House",
		FirstName:           "Cacilia",
		LastName:            "Viera",
		FullName:            "Cacilia Viera",
		CompanyName:         "Alpine Ski House",
		Email:               "cacilia@alpineskihouse.com",
		Phone:               "+1 425 555 0100",
		WebsiteURL:          "https://www.alpineskihouse.com",
		NumberOfEmployees:   Ptr(250),
		Address1PostalCode:  "98052",
		BudgetAmount:        "4990.0000000000",
		B2BCommerceProspect: Ptr(true),
		B2BProspectStatus:   B2BProspectStatusPending,
		ProspectID:          "P-000123",
		ParentAccountID:     accountID,
		State:               Ptr(LeadStateOpen),
		Status:              LeadStatusNew,
		CreatedOn:           ts("2024-01-07T23:36:23Z"),
		ModifiedOn:          ts("2024-01-07T23:36:24Z"),
	}
	if diff := cmp.Diff(want, got, ignoreAnnotations); diff != "" {
		t.Errorf("lead (-want +got):\n%s", diff)
	}
	for _, c := range []struct{ got, want string }{
		{got.FormattedValue("statuscode"), "New"},
		{got.FormattedValue("msdyn_b2bprospectstatus"), "Pending"},
		{got.LookupLogicalName("_parentaccountid_value"), "account"},
		{got.FormattedValue("_parentaccountid_value"), "Alpine Ski House"},
		{got.Status.String(), "New"},
		{got.State.String(), "Open"},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
}

func TestLeadsListFollowsNextLinkAndStopsAtTop(t *testing.T) {
	c, _ := replay(t, "leads_list_paging")
	leads := collect(t, c.Leads.List(context.Background(), &ListOptions{Query: d365.Query{
		Select:   []string{"subject", "companyname"},
		Filter:   d365.Filterf("contains(companyname,%v)", "sample"),
		Top:      3,
		PageSize: 2,
	}}))
	var got []string
	for _, l := range leads {
		got = append(got, l.Subject+"|"+l.ETag)
	}
	want := []string{`Coffee (sample)|W/"502481"`, `Hardware (sample)|W/"502482"`, `Bikes (sample)|W/"502483"`}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("leads (-want +got):\n%s", diff)
	}
}

func TestLeadsUpdateSendsOnlyChangesWithIfMatchStar(t *testing.T) {
	c, _ := replay(t, "leads_update")
	err := c.Leads.Update(context.Background(), leadID, &LeadChanges{
		Phone:           Ptr("+1 425 555 0199"),
		Status:          Ptr(LeadStatusContacted),
		ParentContactID: Ptr(contactID),
		Clear:           []string{"description"},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
}

func TestLeadsUpdateStaleETag(t *testing.T) {
	c, _ := replay(t, "leads_update_stale_etag")
	err := c.Leads.Update(context.Background(), leadID, &LeadChanges{Subject: Ptr("Updated subject")},
		&d365.UpdateOptions{IfMatch: `W/"4788911"`})
	if !errors.Is(err, d365.ErrPreconditionFailed) {
		t.Fatalf("err = %v, want ErrPreconditionFailed", err)
	}
	var e *d365.Error
	if !errors.As(err, &e) || e.Attempts != 1 {
		t.Errorf("err = %#v: want one attempt (a PATCH with an ETag is not retried)", err)
	}
}

func TestLeadsDeleteThenGetNotFound(t *testing.T) {
	c, _ := replay(t, "leads_delete")
	ctx := context.Background()
	if err := c.Leads.Delete(ctx, leadID); err != nil {
		t.Fatal(err)
	}
	_, err := c.Leads.Get(ctx, leadID, nil)
	if !errors.Is(err, d365.ErrNotFound) {
		t.Fatalf("err = %v, want ErrNotFound", err)
	}
}

func TestLeadsQualify(t *testing.T) {
	c, _ := replay(t, "leads_qualify")
	got, err := c.Leads.Qualify(context.Background(), leadID, &QualifyOptions{CurrencyID: currencyID})
	if err != nil {
		t.Fatal(err)
	}
	want := &QualifyResult{AccountID: accountID, ContactID: contactID, OpportunityID: oppID}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("result (-want +got):\n%s", diff)
	}
}

func TestLeadsDisqualify(t *testing.T) {
	c, _ := replay(t, "leads_disqualify")
	if err := c.Leads.Disqualify(context.Background(), leadID, LeadStatusCannotContact); err != nil {
		t.Fatal(err)
	}
}

func TestLeadsCommerceB2B(t *testing.T) {
	c, _ := replay(t, "leads_commerce_b2b")
	leads := collect(t, c.Leads.ListB2B(context.Background(), B2BProspectStatusPending))
	if len(leads) != 1 {
		t.Fatalf("got %d leads, want 1", len(leads))
	}
	l := leads[0]
	if l.ID != leadID || l.B2BProspectStatus != B2BProspectStatusPending || l.B2BCommerceProspect == nil || !*l.B2BCommerceProspect {
		t.Errorf("lead = %+v", l)
	}
}
