package onboarding

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/b2bflow/d365"
	"github.com/b2bflow/d365/commerce"
	"github.com/b2bflow/d365/sales"
	"github.com/google/uuid"
)

// The B2B users of a partner: the nodes of its customer hierarchy, each
// with its Person customer and Sales contact (see activate.go for the
// sources).

// PartnerUser is a B2B user for Activate to add to a partner.
type PartnerUser struct {
	FirstName string
	// LastName is required.
	LastName string
	// Email is the user's primary e-mail address, with which the user
	// signs in to the site. It identifies the user: the Person customer of
	// the company with this address is the user's.
	Email string
	// Role is commerce.RoleUser when empty. A hierarchy has one Admin:
	// commerce.RoleAdmin is accepted only for the user who is already the
	// Admin, or for a partner without one.
	Role commerce.NodeRole
}

// User is a B2B user of a partner: a node of its customer hierarchy, with
// its Person customer and the Sales contact dual-write made of it.
type User struct {
	// Role is the node's role: Admin or User.
	Role commerce.NodeRole
	// PartyNumber is the node's party (NodePartyNumber).
	PartyNumber string
	// CustomerAccount, Email, FirstName and LastName are those of the
	// Person customer; empty when the company has no customer of the
	// party.
	CustomerAccount, Email, FirstName, LastName string
	// InvoiceAccount is the customer's invoice account: the
	// organization's account when its orders are invoiced to it.
	InvoiceAccount string
	// ContactID is the Sales contact of the customer (msdyn_contactpersonid
	// = CustomerAccount); uuid.Nil when Sales has none (yet).
	ContactID uuid.UUID
}

// Users lists the B2B users of an approved partner, the Admin first: the
// nodes of its customer hierarchy with their Person customers and Sales
// contacts. It waits, as Activate does, until Commerce shows the approval.
func (s *Service) Users(ctx context.Context, leadID uuid.UUID) ([]User, error) {
	out := &Outcome{LeadID: leadID, Decision: Approve}
	p, err := s.partner(ctx, out, 0)
	if err != nil {
		return nil, err
	}
	return s.listUsers(ctx, p, out.Commerce.HierarchyID)
}

// RemoveUser removes the B2B user with the given e-mail address from an
// approved partner: its customer leaves the hierarchy (the customer and its
// contact stay, as when the administrator removes a user on the site). A
// user who is not a member is reported StepAlreadyDone; the Admin cannot
// be removed.
func (s *Service) RemoveUser(ctx context.Context, leadID uuid.UUID, email string) (*Outcome, error) {
	return s.tel.carryOn(ctx, "remove user", func(ctx context.Context) (*Outcome, error) { return s.removeUser(ctx, leadID, email) })
}

func (s *Service) removeUser(ctx context.Context, leadID uuid.UUID, email string) (*Outcome, error) {
	out := &Outcome{LeadID: leadID, Decision: Approve}
	if err := checkEmail("email", email); err != nil {
		return out, err
	}
	p, err := s.partner(ctx, out, 0)
	if err != nil {
		return out, err
	}
	start := time.Now()
	hid := out.Commerce.HierarchyID
	fail := func(err error) (*Outcome, error) {
		s.stepOf(ctx, out, StepRemoveUser, email, StepFailed, start, err)
		return out, fmt.Errorf("onboarding: remove user from lead %s: %w", leadID, err)
	}
	c, err := s.userCustomer(ctx, p, email)
	if err != nil {
		return fail(err)
	}
	n, member := commerce.HierarchyNode{}, false
	if c != nil {
		n, member = p.nodes[c.PartyNumber]
	}
	if !member {
		s.stepOf(ctx, out, StepRemoveUser, email, StepAlreadyDone, start, nil)
	} else {
		if n.Role == commerce.RoleAdmin {
			return fail(fmt.Errorf("%s is the partner's Admin: a partner keeps its administrator (change the Admin in Commerce headquarters)", email))
		}
		status, err := s.runStep(ctx, func() error {
			err := p.cc.Hierarchies.RemoveNode(ctx, hid, c.PartyNumber)
			if errors.Is(err, d365.ErrNotFound) {
				return errNodeGone
			}
			return err
		}, func() (verdict, error) {
			return nodeVerdict(ctx, p, hid, c.PartyNumber, false)
		})
		if err != nil {
			return fail(err)
		}
		delete(p.nodes, c.PartyNumber)
		s.stepOf(ctx, out, StepRemoveUser, email, status, start, nil)
	}
	users, err := s.listUsers(ctx, p, hid)
	if err != nil {
		return out, fmt.Errorf("onboarding: remove user from lead %s: listing the users: %w", leadID, err)
	}
	out.Users = users
	return out, nil
}

// errNodeGone is what a DELETE that met no node reports to runStep, which
// then reads the node to tell (it is gone: the step took effect).
var errNodeGone = errors.New("onboarding: the node was not found")

// partner reads the request and waits until Commerce shows it approved,
// filling out (its ids, company and Commerce state), and reads the
// Organization customer and the hierarchy's nodes.
func (s *Service) partner(ctx context.Context, out *Outcome, timeout time.Duration) (*partner, error) {
	if !s.hasCommerce() {
		return nil, errors.New("onboarding: the Service has no Commerce client: activation writes to Commerce")
	}
	if s.cos.err != nil {
		return nil, s.cos.err
	}
	lead, err := s.begin(ctx, out)
	if err != nil {
		return nil, err
	}
	if leadState(lead) != sales.LeadStateQualified {
		return nil, fmt.Errorf("%w: lead %s is %s (%s)", ErrNotApproved, out.LeadID, leadState(lead), lead.Status)
	}
	opp, err := s.qualifiedOpportunity(ctx, out, lead)
	if err != nil {
		return nil, err
	}
	if st := oppState(opp); st != sales.OpportunityStateWon {
		return nil, fmt.Errorf("%w: the opportunity of lead %s is %s (%s)", ErrNotApproved, out.LeadID, st, opp.Status)
	}
	if err := s.locate(ctx, out, lead); err != nil {
		return nil, err
	}
	last, err := s.confirmed(ctx, out, true, timeout)
	if err != nil {
		return nil, err
	}
	p := &partner{company: out.Company, cc: s.commerceFor(out.Company), org: last.org, admin: last.person,
		nodes: map[string]commerce.HierarchyNode{}}
	for _, n := range last.hierarchy.Nodes {
		p.nodes[n.NodePartyNumber] = n
	}
	return p, nil
}

// addUser makes u a member of the partner: its Person customer (found by
// its e-mail address, else created) and its node.
func (s *Service) addUser(ctx context.Context, out *Outcome, p *partner, u PartnerUser, invoiceOrg bool) error {
	role := u.Role
	if role == "" {
		role = commerce.RoleUser
	}
	hid := out.Commerce.HierarchyID
	start := time.Now()
	fail := func(name StepName, err error) error {
		s.stepOf(ctx, out, name, u.Email, StepFailed, start, err)
		if errors.Is(err, ErrConflict) {
			return err
		}
		return fmt.Errorf("onboarding: activate lead %s: %s %s: %w", out.LeadID, name, u.Email, err)
	}
	c, err := s.userCustomer(ctx, p, u.Email)
	if err != nil {
		return fail(StepUserCustomer, err)
	}
	if role == commerce.RoleAdmin {
		for party, n := range p.nodes {
			if n.Role == commerce.RoleAdmin && (c == nil || party != c.PartyNumber) {
				return fail(StepUserNode, fmt.Errorf("the partner already has an Admin (party %s): a customer hierarchy has one", party))
			}
		}
	}
	if c != nil {
		s.stepOf(ctx, out, StepUserCustomer, u.Email, StepAlreadyDone, start, nil)
	} else {
		body := &commerce.Customer{
			DataAreaID: p.company, PartyType: commerce.PartyPerson,
			PersonFirstName: u.FirstName, PersonLastName: u.LastName, PrimaryContactEmail: u.Email,
			// The customers of a hierarchy should share the
			// organization's settings (partners-customer-hierarchies.md).
			CustomerGroupID: p.org.CustomerGroupID, SalesCurrencyCode: p.org.SalesCurrencyCode,
		}
		if invoiceOrg {
			body.InvoiceAccount = p.org.CustomerAccount
		}
		status, err := s.runStep(ctx, func() (err error) {
			c, err = p.cc.Customers.Create(ctx, body)
			return err
		}, func() (verdict, error) {
			found, err := s.userCustomer(ctx, p, u.Email)
			if err != nil || found == nil {
				return notApplied, err
			}
			c = found
			return applied, nil
		})
		if err != nil {
			return fail(StepUserCustomer, err)
		}
		s.stepOf(ctx, out, StepUserCustomer, u.Email, status, start, nil)
	}

	start = time.Now()
	if n, ok := p.nodes[c.PartyNumber]; ok {
		if n.Role != role {
			return fail(StepUserNode, fmt.Errorf("%w: lead %s: the user %s is in the hierarchy as %s, not %s (change the role with commerce's Hierarchies.SetRole)",
				ErrConflict, out.LeadID, u.Email, n.Role, role))
		}
		s.stepOf(ctx, out, StepUserNode, u.Email, StepAlreadyDone, start, nil)
		return nil
	}
	node := &commerce.HierarchyNode{CustomerHierarchyID: hid, NodePartyNumber: c.PartyNumber, Role: role, NodeType: commerce.NodeCustomer}
	status, err := s.runStep(ctx, func() error {
		_, err := p.cc.Hierarchies.AddNode(ctx, node)
		return err
	}, func() (verdict, error) {
		return nodeVerdict(ctx, p, hid, c.PartyNumber, true)
	})
	if err != nil {
		return fail(StepUserNode, err)
	}
	p.nodes[c.PartyNumber] = *node
	s.stepOf(ctx, out, StepUserNode, u.Email, status, start, nil)
	return nil
}

// nodeVerdict reads the node of party: applied when its presence is want.
func nodeVerdict(ctx context.Context, p *partner, hid, party string, want bool) (verdict, error) {
	_, err := p.cc.Hierarchies.Node(ctx, hid, party)
	switch {
	case errors.Is(err, d365.ErrNotFound):
		if want {
			return notApplied, nil
		}
		return applied, nil
	case err != nil:
		return notApplied, err
	case want:
		return applied, nil
	}
	return notApplied, nil
}

// userCustomer returns the Person customer of the company with the e-mail
// address; nil when there is none. Several are an error: Commerce could
// not sign the user in (manage-b2b-users.md).
func (s *Service) userCustomer(ctx context.Context, p *partner, email string) (*commerce.Customer, error) {
	found, err := p.cc.Customers.ByEmail(ctx, p.company, email, commerce.PartyPerson)
	switch {
	case err != nil:
		return nil, err
	case len(found) > 1:
		var accounts []string
		for _, c := range found {
			accounts = append(accounts, c.CustomerAccount)
		}
		return nil, fmt.Errorf("%d Person customers of company %s have the e-mail address %s (%s): Commerce signs a user in only when one has; remove the duplicates",
			len(found), p.company, email, strings.Join(accounts, ", "))
	case len(found) == 1:
		return &found[0], nil
	}
	return nil, nil
}

// listUsers reads the partner's users: the hierarchy's nodes, their
// customers (one query per 50 nodes) and their contacts in Sales (one
// query per 50 customers).
func (s *Service) listUsers(ctx context.Context, p *partner, hid string) ([]User, error) {
	var users []User
	for n, err := range p.cc.Hierarchies.Nodes(ctx, hid) {
		if err != nil {
			return nil, err
		}
		users = append(users, User{Role: n.Role, PartyNumber: n.NodePartyNumber})
	}
	for chunk := range slices.Chunk(users, prospectGroup) {
		filter := anyOf("PartyNumber", chunk, func(u User) any { return u.PartyNumber })
		byParty := map[string]*commerce.Customer{}
		for c, err := range p.cc.Customers.List(ctx, &commerce.ListOptions{Company: p.company, Query: d365.Query{Filter: filter}}) {
			if err != nil {
				return nil, err
			}
			byParty[c.PartyNumber] = c
		}
		for i := range chunk {
			if c := byParty[chunk[i].PartyNumber]; c != nil {
				chunk[i].CustomerAccount, chunk[i].Email = c.CustomerAccount, c.PrimaryContactEmail
				chunk[i].FirstName, chunk[i].LastName, chunk[i].InvoiceAccount = c.PersonFirstName, c.PersonLastName, c.InvoiceAccount
			}
		}
	}
	var withAccount []*User
	for i := range users {
		if users[i].CustomerAccount != "" {
			withAccount = append(withAccount, &users[i])
		}
	}
	for chunk := range slices.Chunk(withAccount, prospectGroup) {
		filter := anyOf("msdyn_contactpersonid", chunk, func(u *User) any { return u.CustomerAccount })
		byAccount := map[string]uuid.UUID{}
		for c, err := range s.sales.Contacts.List(ctx, &sales.ListOptions{Query: d365.Query{
			Select: []string{"contactid", "msdyn_contactpersonid"}, Filter: filter,
		}}) {
			if err != nil {
				return nil, err
			}
			byAccount[strings.ToLower(c.ContactPersonID)] = c.ID
		}
		for _, u := range chunk {
			u.ContactID = byAccount[strings.ToLower(u.CustomerAccount)]
		}
	}
	slices.SortFunc(users, func(a, b User) int {
		if (a.Role == commerce.RoleAdmin) != (b.Role == commerce.RoleAdmin) {
			if a.Role == commerce.RoleAdmin {
				return -1
			}
			return 1
		}
		return strings.Compare(strings.ToLower(a.Email), strings.ToLower(b.Email))
	})
	return users, nil
}

// checkUsers refuses bad users before any request, naming the field.
func checkUsers(users []PartnerUser) error {
	seen := map[string]bool{}
	for i, u := range users {
		field := fmt.Sprintf("ActivateOptions.Users[%d]", i)
		if err := checkEmail(field+".Email", u.Email); err != nil {
			return err
		}
		if strings.TrimSpace(u.LastName) == "" {
			return d365.NewInputError("onboarding: Activate", field+".LastName", "is empty")
		}
		switch u.Role {
		case "", commerce.RoleUser, commerce.RoleAdmin:
		default:
			return d365.NewInputError("onboarding: Activate", field+".Role", "is %q: give commerce.RoleUser or commerce.RoleAdmin", string(u.Role))
		}
		key := strings.ToLower(u.Email)
		if seen[key] {
			return d365.NewInputError("onboarding: Activate", field+".Email", "%s is given twice", u.Email)
		}
		seen[key] = true
	}
	return nil
}

// checkEmail refuses what is not an e-mail address.
func checkEmail(field, email string) error {
	local, domain, ok := strings.Cut(email, "@")
	if !ok || local == "" || domain == "" || strings.ContainsAny(email, " \t\r\n") || strings.Contains(domain, "@") {
		return d365.NewInputError("onboarding", field, "is %q: not an e-mail address", email)
	}
	return nil
}
