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

	// ParentAccount (parentaccountid), OriginatingLead (originatingleadid)
	// and Closes (Opportunity_OpportunityClose, the close activities of Win
	// and Lose) are filled when a Get or List expands them ($expand), nil
	// otherwise.
	ParentAccount   *Account            `json:"parentaccountid,omitempty"`
	OriginatingLead *Lead               `json:"originatingleadid,omitempty"`
	Closes          []*OpportunityClose `json:"Opportunity_OpportunityClose,omitempty"`

	// Custom holds the columns the struct has no field for, by logical
	// name, such as a custom column new_vatnumber. Read: every other
	// column the service returned, kept as received until read
	// (Custom.Get, Custom.Map: numbers as json.Number, in the exact text
	// received; lookups as _<name>_value). Create sends them as they are
	// (empty: none; build them with d365.NewColumns or Custom.Set); a name
	// the struct has a field for is refused. See Example_customColumn.
	Custom d365.Columns `json:"-" d365:"custom"`
}

// opportunityJSON is Opportunity without its methods, for decoding.
type opportunityJSON Opportunity

// UnmarshalJSON decodes an opportunity record with its annotations.
func (o *Opportunity) UnmarshalJSON(b []byte) error {
	*o = Opportunity{}
	return odata.DecodeRecord(b, (*opportunityJSON)(o), &o.Annotations)
}

// write returns what Create sends: the writable fields of o that are set.
func (o *Opportunity) write() *opportunityWrite {
	w := convert[opportunityWrite](o)
	w.CustomerAccount, w.CustomerContact = customer(o.CustomerID, o.LookupLogicalName(odata.Column[Opportunity]("CustomerID")))
	return w
}

// opportunityWrite is the body of Opportunities.Create.
type opportunityWrite struct {
	ID          uuid.UUID `json:"opportunityid"`
	Name        string    `json:"name" d365:"required,max=300"`
	Description string    `json:"description"`
	// The customer is an account or a contact, each bound through its
	// own navigation property.
	CustomerAccount       uuid.UUID    `json:"customerid_account@odata.bind" d365:"bind=accounts"`
	CustomerContact       uuid.UUID    `json:"customerid_contact@odata.bind" d365:"bind=contacts"`
	ParentAccountID       uuid.UUID    `json:"parentaccountid@odata.bind" d365:"bind=accounts"`
	ParentContactID       uuid.UUID    `json:"parentcontactid@odata.bind" d365:"bind=contacts"`
	OriginatingLeadID     uuid.UUID    `json:"originatingleadid@odata.bind" d365:"bind=leads"`
	TransactionCurrencyID uuid.UUID    `json:"transactioncurrencyid@odata.bind" d365:"bind=transactioncurrencies,required"`
	EstimatedValue        d365.Decimal `json:"estimatedvalue"`
	CloseProbability      *int         `json:"closeprobability"`
	EstimatedCloseDate    d365.Date    `json:"estimatedclosedate"`

	Custom map[string]any `json:"-" d365:"custom"` // the read type's Custom
}

// customer returns the id of a customer lookup (an account or a contact)
// as the account or the contact to bind: the table is the lookup's logical
// name when the record was read from the service, else account.
func customer(id uuid.UUID, table string) (account, contact uuid.UUID) {
	if table == "contact" {
		return uuid.Nil, id
	}
	return id, uuid.Nil
}
