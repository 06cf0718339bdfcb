package commerce_test

import (
	"context"
	"errors"
	"testing"

	"github.com/b2bflow/d365"
	"github.com/b2bflow/d365/commerce"
	"github.com/b2bflow/d365/dualwrite/dualwritetest"
)

// TestEnumFiltersAgainstEmulator sends enum filters to the emulator, which
// refuses the plain string for an enum field as Finance and Operations
// does: an enum value passed to d365.Filterf is its typed literal and
// works; the same value as a string is refused.
func TestEnumFiltersAgainstEmulator(t *testing.T) {
	srv := dualwritetest.NewServer(nil)
	defer srv.Close()
	sub, err := srv.SubmitOnboardingRequest(dualwritetest.OnboardingRequest{
		FirstName: "Mia", LastName: "Chen", Company: "Fabrikam Retail", Email: "mia.chen@fabrikam.example",
	})
	if err != nil {
		t.Fatal(err)
	}
	c, err := commerce.NewClient(srv.CommerceURL, srv.Credential(), &commerce.Options{Company: srv.Company()})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	list := func(filter string) ([]string, error) {
		var ids []string
		for p, err := range c.Prospects.List(ctx, &commerce.ListOptions{Query: d365.Query{Filter: filter}}) {
			if err != nil {
				return nil, err
			}
			ids = append(ids, p.ProspectID)
		}
		return ids, nil
	}
	ids, err := list(d365.Filterf("IsB2BProspect eq %v and B2BProspectStatus eq %v", commerce.Yes, commerce.ProspectPending))
	if err != nil || len(ids) != 1 || ids[0] != sub.ProspectID {
		t.Fatalf("typed enum filter: %v, %v", ids, err)
	}
	if ids, err := list(d365.Filterf("B2BProspectStatus eq %v", commerce.ProspectApproved)); err != nil || len(ids) != 0 {
		t.Errorf("Approved: %v, %v", ids, err)
	}
	// ListB2B sends the typed literals itself.
	n := 0
	for p, err := range c.Prospects.ListB2B(ctx, commerce.ProspectPending) {
		if err != nil {
			t.Fatal(err)
		}
		if p.ProspectID != sub.ProspectID {
			t.Errorf("ListB2B: %s", p.ProspectID)
		}
		n++
	}
	if n != 1 {
		t.Errorf("ListB2B: %d prospects", n)
	}
	// The plain string is refused, as F&O refuses it.
	_, err = list(d365.Filterf("B2BProspectStatus eq %v", string(commerce.ProspectPending)))
	var e *d365.Error
	if !errors.As(err, &e) || e.StatusCode != 400 || e.Inner == nil || e.Inner.Type != "Microsoft.OData.ODataException" ||
		e.Message != "The query specified in the URI is not valid. A binary operator with incompatible types was detected. Found operand types 'Microsoft.Dynamics.DataEntities.RetailB2BProspectStatus' and 'Edm.String' for operator kind 'Equal'." {
		t.Errorf("plain string: %v", err)
	}
	// Dual-write configurations filtered by status.
	var cfgs []string
	for cfg, err := range c.DualWrite.List(ctx, &commerce.ListOptions{Query: d365.Query{Filter: d365.Filterf("Status eq %v", commerce.DualWriteEnabled)}}) {
		if err != nil {
			t.Fatal(err)
		}
		cfgs = append(cfgs, cfg.ProjectName)
	}
	if len(cfgs) == 0 {
		t.Error("no enabled dual-write configuration")
	}
}

// TestBatchAgainstEmulator sends a $batch to the emulator's /data/$batch:
// a change set is atomic, and a failed one carries F&O's write failure.
func TestBatchAgainstEmulator(t *testing.T) {
	srv := dualwritetest.NewServer(nil)
	defer srv.Close()
	c, err := commerce.NewClient(srv.CommerceURL, srv.Credential(), &commerce.Options{Company: srv.Company()})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	create := func(id string) *d365.BatchRequest {
		return &d365.BatchRequest{Method: "POST", Path: "Prospects", Body: map[string]any{"ProspectId": id, "ProspectName": "Batch " + id}}
	}
	res, err := c.Batch(ctx, &d365.Batch{Parts: []d365.BatchPart{
		{ChangeSet: []*d365.BatchRequest{create("P-B1"), {Method: "PATCH", Path: "$1", Body: map[string]any{"ProspectName": "Renamed"}}}},
	}})
	if err != nil || len(res) != 2 || res[0].StatusCode != 201 || res[1].StatusCode != 204 {
		t.Fatalf("batch: %v %+v", err, res)
	}
	p, err := c.Prospects.Get(ctx, srv.Company(), "P-B1", nil)
	if err != nil || p.ProspectName != "Renamed" {
		t.Fatalf("after the batch: %+v, %v", p, err)
	}
	// A duplicate in the change set: nothing of it is written.
	res, err = c.Batch(ctx, &d365.Batch{Parts: []d365.BatchPart{
		{ChangeSet: []*d365.BatchRequest{create("P-B2"), create("P-B1")}},
	}})
	if err != nil || len(res) != 2 {
		t.Fatalf("failed batch: %v %+v", err, res)
	}
	var e *d365.Error
	if !errors.As(res[1].Err, &e) || e.StatusCode != 500 || e.Message != "An error has occurred." || e.Inner == nil ||
		e.Inner.Type != "Microsoft.Dynamics.Platform.Integration.Services.OData.AxODataWriteException" {
		t.Errorf("failed change set: %v", res[1].Err)
	}
	if _, err := c.Prospects.Get(ctx, srv.Company(), "P-B2", nil); !errors.Is(err, d365.ErrNotFound) {
		t.Errorf("P-B2 after the failed change set: %v", err)
	}
}
