// Package sales is a typed client for Dynamics 365 Sales on the Dataverse
// Web API (v9.2): leads, opportunities, accounts, contacts and timeline
// notes, the actions that move a lead through the sales process (qualify,
// disqualify, win, lose), and untyped access to any other table.
//
// # Creating the client
//
// A client needs the organization URL and a credential from package d365:
//
//	cred, err := d365.NewClientSecretCredential(tenantID, clientID, secret, nil)
//	if err != nil { ... }
//	c, err := sales.NewClient("https://contoso.crm.dynamics.com", cred, nil)
//
// Requests go to <org>/api/data/v9.2/ with the OData headers Dataverse
// expects; throttled requests are retried after the Retry-After the service
// asks for, and at most 52 requests are in flight at once (the service's
// concurrency limit). Every call takes a context.
//
// # Reading leads
//
// Get reads one record; List streams the records of a query, following the
// service's pages, so memory stays flat whatever the number of records.
// Build filters with d365.Filterf, which formats and escapes the values:
//
//	lead, err := c.Leads.Get(ctx, id, nil)
//	fmt.Println(lead.Subject, lead.Status, lead.FormattedValue("statuscode"))
//
//	q := &sales.ListOptions{Query: d365.Query{
//		Select: []string{"subject", "companyname", "statuscode"},
//		Filter: d365.Filterf("companyname eq %v", "O'Neil Ltd"),
//		Top:    50,
//	}}
//	for lead, err := range c.Leads.List(ctx, q) {
//		if err != nil { return err }
//		fmt.Println(lead.ID, lead.Subject)
//	}
//
// Get reads every column unless d365.GetOptions names some ($select,
// $expand): c.Leads.Get(ctx, id, &d365.GetOptions{Select: []string{"subject"}}).
//
// Pages streams the same records a page at a time, with the total count
// (@odata.count, when Query.Count asks for it) and the page's next link.
// Save the link to resume a long listing later, after a crash or in another
// process: ListOptions.NextLink starts a listing from it (the link must be
// on the organization's host):
//
//	for p, err := range c.Leads.Pages(ctx, q) {
//		if err != nil { return err }
//		save(p.NextLink) // ... and after a crash:
//	}
//	for lead, err := range c.Leads.List(ctx, &sales.ListOptions{NextLink: saved}) { ... }
//
// Records carry their annotations: lead.ETag (the version),
// lead.FormattedValue(column) (labels as users see them) and
// lead.LookupLogicalName("_parentaccountid_value") (the table a lookup
// points to). Money and decimal columns are d365.Decimal, kept exactly as
// the service wrote them; date-only columns are d365.Date.
//
// # The B2B leads view
//
// The leads dual-write creates from Commerce B2B onboarding requests are the
// view "All commerce B2B leads": open leads with msdyn_b2bcommerceprospect
// true. ListB2B streams them by B2B prospect status:
//
//	for lead, err := range c.Leads.ListB2B(ctx, sales.B2BProspectStatusPending) { ... }
//
// and Notes.ForLead reads a lead's timeline.
//
// # Qualifying and winning
//
// Approving a request qualifies the lead, which creates an account, a
// contact and an opportunity, then wins the opportunity:
//
//	res, err := c.Leads.Qualify(ctx, leadID, nil)
//	if err != nil { ... }
//	err = c.Opportunities.Win(ctx, res.OpportunityID, &sales.CloseOptions{
//		ActualRevenue: "4990.00",
//		CloseDate:     d365.DateOf(time.Now()),
//	})
//
// Rejecting disqualifies the lead (Leads.Disqualify with a reason such as
// sales.LeadStatusCannotContact) or loses its opportunity
// (Opportunities.Lose with sales.OpportunityStatusCanceled or
// sales.OpportunityStatusOutSold). Qualify, Win and Lose are never retried
// after a lost connection: read the records to see whether they happened.
//
// # Writing
//
// Create sends only the columns that are set and never a read-only column.
// Setting the record's ID before Create chooses its id and makes the create
// safe to retry. Update takes a LeadChanges whose non-nil fields are the
// columns to change:
//
//	err := c.Leads.Update(ctx, id, &sales.LeadChanges{Phone: sales.Ptr("+1 425 555 0100")}, nil)
//
// # Errors and ETags
//
// Invalid input (a uuid.Nil id, an empty subject, an unknown status) fails
// before any request, with a message that names the field. Failures
// reported by the service are *d365.Error values; test them with errors.Is:
//
//	lead, err := c.Leads.Get(ctx, id, nil)
//	if errors.Is(err, d365.ErrNotFound) { ... }
//
// To update a record only if nobody changed it since it was read, pass its
// ETag; a stale ETag fails with d365.ErrPreconditionFailed:
//
//	err = c.Leads.Update(ctx, lead.ID, changes, &d365.UpdateOptions{IfMatch: lead.ETag})
//	if errors.Is(err, d365.ErrPreconditionFailed) {
//		// read the lead again and decide
//	}
//
// Without an ETag an update sends "If-Match: *", so that updating a deleted
// record fails with d365.ErrNotFound instead of creating it again.
//
// # Other tables
//
// Client.Table gives untyped records (Record) of any entity set, such as
// c.Table("msdyn_customerhierarchies"), with numbers kept as json.Number.
package sales
