package sales

import (
	"context"
	"iter"
	"time"

	"github.com/b2bflow/d365"
	"github.com/b2bflow/d365/internal/odata"
	"github.com/google/uuid"
)

// CustomerTypeCustomer is the customertypecode of accounts that are
// customers, the accounts dual-write syncs with Commerce customers of party
// type Organization.
const CustomerTypeCustomer = 3

// Account is a record of the accounts table.
type Account struct {
	// Annotations holds the ETag, the formatted values and the lookups'
	// tables.
	d365.Annotations

	// ID is accountid. Set it before Create to choose the id yourself.
	ID uuid.UUID `json:"accountid,omitzero"`
	// Name is name: required.
	Name string `json:"name,omitempty"`
	// AccountNumber is accountnumber: the Commerce customer account once
	// dual-write has synced the account.
	AccountNumber string `json:"accountnumber,omitempty"`
	Email         string `json:"emailaddress1,omitempty"`
	Phone         string `json:"telephone1,omitempty"`
	WebsiteURL    string `json:"websiteurl,omitempty"`
	Description   string `json:"description,omitempty"`
	// CustomerTypeCode is customertypecode (CustomerTypeCustomer = 3).
	CustomerTypeCode *int `json:"customertypecode,omitempty"`
	// CreditLimit is creditlimit.
	CreditLimit d365.Decimal `json:"creditlimit,omitempty"`
	// Revenue is revenue, the annual revenue.
	Revenue d365.Decimal `json:"revenue,omitempty"`

	// ParentAccountID is parentaccountid.
	ParentAccountID uuid.UUID `json:"_parentaccountid_value,omitzero"`
	// PrimaryContactID is primarycontactid.
	PrimaryContactID uuid.UUID `json:"_primarycontactid_value,omitzero"`
	// TransactionCurrencyID is transactioncurrencyid.
	TransactionCurrencyID uuid.UUID `json:"_transactioncurrencyid_value,omitzero"`

	// State is statecode: 0 Active, 1 Inactive (read-only here).
	State *int `json:"statecode,omitempty"`

	CreatedOn  time.Time `json:"createdon,omitzero"`  // read-only
	ModifiedOn time.Time `json:"modifiedon,omitzero"` // read-only

	// PrimaryContact (primarycontactid) and Contacts
	// (contact_customer_accounts: the contacts whose company is the
	// account) are filled when a Get or List expands them ($expand), nil
	// otherwise.
	PrimaryContact *Contact   `json:"primarycontactid,omitempty"`
	Contacts       []*Contact `json:"contact_customer_accounts,omitempty"`

	// Custom holds the columns the struct has no field for, by logical
	// name, such as a custom column new_vatnumber. Read: every other
	// column the service returned, kept as received until read
	// (Custom.Get, Custom.Map: numbers as json.Number, in the exact text
	// received; lookups as _<name>_value). Create sends them as they are
	// (empty: none; build them with d365.NewColumns or Custom.Set); a name
	// the struct has a field for is refused. See Example_customColumn.
	Custom d365.Columns `json:"-" d365:"custom"`
}

type accountJSON Account

// UnmarshalJSON decodes an account record with its annotations.
func (a *Account) UnmarshalJSON(b []byte) error {
	*a = Account{}
	return odata.DecodeRecord(b, (*accountJSON)(a), &a.Annotations)
}

// accountWrite is the body of Accounts.Create.
type accountWrite struct {
	ID                    uuid.UUID    `json:"accountid"`
	Name                  string       `json:"name" d365:"required,max=160"`
	AccountNumber         string       `json:"accountnumber"`
	Email                 string       `json:"emailaddress1"`
	Phone                 string       `json:"telephone1"`
	WebsiteURL            string       `json:"websiteurl"`
	Description           string       `json:"description"`
	CustomerTypeCode      *int         `json:"customertypecode"`
	CreditLimit           d365.Decimal `json:"creditlimit"`
	Revenue               d365.Decimal `json:"revenue"`
	ParentAccountID       uuid.UUID    `json:"parentaccountid@odata.bind" d365:"bind=accounts"`
	PrimaryContactID      uuid.UUID    `json:"primarycontactid@odata.bind" d365:"bind=contacts"`
	TransactionCurrencyID uuid.UUID    `json:"transactioncurrencyid@odata.bind" d365:"bind=transactioncurrencies"`

	Custom map[string]any `json:"-" d365:"custom"` // the read type's Custom
}

// AccountService reads and creates accounts. Get it from Client.Accounts.
type AccountService struct{ entitySet }

// Create creates an account from the columns of a that are set and returns
// its id. Name is required. When a.ID is set the create is idempotent.
func (s *AccountService) Create(ctx context.Context, a *Account) (uuid.UUID, error) {
	if a == nil {
		return uuid.Nil, d365.NewInputError(s.op("Create"), "account", "is nil")
	}
	body, err := odata.Members(convert[accountWrite](a), "Account", true)
	if err != nil {
		return uuid.Nil, s.input("Create", err)
	}
	return s.create(ctx, "Create", a.ID, body)
}

// Get reads the account with the given id, with its annotations and the
// columns o selects (nil: every column).
func (s *AccountService) Get(ctx context.Context, id uuid.UUID, o *d365.GetOptions) (*Account, error) {
	return get[Account](ctx, s.entitySet, id, o)
}

// List streams the accounts o selects (nil: all of them).
func (s *AccountService) List(ctx context.Context, o *ListOptions) iter.Seq2[*Account, error] {
	return list[Account](ctx, s.entitySet, o)
}

// Pages streams the accounts o selects a page at a time (see
// LeadService.Pages).
func (s *AccountService) Pages(ctx context.Context, o *ListOptions) iter.Seq2[*d365.Page[Account], error] {
	return pages[Account](ctx, s.entitySet, o)
}
