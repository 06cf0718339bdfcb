package commerce_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/b2bflow/d365"
	"github.com/b2bflow/d365/commerce"
	"github.com/b2bflow/d365/dualwrite/dualwritetest"
	"github.com/google/go-cmp/cmp"
)

func TestProspectsPagesCountAndResume(t *testing.T) {
	srv := dualwritetest.NewServer(nil)
	defer srv.Close()
	for i := range 3 {
		if _, err := srv.SubmitOnboardingRequest(dualwritetest.OnboardingRequest{
			LastName: fmt.Sprint("Page", i), Company: fmt.Sprint("Pages ", i), Email: fmt.Sprintf("p%d@pages.example", i),
		}); err != nil {
			t.Fatal(err)
		}
	}
	c, err := commerce.NewClient(srv.CommerceURL, srv.Credential(), &commerce.Options{Company: srv.Company()})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	o := &commerce.ListOptions{Query: d365.Query{Select: []string{"ProspectId", "CompanyName"}, OrderBy: []string{"CompanyName asc"}, PageSize: 2, Count: true}}
	var saved string
	for p, err := range c.Prospects.Pages(ctx, o) {
		if err != nil {
			t.Fatal(err)
		}
		if p.Count == nil || *p.Count != 3 || len(p.Records) != 2 || p.NextLink == "" {
			t.Fatalf("first page: count %v, %d records, next link %q", p.Count, len(p.Records), p.NextLink)
		}
		saved = p.NextLink
		break
	}
	var got []string
	for p, err := range c.Prospects.List(ctx, &commerce.ListOptions{Query: d365.Query{PageSize: 2}, NextLink: saved}) {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, p.CompanyName)
	}
	if diff := cmp.Diff([]string{"Pages 2"}, got); diff != "" {
		t.Errorf("resumed listing (-want +got):\n%s", diff)
	}
	for _, err := range c.Prospects.List(ctx, &commerce.ListOptions{NextLink: "https://evil.example/data/Prospects?$skiptoken=2"}) {
		if !errors.Is(err, d365.ErrInvalidInput) {
			t.Errorf("a foreign next link: err = %v, want d365.ErrInvalidInput", err)
		}
		break
	}
}
