package commerce

import (
	"context"
	"strings"

	"github.com/b2bflow/d365"
	"github.com/b2bflow/d365/internal/odata"
)

// The customer writes that activating a B2B business partner makes: the
// credit terms of the Organization customer and the Person customers of
// the partner's users.
//
// Field names are those of the CustomersV3 entity in the service's
// metadata (the project's schema reference, finops.json, from a client
// generated from a real $metadata): CreditLimit (Edm.Decimal),
// CreditLimitIsMandatory and AllowOnAccount (enum NoYes), InvoiceAccount,
// CustomerGroupId, PersonFirstName, PersonLastName, PrimaryContactEmail,
// PartyType. What each means for a B2B site is in Microsoft's "Configure the
// customer account payment method for B2B e-commerce sites" (Commerce
// documentation, articles/commerce/b2b/payment-method.md): the credit limit
// and "Mandatory credit limit" on the Credit and collections FastTab, "Allow
// on account" in the payment defaults, and the invoice account of a user's
// customer set to the organization's account, so that the site invoices
// the organization and uses its credit limit.

// CustomerChanges are the fields Customers.Update sets on a customer
// (PATCH CustomersV3(...)). Nil and empty fields are left as they are.
type CustomerChanges struct {
	// CreditLimit is the customer's credit limit, in its currency.
	CreditLimit *d365.Decimal `json:"CreditLimit,omitempty"`
	// CreditLimitIsMandatory (Yes or No) makes the credit limit checked
	// even when the credit limit type is None.
	CreditLimitIsMandatory NoYes `json:"CreditLimitIsMandatory,omitempty"`
	// AllowOnAccount (Yes or No) allows the customer account payment
	// method.
	AllowOnAccount NoYes `json:"AllowOnAccount,omitempty"`
	// InvoiceAccount is the customer account invoices go to.
	InvoiceAccount string `json:"InvoiceAccount,omitempty"`
	// CustomerGroupID is the customer group.
	CustomerGroupID string `json:"CustomerGroupId,omitempty"`
}

// IsZero reports whether ch changes nothing.
func (ch *CustomerChanges) IsZero() bool { return ch == nil || *ch == CustomerChanges{} }

// check refuses values the service would refuse, naming the field.
func (ch *CustomerChanges) check(op string) error {
	if ch.CreditLimit != nil {
		if _, err := d365.NewDecimal(string(*ch.CreditLimit)); err != nil {
			return d365.NewInputError("commerce: "+op, "CustomerChanges.CreditLimit", "%q is not a decimal number", string(*ch.CreditLimit))
		}
		if strings.HasPrefix(string(*ch.CreditLimit), "-") {
			return d365.NewInputError("commerce: "+op, "CustomerChanges.CreditLimit", "is %s: a credit limit is not negative", *ch.CreditLimit)
		}
	}
	for _, f := range []struct {
		name string
		v    NoYes
	}{{"CreditLimitIsMandatory", ch.CreditLimitIsMandatory}, {"AllowOnAccount", ch.AllowOnAccount}} {
		if f.v != "" && f.v != Yes && f.v != No {
			return d365.NewInputError("commerce: "+op, "CustomerChanges."+f.name, "is %q: give commerce.Yes or commerce.No", string(f.v))
		}
	}
	return nil
}

// Update sets the fields of ch on the customer with the given account in
// company, such as
//
//	PATCH CustomersV3(dataAreaId='usrt',CustomerAccount='US-001')
//	{"CreditLimit":25000,"CreditLimitIsMandatory":"Yes"}
//
// o.IfMatch names the ETag the customer must still have; nil or empty
// means any version ("*"), and then the PATCH is retried after a lost
// connection (sending it twice has the effect of once). An unknown
// customer fails with an error matching d365.ErrNotFound.
func (s *CustomerService) Update(ctx context.Context, company, account string, ch *CustomerChanges, o *d365.UpdateOptions) error {
	const op = "Customers.Update"
	p, err := customers.path(op, company, account)
	if err != nil {
		return err
	}
	if ch.IsZero() {
		return d365.NewInputError("commerce: "+op, "changes", "change nothing")
	}
	if err := ch.check(op); err != nil {
		return err
	}
	return odata.Update(ctx, s.c.od, "commerce: "+op, p, ch, o)
}

// Create creates a customer and returns it as the service stored it, with
// the customer account and party number it allocated, such as a B2B user's
// Person customer:
//
//	POST CustomersV3
//	{"dataAreaId":"usrt","PartyType":"Person","PersonFirstName":"Robin",
//	 "PersonLastName":"Buyer","PrimaryContactEmail":"robin@partner.example",
//	 "InvoiceAccount":"US-001"}
//
// c.DataAreaID empty means Options.Company; c.PartyType is required. With
// dual-write, a Person customer becomes a sellable contact in Dataverse
// and an Organization customer an account (the Customers V3 maps).
//
// Create is not retried after a lost connection: the service allocates
// the account, so a second attempt would create a second customer. Look
// the customer up (by its e-mail address, say) before creating it again.
func (s *CustomerService) Create(ctx context.Context, c *Customer) (*Customer, error) {
	const op = "Customers.Create"
	if c == nil {
		return nil, required(op, "customer", "")
	}
	body := *c
	body.Annotations = d365.Annotations{}
	if body.DataAreaID == "" {
		body.DataAreaID = s.c.company
	}
	if err := required(op, "Customer.DataAreaID (or Options.Company)", body.DataAreaID); err != nil {
		return nil, err
	}
	switch body.PartyType {
	case PartyOrganization, PartyPerson:
	case "":
		return nil, required(op, "Customer.PartyType", "")
	default:
		return nil, d365.NewInputError("commerce: "+op, "Customer.PartyType", "is %q: give commerce.PartyOrganization or commerce.PartyPerson", string(body.PartyType))
	}
	if body.CreditLimit != "" {
		if _, err := d365.NewDecimal(string(body.CreditLimit)); err != nil {
			return nil, d365.NewInputError("commerce: "+op, "Customer.CreditLimit", "%q is not a decimal number", string(body.CreditLimit))
		}
	}
	resp, err := odata.Create(ctx, s.c.od, &odata.Request{
		Path:   customers.set,
		Body:   &body,
		Prefer: odata.Prefer{ReturnRepresentation: true},
	})
	if err != nil {
		return nil, err
	}
	created := new(Customer)
	if err := resp.Decode(created); err != nil {
		return nil, err
	}
	return created, nil
}

// ByEmail lists the customers of company whose primary e-mail address
// (PrimaryContactEmail) is email and whose party type is party (any when
// empty), such as the Person customer a B2B user signs in as. Commerce
// must find exactly one customer per e-mail address in a company for the
// user to sign in to the site (articles/commerce/b2b/manage-b2b-users.md).
func (s *CustomerService) ByEmail(ctx context.Context, company, email string, party PartyType) ([]Customer, error) {
	const op = "Customers.ByEmail"
	if err := required(op, "company", company); err != nil {
		return nil, err
	}
	if err := required(op, "email", email); err != nil {
		return nil, err
	}
	filter := d365.Filterf("PrimaryContactEmail eq %v", email)
	if party != "" {
		filter += " and " + d365.Filterf("PartyType eq %v", string(party))
	}
	return collect(s.List(ctx, &ListOptions{Company: company, Query: d365.Query{Filter: filter}}))
}
