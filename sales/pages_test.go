package sales_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/b2bflow/d365"
	"github.com/b2bflow/d365/dualwrite/dualwritetest"
	"github.com/b2bflow/d365/sales"
	"github.com/google/go-cmp/cmp"
)

// emulated returns a sales client of a fresh emulator with n leads.
func emulated(t *testing.T, n int) *sales.Client {
	t.Helper()
	srv := dualwritetest.NewServer(nil)
	t.Cleanup(srv.Close)
	c, err := sales.NewClient(srv.SalesURL, srv.Credential(), nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		if _, err := c.Leads.Create(context.Background(), &sales.Lead{Subject: fmt.Sprintf("Lead %02d", i), LastName: "Pages", CompanyName: "Pages Ltd"}); err != nil {
			t.Fatal(err)
		}
	}
	return c
}

func TestLeadsPagesCountAndResume(t *testing.T) {
	c := emulated(t, 5)
	ctx := context.Background()
	o := &sales.ListOptions{Query: d365.Query{
		Select: []string{"subject"}, Filter: d365.Filterf("lastname eq %v", "Pages"),
		OrderBy: []string{"subject asc"}, PageSize: 2, Count: true,
	}}
	var saved string
	for p, err := range c.Leads.Pages(ctx, o) {
		if err != nil {
			t.Fatal(err)
		}
		if p.Count == nil || *p.Count != 5 {
			t.Errorf("Count = %v, want 5", p.Count)
		}
		if len(p.Records) != 2 || p.Records[0].Subject != "Lead 00" || p.NextLink == "" {
			t.Fatalf("first page: %d records, next link %q", len(p.Records), p.NextLink)
		}
		saved = p.NextLink
		break // the process "crashes" after the first page
	}

	var got []string
	for l, err := range c.Leads.List(ctx, &sales.ListOptions{Query: d365.Query{PageSize: 2}, NextLink: saved}) {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, l.Subject)
	}
	if diff := cmp.Diff([]string{"Lead 02", "Lead 03", "Lead 04"}, got); diff != "" {
		t.Errorf("resumed listing (-want +got):\n%s", diff)
	}

	for _, bad := range []*sales.ListOptions{
		{NextLink: "https://evil.example/api/data/v9.2/leads?$skiptoken=1"},
		{NextLink: saved, Query: d365.Query{Filter: "subject eq 'x'"}},
	} {
		for _, err := range c.Leads.List(ctx, bad) {
			if !errors.Is(err, d365.ErrInvalidInput) {
				t.Errorf("List(%+v): err = %v, want d365.ErrInvalidInput", bad, err)
			}
			break
		}
	}
}

func TestLeadsGetSelect(t *testing.T) {
	c := emulated(t, 0)
	ctx := context.Background()
	id, err := c.Leads.Create(ctx, &sales.Lead{Subject: "Select me", CompanyName: "Contoso", Email: "a@contoso.example"})
	if err != nil {
		t.Fatal(err)
	}
	l, err := c.Leads.Get(ctx, id, &d365.GetOptions{Select: []string{"subject"}})
	if err != nil {
		t.Fatal(err)
	}
	if l.Subject != "Select me" || l.CompanyName != "" || l.Email != "" {
		t.Errorf("Get with $select=subject: subject %q, companyname %q, email %q; want only the subject", l.Subject, l.CompanyName, l.Email)
	}
	full, err := c.Leads.Get(ctx, id, nil)
	if err != nil || full.CompanyName != "Contoso" {
		t.Errorf("Get without options: %+v, %v", full, err)
	}
}
