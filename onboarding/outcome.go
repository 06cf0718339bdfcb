package onboarding

import (
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
)

// Decision is what to do with an onboarding request.
type Decision int

const (
	// Skip leaves the request pending.
	Skip Decision = iota
	// Approve makes the company a business partner.
	Approve
	// Reject turns the request down.
	Reject
)

// String returns "skip", "approve" or "reject".
func (d Decision) String() string {
	switch d {
	case Approve:
		return "approve"
	case Reject:
		return "reject"
	}
	return "skip"
}

// StepName names a step of a workflow.
type StepName string

// The steps of Approve and Reject.
const (
	StepReadLead StepName = "read lead"
	// StepLinkAccount sets the lead's parentaccountid to the existing
	// account an approval goes into (ApproveOptions.ExistingAccountID).
	StepLinkAccount     StepName = "link existing account"
	StepQualify         StepName = "qualify lead"
	StepReadOpportunity StepName = "read opportunity"
	StepWin             StepName = "win opportunity"
	StepDisqualify      StepName = "disqualify lead"
	StepLose            StepName = "lose opportunity"
	// StepProspectStatus sets the lead's msdyn_b2bprospectstatus to the
	// decision when an earlier run closed the lead or its opportunity but
	// the status stayed Pending, so that dual-write carries the decision
	// to the Commerce prospect.
	StepProspectStatus StepName = "set prospect status"
	StepConfirm        StepName = "confirm in Commerce"
)

// The steps of Activate and RemoveUser (see Activate). The user steps are
// taken once per user, with the user's e-mail address in Step.Subject.
const (
	// StepCreditTerms sets the credit terms of the Organization customer.
	StepCreditTerms StepName = "set credit terms"
	// StepInvoiceAdmin makes the Admin's Person customer invoice the
	// organization.
	StepInvoiceAdmin StepName = "invoice admin to organization"
	// StepUserCustomer creates the Person customer of a B2B user.
	StepUserCustomer StepName = "create user customer"
	// StepUserNode adds a B2B user's customer to the hierarchy.
	StepUserNode StepName = "add user to hierarchy"
	// StepRemoveUser removes a B2B user's customer from the hierarchy.
	StepRemoveUser StepName = "remove user from hierarchy"
)

// StepStatus tells how a step ended.
type StepStatus string

const (
	// StepDone: the step was carried out by this call.
	StepDone StepStatus = "done"
	// StepAlreadyDone: an earlier run had carried it out; nothing was sent.
	StepAlreadyDone StepStatus = "already done"
	// StepRecovered: the step's response was lost or refused, and reading
	// the record showed that it had taken effect.
	StepRecovered StepStatus = "recovered"
	// StepFailed: the step failed; the workflow stopped there.
	StepFailed StepStatus = "failed"
)

// Step is one step of a workflow run.
type Step struct {
	Name     StepName
	Status   StepStatus
	Duration time.Duration
	// Err is the failure of a failed step, as text.
	Err string
	// Subject names what a step taken once per item acted on, such as the
	// e-mail address of the user StepUserNode added; empty for the other
	// steps. It is not logged nor traced.
	Subject string
	// RequestIDs are the services' ids of the requests the step made
	// (Dataverse's x-ms-service-request-id, Commerce's request id), in
	// order, at most 16; for support cases and the ledger.
	RequestIDs []string
}

// Outcome tells what Approve, Reject or Activate did, and every record it
// touched. Activate and RemoveUser report the Decision Approve: they carry
// an approval on.
type Outcome struct {
	LeadID   uuid.UUID
	Decision Decision
	// AccountID, ContactID and OpportunityID are the records qualifying
	// the lead created (uuid.Nil when it was never qualified).
	AccountID, ContactID, OpportunityID uuid.UUID
	// ProspectID is the Commerce prospect behind the lead.
	ProspectID string
	// Company is the prospect's company (dataAreaId, lower case), known
	// once the run has consulted Commerce; empty otherwise.
	Company string
	// Steps lists the steps of this run, in order.
	Steps []Step
	// Commerce is what Commerce showed when the decision was confirmed;
	// nil when it was not asked for.
	Commerce *CommerceState
	// Users are the partner's B2B users after Activate or RemoveUser,
	// the Admin first; nil for the other workflows.
	Users []User
	// ExistingAccount tells that the request was approved into an account
	// that existed before (ApproveOptions.ExistingAccountID): AccountID is
	// that account, and qualifying created none.
	ExistingAccount bool
	// Ledger is the entry this run sent to the ledger (see LedgerSink);
	// when an earlier run had recorded the decision, the ledger keeps that
	// run's entry of the same ID. Nil when the ledger is off or the
	// decision failed.
	Ledger *LedgerEntry
}

// Resumed reports whether an earlier run had already carried out some of
// the steps.
func (o *Outcome) Resumed() bool {
	for _, s := range o.Steps {
		if s.Status == StepAlreadyDone || s.Status == StepRecovered {
			return true
		}
	}
	return false
}

// CommerceState is the state of an onboarding request in Commerce
// headquarters, read when a decision is confirmed.
type CommerceState struct {
	// ProspectStatus is the prospect's B2BProspectStatus.
	ProspectStatus string
	// OrganizationAccount and PersonAccount are the customer accounts of
	// the company (party type Organization) and of the requester (Person),
	// after an approval.
	OrganizationAccount, PersonAccount string
	// HierarchyID is the customer hierarchy created for the company, whose
	// Admin node is the requester.
	HierarchyID string
}

// ErrConflict matches a *ConflictError: the decision asked for contradicts
// one already taken.
var ErrConflict = errors.New("onboarding: conflicting decision")

// ErrNotOnboardingRequest is returned for a lead that is not a Commerce B2B
// onboarding request (msdyn_b2bcommerceprospect is not true).
var ErrNotOnboardingRequest = errors.New("onboarding: the lead is not a Commerce B2B onboarding request")

// ConflictError is returned when a request already carries the opposite
// decision: approving a rejected request, or rejecting an approved one.
type ConflictError struct {
	LeadID uuid.UUID
	// Wanted is the decision asked for.
	Wanted Decision
	// State describes what the request already is, such as "the lead is
	// disqualified" or "the opportunity is won".
	State string
}

// Error describes the conflict.
func (e *ConflictError) Error() string {
	return fmt.Sprintf("onboarding: cannot %s lead %s: %s", e.Wanted, e.LeadID, e.State)
}

// Is makes errors.Is(err, ErrConflict) hold.
func (e *ConflictError) Is(target error) bool { return target == ErrConflict }
