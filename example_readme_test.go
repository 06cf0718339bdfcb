package d365_test

// The README's code blocks, compiled and run here so that they cannot
// drift: TestREADMEBlocksAreCompiled checks that every ```go block of
// README.md is, line for line, one of the regions between a
// "readme:start" and a "readme:end" comment below, in the same order.

import (
	"context"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/b2bflow/d365"
	"github.com/b2bflow/d365/commerce"
	"github.com/b2bflow/d365/dualwrite/dualwritetest"
	"github.com/b2bflow/d365/onboarding"
	"github.com/b2bflow/d365/sales"
	"github.com/google/uuid"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
)

// emulated starts the emulator with three onboarding requests and returns
// clients pointed at it and the requests' lead ids.
func emulated() (srv *dualwritetest.Server, salesClient *sales.Client, commerceClient *commerce.Client, leads []uuid.UUID) {
	srv = dualwritetest.NewServer(nil)
	for _, r := range []dualwritetest.OnboardingRequest{
		{FirstName: "Mia", LastName: "Chen", Company: "Fabrikam Retail", Email: "mia.chen@fabrikam.example"},
		{FirstName: "Ana", LastName: "Ruiz", Company: "Tailspin Toys", Email: "ana.ruiz.toys@gmail.com"},
		{FirstName: "Jon", LastName: "Park", Company: "O'Neil Ltd", Email: "jon.park@oneil.example"},
	} {
		sub, err := srv.SubmitOnboardingRequest(r)
		if err != nil {
			panic(err)
		}
		leads = append(leads, sub.LeadID)
	}
	salesClient, err := sales.NewClient(srv.SalesURL, srv.Credential(), nil)
	if err != nil {
		panic(err)
	}
	commerceClient, err = commerce.NewClient(srv.CommerceURL, srv.Credential(), &commerce.Options{Company: srv.Company()})
	if err != nil {
		panic(err)
	}
	return srv, salesClient, commerceClient, leads
}

// Example_quickTour approves one onboarding request and rejects another,
// waiting until Commerce shows each result (README, "Quick tour").
func Example_quickTour() {
	srv, salesClient, commerceClient, leads := emulated()
	defer srv.Close()
	ctx := context.Background()
	leadID, otherLeadID := leads[0], leads[1]
	err := func() error {
		// readme:start
		svc := onboarding.New(salesClient, commerceClient, nil)

		out, err := svc.Approve(ctx, leadID, &onboarding.ApproveOptions{Confirm: &onboarding.ConfirmOptions{}})
		switch {
		case errors.Is(err, onboarding.ErrConflict):
			fmt.Println("not approved:", err) // the request was already rejected
		case err != nil:
			return err
		default:
			fmt.Println(out.Commerce.OrganizationAccount, out.Commerce.HierarchyID)
		}

		out, err = svc.Reject(ctx, otherLeadID, &onboarding.RejectOptions{
			Reason:  sales.LeadStatusCannotContact,
			Confirm: &onboarding.ConfirmOptions{},
		})
		if err != nil {
			return err
		}
		fmt.Println(out.Commerce.ProspectStatus)
		// readme:end
		return nil
	}()
	if err != nil {
		fmt.Println(err)
	}
	// Output:
	// US-001 CH-000001
	// Rejected
}

// Example_process works through the queue with a policy (README, "Quick
// tour").
func Example_process() {
	srv, salesClient, commerceClient, _ := emulated()
	defer srv.Close()
	ctx := context.Background()
	svc := onboarding.New(salesClient, commerceClient, nil)
	// readme:start
	sum, err := svc.Process(ctx, func(ctx context.Context, r *onboarding.Request) (onboarding.Verdict, error) {
		if strings.HasSuffix(r.Lead.Email, "@gmail.com") {
			return onboarding.Verdict{Decision: onboarding.Reject, Reason: sales.LeadStatusCannotContact}, nil
		}
		return onboarding.Verdict{Decision: onboarding.Approve}, nil
	}, &onboarding.ProcessOptions{Concurrency: 8})
	// readme:end
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("approved %d, rejected %d, failed %d\n", sum.Approved, sum.Rejected, sum.Failed)
	// Output: approved 2, rejected 1, failed 0
}

// Example_listing lists leads with a filter whose values are escaped by
// type (README, "Quick tour").
func Example_listing() {
	srv, salesClient, _, _ := emulated()
	defer srv.Close()
	ctx := context.Background()
	since := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	// readme:start
	q := &sales.ListOptions{Query: d365.Query{
		Select: []string{"fullname", "companyname", "emailaddress1"},
		Filter: d365.Filterf("companyname eq %v and createdon gt %v", "O'Neil Ltd", since),
	}}
	for lead, err := range salesClient.Leads.List(ctx, q) {
		if err != nil {
			fmt.Println(err)
			break
		}
		fmt.Println(lead.FullName, lead.Email)
	}
	// readme:end

	// Output: Jon Park jon.park@oneil.example
}

// Example_activation activates an approved partner in the company of its
// prospect, with the company's credit limit and one more user (README,
// "After approval").
func Example_activation() {
	srv, salesClient, commerceClient, leads := emulated()
	defer srv.Close()
	ctx := context.Background()
	leadID := leads[0]
	if _, err := onboarding.New(salesClient, commerceClient, nil).Approve(ctx, leadID, nil); err != nil {
		fmt.Println(err)
		return
	}
	err := func() error {
		// readme:start
		svc := onboarding.New(salesClient, commerceClient, &onboarding.Options{
			Companies: map[string]onboarding.CompanyOptions{
				"usrt": {Credit: onboarding.CreditTerms{CreditLimit: "25000"}},
				"usmf": {Credit: onboarding.CreditTerms{CreditLimit: "10000"}},
			},
		})
		out, err := svc.Activate(ctx, leadID, &onboarding.ActivateOptions{
			Users: []onboarding.PartnerUser{{FirstName: "Robin", LastName: "Buyer", Email: "robin@fabrikam.example"}},
		})
		if err != nil {
			return err
		}
		for _, u := range out.Users {
			fmt.Println(out.Company, u.Role, u.Email, u.CustomerAccount)
		}
		// readme:end
		return nil
	}()
	if err != nil {
		fmt.Println(err)
	}
	// Output:
	// usrt Admin mia.chen@fabrikam.example US-002
	// usrt User robin@fabrikam.example US-003
}

// Example_duplicatesAndLedger flags a second request from a known partner's
// domain to the policy, approves it into the partner's account on a
// reviewer's behalf, and reads the decision back from the lead's timeline
// (README, "Duplicate partners and the decision ledger").
func Example_duplicatesAndLedger() {
	srv, salesClient, commerceClient, leads := emulated()
	defer srv.Close()
	ctx := context.Background()
	reviewerOID := uuid.MustParse("7f1c2a9e-3b4d-4e5f-8a6b-0c1d2e3f4a5b")
	if _, err := srv.AddUser("Jane Doe", reviewerOID.String()); err != nil {
		fmt.Println(err)
		return
	}
	if _, err := onboarding.New(salesClient, commerceClient, nil).Approve(ctx, leads[0], nil); err != nil {
		fmt.Println(err)
		return
	}
	second, err := srv.SubmitOnboardingRequest(dualwritetest.OnboardingRequest{FirstName: "Lee", LastName: "Wong",
		Company: "Fabrikam Retail", Email: "lee.wong@fabrikam.example"})
	if err != nil {
		fmt.Println(err)
		return
	}
	accounts := srv.Count("accounts")
	err = func() error {
		// readme:start
		svc := onboarding.New(salesClient, commerceClient, &onboarding.Options{
			Duplicates: &onboarding.DuplicateOptions{}, // the default rules: email domain, website, contacts, name
		})
		_, err := svc.Process(ctx, func(ctx context.Context, r *onboarding.Request) (onboarding.Verdict, error) {
			if len(r.Matches) > 0 { // an account of this company exists
				m := r.Matches[0]
				fmt.Println(r.Lead.Email, "matches", m.Name, "by", strings.Join(m.Rules, ", "))
				return onboarding.Verdict{Decision: onboarding.Approve, AccountID: m.AccountID, Comment: "known partner"}, nil
			}
			return onboarding.Verdict{Decision: onboarding.Skip}, nil
		}, &onboarding.ProcessOptions{
			Policy:   onboarding.Policy{Name: "partner-review", Version: "3"},
			Reviewer: &onboarding.Reviewer{ObjectID: reviewerOID, Name: "Jane Doe"}, // their Entra object id
		})
		if err != nil {
			return err
		}
		entries, err := svc.Ledger(ctx, second.LeadID) // the notes on the lead's timeline
		if err != nil {
			return err
		}
		for _, e := range entries {
			fmt.Println(e.Decision, "by", e.Reviewer, "with", e.Policy, "into an existing account:", e.ExistingAccount)
		}
		// readme:end
		return nil
	}()
	if err != nil {
		fmt.Println(err)
	}
	fmt.Println("accounts created:", srv.Count("accounts")-accounts)
	// Output:
	// lee.wong@fabrikam.example matches Fabrikam Retail by email domain, contact email domain, company name
	// approve by Jane Doe with partner-review v3 into an existing account: true
	// accounts created: 0
}

// Example_signingIn signs in with an app registration's secret (README,
// "Signing in"). It needs a tenant, so it is compiled, not run.
func Example_signingIn() {
	tenantID, clientID, secret := os.Getenv("AZURE_TENANT_ID"), os.Getenv("AZURE_CLIENT_ID"), os.Getenv("AZURE_CLIENT_SECRET")
	err := func() error {
		// readme:start
		cred, err := d365.NewClientSecretCredential(tenantID, clientID, secret, nil)
		if err != nil {
			return err
		}
		salesClient, err := sales.NewClient("https://contoso.crm.dynamics.com", cred, nil)
		if err != nil {
			return err
		}
		commerceClient, err := commerce.NewClient("https://contoso.operations.dynamics.com", cred,
			&commerce.Options{Company: "usrt"})
		if err != nil {
			return err
		}
		// readme:end
		_, _ = salesClient, commerceClient
		return nil
	}()
	if err != nil {
		fmt.Println(err)
	}
}

// Example_telemetry reports spans and metrics to OpenTelemetry providers
// (README, "Telemetry"); here the SDK's in-memory recorder and reader.
func Example_telemetry() {
	srv, _, commerceClient, leads := emulated()
	defer srv.Close()
	orgURL, cred := srv.SalesURL, srv.Credential()
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()))
	// readme:start
	opts := d365.ClientOptions{TracerProvider: tp, MeterProvider: mp}
	salesClient, err := sales.NewClient(orgURL, cred, &sales.Options{ClientOptions: opts})
	svc := onboarding.New(salesClient, commerceClient,
		&onboarding.Options{TracerProvider: tp, MeterProvider: mp})
	// readme:end
	if err != nil {
		fmt.Println(err)
		return
	}
	if _, err := svc.Approve(context.Background(), leads[0], nil); err != nil {
		fmt.Println(err)
		return
	}
	for _, s := range rec.Ended() {
		if s.Parent().IsValid() {
			continue
		}
		fmt.Println(s.Name(), len(rec.Ended())-1, "spans below it")
	}
	// The decision's steps (3), its HTTP calls (3) and the ledger note's
	// (1).
	// Output: onboarding approve 7 spans below it
}

// TestREADMEBlocksAreCompiled checks that each ```go block of README.md is
// a region of this file, so that what the README shows compiles and runs.
func TestREADMEBlocksAreCompiled(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile("example_readme_test.go")
	if err != nil {
		t.Fatal(err)
	}
	var blocks []string
	for _, m := range regexp.MustCompile("(?s)```go\n(.*?)```").FindAllStringSubmatch(string(readme), -1) {
		blocks = append(blocks, dedent(m[1]))
	}
	var regions []string
	for _, m := range regexp.MustCompile(`(?s)// readme:start\n(.*?)\n[\t ]*// readme:end`).FindAllStringSubmatch(string(src), -1) {
		regions = append(regions, dedent(m[1]+"\n"))
	}
	if len(blocks) != len(regions) {
		t.Fatalf("README.md has %d go blocks, this file %d regions: keep them one to one", len(blocks), len(regions))
	}
	for i := range blocks {
		if blocks[i] != regions[i] {
			t.Errorf("README go block %d differs from region %d of example_readme_test.go:\nREADME:\n%s\nexample:\n%s", i+1, i+1, blocks[i], regions[i])
		}
	}
}

// dedent removes the indentation common to the lines of s.
func dedent(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	common := -1
	for _, l := range lines {
		if strings.TrimSpace(l) == "" {
			continue
		}
		n := len(l) - len(strings.TrimLeft(l, "\t"))
		if common < 0 || n < common {
			common = n
		}
	}
	for i, l := range lines {
		if len(l) >= common && common > 0 {
			lines[i] = l[common:]
		}
	}
	return strings.Join(lines, "\n")
}

// TestREADMERequestsPerDecision holds the README's figures: an approval
// takes 3 requests and a rejection 2, and 10 and 3 with Confirm when
// dual-write has already run, plus one each for the ledger note.
func TestREADMERequestsPerDecision(t *testing.T) {
	for _, tc := range []struct {
		confirm         *onboarding.ConfirmOptions
		ledger          onboarding.LedgerSink
		approve, reject int
	}{
		{nil, onboarding.NoLedger, 3, 2}, {&onboarding.ConfirmOptions{}, onboarding.NoLedger, 10, 3},
		{nil, nil, 4, 3}, {&onboarding.ConfirmOptions{}, nil, 11, 4},
	} {
		srv, sc, cc, leads := emulated()
		svc := onboarding.New(sc, cc, &onboarding.Options{Ledger: tc.ledger})
		srv.ResetRequests()
		if _, err := svc.Approve(context.Background(), leads[0], &onboarding.ApproveOptions{Confirm: tc.confirm}); err != nil {
			t.Fatal(err)
		}
		approve := len(srv.Requests())
		srv.ResetRequests()
		if _, err := svc.Reject(context.Background(), leads[1], &onboarding.RejectOptions{Reason: sales.LeadStatusCannotContact, Confirm: tc.confirm}); err != nil {
			t.Fatal(err)
		}
		reject := len(srv.Requests())
		srv.Close()
		if approve != tc.approve || reject != tc.reject {
			t.Errorf("confirm %v, ledger %v: %d requests to approve, %d to reject; the README says %d and %d", tc.confirm != nil, tc.ledger == nil, approve, reject, tc.approve, tc.reject)
		}
	}
}
