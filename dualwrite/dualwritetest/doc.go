// Package dualwritetest is an in-process emulator of Dynamics 365 Sales
// (the Dataverse Web API), Commerce headquarters (Finance and Operations
// OData) and dual-write between them, used like net/http/httptest.
//
// [NewServer] starts two loopback HTTP servers: Server.SalesURL plays the
// Dataverse organization (Web API at SalesURL+"/api/data/v9.2/") and
// Server.CommerceURL the Finance and Operations environment (OData at
// CommerceURL+"/data/"). Both accept the bearer token [Token]; use
// [Server.Credential] with the SDK's clients, and [Server.Client] to reach
// both in memory, without a socket (see "In memory" below). The emulator does not import
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
// and the hierarchy. A Person customer a client creates in Commerce becomes
// a sellable contact; a hierarchy node a client adds, changes or deletes is
// mirrored to msdyn_customerhierarchynodes (the partner's B2B users). If
// the other side's write fails ([Server.FailSync]), nothing is committed
// and the caller gets a 0x80040265 error.
//
// Companies: a prospect belongs to its company ([OnboardingRequest]
// DataAreaID, or the dataAreaId a client gives), and so do the customers
// that qualifying its lead and approving it create.
//
// Four behaviours are inferences, not documented facts: qualifying a B2B
// lead gives the new account customertypecode 3 (Customer), so that the
// CustomerAccounts map takes it; winning or losing the opportunity of a
// B2B lead sets the lead's msdyn_b2bprospectstatus, which is how the
// decision reaches Commerce; the company of a qualified lead's customers is
// its prospect's (real dual-write carries it in a company lookup,
// cdm_company, which the emulator's tables lack); and a node write is
// refused unless its hierarchy exists, its party is a customer's, it has a
// role, and its hierarchy keeps one Admin (Microsoft: "only one
// user/customer record can be designated as an administrator user"), and a
// customer's InvoiceAccount must be a customer of its company.
//
// For tests: [Options.Limits] (service protection limits answered with 429,
// Retry-After and Dataverse's codes), [Options.Faults] (seeded random
// throttling, unavailability, dropped connections and lost responses),
// [Server.InjectFault] and [Server.FailNext] for a chosen request,
// [Server.Requests] for the request log, [Server.Count] and [Server.Rows]
// to look at the data.
//
// # In memory
//
// Over loopback HTTP most of a request's CPU goes to the socket and the
// HTTP/1.1 codec, not to the emulator. [Server.Client] (like httptest's
// Server.Client) returns an HTTP client that skips them: give it to the
// SDK's clients, and every request for SalesURL, CommerceURL or TokenURL
// runs the emulator's pipeline and handlers in the calling goroutine, with
// the request and the response net/http would have carried:
//
//	srv := dualwritetest.NewServer(nil)
//	defer srv.Close()
//	opts := d365.ClientOptions{HTTPClient: srv.Client()}
//	sc, _ := sales.NewClient(srv.SalesURL, srv.Credential(), &sales.Options{ClientOptions: opts})
//	cc, _ := commerce.NewClient(srv.CommerceURL, srv.Credential(),
//		&commerce.Options{ClientOptions: opts, Company: srv.Company()})
//
// Everything the emulator checks, answers, injects and logs is the same;
// a dropped connection or a lost answer is the io.EOF a real connection
// gives, so the SDK's retry rules treat it alike. A request for any other
// host is refused, never sent. [Server.Transport] says what is the same and
// what differs. A single-record read or create costs a quarter to a half
// of the CPU it costs over loopback HTTP (docs/performance.md). SalesURL
// and CommerceURL stay real servers, for other programs and languages.
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
//     (400 0x8004431a), OpportunityCurrencyId, OpportunityCustomerId (an
//     existing account or contact: the opportunity's customer, and with
//     CreateAccount false no account is created and the new contact's
//     company is the lead's parentaccountid; another type, or no such
//     record: refused, 400 0x80048d19 / 404 0x80040217),
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
//     If-Match, If-None-Match, CallerObjectId/MSCRMCallerID (impersonation of
//     a user added with Server.AddUser: createdby, modifiedby and ownerid
//     of that user, createdonbehalfby/modifiedonbehalfby of the calling
//     one, WhoAmI answers it, counted per user by the limits; an unknown
//     user is refused, 404 0x80040217), Consistency,
//     MSCRM.SuppressDuplicateDetection: true: supported; any other MSCRM.*
//     header, MSCRM.SuppressDuplicateDetection: false, Prefer: respond-async
//     or an unknown preference: 501.
//
// ## Dataverse queries
//
// Evaluated by internal/query against the schema (internal/schema); the
// tests are TestQueryContract (Microsoft's documented exchanges, replayed),
// the TestQuery* tests and, with a third-party client,
// testdata/interop/dynamicswebapi.
//
//	$select (columns, _x_value lookups; unknown name 400)          supported
//	$filter comparisons, and/or/not, null, literals, lookups        supported
//	$filter through lookups (parentaccountid/accountid eq ...)     supported
//	$filter lambda any/all over one-to-many navigation             supported
//	$filter contains/startswith/endswith                           supported
//	$filter other OData functions (tolower, length...), in, has    501
//	Microsoft.Dynamics.CRM.In, Between, LastXDays, Today... (query  supported
//	  functions, as internal/query's doc lists; fiscal ones 501)
//	$orderby (several, asc/desc, lookups by primary name)          supported
//	$top                                                           supported
//	$top with Prefer: odata.maxpagesize: $top ignored              supported (1)
//	Prefer: odata.maxpagesize, @odata.nextLink with a paging       supported
//	  cookie, Preference-Applied; max 5000
//	$skiptoken when the page's last row left the filter or was     supported
//	  deleted (the next page starts after it in the order)
//	$skip, $search, $format, unknown $ options and parameters      refused (400)
//	$levels, $compute, $index, $schemaversion, $id                 501
//	$count=true, @odata.count (at most 5000)                       supported
//	<set>/$count (plain text)                                      supported
//	$expand single-valued, collection-valued, nested options,      supported
//	  nav/$ref, on a collection and on a single record
//	$expand=*, $expand or $filter reaching a table the emulator    501
//	  has no rows for (task, email, team...)
//	$apply filter/groupby/aggregate                                supported
//	$apply other transformations (compute, top...)                 501
//	fetchXml= (attributes, filters, link-entity, order, count/     supported
//	  page, aggregates, distinct); entity must be the set's (400)
//	@Microsoft.Dynamics.CRM.fetchxmlpagingcookie and morerecords   supported (2)
//	fetchXml= with other options (but $count) or track-changes     501
//	savedQuery=<id> (a savedquery's fetchxml; the seeded views     supported
//	  filter as before), userQuery=<id> (a userquery's fetchxml)
//	Prefer: odata.track-changes, @odata.deltaLink, $deltatoken     supported
//	  (new and changed rows, then $deletedEntity rows), /$count
//	  of a delta; $filter/$orderby/$expand/$top with it refused
//	  (400, the documented message)
//	Prefer preferences on a GET other than include-annotations,    501
//	  maxpagesize, track-changes (respond-async, odata.callback...)
//	$metadata (CSDL generated from the schema)                     supported
//	EntityDefinitions: $select, $filter (eq/ne to a literal or an  supported
//	  enum member, x/Value, and/or), by LogicalName or MetadataId,
//	  Attributes (by key, cast to a *AttributeMetadata type, its
//	  /OptionSet), $expand Attributes($select;$filter)/OptionSet
//	EntityDefinitions properties the schema does not describe       501
//	  (in $select or $filter)
//	EntityDefinitions other paths and options; GlobalOptionSet-    501
//	  Definitions, RelationshipDefinitions
//
// (1) "If you include both, $top is ignored." (Page results using OData).
// The Web API query data sample of 2016 (web-api-query-data-sample-016
// and -017) shows $top=5 winning over odata.maxpagesize=10; the emulator
// follows the current article, and so does the SDK, which stops reading
// after Query.Top records itself.
// (2) Only when Prefer: odata.include-annotations asks for them ("*" or
// their names), as "Page results using FetchXml" documents.
//
// ## Commerce headquarters
//
// Checked against the documented entities (internal/schema, finops.json).
// "odata.md" is Microsoft's F&O page "Open Data Protocol (OData)"
// (dynamics-365-unified-operations-public, articles/fin-ops-core/dev-itpro/
// data-entities/odata.md); ODL marks ODataLib's message, on which F&O's
// OData stack is built (not in F&O's documentation).
//
//	Behaviour                                     Emulator
//	Service document, /data/$metadata (CSDL)      supported (schema.FinOpsCSDL)
//	Entity set names, case-sensitive              supported; else 404 "Resource not found for the segment"
//	Key naming every key field, dataAreaId too    supported (odata.md); else 400, ODL key count message
//	  (no default company filled in)
//	Lone key value for a single-field key         supported
//	GET, POST, PATCH, DELETE; ETag, If-Match      supported; a stale If-Match is 412
//	PUT, If-None-Match                            501
//	Unknown field or wrong type in a body         refused 400 (ODL messages)
//	Enum in a body: member name or integer        supported (stored by name)
//	Changing a key field with PATCH               refused 400
//	@odata.bind (navigation binding)              501
//	Defaults on create                            company, ProspectId, party numbers, CustomerAccount,
//	                                              CustomerHierarchyId, IsB2BProspect No, status Pending
//	Write failure (duplicate key, missing key     500 "An error has occurred.", innererror with the
//	  field, dual-write failure)                  cause ("Write failed for table row of type ..."),
//	                                              AxODataWriteException and a stack trace
//	$select, $filter, $orderby on unknown fields  refused 400 "The query specified in the URI is not
//	                                              valid. Could not find a property named ..."
//	$filter eq ne gt ge lt le, and or not, ( )    supported (odata.md)
//	$filter add sub mul div divby mod             501 (documented, not implemented)
//	$filter has, in                               refused 400 (odata.md: not supported)
//	contains/startswith/endswith functions        refused 400 (F&O implements "contains" as a
//	                                              wildcard instead)
//	* wildcards in eq/ne string literals          supported (odata.md: Name eq '*retail*')
//	String comparisons                            case-insensitive (inferred from SQL Server collation)
//	Enum literals Namespace.Type'Member'          supported, eq and ne only (odata.md); gt/ge/lt/le,
//	                                              an unknown member or another enum type refused 400
//	Plain string or number against an enum        refused 400, ODL "A binary operator with incompatible
//	                                              types was detected ..."
//	cross-company=true; dataAreaId filters        supported (odata.md); without it, the default company
//	$top, $skip, $count=true, <entity>/$count     supported; bad $top/$skip refused 400
//	Server-driven paging, odata.maxpagesize       supported: 10,000 a page at most (odata.md), next link
//	                                              with $skip (ASP.NET Web API OData's form; inferred)
//	$expand (first level, documented)             501
//	$search, $apply, $skiptoken, other options    501 naming them
//	Prefer other than odata.maxpagesize,          501 naming it
//	  return=representation|minimal,
//	  odata.continue-on-error
//	Property, navigation and action paths         501
//	/data/$batch with change sets                 supported: atomic change sets (odata.md), $<Content-ID>
//	                                              references; the batch answers 200 and a failed change
//	                                              set holds the failed answer alone (live F&O capture);
//	                                              stops at the first failure unless
//	                                              odata.continue-on-error
//	Errors                                        {"error":{"code":"","message","innererror":{"message",
//	                                              "type","stacktrace"}}}; 400s carry the message itself
//	                                              (Microsoft.OData.ODataException), 500s "An error has
//	                                              occurred."
//
// # Layout
//
// This package is the control surface: [Options], [NewServer], the URLs,
// [Server.Credential] and the in-memory [Server.Client] (transport.go),
// faults ([Server.InjectFault], [Server.FailNext],
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
