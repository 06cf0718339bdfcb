package sales_test

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/b2bflow/d365"
	"github.com/b2bflow/d365/dualwrite/dualwritetest"
	"github.com/b2bflow/d365/sales"
	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"
)

// documented reads a documented exchange and returns its request line's
// method and URI and its body, compacted, with [Organization URI]/api/data/v9.0
// replaced by org's v9.2 root.
func documented(t *testing.T, name, org string) exchange {
	t.Helper()
	b, err := os.ReadFile("../../shared/reference/dataverse-docs-examples/" + name)
	if err != nil {
		t.Fatal(err)
	}
	text := strings.ReplaceAll(string(b), "[Organization URI]/api/data/v9.0", org+"/api/data/v9.2")
	head, body, _ := strings.Cut(strings.ReplaceAll(text, "\r\n", "\n"), "\n\n")
	line := strings.Fields(strings.SplitN(head, "\n", 2)[0])
	uri := strings.TrimPrefix(line[1], org)
	var compact strings.Builder
	for _, f := range strings.Fields(body) {
		compact.WriteString(f)
	}
	return exchange{line[0], uri, compact.String()}
}

// The four documented $ref exchanges, request line and body exact.
func TestAssociateSendsTheDocumentedRequests(t *testing.T) {
	rc := &recorder{}
	c, org := recorded(t, rc)
	ctx := context.Background()
	opp := sales.Ref{Set: "opportunities", ID: uuid.MustParse("00000000-0000-0000-0000-000000000001")}
	acc := sales.Ref{Set: "accounts", ID: uuid.MustParse("00000000-0000-0000-0000-000000000002")}
	if err := c.Associate(ctx, acc, "opportunity_customer_accounts", opp); err != nil {
		t.Fatal(err)
	}
	if err := c.Disassociate(ctx, acc, "opportunity_customer_accounts", opp); err != nil {
		t.Fatal(err)
	}
	if err := c.ClearLookup(ctx, opp, "customerid_account"); err != nil {
		t.Fatal(err)
	}
	if err := c.SetLookup(ctx, opp, "customerid_account", acc); err != nil {
		t.Fatal(err)
	}
	var want []exchange
	for _, f := range []string{"001", "004", "005", "007"} {
		want = append(want, documented(t, "associate-disassociate-entities-using-web-api-"+f+".http.txt", org))
	}
	if diff := cmp.Diff(want, rc.exchanges()); diff != "" {
		t.Error(diff)
	}
}

func TestAssociateRefusesBadInputBeforeSending(t *testing.T) {
	rc := &recorder{}
	c, _ := recorded(t, rc)
	ctx := context.Background()
	a := sales.Ref{Set: "accounts", ID: uuid.New()}
	for name, err := range map[string]error{
		"nav with a slash": c.Associate(ctx, a, "x/$ref", a),
		"nav with a dot":   c.SetLookup(ctx, a, "Microsoft.Dynamics.CRM.x", a),
		"empty nav":        c.ClearLookup(ctx, a, ""),
		"nil from id":      c.Disassociate(ctx, sales.Ref{Set: "accounts"}, "account_parent_account", a),
		"bad to set":       c.Associate(ctx, a, "account_parent_account", sales.Ref{Set: "a(1)", ID: uuid.New()}),
		"nil to id":        c.SetLookup(ctx, a, "parentaccountid", sales.Ref{Set: "accounts"}),
		"empty from set":   c.ClearLookup(ctx, sales.Ref{ID: uuid.New()}, "parentaccountid"),
	} {
		var ie *d365.InputError
		if !errors.As(err, &ie) {
			t.Errorf("%s: err = %v, want a *d365.InputError", name, err)
		}
	}
	if n := len(rc.exchanges()); n != 0 {
		t.Errorf("%d requests sent, want none", n)
	}
}

// Associate and disassociate on the emulator, collection-valued
// (account_parent_account, opportunity_customer_accounts) and
// single-valued (parentaccountid, customerid_account).
func TestAssociateOnTheEmulator(t *testing.T) {
	srv := dualwritetest.NewServer(nil)
	t.Cleanup(srv.Close)
	c, err := sales.NewClient(srv.SalesURL, srv.Credential(), nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	parent, err := c.Accounts.Create(ctx, &sales.Account{Name: "Parent"})
	if err != nil {
		t.Fatal(err)
	}
	child, err := c.Accounts.Create(ctx, &sales.Account{Name: "Child"})
	if err != nil {
		t.Fatal(err)
	}
	parentOf := func() uuid.UUID {
		t.Helper()
		a, err := c.Accounts.Get(ctx, child, nil)
		if err != nil {
			t.Fatal(err)
		}
		return a.ParentAccountID
	}
	P, C := sales.Ref{Set: "accounts", ID: parent}, sales.Ref{Set: "accounts", ID: child}
	if err := c.Associate(ctx, P, "account_parent_account", C); err != nil {
		t.Fatal(err)
	}
	if got := parentOf(); got != parent {
		t.Errorf("after Associate the parent is %v, want %v", got, parent)
	}
	if err := c.Disassociate(ctx, P, "account_parent_account", C); err != nil {
		t.Fatal(err)
	}
	if got := parentOf(); got != uuid.Nil {
		t.Errorf("after Disassociate the parent is %v, want none", got)
	}
	if err := c.Disassociate(ctx, P, "account_parent_account", C); !errors.Is(err, d365.ErrNotFound) {
		t.Errorf("disassociating an unrelated record: err = %v, want ErrNotFound", err)
	}
	if err := c.SetLookup(ctx, C, "parentaccountid", P); err != nil {
		t.Fatal(err)
	}
	if got := parentOf(); got != parent {
		t.Errorf("after SetLookup the parent is %v, want %v", got, parent)
	}
	if err := c.ClearLookup(ctx, C, "parentaccountid"); err != nil {
		t.Fatal(err)
	}
	if got := parentOf(); got != uuid.Nil {
		t.Errorf("after ClearLookup the parent is %v, want none", got)
	}
	// An opportunity's customer, through both sides of the relation.
	opp, err := c.Opportunities.Create(ctx, &sales.Opportunity{Name: "Deal", TransactionCurrencyID: uuid.MustParse(dualwritetest.USDCurrencyID)})
	if err != nil {
		t.Fatal(err)
	}
	O := sales.Ref{Set: "opportunities", ID: opp}
	if err := c.Associate(ctx, P, "opportunity_customer_accounts", O); err != nil {
		t.Fatal(err)
	}
	o, err := c.Opportunities.Get(ctx, opp, nil)
	if err != nil {
		t.Fatal(err)
	}
	if o.CustomerID != parent {
		t.Errorf("customer = %v, want %v", o.CustomerID, parent)
	}
	if err := c.ClearLookup(ctx, O, "customerid_account"); err != nil {
		t.Fatal(err)
	}
	if o, err = c.Opportunities.Get(ctx, opp, nil); err != nil || o.CustomerID != uuid.Nil {
		t.Errorf("after ClearLookup: customer %v, err %v; want none", o.CustomerID, err)
	}
	// A navigation property the table does not have is the service's 400
	// or 404, not a success.
	if err := c.SetLookup(ctx, C, "no_such_nav", P); err == nil {
		t.Error("SetLookup through an unknown navigation property succeeded")
	}
}
