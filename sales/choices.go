package sales

import (
	"strconv"

	"github.com/b2bflow/d365/dualwrite"
)

// LeadState is a lead's State: whether it is open, qualified or
// disqualified.
type LeadState int

// The lead states.
const (
	LeadStateOpen         LeadState = 0
	LeadStateQualified    LeadState = 1
	LeadStateDisqualified LeadState = 2
)

// String returns the state's label, such as "Open".
func (s LeadState) String() string {
	switch s {
	case LeadStateOpen:
		return "Open"
	case LeadStateQualified:
		return "Qualified"
	case LeadStateDisqualified:
		return "Disqualified"
	}
	return "LeadState(" + strconv.Itoa(int(s)) + ")"
}

// LeadStatus is a lead's Status, the reason for its state.
type LeadStatus int

// The lead status reasons: New and Contacted belong to the Open state,
// Qualified to the Qualified state, the others to the Disqualified state.
const (
	LeadStatusNew                LeadStatus = 1
	LeadStatusContacted          LeadStatus = 2
	LeadStatusQualified          LeadStatus = 3
	LeadStatusLost               LeadStatus = 4
	LeadStatusCannotContact      LeadStatus = 5
	LeadStatusNoLongerInterested LeadStatus = 6
	LeadStatusCanceled           LeadStatus = 7
)

// String returns the status reason's label, such as "Cannot Contact".
func (s LeadStatus) String() string {
	switch s {
	case LeadStatusNew:
		return "New"
	case LeadStatusContacted:
		return "Contacted"
	case LeadStatusQualified:
		return "Qualified"
	case LeadStatusLost:
		return "Lost"
	case LeadStatusCannotContact:
		return "Cannot Contact"
	case LeadStatusNoLongerInterested:
		return "No Longer Interested"
	case LeadStatusCanceled:
		return "Canceled"
	}
	return "LeadStatus(" + strconv.Itoa(int(s)) + ")"
}

// State returns the state the status reason belongs to.
func (s LeadStatus) State() LeadState {
	switch {
	case s == LeadStatusQualified:
		return LeadStateQualified
	case s >= LeadStatusLost:
		return LeadStateDisqualified
	}
	return LeadStateOpen
}

// OpportunityState is an opportunity's statecode.
type OpportunityState int

// The opportunity states.
const (
	OpportunityStateOpen OpportunityState = 0
	OpportunityStateWon  OpportunityState = 1
	OpportunityStateLost OpportunityState = 2
)

// String returns the state's label, such as "Won".
func (s OpportunityState) String() string {
	switch s {
	case OpportunityStateOpen:
		return "Open"
	case OpportunityStateWon:
		return "Won"
	case OpportunityStateLost:
		return "Lost"
	}
	return "OpportunityState(" + strconv.Itoa(int(s)) + ")"
}

// OpportunityStatus is an opportunity's statuscode, the reason for its
// state.
type OpportunityStatus int

// The opportunity status reasons: In Progress and On Hold belong to the Open
// state, Won to the Won state, Canceled and Out-Sold to the Lost state.
const (
	OpportunityStatusInProgress OpportunityStatus = 1
	OpportunityStatusOnHold     OpportunityStatus = 2
	OpportunityStatusWon        OpportunityStatus = 3
	OpportunityStatusCanceled   OpportunityStatus = 4
	OpportunityStatusOutSold    OpportunityStatus = 5
)

// String returns the status reason's label, such as "Out-Sold".
func (s OpportunityStatus) String() string {
	switch s {
	case OpportunityStatusInProgress:
		return "In Progress"
	case OpportunityStatusOnHold:
		return "On Hold"
	case OpportunityStatusWon:
		return "Won"
	case OpportunityStatusCanceled:
		return "Canceled"
	case OpportunityStatusOutSold:
		return "Out-Sold"
	}
	return "OpportunityStatus(" + strconv.Itoa(int(s)) + ")"
}

// B2BProspectStatus is a lead's B2BProspectStatus column: where a Commerce
// B2B onboarding request stands. Dual-write keeps it in step with the
// prospect's B2BProspectStatus in Commerce headquarters.
type B2BProspectStatus int

// The B2B prospect statuses.
const (
	B2BProspectStatusPending  B2BProspectStatus = dualwrite.DataversePending
	B2BProspectStatusApproved B2BProspectStatus = dualwrite.DataverseApproved
	B2BProspectStatusRejected B2BProspectStatus = dualwrite.DataverseRejected
)

// String returns the status's label, such as "Pending".
func (s B2BProspectStatus) String() string {
	switch s {
	case B2BProspectStatusPending:
		return "Pending"
	case B2BProspectStatusApproved:
		return "Approved"
	case B2BProspectStatusRejected:
		return "Rejected"
	}
	return "B2BProspectStatus(" + strconv.Itoa(int(s)) + ")"
}

// valid reports whether s is one of the defined statuses.
func (s B2BProspectStatus) valid() bool {
	return s >= B2BProspectStatusPending && s <= B2BProspectStatusRejected
}
