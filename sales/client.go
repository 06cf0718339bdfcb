package sales

import (
	"fmt"
	"log/slog"

	"github.com/b2bflow/d365"
	"github.com/b2bflow/d365/internal/odata"
)

// APIPath is the path of the Dataverse Web API root under the organization
// URL: requests go to <org>/api/data/v9.2/.
const APIPath = "/api/data/v9.2/"

// DefaultMaxConcurrency is how many requests a Client has in flight at once
// when ClientOptions.MaxConcurrency is zero: the number of concurrent
// requests Dataverse allows per user and web server (its service protection
// limit).
const DefaultMaxConcurrency = 52

// Options configures a Client. The zero value (or nil) is ready to use.
type Options struct {
	d365.ClientOptions
}

// Client is a Dynamics 365 Sales (Dataverse Web API) client. Its services
// (Leads, Opportunities, Accounts, Contacts, Notes) and Table share one
// connection pool, one credential and one concurrency limit. A Client is
// safe for concurrent use.
type Client struct {
	// Leads reads, creates, updates, qualifies and disqualifies leads.
	Leads *LeadService
	// Opportunities reads opportunities and closes them as won or lost.
	Opportunities *OpportunityService
	// Accounts reads and creates accounts.
	Accounts *AccountService
	// Contacts reads and creates contacts.
	Contacts *ContactService
	// Notes reads and creates timeline notes (the annotations table).
	Notes *NoteService

	od      *odata.Client
	choices *choiceCache // Choices' cache (choices_metadata.go)
}

// NewClient returns a client for the Dataverse organization at orgURL, such
// as https://contoso.crm.dynamics.com (the Web API root
// <orgURL>/api/data/v9.2/ is added). Tokens are requested from cred for the
// organization URL. o may be nil for the defaults.
//
// The URL must use https, except on a loopback address (emulators, tests).
// Reads send "If-None-Match: null" so that Dataverse skips its caches.
func NewClient(orgURL string, cred d365.Credential, o *Options) (*Client, error) {
	if cred == nil {
		return nil, d365.NewInputError("sales: NewClient", "cred", "is nil: give a d365.Credential, such as one from d365.NewClientSecretCredential")
	}
	org, err := odata.ServiceURL("orgURL", orgURL)
	if err != nil {
		return nil, err
	}
	if org.Path != "/" {
		return nil, d365.NewInputError("sales: NewClient", "orgURL", "%q must be the organization URL without a path, such as https://contoso.crm.dynamics.com", orgURL)
	}
	base := *org
	base.Path = APIPath
	if o == nil {
		o = &Options{}
	}
	od, err := odata.New(odata.Config{
		BaseURL:               &base,
		Resource:              odata.Origin(org),
		Credential:            cred,
		Options:               o.ClientOptions,
		DefaultMaxConcurrency: DefaultMaxConcurrency,
		BypassCache:           true,
		CallOptions:           true,
	})
	if err != nil {
		return nil, err
	}
	c := &Client{od: od, choices: &choiceCache{}}
	c.Leads = &LeadService{entitySet{c, "leads", "lead", "Leads"}}
	c.Opportunities = &OpportunityService{entitySet{c, "opportunities", "opportunity", "Opportunities"}}
	c.Accounts = &AccountService{entitySet{c, "accounts", "account", "Accounts"}}
	c.Contacts = &ContactService{entitySet{c, "contacts", "contact", "Contacts"}}
	c.Notes = &NoteService{entitySet{c, "annotations", "note", "Notes"}}
	return c, nil
}

// OrgURL returns the organization URL the client talks to, such as
// https://contoso.crm.dynamics.com: the audience of its tokens.
func (c *Client) OrgURL() string { return c.od.Resource() }

// String describes the client by its organization URL; it shows no token
// (nor does any other print of the client).
func (c Client) String() string {
	if c.od == nil {
		return "sales.Client{}"
	}
	return "sales.Client{org: " + c.od.Resource() + "}"
}

// Format prints String for every verb, so that no verb reaches the
// credential the client holds.
func (c Client) Format(f fmt.State, verb rune) { odata.Format(f, verb, c.String()) }

// LogValue logs String.
func (c Client) LogValue() slog.Value { return slog.StringValue(c.String()) }

// Ptr returns a pointer to v, to fill the optional fields of LeadChanges
// and the other change sets: sales.Ptr("Contoso").
func Ptr[T any](v T) *T { return &v }
