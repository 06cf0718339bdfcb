package sales

import (
	"time"

	"github.com/b2bflow/d365"
	"github.com/b2bflow/d365/internal/odata"
	"github.com/google/uuid"
)

// Opportunity is a record of the opportunities table. Each field names its
// Dataverse column. Read-only columns (State, CreatedOn, ModifiedOn,
// ActualValue and the totals) are never sent by Create.
type Opportunity struct {
	// Annotations holds the ETag, the formatted values and the lookups'
	// tables, such as opp.LookupLogicalName("_customerid_value").
	d365.Annotations

	// ID is opportunityid. Set it before Create to choose the id yourself.
	ID uuid.UUID `json:"opportunityid,omitzero"`
	// Name is the topic (name): required.
	Name        string `json:"name,omitempty"`
	Description string `json:"description,omitempty"`

	// CustomerID is the customer (customerid), an account or a contact:
	// see LookupLogicalName("_customerid_value").
	CustomerID uuid.UUID `json:"_customerid_value,omitzero"`
	// ParentAccountID is parentaccountid.
	ParentAccountID uuid.UUID `json:"_parentaccountid_value,omitzero"`
	// ParentContactID is parentcontactid.
	ParentContactID uuid.UUID `json:"_parentcontactid_value,omitzero"`
	// OriginatingLeadID is the lead the opportunity was qualified from
	// (originatingleadid).
	OriginatingLeadID uuid.UUID `json:"_originatingleadid_value,omitzero"`
	// TransactionCurrencyID is the currency (transactioncurrencyid):
	// required.
	TransactionCurrencyID uuid.UUID `json:"_transactioncurrencyid_value,omitzero"`

	// EstimatedValue is estimatedvalue, in the opportunity's currency.
	EstimatedValue d365.Decimal `json:"estimatedvalue,omitempty"`
	// ActualValue is actualvalue, set when the opportunity is closed.
	ActualValue d365.Decimal `json:"actualvalue,omitempty"`
	// TotalAmount is totalamount (read-only, computed from the products).
	TotalAmount d365.Decimal `json:"totalamount,omitempty"`
	// ExchangeRate is exchangerate, to the base currency (read-only).
	ExchangeRate d365.Decimal `json:"exchangerate,omitempty"`
	// CloseProbability is closeprobability, a percentage.
	CloseProbability *int `json:"closeprobability,omitempty"`
	// EstimatedCloseDate is estimatedclosedate (date only).
	EstimatedCloseDate d365.Date `json:"estimatedclosedate,omitzero"`
	// ActualCloseDate is actualclosedate (date only), set when closed.
	ActualCloseDate d365.Date `json:"actualclosedate,omitzero"`

	// State is statecode (read-only: Win and Lose change it), nil when not
	// returned.
	State *OpportunityState `json:"statecode,omitempty"`
	// Status is statuscode, zero when not returned.
	Status OpportunityStatus `json:"statuscode,omitempty"`

	CreatedOn  time.Time `json:"createdon,omitzero"`  // read-only
	ModifiedOn time.Time `json:"modifiedon,omitzero"` // read-only
}

// opportunityJSON is Opportunity without its methods, for decoding.
type opportunityJSON Opportunity

// UnmarshalJSON decodes an opportunity record with its annotations.
func (o *Opportunity) UnmarshalJSON(b []byte) error {
	*o = Opportunity{}
	return odata.DecodeRecord(b, (*opportunityJSON)(o), &o.Annotations)
}

// createFields returns the columns Create sends.
func (o *Opportunity) createFields() *fields {
	f := newFields()
	f.required("Opportunity.Name", "name", o.Name, 300)
	f.requiredID("Opportunity.TransactionCurrencyID", "transactioncurrencyid", o.TransactionCurrencyID)
	set(f, "name", o.Name)
	set(f, "description", o.Description)
	bindCustomer(f, "customerid", o.CustomerID, o.LookupLogicalName("_customerid_value"))
	f.bind("parentaccountid", "accounts", o.ParentAccountID)
	f.bind("parentcontactid", "contacts", o.ParentContactID)
	f.bind("originatingleadid", "leads", o.OriginatingLeadID)
	f.bind("transactioncurrencyid", "transactioncurrencies", o.TransactionCurrencyID)
	f.decimal("Opportunity.EstimatedValue", "estimatedvalue", o.EstimatedValue)
	setPtr(f, "closeprobability", o.CloseProbability)
	set(f, "estimatedclosedate", o.EstimatedCloseDate)
	return f
}

// bindCustomer binds a customer lookup (an account or a contact) through
// its table-specific navigation property, such as customerid_account. The
// table is the lookup's logical name when the record was read from the
// service, else account.
func bindCustomer(f *fields, nav string, id uuid.UUID, table string) {
	if table == "contact" {
		f.bind(nav+"_contact", "contacts", id)
		return
	}
	f.bind(nav+"_account", "accounts", id)
}
