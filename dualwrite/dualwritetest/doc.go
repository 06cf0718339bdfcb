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
// systemusers, WhoAmI, the Commerce hierarchy tables, and the custom
// tables, columns and keys of [Options.Schema]. Create (201 with
// Prefer: return=representation, else 204 with OData-EntityId), client-chosen
// ids, read, update, upsert, delete, declared alternate keys, @odata.bind lookups read
// back as _<name>_value, ETags with If-Match and If-None-Match, $select,
// $filter, $orderby, $top, $count, odata.maxpagesize paging with paging
// cookies, formatted values and lookup annotations, QualifyLead,
// WinOpportunity, LoseOpportunity, state and status rules, and errors in
// Dataverse's shape. $batch (up to 1,000 requests; atomic change sets with
// Content-ID references; odata.continue-on-error) runs each request through
// the same handler as a single request; CreateMultiple and UpdateMultiple
// write all their targets in one transaction. The service protection
// limits and the faults count a $batch or a bulk request as ONE request
// (real Dataverse also weighs the requests inside; see
// internal/dataverse/batch.go).
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
// UpsertMultiple and DeleteMultiple, deep insert, the combined execution
// time limit, business rules and plugins other than the B2B onboarding
// ones, creating a prospect from a lead made in Dataverse, and propagating
// deletes. Anything it does not implement is refused loudly (501 naming
// it, or the 400 Dataverse would send), never answered with 200.
//
// # Support table
//
// Every documented behaviour, and what the emulator does with it:
// "supported" (as documented), "refused" (the error the real service
// sends) or "501" (not implemented, refused loudly naming it).
//
// ## Dataverse records, actions and metadata
//
// Checked against the documented tables (internal/schema) plus
// [Options.Schema]; codes and messages as Dataverse sends them.
//
//   - Create (POST <set>), 204 + OData-EntityId, or 201 with
//     Prefer: return=representation and $select: supported.
//   - Client-chosen primary key on create; 412 0x80040237 when it exists: supported.
//   - Retrieve (GET <set>(id)) with $select, ETag header and @odata.etag: supported.
//   - Retrieve without $select: the record's columns plus the system columns
//     the table declares (_ownerid_value, _createdby_value, _modifiedby_value,
//     _owningbusinessunit_value, _owninguser_value, createdon, modifiedon,
//     versionnumber, statecode, statuscode...; null when unset): supported.
//   - Update (PATCH), upsert (PATCH to a missing key), If-Match, If-None-Match,
//     304, 412 0x80060882: supported.
//   - Delete (DELETE <set>(id)), with If-Match: supported.
//   - Unknown column in a body: refused (400 0x0 "Invalid property...").
//   - Value of the wrong type: refused (400 0x80048d19 "Cannot convert a
//     primitive value to the expected type 'Edm.X'").
//   - String longer than the column's MaxLength: refused (400 0x80044331).
//   - Choice value the column does not have, statuscode of another statecode:
//     refused (400 0x8004431a).
//   - Column not valid for create or update, _x_value in a body: refused (400).
//   - @odata.bind on a declared single-valued navigation property, by
//     relative or absolute URL or alternate key: supported; lookup
//     annotations (lookuplogicalname, associatednavigationproperty): supported.
//   - @odata.bind on an undeclared navigation property, on a lookup without
//     one (a contact's accountid), in the wrong case: refused (400 0x80048d19).
//   - @odata.bind to a missing record: refused (404 0x80040217 or 0x80060891).
//   - Entity set names: case-sensitive; an unknown or wrongly cased set is
//     refused (404 0x8006088a); a table Dataverse has but the schema does
//     not (tasks, emails...) is also 404, until declared in Options.Schema.
//   - Alternate keys declared by the schema or Options.Schema: supported;
//     key on undeclared columns: refused (400 0x80060890); a declared key that
//     matches nothing: refused (404 0x80060891); upsert through a key: supported.
//   - Unknown $select name on a record or a collection: refused (400 0x80060888).
//   - Formatted values (Prefer: odata.include-annotations, "*" or a term
//     list, echoed in Preference-Applied) for money ("$5,000,000.00"), whole
//     numbers ("9,500"), decimals, dates ("6/18/2026 2:05 PM", date-only
//     "6/18/2026", UTC, en-US: an inference), choices, yes/no labels and
//     lookups (primary name): supported.
//   - Single property: GET <set>(id)/<column>, .../$value, PUT {"value":...},
//     DELETE (clears it): supported; PUT of a lookup property: refused (400).
//   - GET <set>(id)/<single-valued navigation property> (with $select;
//     204 when empty): supported.
//   - GET <set>(id)/<collection-valued navigation property>: 501.
//   - Associate: PUT <single-nav>/$ref, POST <collection-nav>/$ref
//     ({"@odata.id":...}); disassociate: DELETE <single-nav>/$ref,
//     DELETE <collection-nav>/$ref?$id=..., DELETE <collection-nav>(id)/$ref:
//     supported for one-to-many relationships; many-to-many: 501.
//   - PUT <collection-nav> with records (email activity parties): 404 (the
//     tables are not in the emulator).
//   - Deep insert (a record or records given to a navigation property): 501.
//   - $expand on a single record, other query options on a record: 501;
//     other $ options on a record: refused (400).
//   - PATCH (or create, or single-property PUT) of an opportunity to Won or
//     Lost: refused (400 0x80100005, use WinOpportunity/LoseOpportunity).
//   - QualifyLead: CreateAccount, CreateContact, CreateOpportunity and Status
//     required (400 0x80040203 when missing), Status of LeadState.Qualified
//     (400 0x8004431a), OpportunityCurrencyId, OpportunityCustomerId,
//     SourceCampaignId (the opportunity's _campaignid_value; campaigns are
//     not in the emulator, so the id is not checked): supported; an unknown
//     parameter: refused (400 0x80048d19); ProcessInstanceId,
//     SuppressDuplicateDetection false: 501; answers 200 Collection(Microsoft.Dynamics.CRM.crmbaseentity) with
//     the created records and their @odata.type: supported; a lead that is not
//     open: refused (400).
//   - WinOpportunity, LoseOpportunity (Status, OpportunityClose), 204: supported.
//   - WhoAmI, service document: supported.
//   - CreateMultiple, UpdateMultiple: supported; UpsertMultiple,
//     DeleteMultiple and the other documented functions and actions
//     (RetrieveVersion, InitializeFrom, Merge...), any
//     Microsoft.Dynamics.CRM.-qualified action the emulator lacks: 501.
//   - Headers: Prefer return=representation, odata.include-annotations,
//     odata.maxpagesize, odata.continue-on-error, odata.track-changes,
//     If-Match, If-None-Match, CallerObjectId/MSCRMCallerID (counted by the
//     limits; records are still written as the one user), Consistency,
//     MSCRM.SuppressDuplicateDetection: true: supported; any other MSCRM.*
//     header, MSCRM.SuppressDuplicateDetection: false, Prefer: respond-async
//     or an unknown preference: 501.
//
// ## Dataverse queries
//
// (filled in by the query work)
//
// ## Commerce headquarters
//
// (filled in by the Commerce work)
//
// # Layout
//
// This package is the control surface: [Options], [NewServer], the URLs
// and [Server.Credential], faults ([Server.InjectFault], [Server.FailNext],
// [Server.FailSync], [Faults]), service protection [Limits], inspection
// ([Server.Requests], [Server.Count], [Server.Rows]), the seeded records
// (seed.go), [Server.SubmitOnboardingRequest] and [Server.SetMapStatus].
// pipeline.go is what every request goes through before its handler:
// authentication, faults, limits, the request log, and the one lock under
// which handlers run. The rest lives in internal packages, none of which
// imports the SDK's sales or commerce packages:
//
//   - internal/store: the tables and entities, records with creation order
//     and row versions, transactions (Tx: a request's writes, undone
//     together) and snapshots (a change set's), behind the Store interface.
//   - internal/dataverse: the Web API handlers (records, queries and the
//     $filter dialect, actions, $batch, bulk messages); its route table is
//     Service.route in routes.go, its error writer WriteError in errors.go,
//     and the record rules (binds, defaults, state rules, annotations) are
//     Service.Apply and Service.out in records.go.
//   - internal/finops: the Finance and Operations OData handlers; route
//     table in routes.go, WriteError in errors.go.
//   - internal/engine: dual-write between the two, the Syncer both
//     services call after every write, in the same transaction.
//   - internal/multipart: the $batch codec (multipart/mixed requests and
//     answers), testable alone.
//   - internal/wire: what both services share: JSON answers and bodies,
//     paths, $select, an error carrying its status and code.
//
// Handlers take a per-service request value (the request, its answer and
// the service root) and answer errors with its writeError method, so a new
// handler is a method of the service plus a line in its route table.
//
// [dualwrite]: https://pkg.go.dev/github.com/b2bflow/d365/dualwrite
package dualwritetest
