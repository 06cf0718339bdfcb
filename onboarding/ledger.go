package onboarding

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
)

// The decision ledger: every Approve, Reject and Skip records one
// LedgerEntry (the verdict, the reason, the policy, the reviewer, the steps
// with their request ids and durations) to the Service's LedgerSink. The
// default sink writes it as a note (annotation) on the lead, where
// salespeople see it on the timeline, under the reviewer's identity
// (CallerObjectId) so that Dataverse's createdby names the person.
//
// An entry's ID is derived from the lead and the decision (and, for a skip,
// the policy and the reviewer), and the note sink uses it as the note's
// annotationid: running a finished decision again sends the same note,
// which Dataverse refuses as a duplicate key (412 0x80040237), so a
// decision is recorded once however often it is run, at the cost of one
// request and no read.

// LedgerFormat is the first line of the block that holds an entry's JSON
// in its note: the format's name and version. ParseLedgerEntry reads this
// version and refuses any other. Within a version, members are only ever
// added (readers ignore those they do not know); any other change makes a
// new version.
const LedgerFormat = "d365-onboarding-ledger/v1"

// LedgerSubject begins the subject of every ledger note.
const LedgerSubject = "Onboarding decision: "

// ErrLedger matches the error of a decision that was carried out but whose
// ledger entry could not be recorded. The Outcome tells what was done;
// running the decision again records the entry (and changes nothing else).
var ErrLedger = errors.New("onboarding: the decision was carried out but its ledger entry was not recorded")

// ErrNotLedgerEntry is returned by ParseLedgerEntry for a text that holds
// no ledger block.
var ErrNotLedgerEntry = errors.New("onboarding: not a ledger entry")

// Reviewer is the person who decides. With an ObjectID, the decision's
// writes to Dataverse are made on the person's behalf (the CallerObjectId
// header, see d365.CallOptions): Dataverse's createdby and modifiedby name
// the person, createdonbehalfby the application. The application user
// needs the prvActOnBehalfOfAnotherUser privilege (the Delegate role).
type Reviewer struct {
	// ObjectID is the person's Microsoft Entra ID object id (the
	// azureactivedirectoryobjectid of their systemuser); uuid.Nil records
	// the name only, and the writes are made as the application.
	ObjectID uuid.UUID `json:"objectId,omitzero"`
	// Name is how the ledger names the person, such as "Jane Doe".
	Name string `json:"name,omitempty"`
}

// String returns the name, or the object id when there is no name.
func (r *Reviewer) String() string {
	switch {
	case r == nil:
		return ""
	case r.Name != "":
		return r.Name
	case r.ObjectID != uuid.Nil:
		return r.ObjectID.String()
	}
	return ""
}

// Policy names the rules that took a decision, for the ledger: such as
// {Name: "auto-approve", Version: "3"}. The zero value is "no policy" (a
// decision taken by hand).
type Policy struct {
	Name    string `json:"name,omitempty"`
	Version string `json:"version,omitempty"`
}

// String returns "name vVersion", or the name alone.
func (p Policy) String() string {
	if p.Version == "" {
		return p.Name
	}
	return p.Name + " v" + p.Version
}

// LedgerEntry is the record of one decision.
type LedgerEntry struct {
	// ID identifies the entry: derived from the lead and the decision, so
	// the same decision run twice has the same ID (see LedgerSink).
	ID       uuid.UUID `json:"id"`
	LeadID   uuid.UUID `json:"leadId"`
	Decision Decision  `json:"decision"`
	// Reason is, for a rejection, the status reason given to the lead
	// (such as "Cannot Contact") or to its opportunity when it was already
	// qualified ("Canceled", "Out-Sold"); empty otherwise.
	Reason string `json:"reason,omitempty"`
	// Comment is the free text of the verdict or the options.
	Comment  string    `json:"comment,omitempty"`
	Policy   Policy    `json:"policy,omitzero"`
	Reviewer *Reviewer `json:"reviewer,omitempty"`
	// At is when the entry was made (UTC).
	At time.Time `json:"at"`
	// AccountID, ContactID, OpportunityID and ProspectID are the records
	// of the decision (Outcome). ExistingAccount tells that the request
	// was approved into an account that existed before.
	AccountID       uuid.UUID `json:"accountId,omitzero"`
	ContactID       uuid.UUID `json:"contactId,omitzero"`
	OpportunityID   uuid.UUID `json:"opportunityId,omitzero"`
	ProspectID      string    `json:"prospectId,omitempty"`
	ExistingAccount bool      `json:"existingAccount,omitempty"`
	// Matches is the duplicate evidence the policy was given (see
	// Request.Matches).
	Matches []AccountMatch `json:"matches,omitempty"`
	// Steps are the decision's steps, with the request ids the services
	// gave each (Dataverse's x-ms-service-request-id, Commerce's request
	// id), for support cases.
	Steps []LedgerStep `json:"steps,omitempty"`
	// Sales and Commerce are the time spent in the steps on each side: the
	// confirmation counts as Commerce, every other step as Sales.
	Sales    time.Duration `json:"salesNs,omitempty"`
	Commerce time.Duration `json:"commerceNs,omitempty"`
}

// LedgerStep is a step of a decision, in its ledger entry.
type LedgerStep struct {
	Name       StepName      `json:"name"`
	Status     StepStatus    `json:"status"`
	Duration   time.Duration `json:"durationNs"`
	RequestIDs []string      `json:"requestIds,omitempty"`
	Err        string        `json:"error,omitempty"`
}

// MarshalText returns "skip", "approve" or "reject".
func (d Decision) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText reads "skip", "approve" or "reject".
func (d *Decision) UnmarshalText(b []byte) error {
	switch string(b) {
	case "skip":
		*d = Skip
	case "approve":
		*d = Approve
	case "reject":
		*d = Reject
	default:
		return fmt.Errorf("onboarding: %q is not a decision (skip, approve, reject)", b)
	}
	return nil
}

// Subject returns the subject of the entry's note, such as "Onboarding
// decision: rejected (Cannot Contact)".
func (e *LedgerEntry) Subject() string {
	s := LedgerSubject + past(e.Decision)
	if e.Reason != "" {
		s += " (" + e.Reason + ")"
	}
	return s
}

func past(d Decision) string {
	switch d {
	case Approve:
		return "approved"
	case Reject:
		return "rejected"
	}
	return "skipped"
}

// Text returns the entry as a note's text: a human-readable summary, then
// the LedgerFormat line and the entry as JSON, which ParseLedgerEntry
// reads back.
func (e *LedgerEntry) Text() (string, error) {
	js, err := json.MarshalIndent(e, "", "  ")
	if err != nil {
		return "", fmt.Errorf("onboarding: encoding the ledger entry: %w", err)
	}
	var b strings.Builder
	b.WriteString(strings.ToUpper(past(e.Decision)[:1]) + past(e.Decision)[1:])
	if r := e.Reviewer.String(); r != "" {
		b.WriteString(" by " + r)
	}
	if p := e.Policy.String(); p != "" {
		b.WriteString(" (policy " + p + ")")
	}
	b.WriteString(" on " + e.At.UTC().Format(time.RFC3339) + ".")
	if e.Reason != "" {
		b.WriteString("\nReason: " + e.Reason)
	}
	if e.Comment != "" {
		b.WriteString("\nComment: " + e.Comment)
	}
	if e.ExistingAccount {
		b.WriteString("\nApproved into the existing account " + e.AccountID.String() + ".")
	}
	if len(e.Matches) > 0 {
		fmt.Fprintf(&b, "\nExisting accounts that match: %d.", len(e.Matches))
	}
	b.WriteString("\n\n" + LedgerFormat + "\n")
	b.Write(js)
	return b.String(), nil
}

// ParseLedgerEntry reads an entry back from the text of its note (see
// LedgerEntry.Text). It returns ErrNotLedgerEntry for a text with no ledger
// block, and an error naming the version for a block of another version.
// The text must be the note's as written: a note edited in the rich text
// editor of the timeline may no longer parse.
func ParseLedgerEntry(text string) (*LedgerEntry, error) {
	const prefix = "d365-onboarding-ledger/"
	for rest := text; ; {
		i := strings.Index(rest, prefix)
		if i < 0 {
			return nil, ErrNotLedgerEntry
		}
		if i > 0 && rest[i-1] != '\n' {
			rest = rest[i+len(prefix):]
			continue
		}
		line, body, _ := strings.Cut(rest[i:], "\n")
		line = strings.TrimSpace(line)
		if line != LedgerFormat {
			return nil, fmt.Errorf("onboarding: ledger entry of format %q: this version reads %q", line, LedgerFormat)
		}
		dec := json.NewDecoder(strings.NewReader(body))
		var e LedgerEntry
		if err := dec.Decode(&e); err != nil {
			return nil, fmt.Errorf("onboarding: reading the ledger entry: %w", err)
		}
		if e.ID == uuid.Nil || e.LeadID == uuid.Nil {
			return nil, fmt.Errorf("onboarding: reading the ledger entry: it has no id or no leadId")
		}
		return &e, nil
	}
}
