package sales_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/b2bflow/d365"
	"github.com/b2bflow/d365/dualwrite/dualwritetest"
	"github.com/b2bflow/d365/sales"
	"github.com/google/go-cmp/cmp"
)

func ptr(i int) *int { return &i }

// The emulator's EntityDefinitions: a status reason, a state, a choice and
// a yes/no column of the lead, with their labels and states.
func TestChoicesOnTheEmulator(t *testing.T) {
	srv := dualwritetest.NewServer(nil)
	t.Cleanup(srv.Close)
	c, err := sales.NewClient(srv.SalesURL, srv.Credential(), nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	en := func(s string) map[int]string { return map[int]string{1033: s} }

	status, err := c.Choices(ctx, "lead", "statuscode")
	if err != nil {
		t.Fatal(err)
	}
	if status.Kind != sales.ChoiceStatus || len(status.Options) != 7 {
		t.Fatalf("statuscode: kind %s with %d options, want Status with 7", status.Kind, len(status.Options))
	}
	if diff := cmp.Diff(sales.ChoiceOption{Value: 3, Label: "Qualified", Labels: en("Qualified"), State: ptr(1)}, status.Options[2]); diff != "" {
		t.Error(diff)
	}
	if l, ok := status.Label(int(sales.LeadStatusCannotContact), 1033); !ok || l != "Cannot Contact" {
		t.Errorf("Label(5, 1033) = %q, %v", l, ok)
	}
	if l, ok := status.Label(5, 1031); !ok || l != "Cannot Contact" {
		t.Errorf("Label(5, 1031) = %q, %v; want the user's label", l, ok)
	}
	if _, ok := status.Label(99, 0); ok {
		t.Error("Label(99) found an option")
	}

	state, err := c.Choices(ctx, "lead", "statecode")
	if err != nil {
		t.Fatal(err)
	}
	wantState := []sales.ChoiceOption{
		{Value: 0, Label: "Open", Labels: en("Open"), DefaultStatus: ptr(1)},
		{Value: 1, Label: "Qualified", Labels: en("Qualified"), DefaultStatus: ptr(3)},
		{Value: 2, Label: "Disqualified", Labels: en("Disqualified"), DefaultStatus: ptr(4)},
	}
	if diff := cmp.Diff(&sales.ColumnChoices{Table: "lead", Column: "statecode", Kind: sales.ChoiceState, Options: wantState}, state); diff != "" {
		t.Error(diff)
	}

	source, err := c.Choices(ctx, "lead", "leadsourcecode")
	if err != nil {
		t.Fatal(err)
	}
	if o, ok := source.Option(8); source.Kind != sales.ChoicePicklist || !ok || o.Label != "Web" {
		t.Errorf("leadsourcecode: kind %s, option 8 %+v", source.Kind, o)
	}

	yesNo, err := c.Choices(ctx, "lead", "donotemail")
	if err != nil {
		t.Fatal(err)
	}
	wantBool := []sales.ChoiceOption{
		{Value: 0, Label: "Allow", Labels: en("Allow")},
		{Value: 1, Label: "Do Not Allow", Labels: en("Do Not Allow")},
	}
	if diff := cmp.Diff(wantBool, yesNo.Options); diff != "" || yesNo.Kind != sales.ChoiceBoolean {
		t.Errorf("donotemail (%s): %s", yesNo.Kind, diff)
	}

	var ie *d365.InputError
	if _, err := c.Choices(ctx, "lead", "subject"); !errors.As(err, &ie) {
		t.Errorf("a text column: err = %v, want a *d365.InputError", err)
	}
	if _, err := c.Choices(ctx, "lead", "no_such_column"); !errors.Is(err, d365.ErrNotFound) {
		t.Errorf("a missing column: err = %v, want ErrNotFound", err)
	}
	if _, err := c.Choices(ctx, "lead')/x", "statuscode"); !errors.As(err, &ie) {
		t.Errorf("a bad table name: err = %v, want a *d365.InputError", err)
	}
}

// The documented PicklistAttributeMetadata answer
// (retrieve-metadata-name-metadataid-008) decoded, cached across
// concurrent callers (one fetch per column) until invalidated.
func TestChoicesDecodesTheDocumentedAnswerAndCaches(t *testing.T) {
	b, err := os.ReadFile("../../shared/reference/dataverse-docs-examples/retrieve-metadata-name-metadataid-008.http.txt")
	if err != nil {
		t.Fatal(err)
	}
	_, doc, _ := strings.Cut(strings.ReplaceAll(string(b), "\r\n", "\n"), "\n\n")
	release := make(chan struct{})
	rc := &recorder{answer: func(n int, w http.ResponseWriter) {
		<-release
		w.Header().Set("Content-Type", "application/json")
		if n%2 == 1 {
			io.WriteString(w, `{"LogicalName":"accountcategorycode","AttributeTypeName":{"Value":"PicklistType"}}`)
			return
		}
		io.WriteString(w, doc)
	}}
	c, _ := recorded(t, rc)
	ctx := context.Background()
	var wg sync.WaitGroup
	results := make([]*sales.ColumnChoices, 8)
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cc, err := c.Choices(ctx, "account", "accountcategorycode")
			if err != nil {
				t.Error(err)
			}
			results[i] = cc
		}()
	}
	close(release)
	wg.Wait()
	want := &sales.ColumnChoices{Table: "account", Column: "accountcategorycode", Kind: sales.ChoicePicklist, Options: []sales.ChoiceOption{
		{Value: 1, Label: "Preferred Customer", Labels: map[int]string{1033: "Preferred Customer"}},
		{Value: 2, Label: "Standard", Labels: map[int]string{1033: "Standard"}},
	}}
	for _, r := range results {
		if diff := cmp.Diff(want, r); diff != "" {
			t.Fatal(diff)
		}
	}
	wantReqs := []exchange{
		{"GET", "/api/data/v9.2/EntityDefinitions(LogicalName='account')/Attributes(LogicalName='accountcategorycode')?$select=LogicalName,AttributeTypeName", ""},
		{"GET", "/api/data/v9.2/EntityDefinitions(LogicalName='account')/Attributes(LogicalName='accountcategorycode')/Microsoft.Dynamics.CRM.PicklistAttributeMetadata?$select=LogicalName&$expand=OptionSet", ""},
	}
	if diff := cmp.Diff(wantReqs, rc.exchanges()); diff != "" {
		t.Errorf("requests (want one fetch for 8 callers):\n%s", diff)
	}
	if _, err := c.Choices(ctx, "Account", "AccountCategoryCode"); err != nil {
		t.Fatal(err)
	}
	if n := len(rc.exchanges()); n != 2 {
		t.Errorf("%d requests after a cached call, want 2", n)
	}
	c.InvalidateChoices("account", "accountcategorycode")
	if _, err := c.Choices(ctx, "account", "accountcategorycode"); err != nil {
		t.Fatal(err)
	}
	if n := len(rc.exchanges()); n != 4 {
		t.Errorf("%d requests after InvalidateChoices, want 4", n)
	}
}
