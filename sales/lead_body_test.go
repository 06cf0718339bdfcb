package sales

import (
	"testing"
	"time"

	"github.com/b2bflow/d365"
	"github.com/b2bflow/d365/internal/odata"
	"github.com/google/uuid"
)

// FuzzLeadCreateBody holds Create's fast body (written straight from the
// Lead) to the one written through LeadChanges with its checks: the same
// bytes, or the same error.
func FuzzLeadCreateBody(f *testing.F) {
	f.Add(uint32(0xffffffff), "B2B onboarding request: Deskpro", "5000000", 3, int8(1))
	f.Add(uint32(0), "", "", 0, int8(0))
	f.Add(uint32(0x55555555), "<&>\"é\xff", "1e5", -2, int8(4))
	f.Add(uint32(0xaaaaaaaa), string(make([]byte, 301)), "12.50", 1<<20, int8(-1))
	f.Fuzz(func(t *testing.T, set uint32, s, dec string, n int, st int8) {
		on := func(bit int) bool { return set&(1<<bit) != 0 }
		id := uuid.NewSHA1(uuid.NameSpaceOID, []byte(s))
		if on(20) {
			id = uuid.Nil
		}
		l := &Lead{}
		if on(0) {
			l.ID = id
		}
		if on(1) {
			l.Subject = s
		}
		if on(2) {
			l.FirstName, l.LastName, l.CompanyName = s, "Pinto", "Deskpro"
		}
		if on(3) {
			l.FullName = "read-only " + s
		}
		if on(4) {
			l.Email, l.Phone, l.WebsiteURL, l.JobTitle, l.Description = s, s, s, s, s
		}
		if on(5) {
			l.NumberOfEmployees = &n
		}
		if on(6) {
			l.Address1Line1, l.Address1City, l.Address1Country = s, "Porto", "Portugal"
		}
		if on(7) {
			l.BudgetAmount = d365.Decimal(dec)
		}
		if on(8) {
			l.EstimatedAmount = "12.5"
		}
		if on(9) {
			l.EstimatedCloseDate = d365.DateOf(time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC))
		}
		if on(10) {
			l.ParentAccountID = id
		}
		if on(11) {
			l.ParentContactID = id
		}
		if on(12) {
			l.TransactionCurrencyID = id
		}
		if on(13) {
			l.QualifyingOpportunityID = id
		}
		if on(14) {
			b := on(15)
			l.B2BCommerceProspect = &b
		}
		if on(16) {
			l.B2BProspectStatus = B2BProspectStatus(st)
		}
		if on(17) {
			l.ProspectID = s
		}
		if on(18) {
			state := LeadState(st)
			l.State, l.Status = &state, LeadStatus(st)
		}
		if on(19) {
			l.CreatedOn = time.Unix(1700000000, 0)
		}
		if on(21) {
			l.Custom = d365.NewColumns(map[string]any{"new_vatnumber": s})
		}
		got, gerr := l.createBody()
		want, werr := l.write().bodyJSON("Lead", true)
		if (gerr == nil) != (werr == nil) || (gerr != nil && gerr.Error() != werr.Error()) {
			t.Fatalf("%+v: createBody error %v, through LeadChanges %v", l, gerr, werr)
		}
		if string(got) != string(want) {
			t.Fatalf("%+v:\ncreateBody       %s\nthrough LeadChanges %s", l, got, want)
		}
	})
}

// An onboarding lead's body is written straight from the Lead: the fast
// path takes it, and it is the body Dataverse gets.
func TestLeadCreateBodyIsWrittenFromTheLead(t *testing.T) {
	yes := true
	l := &Lead{Subject: "B2B onboarding request: Deskpro", LastName: "Pinto", BudgetAmount: "5000000",
		TransactionCurrencyID: uuid.MustParse("dbce9d1c-c29c-ee11-be36-000d3abf077e"), B2BCommerceProspect: &yes,
		FullName: "read-only", CreatedOn: time.Now()}
	body, ok := odata.ProjectJSON[leadCreate](l, true)
	if !ok {
		t.Fatal("the fast path gave up on an onboarding lead")
	}
	want := `{"budgetamount":5000000,"lastname":"Pinto","msdyn_b2bcommerceprospect":true,` +
		`"subject":"B2B onboarding request: Deskpro","transactioncurrencyid@odata.bind":"/transactioncurrencies(dbce9d1c-c29c-ee11-be36-000d3abf077e)"}`
	if string(body) != want {
		t.Errorf("body\n%s\nwant\n%s", body, want)
	}
}
