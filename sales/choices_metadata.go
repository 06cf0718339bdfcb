package sales

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"github.com/b2bflow/d365"
	"github.com/b2bflow/d365/internal/odata"
)

// ChoiceKind is the kind of a choice column, the metadata type it is read
// through.
type ChoiceKind string

// The kinds of choice columns.
const (
	// ChoicePicklist is a choice (PicklistAttributeMetadata).
	ChoicePicklist ChoiceKind = "Picklist"
	// ChoiceMultiSelect is a multi-select choice
	// (MultiSelectPicklistAttributeMetadata).
	ChoiceMultiSelect ChoiceKind = "MultiSelectPicklist"
	// ChoiceState is a table's state column (StateAttributeMetadata).
	ChoiceState ChoiceKind = "State"
	// ChoiceStatus is a table's status reason column
	// (StatusAttributeMetadata).
	ChoiceStatus ChoiceKind = "Status"
	// ChoiceBoolean is a yes/no column (BooleanAttributeMetadata): its
	// options are 0 (FalseOption) and 1 (TrueOption).
	ChoiceBoolean ChoiceKind = "Boolean"
)

// ChoiceOption is one option of a choice column.
type ChoiceOption struct {
	// Value is the option's number, as records hold it.
	Value int
	// Label is the label in the language of the calling user
	// (UserLocalizedLabel); "" when the service gives none.
	Label string
	// Labels holds the label in every language the organization has
	// (LocalizedLabels), by language code (LCID), such as 1033 for
	// English (United States) and 1031 for German.
	Labels map[int]string
	// Color is the option's color, such as "#0000ff"; often empty.
	Color string
	// State is, for a status reason (ChoiceStatus), the state value the
	// status belongs to; nil otherwise.
	State *int
	// DefaultStatus is, for a state (ChoiceState), the default status reason
	// of the state; nil otherwise.
	DefaultStatus *int
}

// ColumnChoices are the options of a choice column, read from the
// column's metadata.
type ColumnChoices struct {
	// Table and Column are the logical names, such as "lead" and
	// "leadsourcecode".
	Table, Column string
	// Kind is the column's kind.
	Kind ChoiceKind
	// Options are the options in the order the service lists them.
	Options []ChoiceOption
}

// Option returns the option with the given value.
func (cc *ColumnChoices) Option(value int) (ChoiceOption, bool) {
	for _, o := range cc.Options {
		if o.Value == value {
			return o, true
		}
	}
	return ChoiceOption{}, false
}

// Label returns the label of value in the language lcid: the
// LocalizedLabel of that language, else the user's label. lcid 0 asks for
// the user's label. It reports false for a value the column does not
// have.
func (cc *ColumnChoices) Label(value, lcid int) (string, bool) {
	o, ok := cc.Option(value)
	if !ok {
		return "", false
	}
	if l, ok := o.Labels[lcid]; ok && lcid != 0 {
		return l, true
	}
	return o.Label, true
}

// choiceCache holds the choices read per column. The zero value is ready.
type choiceCache struct {
	mu      sync.Mutex
	entries map[string]*choiceEntry
}

// choiceEntry is one column's choices, or the fetch under way.
type choiceEntry struct {
	done chan struct{} // closed when the fetch ends
	cc   *ColumnChoices
	err  error
}

// Choices returns the options and labels of the choice column column of
// the table table (logical names, such as "lead" and "leadsourcecode"), read
// from EntityDefinitions: first the column's AttributeTypeName, then
//
//	EntityDefinitions(LogicalName='lead')/Attributes(LogicalName='leadsourcecode')/Microsoft.Dynamics.CRM.PicklistAttributeMetadata?$select=LogicalName&$expand=OptionSet
//
// (Picklist, MultiSelectPicklist, State, Status and Boolean columns). The
// result is cached per client: concurrent and later calls for the same
// column share one fetch; a failed fetch is not cached. Call
// InvalidateChoices after the options change. A column that is not a
// choice fails with a *d365.InputError naming it.
//
// Do not modify the result: it is shared.
func (c *Client) Choices(ctx context.Context, table, column string) (*ColumnChoices, error) {
	const op = "sales: Choices"
	for _, f := range []struct{ field, v string }{{"table", table}, {"column", column}} {
		if odata.CheckName(f.field, f.v) != nil || strings.Contains(f.v, ".") {
			return nil, d365.NewInputError(op, f.field, "%q must be a logical name (letters, digits and '_'), such as lead or leadsourcecode", f.v)
		}
	}
	key := strings.ToLower(table) + "." + strings.ToLower(column)
	m := c.choices
	for {
		m.mu.Lock()
		if m.entries == nil {
			m.entries = map[string]*choiceEntry{}
		}
		e, ok := m.entries[key]
		if !ok {
			e = &choiceEntry{done: make(chan struct{})}
			m.entries[key] = e
			m.mu.Unlock()
			e.cc, e.err = c.fetchChoices(ctx, op, strings.ToLower(table), strings.ToLower(column))
			if e.err != nil {
				m.mu.Lock()
				if m.entries[key] == e {
					delete(m.entries, key)
				}
				m.mu.Unlock()
			}
			close(e.done)
			return e.cc, e.err
		}
		m.mu.Unlock()
		select {
		case <-e.done:
		case <-ctx.Done():
			return nil, fmt.Errorf("%s: waiting for the choices of %s: %w", op, key, ctx.Err())
		}
		if e.err == nil {
			return e.cc, nil
		}
		// The fetch we waited for failed (perhaps on its caller's
		// context): try again with ours.
		if err := ctx.Err(); err != nil {
			return nil, err
		}
	}
}

// InvalidateChoices forgets the cached choices of the column (both names
// empty: of every column), so that the next Choices reads them again.
func (c *Client) InvalidateChoices(table, column string) {
	m := c.choices
	m.mu.Lock()
	defer m.mu.Unlock()
	if table == "" && column == "" {
		m.entries = nil
		return
	}
	delete(m.entries, strings.ToLower(table)+"."+strings.ToLower(column))
}

// metaLabel is a Label of the metadata.
type metaLabel struct {
	LocalizedLabels []struct {
		Label        string `json:"Label"`
		LanguageCode int    `json:"LanguageCode"`
	} `json:"LocalizedLabels"`
	UserLocalizedLabel *struct {
		Label string `json:"Label"`
	} `json:"UserLocalizedLabel"`
}

// metaOption is an OptionMetadata (with the State and DefaultStatus of
// StatusOptionMetadata and StateOptionMetadata).
type metaOption struct {
	Value         *int      `json:"Value"`
	Label         metaLabel `json:"Label"`
	Color         *string   `json:"Color"`
	State         *int      `json:"State"`
	DefaultStatus *int      `json:"DefaultStatus"`
}

// option converts the metadata option.
func (o *metaOption) option() ChoiceOption {
	out := ChoiceOption{State: o.State, DefaultStatus: o.DefaultStatus}
	if o.Value != nil {
		out.Value = *o.Value
	}
	if o.Color != nil {
		out.Color = *o.Color
	}
	if len(o.Label.LocalizedLabels) > 0 {
		out.Labels = make(map[int]string, len(o.Label.LocalizedLabels))
		for _, l := range o.Label.LocalizedLabels {
			out.Labels[l.LanguageCode] = l.Label
		}
	}
	if o.Label.UserLocalizedLabel != nil {
		out.Label = o.Label.UserLocalizedLabel.Label
	}
	return out
}

// fetchChoices reads a column's kind and then its option set.
func (c *Client) fetchChoices(ctx context.Context, op, table, column string) (*ColumnChoices, error) {
	attr := "EntityDefinitions(LogicalName='" + table + "')/Attributes(LogicalName='" + column + "')"
	var head struct {
		AttributeTypeName struct {
			Value string `json:"Value"`
		} `json:"AttributeTypeName"`
	}
	resp, err := c.od.Do(ctx, &odata.Request{Path: attr, Query: "$select=LogicalName,AttributeTypeName"})
	if err != nil {
		return nil, err
	}
	if err := resp.Decode(&head); err != nil {
		return nil, fmt.Errorf("%s: %s.%s: %w", op, table, column, err)
	}
	kind := ChoiceKind(strings.TrimSuffix(head.AttributeTypeName.Value, "Type"))
	switch kind {
	case ChoicePicklist, ChoiceMultiSelect, ChoiceState, ChoiceStatus, ChoiceBoolean:
	default:
		return nil, d365.NewInputError(op, "column", "%s.%s is a %s column, not a choice (Picklist, MultiSelectPicklist, State, Status or Boolean)", table, column, head.AttributeTypeName.Value)
	}
	resp, err = c.od.Do(ctx, &odata.Request{Path: attr + "/" + odata.Namespace + string(kind) + "AttributeMetadata", Query: "$select=LogicalName&$expand=OptionSet"})
	if err != nil {
		return nil, err
	}
	var body struct {
		OptionSet *struct {
			Options     []metaOption `json:"Options"`
			TrueOption  *metaOption  `json:"TrueOption"`
			FalseOption *metaOption  `json:"FalseOption"`
		} `json:"OptionSet"`
	}
	if err := resp.Decode(&body); err != nil {
		return nil, fmt.Errorf("%s: %s.%s: %w", op, table, column, err)
	}
	if body.OptionSet == nil {
		return nil, fmt.Errorf("%s: %s.%s: the service answered without the OptionSet", op, table, column)
	}
	cc := &ColumnChoices{Table: table, Column: column, Kind: kind}
	if kind == ChoiceBoolean {
		for i, o := range []*metaOption{body.OptionSet.FalseOption, body.OptionSet.TrueOption} {
			if o == nil {
				return nil, fmt.Errorf("%s: %s.%s: the service answered without the yes/no options", op, table, column)
			}
			opt := o.option()
			if o.Value == nil {
				opt.Value = i
			}
			cc.Options = append(cc.Options, opt)
		}
		return cc, nil
	}
	for i := range body.OptionSet.Options {
		if body.OptionSet.Options[i].Value == nil {
			return nil, fmt.Errorf("%s: %s.%s: option %d has no Value", op, table, column, i)
		}
		cc.Options = append(cc.Options, body.OptionSet.Options[i].option())
	}
	return cc, nil
}
