package sales

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/b2bflow/d365"
	"github.com/b2bflow/d365/internal/odata"
	"github.com/google/uuid"
)

// $expand: the navigation properties the package knows are typed fields of
// the read types, filled when a Get or List expands them (nil otherwise):
//
//	Lead.ParentAccount, Lead.ParentContact
//	Opportunity.ParentAccount, Opportunity.OriginatingLead, Opportunity.Closes
//	Account.PrimaryContact, Account.Contacts
//
// For example, a lead with its account's name:
//
//	l, err := c.Leads.Get(ctx, id, &d365.GetOptions{Expand: []string{"parentaccountid($select=name)"}})
//	// l.ParentAccount.Name
//
// Any other navigation property comes in a Record's Columns, read with
// Expanded and ExpandedAll.

// OpportunityClose is an opportunity close activity (opportunityclose), the
// record Win and Lose create: read it through Opportunity.Closes.
type OpportunityClose struct {
	// Annotations holds the ETag and the formatted values.
	d365.Annotations

	// ID is the activity's id.
	ID uuid.UUID `json:"activityid,omitzero"`
	// Subject is the activity's subject, such as "Won Opportunity".
	Subject     string `json:"subject,omitempty"`
	Description string `json:"description,omitempty"`
	// ActualRevenue is the revenue the close recorded.
	ActualRevenue d365.Decimal `json:"actualrevenue,omitempty"`
	// ActualEnd is the close date, a date only.
	ActualEnd d365.Date `json:"actualend,omitzero"`
	// OpportunityID is the closed opportunity.
	OpportunityID uuid.UUID `json:"_opportunityid_value,omitzero"`
	// State is statecode, nil when not returned.
	State *int `json:"statecode,omitempty"`
	// Status is statuscode, 0 when not returned.
	Status int `json:"statuscode,omitempty"`

	CreatedOn time.Time `json:"createdon,omitzero"` // read-only
}

type opportunityCloseJSON OpportunityClose

// UnmarshalJSON decodes an opportunity close with its annotations.
func (c *OpportunityClose) UnmarshalJSON(b []byte) error {
	*c = OpportunityClose{}
	return odata.DecodeRecord(b, (*opportunityCloseJSON)(c), &c.Annotations)
}

// Expanded decodes the single-valued navigation property nav that a Get or
// List of r expanded ($expand=nav) into a new T, such as an Account or a
// Record. It returns nil and no error when r holds no such record (not
// expanded, or no related record).
func Expanded[T any](r *Record, nav string) (*T, error) {
	v, ok := r.Columns[nav]
	if !ok || v == nil {
		return nil, nil
	}
	if _, ok := v.(map[string]any); !ok {
		return nil, fmt.Errorf("sales: %s is not an expanded record but a %T", nav, v)
	}
	return reDecode[T](v, nav)
}

// ExpandedAll decodes the collection-valued navigation property nav that a
// Get or List of r expanded into new T values, in the service's order. It
// returns nil and no error when r holds no such collection.
func ExpandedAll[T any](r *Record, nav string) ([]*T, error) {
	v, ok := r.Columns[nav]
	if !ok || v == nil {
		return nil, nil
	}
	list, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("sales: %s is not an expanded collection but a %T", nav, v)
	}
	out := make([]*T, 0, len(list))
	for i, e := range list {
		t, err := reDecode[T](e, fmt.Sprintf("%s[%d]", nav, i))
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, nil
}

// reDecode decodes a value of a Record's Columns (numbers as json.Number,
// so that no digit is lost) into a new T.
func reDecode[T any](v any, what string) (*T, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("sales: %s: %w", what, err)
	}
	t := new(T)
	if err := json.Unmarshal(b, t); err != nil {
		return nil, fmt.Errorf("sales: decoding %s: %w", what, err)
	}
	return t, nil
}
