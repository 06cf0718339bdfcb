package onboarding_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/b2bflow/d365"
	"github.com/b2bflow/d365/commerce"
	"github.com/b2bflow/d365/dualwrite/dualwritetest"
	"github.com/b2bflow/d365/onboarding"
	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"
)

var (
	yes        = true
	twoUsers   = []onboarding.PartnerUser{{FirstName: "Robin", LastName: "Buyer", Email: "robin@partner.example"}, {FirstName: "Sam", LastName: "Orders", Email: "sam@partner.example"}}
	creditPlan = onboarding.CreditTerms{CreditLimit: "25000", Mandatory: &yes, AllowOnAccount: &yes}
)

// approved submits a request and approves it, waiting for Commerce.
func (e *env) approved(t *testing.T) uuid.UUID {
	t.Helper()
	id := e.submit(t, 1)[0]
	if _, err := e.svc.Approve(context.Background(), id, &onboarding.ApproveOptions{Confirm: &onboarding.ConfirmOptions{}}); err != nil {
		t.Fatal(err)
	}
	return id
}

// partnerCounts counts what activation creates, over the emulator's
// surface: Commerce customers, Sales contacts, Commerce hierarchy nodes and
// their Dataverse mirrors.
func (e *env) partnerCounts() [4]int {
	return [4]int{e.srv.Count("CustomersV3"), e.srv.Count("contacts"), e.srv.Count("CustomerHierarchyNodes"), e.srv.Count("msdyn_customerhierarchynodes")}
}

// writes counts the write requests (POST, PATCH, DELETE) the emulator
// received, and all requests.
func (e *env) writes() (writes, all int) {
	for _, r := range e.srv.Requests() {
		all++
		if r.Method != http.MethodGet {
			writes++
		}
	}
	return writes, all
}

// row returns the emulator's record of an entity whose field is v.
func (e *env) row(t *testing.T, entity, field string, v any) map[string]any {
	t.Helper()
	for _, r := range e.srv.Rows(entity) {
		if r[field] == v {
			return r
		}
	}
	t.Fatalf("no %s with %s = %v", entity, field, v)
	return nil
}

func stepsWithSubject(o *onboarding.Outcome) []string {
	var s []string
	for _, st := range o.Steps {
		x := string(st.Name) + ":" + string(st.Status)
		if st.Subject != "" {
			x += ":" + st.Subject
		}
		s = append(s, x)
	}
	return s
}

// TestActivateEndToEnd approves a request, then activates the partner with
// a credit limit and two more users: the hierarchy shows the Admin and two
// Users, each with a Person customer invoicing the organization and a
// contact in Sales. Running Activate again sends no write and creates
// nothing, and a third run sends the same requests as the second.
func TestActivateEndToEnd(t *testing.T) {
	e := newEnv(t, nil)
	id := e.approved(t)
	ctx := context.Background()
	before := e.partnerCounts()
	if before != [4]int{2, 1, 1, 1} {
		t.Fatalf("after approval: customers, contacts, nodes, mirrored nodes = %v", before)
	}

	e.srv.ResetRequests()
	out, err := e.svc.Activate(ctx, id, &onboarding.ActivateOptions{Credit: creditPlan, Users: twoUsers})
	if err != nil {
		t.Fatalf("Activate: %v (steps %v)", err, stepsWithSubject(out))
	}
	// The README's figures: 6 writes (credit terms, the Admin's invoice
	// account, two customers, two nodes) among 20 requests.
	if w, all := e.writes(); w != 6 || all != 20 {
		t.Errorf("first activation: %d writes, %d requests; want 6 and 20", w, all)
	}
	want := []string{
		"read lead:done", "read opportunity:done", "confirm in Commerce:done",
		"set credit terms:done", "invoice admin to organization:done",
		"create user customer:done:robin@partner.example", "add user to hierarchy:done:robin@partner.example",
		"create user customer:done:sam@partner.example", "add user to hierarchy:done:sam@partner.example",
	}
	if diff := cmp.Diff(want, stepsWithSubject(out)); diff != "" {
		t.Errorf("steps (-want +got):\n%s", diff)
	}
	if got := e.partnerCounts(); got != [4]int{4, 3, 3, 3} {
		t.Errorf("customers, contacts, nodes, mirrored nodes = %v, want [4 3 3 3]", got)
	}
	if out.Company != e.srv.Company() {
		t.Errorf("Outcome.Company = %q", out.Company)
	}
	org := e.row(t, "CustomersV3", "CustomerAccount", out.Commerce.OrganizationAccount)
	if org["CreditLimit"] == nil || chaosStr(org["CreditLimitIsMandatory"]) != "Yes" || chaosStr(org["AllowOnAccount"]) != "Yes" {
		t.Errorf("organization customer: CreditLimit %v, CreditLimitIsMandatory %v, AllowOnAccount %v", org["CreditLimit"], org["CreditLimitIsMandatory"], org["AllowOnAccount"])
	}
	if fmt.Sprint(org["CreditLimit"]) != "25000" {
		t.Errorf("CreditLimit = %v, want 25000", org["CreditLimit"])
	}
	acct := e.row(t, "accounts", "accountnumber", out.Commerce.OrganizationAccount)
	if acct["msdyn_creditlimitismandatory"] != true {
		t.Errorf("the account in Sales: msdyn_creditlimitismandatory = %v, want true (dual-write)", acct["msdyn_creditlimitismandatory"])
	}

	checkUsers := func(users []onboarding.User) {
		t.Helper()
		var got []string
		for _, u := range users {
			got = append(got, string(u.Role)+" "+u.Email)
			if u.CustomerAccount == "" || u.ContactID == uuid.Nil || u.InvoiceAccount != out.Commerce.OrganizationAccount {
				t.Errorf("user %s: customer %q, contact %s, invoice account %q", u.Email, u.CustomerAccount, u.ContactID, u.InvoiceAccount)
			}
			if u.CustomerAccount != "" {
				c := e.row(t, "CustomersV3", "CustomerAccount", u.CustomerAccount)
				ct := e.row(t, "contacts", "msdyn_contactpersonid", u.CustomerAccount)
				if c["PartyType"] != "Person" || c["PartyNumber"] != u.PartyNumber || ct["contactid"] != u.ContactID.String() {
					t.Errorf("user %s: customer %v, contact %v", u.Email, c, ct["contactid"])
				}
			}
		}
		wantUsers := []string{"Admin avery000@partner.example", "User robin@partner.example", "User sam@partner.example"}
		if diff := cmp.Diff(wantUsers, got); diff != "" {
			t.Errorf("users (-want +got):\n%s", diff)
		}
	}
	checkUsers(out.Users)
	users, err := e.svc.Users(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	checkUsers(users)

	// Again: only reads; nothing new.
	rerun := func() int {
		t.Helper()
		e.srv.ResetRequests()
		out, err := e.svc.Activate(ctx, id, &onboarding.ActivateOptions{Credit: creditPlan, Users: twoUsers})
		if err != nil {
			t.Fatalf("re-run: %v", err)
		}
		for _, st := range out.Steps[3:] {
			if st.Status != onboarding.StepAlreadyDone {
				t.Errorf("re-run step %s (%s): %s, want already done", st.Name, st.Subject, st.Status)
			}
		}
		checkUsers(out.Users)
		w, all := e.writes()
		if w != 0 {
			t.Errorf("re-run sent %d writes", w)
		}
		if got := e.partnerCounts(); got != [4]int{4, 3, 3, 3} {
			t.Errorf("after re-run: %v", got)
		}
		return all
	}
	if second, third := rerun(), rerun(); second != 14 || third != 14 {
		t.Errorf("requests of the second and third runs: %d, %d; want 14 reads each", second, third)
	}
}

// TestActivateRemoveUser removes a user: the node goes (in Commerce and its
// mirror in Dataverse), the customer and the contact stay; removing again,
// or removing someone who is not a user, changes nothing; the Admin stays.
func TestActivateRemoveUser(t *testing.T) {
	e := newEnv(t, nil)
	id := e.approved(t)
	ctx := context.Background()
	if _, err := e.svc.Activate(ctx, id, &onboarding.ActivateOptions{Users: twoUsers}); err != nil {
		t.Fatal(err)
	}
	out, err := e.svc.RemoveUser(ctx, id, "ROBIN@partner.example")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"read lead:done", "read opportunity:done", "confirm in Commerce:done", "remove user from hierarchy:done:ROBIN@partner.example"}, stepsWithSubject(out)); diff != "" {
		t.Errorf("steps (-want +got):\n%s", diff)
	}
	if len(out.Users) != 2 || out.Users[1].Email != "sam@partner.example" {
		t.Errorf("users after removal: %+v", out.Users)
	}
	if got := e.partnerCounts(); got != [4]int{4, 3, 2, 2} {
		t.Errorf("customers, contacts, nodes, mirrored nodes = %v, want [4 3 2 2]", got)
	}
	for _, email := range []string{"robin@partner.example", "nobody@partner.example"} {
		e.srv.ResetRequests()
		out, err = e.svc.RemoveUser(ctx, id, email)
		if err != nil {
			t.Fatal(err)
		}
		if st := out.Steps[len(out.Steps)-1]; st.Status != onboarding.StepAlreadyDone {
			t.Errorf("removing %s again: %s", email, st.Status)
		}
		if w, _ := e.writes(); w != 0 {
			t.Errorf("removing %s again sent %d writes", email, w)
		}
	}
	if _, err := e.svc.RemoveUser(ctx, id, "avery000@partner.example"); err == nil || !strings.Contains(err.Error(), "Admin") {
		t.Errorf("removing the Admin: %v", err)
	}
	// Adding the removed user again puts the same customer back.
	out, err = e.svc.Activate(ctx, id, &onboarding.ActivateOptions{Users: twoUsers[:1]})
	if err != nil {
		t.Fatal(err)
	}
	if got := stepsWithSubject(out)[4:]; !cmp.Equal(got, []string{"create user customer:already done:robin@partner.example", "add user to hierarchy:done:robin@partner.example"}) {
		t.Errorf("re-adding: %v", got)
	}
	if got := e.partnerCounts(); got != [4]int{4, 3, 3, 3} {
		t.Errorf("after re-adding: %v", got)
	}
}

// TestActivateResumes fails or loses one write of a first activation, then
// activates again: the second run finishes, and each user has one customer,
// one contact and one node.
func TestActivateResumes(t *testing.T) {
	for _, tc := range []struct {
		name     string
		separate bool // ActivateOptions.SeparateInvoices
		arm      func(*dualwritetest.Server)
		firstErr bool
		first    []string // the first run's steps after the three reads
		second   []string
	}{{
		name:     "credit terms refused",
		arm:      func(s *dualwritetest.Server) { s.FailNext("PATCH", "CustomersV3", http.StatusInternalServerError) },
		firstErr: true,
		first:    []string{"set credit terms:failed"},
		second:   []string{"set credit terms:done", "invoice admin to organization:done", "create user customer:done", "add user to hierarchy:done", "create user customer:done", "add user to hierarchy:done"},
	}, {
		name:   "credit terms' answer lost",
		arm:    func(s *dualwritetest.Server) { s.InjectFault("PATCH", "CustomersV3", dualwritetest.FaultLoseResponse) },
		first:  []string{"set credit terms:done", "invoice admin to organization:done", "create user customer:done", "add user to hierarchy:done", "create user customer:done", "add user to hierarchy:done"},
		second: []string{"set credit terms:already done", "invoice admin to organization:already done", "create user customer:already done", "add user to hierarchy:already done", "create user customer:already done", "add user to hierarchy:already done"},
	}, {
		name:     "user customer refused",
		arm:      func(s *dualwritetest.Server) { s.FailNext("POST", "CustomersV3", http.StatusInternalServerError) },
		firstErr: true,
		first:    []string{"set credit terms:done", "invoice admin to organization:done", "create user customer:failed"},
		second:   []string{"set credit terms:already done", "invoice admin to organization:already done", "create user customer:done", "add user to hierarchy:done", "create user customer:done", "add user to hierarchy:done"},
	}, {
		// The Admin's contact first: changing the Admin's customer
		// writes its contact through dual-write.
		name:     "contact refused by dual-write",
		arm:      func(s *dualwritetest.Server) { s.FailSync("contacts") },
		firstErr: true,
		first:    []string{"set credit terms:done", "invoice admin to organization:failed"},
		second:   []string{"set credit terms:already done", "invoice admin to organization:done", "create user customer:done", "add user to hierarchy:done", "create user customer:done", "add user to hierarchy:done"},
	}, {
		name:     "user's contact refused by dual-write",
		separate: true,
		arm:      func(s *dualwritetest.Server) { s.FailSync("contacts") },
		firstErr: true,
		first:    []string{"set credit terms:done", "create user customer:failed"},
		second:   []string{"set credit terms:already done", "create user customer:done", "add user to hierarchy:done", "create user customer:done", "add user to hierarchy:done"},
	}, {
		name:   "user customer created, answer lost",
		arm:    func(s *dualwritetest.Server) { s.InjectFault("POST", "CustomersV3", dualwritetest.FaultLoseResponse) },
		first:  []string{"set credit terms:done", "invoice admin to organization:done", "create user customer:recovered", "add user to hierarchy:done", "create user customer:done", "add user to hierarchy:done"},
		second: []string{"set credit terms:already done", "invoice admin to organization:already done", "create user customer:already done", "add user to hierarchy:already done", "create user customer:already done", "add user to hierarchy:already done"},
	}, {
		name: "node added, answer lost",
		arm: func(s *dualwritetest.Server) {
			s.InjectFault("POST", "CustomerHierarchyNodes", dualwritetest.FaultLoseResponse)
		},
		first:  []string{"set credit terms:done", "invoice admin to organization:done", "create user customer:done", "add user to hierarchy:recovered", "create user customer:done", "add user to hierarchy:done"},
		second: []string{"set credit terms:already done", "invoice admin to organization:already done", "create user customer:already done", "add user to hierarchy:already done", "create user customer:already done", "add user to hierarchy:already done"},
	}, {
		name: "node dropped before acting",
		arm: func(s *dualwritetest.Server) {
			s.InjectFault("POST", "CustomerHierarchyNodes", dualwritetest.FaultDrop)
		},
		first:  []string{"set credit terms:done", "invoice admin to organization:done", "create user customer:done", "add user to hierarchy:done", "create user customer:done", "add user to hierarchy:done"},
		second: []string{"set credit terms:already done", "invoice admin to organization:already done", "create user customer:already done", "add user to hierarchy:already done", "create user customer:already done", "add user to hierarchy:already done"},
	}, {
		name:     "node mirror refused by dual-write",
		arm:      func(s *dualwritetest.Server) { s.FailSync("msdyn_customerhierarchynodes") },
		firstErr: true,
		first:    []string{"set credit terms:done", "invoice admin to organization:done", "create user customer:done", "add user to hierarchy:failed"},
		second:   []string{"set credit terms:already done", "invoice admin to organization:already done", "create user customer:already done", "add user to hierarchy:done", "create user customer:done", "add user to hierarchy:done"},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, nil)
			id := e.approved(t)
			ctx := context.Background()
			o := &onboarding.ActivateOptions{Credit: creditPlan, Users: twoUsers, SeparateInvoices: tc.separate}
			tc.arm(e.srv)
			out, err := e.svc.Activate(ctx, id, o)
			if (err != nil) != tc.firstErr {
				t.Fatalf("first run: err = %v, want error: %v", err, tc.firstErr)
			}
			if diff := cmp.Diff(tc.first, stepsOf(out)[3:]); diff != "" {
				t.Errorf("first run steps (-want +got):\n%s", diff)
			}
			out, err = e.svc.Activate(ctx, id, o)
			if err != nil {
				t.Fatalf("second run: %v", err)
			}
			if diff := cmp.Diff(tc.second, stepsOf(out)[3:]); diff != "" {
				t.Errorf("second run steps (-want +got):\n%s", diff)
			}
			if got := e.partnerCounts(); got != [4]int{4, 3, 3, 3} {
				t.Errorf("customers, contacts, nodes, mirrored nodes = %v, want [4 3 3 3]", got)
			}
			if len(out.Users) != 3 {
				t.Errorf("users = %+v", out.Users)
			}
		})
	}
}

// TestActivateKilled cuts an activation after each of its steps in turn (a
// kill: the context is cancelled), then activates again: the partner ends
// with its credit terms and one customer, contact and node per user.
func TestActivateKilled(t *testing.T) {
	for cut := 1; cut <= 9; cut++ {
		e := newEnv(t, nil)
		id := e.approved(t)
		ctx, cancel := context.WithCancel(context.Background())
		n := 0
		svc := onboarding.New(e.sales, e.commerce, &onboarding.Options{OnStep: func(uuid.UUID, onboarding.Step) {
			if n++; n == cut {
				cancel()
			}
		}})
		svc.Activate(ctx, id, &onboarding.ActivateOptions{Credit: creditPlan, Users: twoUsers})
		cancel()
		out, err := e.svc.Activate(context.Background(), id, &onboarding.ActivateOptions{Credit: creditPlan, Users: twoUsers})
		if err != nil {
			t.Fatalf("cut after step %d: resume failed: %v", cut, err)
		}
		if got := e.partnerCounts(); got != [4]int{4, 3, 3, 3} {
			t.Errorf("cut after step %d: customers, contacts, nodes, mirrored nodes = %v", cut, got)
		}
		if len(out.Users) != 3 || out.Users[0].Role != commerce.RoleAdmin {
			t.Errorf("cut after step %d: users %+v", cut, out.Users)
		}
	}
}

// TestActivateRefuses checks the errors: a request not approved, bad input
// (before any request), a second Admin, a user already there in another
// role.
func TestActivateRefuses(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	pending := e.submit(t, 1)[0]
	if _, err := e.svc.Activate(ctx, pending, nil); !errors.Is(err, onboarding.ErrNotApproved) {
		t.Errorf("pending request: %v, want ErrNotApproved", err)
	}
	if _, err := e.svc.Reject(ctx, pending, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Activate(ctx, pending, nil); !errors.Is(err, onboarding.ErrNotApproved) {
		t.Errorf("rejected request: %v, want ErrNotApproved", err)
	}

	e.srv.ResetRequests()
	neg := onboarding.CreditTerms{CreditLimit: "-5"}
	for _, tc := range []struct {
		o    *onboarding.ActivateOptions
		want string
	}{
		{&onboarding.ActivateOptions{Users: []onboarding.PartnerUser{{LastName: "X", Email: "not-an-address"}}}, "Users[0].Email"},
		{&onboarding.ActivateOptions{Users: []onboarding.PartnerUser{{Email: "x@y.example"}}}, "Users[0].LastName"},
		{&onboarding.ActivateOptions{Users: []onboarding.PartnerUser{{LastName: "X", Email: "x@y.example", Role: "Owner"}}}, "Users[0].Role"},
		{&onboarding.ActivateOptions{Users: []onboarding.PartnerUser{{LastName: "X", Email: "x@y.example"}, {LastName: "Y", Email: "X@y.example"}}}, "Users[1].Email"},
		{&onboarding.ActivateOptions{Credit: neg}, "Credit.CreditLimit"},
		{&onboarding.ActivateOptions{Credit: onboarding.CreditTerms{CreditLimit: "lots"}}, "Credit.CreditLimit"},
	} {
		_, err := e.svc.Activate(ctx, pending, tc.o)
		var ie *d365.InputError
		if !errors.As(err, &ie) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("err = %v, want an input error naming %s", err, tc.want)
		}
	}
	if _, err := e.svc.RemoveUser(ctx, pending, "nobody"); err == nil || !strings.Contains(err.Error(), "email") {
		t.Errorf("RemoveUser(bad e-mail) = %v", err)
	}
	if n := len(e.srv.Requests()); n != 0 {
		t.Errorf("bad input sent %d requests", n)
	}

	id := e.approved(t)
	if _, err := e.svc.Activate(ctx, id, &onboarding.ActivateOptions{Users: []onboarding.PartnerUser{{LastName: "Boss", Email: "boss@partner.example", Role: commerce.RoleAdmin}}}); err == nil || !strings.Contains(err.Error(), "already has an Admin") {
		t.Errorf("second Admin: %v", err)
	}
	if got := e.srv.Count("CustomersV3"); got != 2 {
		t.Errorf("the refused Admin created customers: %d", got)
	}
	if _, err := e.svc.Activate(ctx, id, &onboarding.ActivateOptions{Users: []onboarding.PartnerUser{{LastName: "Buyer 000", Email: "avery000@partner.example"}}}); !errors.Is(err, onboarding.ErrConflict) {
		t.Errorf("the Admin as a User: %v, want a conflict", err)
	}
	// The Admin asked for as the Admin is already there.
	out, err := e.svc.Activate(ctx, id, &onboarding.ActivateOptions{Users: []onboarding.PartnerUser{{LastName: "Buyer 000", Email: "avery000@partner.example", Role: commerce.RoleAdmin}}})
	if err != nil || stepsWithSubject(out)[len(out.Steps)-1] != "add user to hierarchy:already done:avery000@partner.example" {
		t.Errorf("the Admin as the Admin: %v, %v", err, stepsWithSubject(out))
	}
}
