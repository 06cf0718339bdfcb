package commerce

import (
	"context"
	"iter"

	"github.com/b2bflow/d365"
)

// CustomerService reads customers (entity CustomersV3). Use it through
// Client.Customers.
type CustomerService struct{ c *Client }

// Get reads the customer with the given account in company, such as
// GET CustomersV3(dataAreaId='usrt',CustomerAccount='C-0042'). An unknown
// customer fails with an error matching d365.ErrNotFound.
func (s *CustomerService) Get(ctx context.Context, company, account string, o *d365.GetOptions) (*Customer, error) {
	return get[Customer](ctx, s.c, customers, "Customers.Get", company, account, o)
}

// List pages through the customers that o selects (nil: every customer of
// the default company).
func (s *CustomerService) List(ctx context.Context, o *ListOptions) iter.Seq2[*Customer, error] {
	return list[Customer](ctx, s.c, customers, "Customers.List", o)
}

// Pages pages through the customers that o selects a page at a time (see
// ProspectService.Pages).
func (s *CustomerService) Pages(ctx context.Context, o *ListOptions) iter.Seq2[*d365.Page[Customer], error] {
	return pages[Customer](ctx, s.c, customers, "Customers.Pages", o)
}

// ByPartyNumber returns the customer of the default company whose party is
// partyNumber, such as the Organization customer created for an approved
// prospect. When there is none, the error matches d365.ErrNotFound.
func (s *CustomerService) ByPartyNumber(ctx context.Context, partyNumber string) (*Customer, error) {
	if err := required("Customers.ByPartyNumber", "partyNumber", partyNumber); err != nil {
		return nil, err
	}
	seq := s.List(ctx, &ListOptions{Query: d365.Query{
		Filter: d365.Filterf("PartyNumber eq %v", partyNumber),
		Top:    1,
	}})
	return first(seq, "customer with party number "+partyNumber)
}
