package sales

import (
	"context"
	"strings"
	"testing"

	"github.com/b2bflow/d365"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestOpportunitiesGet(t *testing.T) {
	c, _ := replay(t, "opportunities_get")
	got, err := c.Opportunities.Get(context.Background(), oppID, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := &Opportunity{
		Annotations:           d365.Annotations{ETag: `W/"3271456"`},
		ID:                    oppID,
		Name:                  "10 Airpot XL Coffee Makers for Alpine Ski House",
		Description:           "Adding coffee machines to HQ",
		CustomerID:            accountID,
		ParentAccountID:       accountID,
		ParentContactID:       contactID,
		TransactionCurrencyID: currencyID,
		EstimatedValue:        "4990.0000000000",
		TotalAmount:           "4990.0000000000",
		ExchangeRate:          "1.000000000000",
		CloseProbability:      Ptr(65),
		EstimatedCloseDate:    date("2023-06-25"),
		State:                 Ptr(OpportunityStateOpen),
		Status:                OpportunityStatusInProgress,
		CreatedOn:             ts("2023-05-21T14:11:31Z"),
		ModifiedOn:            ts("2023-05-21T14:13:10Z"),
	}
	if diff := cmp.Diff(want, got, ignoreAnnotations, cmpopts.IgnoreFields(Opportunity{}, "Custom")); diff != "" {
		t.Errorf("opportunity (-want +got):\n%s", diff)
	}
	// The columns Opportunity has no field for are kept in Custom.
	if v, ok := got.Custom.Get("_ownerid_value"); !ok || v != "c47037b2-85f7-ed11-8847-000d3a358523" {
		t.Errorf("Custom[_ownerid_value] = %v, %v", v, ok)
	}
	if v, ok := got.Custom.Get("_campaignid_value"); !ok || v != nil {
		t.Errorf("Custom[_campaignid_value] = %v, %v; want a null kept", v, ok)
	}
	if _, ok := got.Custom.Get("name"); ok {
		t.Error("Custom holds name, which Opportunity has a field for")
	}
	if got := got.LookupLogicalName("_customerid_value"); got != "account" {
		t.Errorf("customer table = %q, want account", got)
	}
}

func TestOpportunitiesCreateAndList(t *testing.T) {
	c, sent := replay(t, "opportunities_create_list")
	ctx := context.Background()
	id, err := c.Opportunities.Create(ctx, &Opportunity{
		Name:                  "10 Airpot XL Coffee Makers",
		EstimatedValue:        "4990.0000000000",
		EstimatedCloseDate:    date("2023-06-25"),
		CustomerID:            accountID,
		TransactionCurrencyID: currencyID,
		TotalAmount:           "1", // read-only, never sent
	})
	if err != nil {
		t.Fatal(err)
	}
	if id != oppID {
		t.Errorf("id = %s, want %s", id, oppID)
	}
	if b := sent.Body(t, 0); !strings.Contains(b, `"estimatedvalue":4990.0000000000`) {
		t.Errorf("estimatedvalue lost digits: %s", b)
	}
	opps := collect(t, c.Opportunities.List(ctx, &ListOptions{Query: d365.Query{
		Select: []string{"name", "estimatedvalue"},
		Filter: d365.Filterf("_parentaccountid_value eq %v", accountID),
	}}))
	if len(opps) != 1 || opps[0].EstimatedValue != "4990.0000000000" || opps[0].FormattedValue("estimatedvalue") != "$4,990.00" {
		t.Errorf("opportunities = %+v", opps)
	}
}

func TestOpportunitiesWin(t *testing.T) {
	c, sent := replay(t, "opportunities_win")
	err := c.Opportunities.Win(context.Background(), oppID, &CloseOptions{
		Description:   "Approved B2B partner",
		ActualRevenue: "4990.00",
		CloseDate:     date("2024-05-01"),
	})
	if err != nil {
		t.Fatal(err)
	}
	if b := sent.Body(t, 0); !strings.Contains(b, `"actualrevenue":4990.00`) {
		t.Errorf("actualrevenue lost digits: %s", b)
	}
}

func TestOpportunitiesLose(t *testing.T) {
	c, _ := replay(t, "opportunities_lose")
	if err := c.Opportunities.Lose(context.Background(), oppID, OpportunityStatusOutSold, nil); err != nil {
		t.Fatal(err)
	}
}
