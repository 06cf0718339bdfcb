package onboarding_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/b2bflow/d365/commerce"
	"github.com/b2bflow/d365/dualwrite/dualwritetest"
	"github.com/b2bflow/d365/onboarding"
	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"
)

// TestTwoCompanies serves the companies usrt and usmf with one Service:
// Pending finds the prospects of both, and Approve, Activate and Reject
// work in each prospect's company, with each company's credit terms.
func TestTwoCompanies(t *testing.T) {
	for _, perCompanyClient := range []bool{false, true} {
		name := "one client"
		if perCompanyClient {
			name = "a client per company"
		}
		t.Run(name, func(t *testing.T) {
			e := newEnv(t, nil)
			ctx := context.Background()
			submit := func(company, who string) uuid.UUID {
				sub, err := e.srv.SubmitOnboardingRequest(dualwritetest.OnboardingRequest{
					FirstName: "Kim", LastName: who, Company: who + " Ltd", Email: strings.ToLower(who) + "@" + company + ".example", DataAreaID: company,
				})
				if err != nil {
					t.Fatal(err)
				}
				return sub.LeadID
			}
			a, b, c := submit("usrt", "Alpha"), submit("usmf", "Beta"), submit("usmf", "Gamma")

			usmf := &onboarding.CompanyOptions{Credit: onboarding.CreditTerms{CreditLimit: "5000"}}
			if perCompanyClient {
				cc, err := commerce.NewClient(e.srv.CommerceURL, e.srv.Credential(), &commerce.Options{Company: "usmf"})
				if err != nil {
					t.Fatal(err)
				}
				usmf.Commerce = cc
			}
			svc := onboarding.New(e.sales, e.commerce, &onboarding.Options{Companies: map[string]onboarding.CompanyOptions{
				"USRT": {Credit: onboarding.CreditTerms{CreditLimit: "1000"}},
				"usmf": *usmf,
			}})

			e.srv.ResetRequests()
			got := map[uuid.UUID]string{}
			for r, err := range svc.Pending(ctx) {
				if err != nil {
					t.Fatal(err)
				}
				if r.Prospect == nil {
					t.Fatalf("lead %s: no prospect", r.Lead.ID)
				}
				got[r.Lead.ID] = r.Prospect.DataAreaID
			}
			if diff := cmp.Diff(map[uuid.UUID]string{a: "usrt", b: "usmf", c: "usmf"}, got); diff != "" {
				t.Errorf("the prospects' companies (-want +got):\n%s", diff)
			}
			var queries []string
			for _, r := range e.srv.Requests() {
				if r.Service == "commerce" {
					queries = append(queries, r.Path)
				}
			}
			wantQueries := 1
			if perCompanyClient {
				wantQueries = 2 // one per client, each naming its company
			}
			if len(queries) != wantQueries || (!perCompanyClient && !strings.Contains(queries[0], "cross-company=true")) {
				t.Errorf("Commerce requests of Pending: %q", queries)
			}

			confirm := &onboarding.ConfirmOptions{}
			for lead, company := range map[uuid.UUID]string{a: "usrt", b: "usmf"} {
				out, err := svc.Approve(ctx, lead, &onboarding.ApproveOptions{Confirm: confirm})
				if err != nil {
					t.Fatalf("approve in %s: %v", company, err)
				}
				if out.Company != company {
					t.Errorf("Approve: Outcome.Company = %q, want %q", out.Company, company)
				}
				act, err := svc.Activate(ctx, lead, &onboarding.ActivateOptions{Users: []onboarding.PartnerUser{{LastName: "User", Email: "user@" + company + ".example"}}})
				if err != nil {
					t.Fatalf("activate in %s: %v", company, err)
				}
				if act.Company != company || len(act.Users) != 2 {
					t.Errorf("Activate in %s: company %q, users %+v", company, act.Company, act.Users)
				}
				limit := map[string]string{"usrt": "1000", "usmf": "5000"}[company]
				org := e.row(t, "CustomersV3", "CustomerAccount", out.Commerce.OrganizationAccount)
				if org["dataAreaId"] != company || fmt.Sprint(org["CreditLimit"]) != limit {
					t.Errorf("organization customer in %s: dataAreaId %v, CreditLimit %v, want %s", company, org["dataAreaId"], org["CreditLimit"], limit)
				}
				for _, u := range act.Users {
					if row := e.row(t, "CustomersV3", "CustomerAccount", u.CustomerAccount); row["dataAreaId"] != company {
						t.Errorf("user %s's customer is in %v, want %s", u.Email, row["dataAreaId"], company)
					}
				}
			}
			out, err := svc.Reject(ctx, c, &onboarding.RejectOptions{Confirm: confirm})
			if err != nil || out.Company != "usmf" || out.Commerce.ProspectStatus != string(commerce.ProspectRejected) {
				t.Errorf("reject in usmf: %v, %+v", err, out)
			}
		})
	}
}

// TestCompaniesRefused checks the configuration errors: a blank company
// key fails every call that needs a company, naming the option.
func TestCompaniesRefused(t *testing.T) {
	e := newEnv(t, nil)
	id := e.submit(t, 1)[0]
	svc := onboarding.New(e.sales, e.commerce, &onboarding.Options{Companies: map[string]onboarding.CompanyOptions{" ": {}}})
	for _, err := range svc.Pending(context.Background()) {
		if err == nil || !strings.Contains(err.Error(), "Options.Companies") {
			t.Errorf("Pending: %v", err)
		}
		break
	}
	if _, err := svc.Activate(context.Background(), id, nil); err == nil || !strings.Contains(err.Error(), "Options.Companies") {
		t.Errorf("Activate: %v", err)
	}
}
