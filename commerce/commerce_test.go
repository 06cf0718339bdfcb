package commerce_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/b2bflow/d365"
	"github.com/b2bflow/d365/commerce"
	"github.com/b2bflow/d365/internal/vcr"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

const env = "https://contoso.operations.dynamics.com"

// The opaque ETags of the cassettes.
const (
	etag1 = `W/"JzEsNTYzNzE0NDU3NjsxLDU2MzcxNDQ1NzYn"`
	etag2 = `W/"JzEsNTYzNzE0NDU3NzsxLDU2MzcxNDQ1Nzcn"`
)

// headerCheck wraps a transport and checks what every request carries
// beyond what the cassette matcher compares: the bearer token and no
// Dataverse-only If-None-Match.
type headerCheck struct {
	t    testing.TB
	next http.RoundTripper
}

func (h headerCheck) RoundTrip(r *http.Request) (*http.Response, error) {
	if got := r.Header.Get("Authorization"); got != "Bearer test-token" {
		h.t.Errorf("%s %s: Authorization = %q", r.Method, r.URL, got)
	}
	if v := r.Header.Values("If-None-Match"); len(v) > 0 {
		h.t.Errorf("%s %s: unexpected If-None-Match %q (Dataverse only)", r.Method, r.URL, v)
	}
	if ua := r.Header.Get("User-Agent"); !strings.Contains(ua, "d365-go/") {
		h.t.Errorf("%s %s: User-Agent = %q", r.Method, r.URL, ua)
	}
	return h.next.RoundTrip(r)
}

// newClient returns a client replaying the named cassette, in company usrt.
func newClient(t *testing.T, cassette string, tune func(*commerce.Options)) *commerce.Client {
	t.Helper()
	envURL, cred, vo := vcr.Service(t, env, "D365_COMMERCE_URL")
	hc := vcr.Client(t, cassette, vo)
	hc.Transport = headerCheck{t, hc.Transport}
	o := commerce.Options{ClientOptions: d365.ClientOptions{HTTPClient: hc}, Company: "usrt"}
	// A request the cassette does not hold fails at once instead of
	// being retried with real waits.
	o.Retry.Sleep = func(ctx context.Context, _ time.Duration) error { return ctx.Err() }
	if tune != nil {
		tune(&o)
	}
	c, err := commerce.NewClient(envURL, cred, &o)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// ignoreRaw leaves the raw annotations (@odata.context) out of comparisons.
var ignoreRaw = cmpopts.IgnoreFields(d365.Annotations{}, "Raw")

func TestProspectsGet(t *testing.T) {
	c := newClient(t, "prospects_get", nil)
	p, err := c.Prospects.Get(context.Background(), "usrt", "P-001", nil)
	if err != nil {
		t.Fatal(err)
	}
	want := &commerce.Prospect{
		Annotations:                           d365.Annotations{ETag: etag1},
		DataAreaID:                            "usrt",
		ProspectID:                            "P-001",
		ProspectName:                          "Ana Ruiz",
		CompanyName:                           "Fabrikam Cycles",
		PrimaryEmailAddress:                   "ana@fabrikam.example",
		PrimaryPhoneNumber:                    "+1 425 555 0100",
		ProspectPartyNumber:                   "000001234",
		ProspectPartyType:                     commerce.PartyOrganization,
		IsB2BProspect:                         commerce.Yes,
		B2BProspectStatus:                     commerce.ProspectPending,
		RetailChannelOperatingUnitPartyNumber: "000000123",
		CustomerGroupID:                       "30",
		CurrencyCode:                          "USD",
		CreditLimit:                           "25000.5",
		Note:                                  "We sell 300 bikes a month.",
		AddressStreet:                         "1 Main St",
		AddressCity:                           "Redmond",
		AddressStateID:                        "WA",
		AddressZipCode:                        "98052",
		AddressCountryRegionID:                "USA",
	}
	if diff := cmp.Diff(want, p, ignoreRaw); diff != "" {
		t.Errorf("prospect (-want +got):\n%s", diff)
	}
	if !p.IsB2BProspect.Bool() {
		t.Error("IsB2BProspect.Bool() = false")
	}
}

func TestProspectsListB2BPages(t *testing.T) {
	c := newClient(t, "prospects_list_b2b", nil)
	var ids []string
	for p, err := range c.Prospects.ListB2B(context.Background(), commerce.ProspectPending) {
		if err != nil {
			t.Fatal(err)
		}
		if p.B2BProspectStatus != commerce.ProspectPending || p.ETag == "" {
			t.Errorf("%s: status %q, etag %q", p.ProspectID, p.B2BProspectStatus, p.ETag)
		}
		ids = append(ids, p.ProspectID)
	}
	if diff := cmp.Diff([]string{"P-001", "P-002"}, ids); diff != "" {
		t.Errorf("ids (-want +got):\n%s", diff)
	}
}

func TestProspectsListCrossCompanyEnums(t *testing.T) {
	c := newClient(t, "prospects_list_cross_company", nil)
	var got []*commerce.Prospect
	for p, err := range c.Prospects.List(context.Background(), &commerce.ListOptions{
		Query: d365.Query{
			Select:   []string{"dataAreaId", "ProspectId", "ProspectName", "IsB2BProspect", "B2BProspectStatus", "CreditLimit"},
			OrderBy:  []string{"ProspectId"},
			PageSize: 500,
		},
		CrossCompany: true,
	}) {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, p)
	}
	want := []*commerce.Prospect{
		{Annotations: d365.Annotations{ETag: `W/"JzEsNTYzNzE0NDU3ODsxLDU2MzcxNDQ1Nzgn"`}, DataAreaID: "usmf", ProspectID: "P-900",
			ProspectName: "Contoso Retail", IsB2BProspect: commerce.No, B2BProspectStatus: "UnderReview",
			CreditLimit: "12345678901234.5678"},
		{Annotations: d365.Annotations{ETag: etag1}, DataAreaID: "usrt", ProspectID: "P-901",
			ProspectName: "Old style", IsB2BProspect: commerce.Yes, B2BProspectStatus: commerce.ProspectRejected,
			CreditLimit: "0"},
	}
	if diff := cmp.Diff(want, got, ignoreRaw); diff != "" {
		t.Errorf("prospects (-want +got):\n%s", diff)
	}
}

func TestProspectKeyEscaping(t *testing.T) {
	c := newClient(t, "prospects_key_escaping", nil)
	ctx := context.Background()
	for _, k := range []struct{ company, id string }{
		{"usrt", "P'1/../x"},
		{"u's/rt?a#b%c", "P-001"},
	} {
		_, err := c.Prospects.Get(ctx, k.company, k.id, nil)
		var de *d365.Error
		if !errors.As(err, &de) || !errors.Is(err, d365.ErrNotFound) {
			t.Fatalf("Get(%q, %q) = %v, want a 404 *d365.Error", k.company, k.id, err)
		}
		if de.Inner == nil || de.Inner.Type != "Microsoft.OData.UriParser.ODataUnrecognizedPathException" {
			t.Errorf("Inner = %+v", de.Inner)
		}
	}
}

func TestProspectsApproveReject(t *testing.T) {
	c := newClient(t, "prospects_decide", nil)
	ctx := context.Background()
	if err := c.Prospects.Approve(ctx, "usrt", "P-001", &d365.UpdateOptions{IfMatch: etag1}); err != nil {
		t.Fatal(err)
	}
	if err := c.Prospects.Reject(ctx, "usrt", "P-002", nil); err != nil {
		t.Fatal(err)
	}
	err := c.Prospects.Approve(ctx, "usrt", "P-003", &d365.UpdateOptions{IfMatch: etag2})
	if !errors.Is(err, d365.ErrPreconditionFailed) {
		t.Fatalf("stale Approve = %v, want ErrPreconditionFailed", err)
	}
	var de *d365.Error
	if !errors.As(err, &de) || de.Inner == nil ||
		de.Inner.Message != "The record has been modified by another user since it was read." {
		t.Errorf("error %v: Inner = %+v", err, de)
	}
}

func TestProspectsCreate(t *testing.T) {
	c := newClient(t, "prospects_create", nil)
	p, err := c.Prospects.Create(context.Background(), &commerce.Prospect{
		ProspectName:        "Ana Ruiz",
		CompanyName:         "Fabrikam Cycles",
		PrimaryEmailAddress: "ana@fabrikam.example",
		IsB2BProspect:       commerce.Yes,
		B2BProspectStatus:   commerce.ProspectPending,
		CreditLimit:         "1000",
		AddressZipCode:      "98052",
	})
	if err != nil {
		t.Fatal(err)
	}
	if p.ProspectID != "P-077" || p.DataAreaID != "usrt" || p.ETag != etag1 || p.CreditLimit != "1000" {
		t.Errorf("created = %+v", p)
	}
}

func TestCustomers(t *testing.T) {
	c := newClient(t, "customers", nil)
	ctx := context.Background()
	org, err := c.Customers.Get(ctx, "usrt", "C-0042", nil)
	if err != nil {
		t.Fatal(err)
	}
	want := &commerce.Customer{
		Annotations:         d365.Annotations{ETag: etag1},
		DataAreaID:          "usrt",
		CustomerAccount:     "C-0042",
		PartyType:           commerce.PartyOrganization,
		PartyNumber:         "000001234",
		OrganizationName:    "Fabrikam Cycles",
		PrimaryContactEmail: "ap@fabrikam.example",
		CreditLimit:         "25000",
		CustomerGroupID:     "30",
		SalesCurrencyCode:   "USD",
		AddressValidFrom:    commerce.DateTime{Time: time.Date(2026, 11, 20, 8, 15, 0, 0, time.UTC)},
	}
	if diff := cmp.Diff(want, org, ignoreRaw); diff != "" {
		t.Errorf("customer (-want +got):\n%s", diff)
	}
	if !org.AddressValidTo.IsZero() {
		t.Errorf("AddressValidTo = %v, want the zero time for 1900-01-01", org.AddressValidTo)
	}

	person, err := c.Customers.ByPartyNumber(ctx, "000001240")
	if err != nil {
		t.Fatal(err)
	}
	if person.CustomerAccount != "C-0043" || person.PartyType != commerce.PartyPerson ||
		person.PersonFirstName != "Ana" || !person.AddressValidFrom.IsZero() {
		t.Errorf("person = %+v", person)
	}

	_, err = c.Customers.ByPartyNumber(ctx, "000009999")
	if !errors.Is(err, d365.ErrNotFound) {
		t.Errorf("ByPartyNumber(unknown) = %v, want ErrNotFound", err)
	}
}

func TestHierarchies(t *testing.T) {
	c := newClient(t, "hierarchies", nil)
	ctx := context.Background()
	want := &commerce.Hierarchy{
		Annotations:             d365.Annotations{ETag: etag1},
		CustomerHierarchyID:     "CH-000017",
		Name:                    "Fabrikam Cycles",
		Purpose:                 commerce.PurposeB2BOrganization,
		OrganizationPartyNumber: "000001234",
		SellerChannel:           "000000123",
		Nodes: []commerce.HierarchyNode{
			{Annotations: d365.Annotations{ETag: etag2}, CustomerHierarchyID: "CH-000017", NodePartyNumber: "000001240",
				Role: commerce.RoleAdmin, NodeType: commerce.NodeCustomer},
			{Annotations: d365.Annotations{ETag: `W/"JzEsNTYzNzE0NDU3ODsxLDU2MzcxNDQ1Nzgn"`}, CustomerHierarchyID: "CH-000017",
				NodePartyNumber: "000001241", Role: commerce.RoleUser, NodeType: commerce.NodeCustomer},
		},
	}
	h, err := c.Hierarchies.ForOrganization(ctx, "000001234")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, h, ignoreRaw); diff != "" {
		t.Errorf("ForOrganization (-want +got):\n%s", diff)
	}
	if admins := h.Admins(); len(admins) != 1 || admins[0].NodePartyNumber != "000001240" {
		t.Errorf("Admins() = %+v", admins)
	}
	h, err = c.Hierarchies.Get(ctx, "CH-000017", nil)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, h, ignoreRaw); diff != "" {
		t.Errorf("Get (-want +got):\n%s", diff)
	}
	_, err = c.Hierarchies.ForOrganization(ctx, "000005555")
	if !errors.Is(err, d365.ErrNotFound) {
		t.Errorf("ForOrganization(unknown) = %v, want ErrNotFound", err)
	}
}

func TestDualWriteConfigurations(t *testing.T) {
	c := newClient(t, "dualwrite_configurations", nil)
	got, err := c.DualWrite.Configurations(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	type row struct {
		Project, Internal, External string
		Status                      commerce.DualWriteStatus
		Filter                      string
	}
	var rows []row
	for _, d := range got {
		rows = append(rows, row{d.ProjectName, d.InternalEntityName, d.ExternalEntityName, d.Status, d.QueryFilterExpression})
	}
	want := []row{
		{"Prospects (leads)", "Prospects", "leads", commerce.DualWriteEnabled, "IsB2BProspect == Yes"},
		{"Customers V3 (accounts)", "CustomersV3", "accounts", commerce.DualWriteQueueing, `PartyType == "Organization"`},
		{"Customer hierarchy nodes", "CustomerHierarchyNodes", "msdyn_customerhierarchynodes", commerce.DualWriteDisabled, ""},
	}
	if diff := cmp.Diff(want, rows); diff != "" {
		t.Errorf("configurations (-want +got):\n%s", diff)
	}
}

func TestErrors(t *testing.T) {
	c := newClient(t, "errors", func(o *commerce.Options) { o.Retry.MaxRetries = -1 })
	ctx := context.Background()

	// The F&O error shape, with innererror.
	for _, err := range c.Prospects.List(ctx, &commerce.ListOptions{Query: d365.Query{
		Filter: d365.Filterf("B2BProspectStatus has %v", commerce.ProspectPending.Enum()),
	}}) {
		var de *d365.Error
		if !errors.As(err, &de) {
			t.Fatalf("List = %v, want a *d365.Error", err)
		}
		if de.StatusCode != 400 || de.Message != "An error has occurred." ||
			de.RequestID != "3f1c2a9e-0b7d-4c55-9f0e-5d2b8c1a7e44" || de.Method != "GET" {
			t.Errorf("error = %#v", de)
		}
		if de.Inner == nil || de.Inner.Message != "The 'has' operator is not supported for enum properties." ||
			de.Inner.Type != "Microsoft.OData.ODataException" || de.Inner.StackTrace == "" {
			t.Errorf("Inner = %+v", de.Inner)
		}
		if !strings.Contains(err.Error(), "The 'has' operator is not supported") {
			t.Errorf("Error() = %q does not show the inner message", err)
		}
	}

	// An HTML page from a gateway.
	_, err := c.Customers.Get(ctx, "usrt", "C-0042", nil)
	var de *d365.Error
	if !errors.As(err, &de) || de.StatusCode != http.StatusBadGateway || !de.Temporary() {
		t.Fatalf("Get = %v, want a 502 *d365.Error", err)
	}
	if !strings.Contains(de.Message, `"502 Bad Gateway"`) || strings.Contains(de.Message, "<") {
		t.Errorf("Message = %q, want the page's title and no markup", de.Message)
	}
}
