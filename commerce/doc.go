// Package commerce reads and updates the Commerce headquarters side of B2B
// partner onboarding: prospects (the onboarding requests of B2B e-commerce
// sites), customers, customer hierarchies and the dual-write map
// configuration. Commerce headquarters is a Finance and Operations app; the
// package talks to its OData service at https://<env>.operations.dynamics.com/data/.
//
//	cred, _ := d365.NewClientSecretCredential(tenantID, clientID, secret, nil)
//	c, err := commerce.NewClient("https://contoso.operations.dynamics.com", cred,
//		&commerce.Options{Company: "usrt"})
//	for p, err := range c.Prospects.ListB2B(ctx, commerce.ProspectPending) { ... }
//
// The application must be registered in Commerce headquarters (System
// administration > Setup > Microsoft Entra ID applications); tokens are
// requested for the environment URL.
//
// # Companies
//
// Most Finance and Operations entities are company-specific: their key
// starts with dataAreaId, the company (legal entity), such as "usrt". Calls
// that address one record take the company as an argument
// (Prospects.Get(ctx, "usrt", "P-001", nil)). Listings read one company:
// ListOptions.Company, else Options.Company, else the calling user's default
// company in Finance and Operations. Because the service reads only the
// user's default company unless told otherwise, a listing in a named company
// is sent as cross-company=true with a dataAreaId filter:
//
//	GET Prospects?$filter=dataAreaId eq 'usrt' and (...)&cross-company=true
//
// ListOptions.CrossCompany lists every company (cross-company=true alone).
// Customer hierarchies, their nodes and the dual-write configurations belong
// to no company: their calls take none, and naming one is an error.
//
// # Keys
//
// Records are addressed by their named key parts, such as
// Prospects(dataAreaId='usrt',ProspectId='P-001') or
// CustomerHiearchies(CustomerHierarchyId='CH-000017') (the service spells
// that collection so). Every part is written as an OData literal, quotes
// doubled, and the characters that would change the URL ('/', '?', '#',
// '%', ...) are percent-encoded: no id or company, whatever it holds, can
// address another resource. Empty ids and companies are refused before any
// request, with an error naming the argument.
//
// # Enums
//
// Finance and Operations sends enum values by name ("Yes", "Pending"). The
// enum types of this package (NoYes, ProspectStatus, HierarchyPurpose,
// NodeRole, NodeType, DualWriteStatus) are Go strings with constants for
// the documented members; a value the package does not know decodes
// without error and keeps its name, and a value sent as a number is mapped
// to its documented name. In a filter an enum is a typed literal, and the
// service refuses the plain string ('Approved') for an enum field: each
// enum type implements d365.EnumValuer, so d365.Filterf writes it as its
// typed literal:
//
//	d365.Filterf("B2BProspectStatus eq %v", commerce.ProspectApproved)
//	// B2BProspectStatus eq Microsoft.Dynamics.DataEntities.RetailB2BProspectStatus'Approved'
//
// Enum properties support only eq and ne: has and in are refused by the
// service. PartyType is a string field, not an enum, and formats as a
// quoted string.
//
// # Queries and paging
//
// List methods take *ListOptions, which embeds a d365.Query ($select,
// $filter, $orderby, $expand one level deep, $top, page size), and return an
// iter.Seq2 that follows @odata.nextLink page by page. Finance and
// Operations serves at most 10,000 records a page (MaxPageSize); a larger
// Query.PageSize is refused before any request. Pages streams the records a
// page at a time, with the total count (Query.Count) and the next link,
// from which ListOptions.NextLink resumes a listing. Get takes
// d365.GetOptions ($select, $expand); nil reads every field.
//
// # Dates, ETags and errors
//
// Finance and Operations has no empty dates: it writes "no date" as
// 1900-01-01T00:00:00Z. DateTime fields decode that value to the zero
// time, so IsZero tells "no date".
//
// Every record embeds d365.Annotations: its ETag is the opaque string the
// service sent, such as W/"JzEsNTYzNzE0NDU3NjsxLDU2MzcxNDQ1NzYn", kept as
// is and passed back in If-Match through UpdateOptions.IfMatch.
//
// Every failure reported by the service is a *d365.Error. The Finance and
// Operations error body, {"error":{"code":"","message":"...","innererror":
// {"message":"...","type":"...","stacktrace":"..."}}}, fills Message and
// Inner; an HTML page from a gateway or the sign-in service gives a readable
// Message. errors.Is works with d365.ErrNotFound (also returned when
// Customers.ByPartyNumber or Hierarchies.ForOrganization find nothing),
// d365.ErrPreconditionFailed (a stale If-Match), d365.ErrThrottled.
//
// # The Commerce-only approval flow
//
// With Dynamics 365 Sales and dual-write, a salesperson decides on the lead
// that mirrors the prospect, and the decision reaches Commerce through
// dual-write (see package onboarding). Without Sales, headquarters users
// decide on the prospect itself, which Approve and Reject do:
//
//	p, _ := c.Prospects.Get(ctx, "usrt", "P-001", nil)
//	err := c.Prospects.Approve(ctx, "usrt", p.ProspectID, &d365.UpdateOptions{IfMatch: p.ETag})
//	// PATCH Prospects(dataAreaId='usrt',ProspectId='P-001')  {"B2BProspectStatus":"Approved"}
//
// Approval makes Commerce create the Organization and Person customers and
// a customer hierarchy (purpose B2BOrganization, the requester as Admin),
// which Customers.ByPartyNumber and Hierarchies.ForOrganization then find.
//
// # Activating a partner
//
// After an approval, Customers.Update sets the credit terms of the
// Organization customer (CustomerChanges), Customers.Create and ByEmail
// create and find the Person customers of the partner's users, and
// Hierarchies.AddNode, SetRole and RemoveNode manage their nodes in the
// hierarchy (CustomerHierarchyNodes, keyed by CustomerHierarchyId and
// NodePartyNumber). Package onboarding's Activate does it resumably.
//
// # Concurrency
//
// A Client is safe for concurrent use. It keeps at most
// DefaultMaxConcurrency (16) requests in flight unless
// ClientOptions.MaxConcurrency says otherwise, and retries throttled
// requests (429 with Retry-After) as d365.RetryOptions describes.
package commerce
