package sales_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log"

	"github.com/b2bflow/d365/dualwrite/dualwritetest"
	"github.com/b2bflow/d365/sales"
)

// A custom API of the organization (here new_CheckCredit, registered on the
// emulator as a test would), called as a bound action with typed request
// and response.
func ExampleCallAction() {
	srv := dualwritetest.NewServer(&dualwritetest.Options{CustomAPIs: map[string]dualwritetest.CustomAPI{
		"new_CheckCredit": func(r dualwritetest.CustomAPIRequest) (map[string]any, error) {
			limit, _ := r.Params["Limit"].(json.Number).Int64()
			return map[string]any{"Approved": limit <= 10000}, nil
		},
	}})
	defer srv.Close()
	c, err := sales.NewClient(srv.SalesURL, srv.Credential(), nil)
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	account, err := c.Accounts.Create(ctx, &sales.Account{Name: "Alpine Ski House"})
	if err != nil {
		log.Fatal(err)
	}

	type CheckCredit struct {
		Limit int `json:"Limit"`
	}
	type CheckCreditResponse struct {
		Approved bool `json:"Approved"`
	}
	res, err := sales.CallAction[CheckCredit, CheckCreditResponse](ctx, c, "new_CheckCredit",
		&sales.Binding{Set: "accounts", ID: account}, CheckCredit{Limit: 5000}, nil)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("approved:", res.Approved)
	// Output:
	// approved: true
}

// An unbound function with parameters (sent as parameter aliases) and a
// typed result.
func ExampleCallFunction() {
	srv := dualwritetest.NewServer(nil)
	defer srv.Close()
	c, err := sales.NewClient(srv.SalesURL, srv.Credential(), nil)
	if err != nil {
		log.Fatal(err)
	}
	who, err := sales.CallFunction[struct{ UserId string }](context.Background(), c, "WhoAmI", nil, nil)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(who.UserId != "")
	// Output:
	// true
}

// A status reason's label in the user's language, read from the column's
// metadata once and then from the client's cache.
func ExampleClient_Choices() {
	srv := dualwritetest.NewServer(nil)
	defer srv.Close()
	c, err := sales.NewClient(srv.SalesURL, srv.Credential(), nil)
	if err != nil {
		log.Fatal(err)
	}
	status, err := c.Choices(context.Background(), "lead", "statuscode")
	if err != nil {
		log.Fatal(err)
	}
	label, _ := status.Label(int(sales.LeadStatusQualified), 1033)
	fmt.Println(label)
	// Output:
	// Qualified
}

// Making one account the parent of another through the collection-valued
// navigation property account_parent_account.
func ExampleClient_Associate() {
	srv := dualwritetest.NewServer(nil)
	defer srv.Close()
	c, err := sales.NewClient(srv.SalesURL, srv.Credential(), nil)
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	parent, _ := c.Accounts.Create(ctx, &sales.Account{Name: "Contoso Holding"})
	child, _ := c.Accounts.Create(ctx, &sales.Account{Name: "Contoso Retail"})
	err = c.Associate(ctx, sales.Ref{Set: "accounts", ID: parent}, "account_parent_account", sales.Ref{Set: "accounts", ID: child})
	if err != nil {
		log.Fatal(err)
	}
	a, _ := c.Accounts.Get(ctx, child, nil)
	fmt.Println(a.ParentAccountID == parent)
	// Output:
	// true
}
