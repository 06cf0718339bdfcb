// Package dualwritetest is an in-process emulator of Dynamics 365 Sales
// (the Dataverse Web API), Commerce headquarters (Finance and Operations
// OData) and dual-write between them, used like net/http/httptest.
//
// [NewServer] starts two loopback HTTP servers: Server.SalesURL plays the
// Dataverse organization (Web API at SalesURL+"/api/data/v9.2/") and
// Server.CommerceURL the Finance and Operations environment (OData at
// CommerceURL+"/data/"). Both accept the bearer token [Token]; use
// [Server.Credential] with the SDK's clients. The emulator does not import
// the SDK's sales or commerce packages, so that a client bug is not
// mirrored on the server side; it runs the field mapping of the
// [dualwrite] maps.
//
//	s := dualwritetest.NewServer(nil)
//	defer s.Close()
//	sub, _ := s.SubmitOnboardingRequest(dualwritetest.OnboardingRequest{
//		FirstName: "Ana", LastName: "Silva", Company: "Contoso Bikes", Email: "ana@contoso.example",
//	})
//	// sub.LeadID is a Pending B2B lead in Sales; sub.ProspectID a prospect in Commerce.
//
// # What it does
//
// Dataverse: leads, opportunities, accounts, contacts, annotations
// (timeline notes), transactioncurrencies (USD and EUR), savedqueries (the
// "All commerce B2B leads" view, read with leads?savedQuery=<id>),
// systemusers, WhoAmI, and any msdyn_ table. Create (201 with
// Prefer: return=representation, else 204 with OData-EntityId), client-chosen
// ids, read, update, upsert, delete, alternate keys, @odata.bind lookups read
// back as _<name>_value, ETags with If-Match and If-None-Match, $select,
// $filter, $orderby, $top, $count, odata.maxpagesize paging with paging
// cookies, formatted values and lookup annotations, QualifyLead,
// WinOpportunity, LoseOpportunity, state and status rules, and errors in
// Dataverse's shape. $batch (up to 1,000 requests; atomic change sets with
// Content-ID references; odata.continue-on-error) runs each request through
// the same handler as a single request; CreateMultiple and UpdateMultiple
// write all their targets in one transaction. The service protection
// limits and the faults count a $batch or a bulk request as ONE request
// (real Dataverse also weighs the requests inside; see batch.go).
//
// Commerce: Prospects, CustomersV3, CustomerHiearchies,
// CustomerHierarchyNodes and DualWriteProjectConfigurations (seeded with the
// maps onboarding needs, all Enabled), compound keys, cross-company, enum
// literals, $skip paging, ETags, and errors in Finance and Operations' shape.
//
// Dual-write, synchronous and transactional like live sync: a B2B prospect
// becomes a lead with a timeline note; a qualified lead's account and
// contact become Organization and Person customers; winning the
// opportunity approves the prospect, which creates the customer hierarchy
// with the requester as its Admin node on both sides; disqualifying the lead
// or losing the opportunity rejects it; changing the status on either side
// syncs to the other, and approving in Commerce alone creates the customers
// and the hierarchy. If the other side's write fails ([Server.FailSync]),
// nothing is committed and the caller gets a 0x80040265 error.
//
// Two behaviours are inferences, not documented facts: qualifying a B2B lead
// gives the new account customertypecode 3 (Customer), so that the
// CustomerAccounts map takes it, and winning or losing the opportunity of a
// B2B lead sets the lead's msdyn_b2bprospectstatus, which is how the
// decision reaches Commerce.
//
// For tests: [Options.Limits] (service protection limits answered with 429,
// Retry-After and Dataverse's codes), [Options.Faults] (seeded random
// throttling, unavailability, dropped connections and lost responses),
// [Server.InjectFault] and [Server.FailNext] for a chosen request,
// [Server.Requests] for the request log, [Server.Count] and [Server.Rows]
// to look at the data.
//
// # What it does not do
//
// $expand, $apply, FetchXML queries, UpsertMultiple and DeleteMultiple,
// metadata ($metadata, EntityDefinitions), associate and disassociate
// ($ref) outside a $batch, deep insert, the combined execution time limit,
// business rules and plugins other than the B2B onboarding ones, and
// creating a prospect from a lead made in Dataverse, and propagating
// deletes. Error codes for state
// rule violations are close to Dataverse's but not guaranteed equal.
//
// [dualwrite]: https://pkg.go.dev/github.com/b2bflow/d365/dualwrite
package dualwritetest
