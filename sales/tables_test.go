package sales

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/b2bflow/d365"
	"github.com/google/go-cmp/cmp"
)

func TestAccounts(t *testing.T) {
	c, sent := replay(t, "accounts")
	ctx := context.Background()
	id, err := c.Accounts.Create(ctx, &Account{Name: "Alpine Ski House", CustomerTypeCode: Ptr(CustomerTypeCustomer), CreditLimit: "12345678901234.5678"})
	if err != nil {
		t.Fatal(err)
	}
	if id != accountID {
		t.Errorf("id = %s", id)
	}
	if b := sent.Body(t, 0); !strings.Contains(b, `"creditlimit":12345678901234.5678`) {
		t.Errorf("creditlimit lost digits: %s", b)
	}
	got, err := c.Accounts.Get(ctx, accountID, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := &Account{
		Annotations:           d365.Annotations{ETag: `W/"502186"`},
		ID:                    accountID,
		Name:                  "Alpine Ski House",
		AccountNumber:         "US-001",
		CustomerTypeCode:      Ptr(3),
		CreditLimit:           "12345678901234.5678",
		State:                 Ptr(0),
		TransactionCurrencyID: currencyID,
	}
	if diff := cmp.Diff(want, got, ignoreAnnotations); diff != "" {
		t.Errorf("account (-want +got):\n%s", diff)
	}
	if got.FormattedValue("customertypecode") != "Customer" {
		t.Errorf("formatted customertypecode = %q", got.FormattedValue("customertypecode"))
	}
	list := collect(t, c.Accounts.List(ctx, &ListOptions{Query: d365.Query{Select: []string{"name"}, Filter: d365.Filterf("customertypecode eq %v", CustomerTypeCustomer), Top: 1}}))
	if len(list) != 1 || list[0].ID != accountID {
		t.Errorf("accounts = %+v", list)
	}
}

func TestContacts(t *testing.T) {
	c, _ := replay(t, "contacts")
	ctx := context.Background()
	id, err := c.Contacts.Create(ctx, &Contact{FirstName: "Cacilia", LastName: "Viera", Email: "cacilia@alpineskihouse.com", Sellable: Ptr(true), ParentCustomerID: accountID})
	if err != nil {
		t.Fatal(err)
	}
	if id != contactID {
		t.Errorf("id = %s", id)
	}
	got, err := c.Contacts.Get(ctx, contactID, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := &Contact{
		Annotations:      d365.Annotations{ETag: `W/"77001"`},
		ID:               contactID,
		FirstName:        "Cacilia",
		LastName:         "Viera",
		FullName:         "Cacilia Viera",
		Email:            "cacilia@alpineskihouse.com",
		ParentCustomerID: accountID,
		ContactPersonID:  "US-002",
		Sellable:         Ptr(true),
	}
	if diff := cmp.Diff(want, got, ignoreAnnotations); diff != "" {
		t.Errorf("contact (-want +got):\n%s", diff)
	}
	if got.LookupLogicalName("_parentcustomerid_value") != "account" {
		t.Errorf("parent customer table = %q", got.LookupLogicalName("_parentcustomerid_value"))
	}
	list := collect(t, c.Contacts.List(ctx, &ListOptions{Query: d365.Query{Select: []string{"fullname"}, Filter: d365.Filterf("msdyn_sellable eq %v and msdyn_contactpersonid ne %v", true, nil)}}))
	if len(list) != 1 || list[0].FullName != "Cacilia Viera" {
		t.Errorf("contacts = %+v", list)
	}
}

func TestNotes(t *testing.T) {
	c, _ := replay(t, "notes")
	ctx := context.Background()
	id, err := c.Notes.Create(ctx, &Note{Subject: "Approved", Text: "Checked the company registration.", ObjectID: leadID, ObjectType: "lead"})
	if err != nil {
		t.Fatal(err)
	}
	if id != noteID {
		t.Errorf("id = %s", id)
	}
	notes := collect(t, c.Notes.ForLead(ctx, leadID))
	var got []string
	for _, n := range notes {
		got = append(got, n.Subject+"|"+n.ObjectID.String()+"|"+n.LookupLogicalName("_objectid_value"))
	}
	want := []string{"Created by dual-write|" + leadID.String() + "|lead", "Approved|" + leadID.String() + "|lead"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("notes (-want +got):\n%s", diff)
	}
	if notes[1].ID != noteID || notes[1].IsDocument == nil || *notes[1].IsDocument {
		t.Errorf("note = %+v", notes[1])
	}
}

func TestTable(t *testing.T) {
	c, _ := replay(t, "table_customerhierarchies")
	ctx := context.Background()
	tbl := c.Table("msdyn_customerhierarchies")
	list := collect(t, tbl.List(ctx, &ListOptions{Query: d365.Query{Select: []string{"msdyn_name", "msdyn_customerhierarchynumber"}, Top: 1}}))
	if len(list) != 1 || list[0].Columns["msdyn_customerhierarchynumber"] != "CH-000001" {
		t.Fatalf("records = %+v", list)
	}
	rec, err := tbl.Get(ctx, hierID, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"msdyn_customerhierarchyid":     hierID.String(),
		"msdyn_name":                    "Alpine Ski House",
		"msdyn_customerhierarchynumber": "CH-000001",
		"msdyn_purpose":                 json.Number("192350000"),
		"msdyn_creditlimit":             json.Number("12345678901234.5678"),
	}
	if diff := cmp.Diff(want, rec.Columns); diff != "" {
		t.Errorf("columns (-want +got):\n%s", diff)
	}
	if rec.ETag != `W/"99001"` || rec.FormattedValue("msdyn_purpose") != "B2B organization" {
		t.Errorf("annotations = %q %v", rec.ETag, rec.Raw)
	}
	id, err := tbl.Create(ctx, map[string]any{"msdyn_name": "Alpine Ski House", "msdyn_purpose": 192350000})
	if err != nil {
		t.Fatal(err)
	}
	if id != hierID {
		t.Errorf("id = %s", id)
	}
	if err := tbl.Update(ctx, hierID, map[string]any{"msdyn_name": "Alpine Ski House B2B"}, nil); err != nil {
		t.Fatal(err)
	}
}
