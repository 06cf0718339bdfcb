// Package onboarding runs the B2B partner onboarding of Dynamics 365 end to
// end: the requests waiting for a decision, approving a business partner,
// rejecting one, and a queue of decisions applied with bounded concurrency.
//
// # The process
//
// A company asks, on a Commerce B2B web shop, to become a business partner.
// Commerce headquarters records a prospect (B2BProspectStatus Pending) and
// dual-write writes it to Dynamics 365 Sales as a lead with
// msdyn_b2bcommerceprospect = true and msdyn_b2bprospectstatus = Pending.
// Then:
//
//   - Approve qualifies the lead (Sales creates the account, the contact
//     and the opportunity; dual-write makes them Organization and Person
//     customers in Commerce) and wins the opportunity (the prospect becomes
//     Approved in Commerce, which creates the customer hierarchy with the
//     requester as its Admin).
//   - Reject disqualifies the lead, or loses its opportunity if it was
//     already qualified (the prospect becomes Rejected).
//
// With a Commerce client and Confirm set, both wait until Commerce shows the
// result (dual-write is synchronous, but a real system may be slow, queued or
// broken: the confirmation is what proves the partner can buy).
//
// # Resuming
//
// Approve and Reject read the lead first and do only what is left, so that
// running them again after a failure, a timeout or a crash at any step
// finishes the job and never creates a second account, contact or
// opportunity: a qualified lead names its opportunity, and a closed
// opportunity is not closed again. When a step's response is lost (the
// connection broke after the service acted), the step is verified by reading
// the record instead of being repeated. Asking for the opposite of a decision
// already taken (approving a rejected lead) returns a *ConflictError.
//
// Pending and Process find the work left half done on their own. A request
// stays Pending (the lead's msdyn_b2bprospectstatus) until its decision
// reaches the prospect, so a lead that is qualified, or disqualified, while
// still Pending carries a decision started and not finished: an approval
// cut between QualifyLead and WinOpportunity by a crash, a deadline or a
// failed win; or a decision taken in Sales whose status never followed.
// Pending marks such a request with the decision its records show
// (Request.Unfinished: Approve for a qualified lead, Reject for a
// disqualified lead or a lost opportunity), and Process finishes it without
// asking the policy again, counting it in Summary.Resumed. Running Process
// again after a failure or a crash therefore finishes every decision.
//
// # After approval
//
// Activate makes an approved partner ready to buy on the B2B site, in
// Commerce headquarters: the credit terms of its Organization customer
// (credit limit, mandatory credit limit, on-account payment), and its B2B
// users beside the Admin (the requester), each a Person customer found by
// its e-mail address or created, invoicing the organization, and a node of
// the partner's customer hierarchy with the role User. Users lists them;
// RemoveUser takes one out of the hierarchy. They resume as Approve does:
// every write is preceded by a read, so a second run sends no write.
//
// # Several companies
//
// Commerce keeps prospects and customers by company (dataAreaId).
// Options.Companies lists the companies a Service serves, each with its
// options (a Commerce client of its own, default credit terms); each
// request is routed to the company of its prospect, found with one
// cross-company query and remembered (Outcome.Company).
//
// # Round trips
//
// On the first run, an approval takes three requests (read the lead,
// QualifyLead, WinOpportunity) and a rejection two (read the lead,
// disqualify), confirmation polling aside, and each one more for its
// ledger note. Pending reads a page of leads per request, and for each
// group of 50 leads one query for their prospects and, when some of them
// are qualified, one for their opportunities; with Options.Duplicates, one
// for matching accounts and one for matching contacts.
//
// # Duplicates and the ledger
//
// With Options.Duplicates, each request carries the existing accounts that
// match the requester (Request.Matches: email domain, web site, contacts'
// addresses, company name, or columns of your own), so that a policy can
// approve a known partner's new user into its account
// (Verdict.AccountID, ApproveOptions.ExistingAccountID) instead of
// creating a second one. Every decision, skips included, is recorded as a
// LedgerEntry: by default a note on the lead, created on the reviewer's
// behalf, that ParseLedgerEntry and Service.Ledger read back.
//
//	svc := onboarding.New(salesClient, commerceClient, nil)
//	for req, err := range svc.Pending(ctx) {
//		if err != nil {
//			return err
//		}
//		fmt.Println(req.Lead.CompanyName, req.Lead.Email)
//	}
//	out, err := svc.Approve(ctx, leadID, &onboarding.ApproveOptions{Confirm: &onboarding.ConfirmOptions{}})
package onboarding
