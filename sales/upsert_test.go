package sales_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"testing"

	"github.com/b2bflow/d365"
	"github.com/b2bflow/d365/dualwrite/dualwritetest"
	"github.com/b2bflow/d365/sales"
	"github.com/google/uuid"
)

// keyed returns a sales client of an emulator whose accounts have the
// alternate key accountnumber and whose contacts have one of two columns.
func keyed(t testing.TB) (*sales.Client, *dualwritetest.Server) {
	t.Helper()
	srv := dualwritetest.NewServer(&dualwritetest.Options{Schema: &dualwritetest.SchemaExtension{Keys: []dualwritetest.AlternateKey{
		{Table: "account", Name: "new_accountnumberkey", Columns: []string{"accountnumber"}},
		{Table: "contact", Name: "new_namekey", Columns: []string{"firstname", "lastname"}},
	}}})
	t.Cleanup(srv.Close)
	c, err := sales.NewClient(srv.SalesURL, srv.Credential(), nil)
	if err != nil {
		t.Fatal(err)
	}
	return c, srv
}

// TestUpsertByAlternateKey: an upsert by alternate key creates the record
// with the key's column, a second one updates the same record, and the
// create-only and update-only forms refuse what they must.
func TestUpsertByAlternateKey(t *testing.T) {
	c, _ := keyed(t)
	ctx := context.Background()
	key := sales.ByAlternateKey(map[string]any{"accountnumber": "O'Neil/1"})
	if err := c.Accounts.Upsert(ctx, key, &sales.Account{Name: "Contoso"}, nil); err != nil {
		t.Fatal(err)
	}
	if err := c.Accounts.Upsert(ctx, key, &sales.Account{Email: "info@contoso.com"}, &d365.UpsertOptions{UpdateOnly: true}); err != nil {
		t.Fatal(err)
	}
	var got []*sales.Account
	for a, err := range c.Accounts.List(ctx, nil) {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, a)
	}
	if len(got) != 1 || got[0].Name != "Contoso" || got[0].Email != "info@contoso.com" || got[0].AccountNumber != "O'Neil/1" {
		t.Fatalf("accounts %+v, want one Contoso, info@contoso.com, O'Neil/1", got)
	}
	err := c.Accounts.Upsert(ctx, key, &sales.Account{Name: "Again"}, &d365.UpsertOptions{CreateOnly: true})
	if !errors.Is(err, d365.ErrPreconditionFailed) {
		t.Errorf("create-only on an existing account: %v, want ErrPreconditionFailed", err)
	}
	err = c.Accounts.Upsert(ctx, sales.ByAlternateKey(map[string]any{"accountnumber": "missing"}), &sales.Account{Name: "X"}, &d365.UpsertOptions{UpdateOnly: true})
	if !errors.Is(err, d365.ErrNotFound) {
		t.Errorf("update-only on a missing account: %v, want ErrNotFound", err)
	}
	// By id: creates with the chosen id, then updates.
	id := uuid.MustParse("0d5e2b1a-3c4f-4a5b-8c6d-7e8f9a0b1c2d")
	if err := c.Leads.Upsert(ctx, sales.ByID(id), &sales.LeadChanges{Subject: sales.Ptr("By id")}, nil); err != nil {
		t.Fatal(err)
	}
	if err := c.Leads.Upsert(ctx, sales.ByID(id), &sales.LeadChanges{JobTitle: sales.Ptr("Buyer")}, nil); err != nil {
		t.Fatal(err)
	}
	l, err := c.Leads.Get(ctx, id, nil)
	if err != nil || l.Subject != "By id" || l.JobTitle != "Buyer" {
		t.Errorf("lead %+v, %v: want By id, Buyer", l, err)
	}
	var ie *d365.InputError
	if err := c.Accounts.Upsert(ctx, sales.RecordKey{}, &sales.Account{Name: "X"}, nil); !errors.As(err, &ie) {
		t.Errorf("zero key: %v, want an InputError", err)
	}
}

// TestUpsertMultipleOnEmulator: one UpsertMultiple updates an existing
// contact (by a two-column key) and creates two (by key and by id).
func TestUpsertMultipleOnEmulator(t *testing.T) {
	c, srv := keyed(t)
	ctx := context.Background()
	old, err := c.Contacts.Create(ctx, &sales.Contact{FirstName: "Ana", LastName: "Silva"})
	if err != nil {
		t.Fatal(err)
	}
	newID := uuid.MustParse("6a7b8c9d-0e1f-4a2b-9c3d-4e5f6a7b8c9d")
	srv.ResetRequests()
	err = c.Contacts.UpsertMultiple(ctx, []sales.UpsertTarget[sales.Contact]{
		{Key: sales.ByAlternateKey(map[string]any{"firstname": "Ana", "lastname": "Silva"}), Record: sales.Contact{JobTitle: "Buyer"}},
		{Key: sales.ByAlternateKey(map[string]any{"firstname": "Bo", "lastname": "Li"}), Record: sales.Contact{JobTitle: "Owner"}},
		{Key: sales.ByID(newID), Record: sales.Contact{LastName: "Chosen"}},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(srv.Requests()); n != 1 {
		t.Errorf("%d requests, want one UpsertMultiple", n)
	}
	got := map[string]string{}
	for ct, err := range c.Contacts.List(ctx, nil) {
		if err != nil {
			t.Fatal(err)
		}
		got[ct.ID.String()+" "+ct.FirstName+" "+ct.LastName] = ct.JobTitle
	}
	if len(got) != 3 || got[old.String()+" Ana Silva"] != "Buyer" || got[newID.String()+"  Chosen"] != "" {
		t.Errorf("contacts %v", got)
	}
	found := false
	for k, v := range got {
		if v == "Owner" && k[len(k)-len(" Bo Li"):] == " Bo Li" {
			found = true
		}
	}
	if !found {
		t.Errorf("contacts %v: no Bo Li created with the key's columns", got)
	}
	// A bad target is refused before any request.
	srv.ResetRequests()
	err = c.Contacts.UpsertMultiple(ctx, []sales.UpsertTarget[sales.Contact]{{Key: sales.ByID(newID)}}, nil)
	if err == nil || len(srv.Requests()) != 0 {
		t.Errorf("empty target: %v after %d requests, want an error before any", err, len(srv.Requests()))
	}
}

// An upsert by alternate key: the account is created the first time and
// updated the next, found by its account number.
func ExampleAccountService_Upsert() {
	srv := dualwritetest.NewServer(&dualwritetest.Options{Schema: &dualwritetest.SchemaExtension{Keys: []dualwritetest.AlternateKey{
		{Table: "account", Name: "new_accountnumberkey", Columns: []string{"accountnumber"}},
	}}})
	defer srv.Close()
	c, err := sales.NewClient(srv.SalesURL, srv.Credential(), nil)
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	key := sales.ByAlternateKey(map[string]any{"accountnumber": "US-001"})
	for _, name := range []string{"Contoso", "Contoso Ltd"} {
		if err := c.Accounts.Upsert(ctx, key, &sales.Account{Name: name}, nil); err != nil {
			log.Fatal(err)
		}
	}
	for a, err := range c.Accounts.List(ctx, nil) {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(a.AccountNumber, a.Name)
	}
	for _, r := range srv.Requests() {
		if r.Method == "PATCH" {
			fmt.Println(r.Method, r.Path, r.Status)
		}
	}
	// Output:
	// US-001 Contoso Ltd
	// PATCH /api/data/v9.2/accounts(accountnumber='US-001') 204
	// PATCH /api/data/v9.2/accounts(accountnumber='US-001') 204
}
