package commerce

import (
	"context"
	"fmt"
	"log/slog"
	"strings"

	"github.com/b2bflow/d365"
	"github.com/b2bflow/d365/internal/odata"
)

// DefaultMaxConcurrency is how many requests a Client has in flight at once
// when ClientOptions.MaxConcurrency is zero. Finance and Operations publishes
// no fixed per-user limit (it throttles by priority and resource use, with
// 429 and Retry-After), so the client stays at a modest 16 concurrent
// requests, which keeps a batch job from starving interactive users.
const DefaultMaxConcurrency = 16

// MaxPageSize is the largest page Finance and Operations serves. A
// d365.Query with a larger PageSize is refused before any request.
const MaxPageSize = 10000

// Options configures a Client. The zero value is ready to use.
type Options struct {
	d365.ClientOptions

	// Company is the default company (legal entity, dataAreaId), such as
	// "usrt". Listings that name no company read this one. Empty means the
	// default company of the calling user in Finance and Operations.
	Company string
}

// Client talks to the OData service of one Commerce headquarters (Finance
// and Operations) environment. It is safe for concurrent use.
type Client struct {
	// Prospects reads and updates prospects, the onboarding requests of B2B
	// e-commerce sites (entity Prospects).
	Prospects *ProspectService
	// Customers reads customers (entity CustomersV3).
	Customers *CustomerService
	// Hierarchies reads customer hierarchies and their nodes (entities
	// CustomerHiearchies and CustomerHierarchyNodes).
	Hierarchies *HierarchyService
	// DualWrite reads the dual-write map configurations (entity
	// DualWriteProjectConfigurations).
	DualWrite *DualWriteService

	od      *odata.Client
	company string
}

// NewClient returns a client for the environment at envURL, such as
// https://contoso.operations.dynamics.com. Requests go to envURL + "data/",
// signed with tokens for the audience envURL. o may be nil.
func NewClient(envURL string, cred d365.Credential, o *Options) (*Client, error) {
	if cred == nil {
		return nil, d365.NewInputError("commerce: NewClient", "cred", "is nil: give a d365.Credential, such as one from d365.NewClientSecretCredential")
	}
	if o == nil {
		o = &Options{}
	}
	u, err := odata.ServiceURL("envURL", envURL)
	if err != nil {
		return nil, err
	}
	if strings.ContainsAny(o.Company, "\r\n") || (o.Company != "" && strings.TrimSpace(o.Company) == "") {
		return nil, d365.NewInputError("commerce: NewClient", "Options.Company", "is not a company id (dataAreaId)")
	}
	base := u.JoinPath("data/")
	od, err := odata.New(odata.Config{
		BaseURL:               base,
		Resource:              odata.Origin(u),
		Credential:            cred,
		Options:               o.ClientOptions,
		DefaultMaxConcurrency: DefaultMaxConcurrency,
	})
	if err != nil {
		return nil, err
	}
	c := &Client{od: od, company: o.Company}
	c.Prospects = &ProspectService{c: c}
	c.Customers = &CustomerService{c: c}
	c.Hierarchies = &HierarchyService{c: c}
	c.DualWrite = &DualWriteService{c: c}
	return c, nil
}

// Batch sends an OData $batch to the environment, as sales.Client.Batch
// does: paths are relative to the service root, such as "Prospects" or an
// entity key path.
func (c *Client) Batch(ctx context.Context, b *d365.Batch) ([]*d365.BatchResult, error) {
	return c.od.Batch(ctx, b)
}

// EnvURL returns the environment URL the client talks to, such as
// https://contoso.operations.dynamics.com: the audience of its tokens.
func (c *Client) EnvURL() string { return c.od.Resource() }

// String describes the client by its environment URL and default
// company; it shows no token (nor does any other print of the client).
func (c Client) String() string {
	if c.od == nil {
		return "commerce.Client{}"
	}
	s := "commerce.Client{env: " + c.od.Resource()
	if c.company != "" {
		s += ", company: " + c.company
	}
	return s + "}"
}

// Format prints String for every verb, so that no verb reaches the
// credential the client holds.
func (c Client) Format(f fmt.State, verb rune) { odata.Format(f, verb, c.String()) }

// LogValue logs String.
func (c Client) LogValue() slog.Value { return slog.StringValue(c.String()) }

// Company returns the default company given in Options.Company ("" when
// none was given).
func (c *Client) Company() string { return c.company }
