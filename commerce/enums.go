package commerce

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/b2bflow/d365"
)

// Finance and Operations sends enum values by name, as JSON strings ("Yes",
// "Pending"). The enum types below are Go strings so that a value this
// package does not know (a member added by a later release or an extension)
// decodes without failing and keeps its name. A value sent as a number is
// decoded to the member's name when the number is documented, else kept as
// the number's text.
//
// In a $filter, an enum is written as a typed literal such as
// Microsoft.Dynamics.DataEntities.NoYes'Yes'; Finance and Operations
// refuses the plain string 'Yes' for an enum field. Every enum type below
// implements d365.EnumValuer, so d365.Filterf writes it as its typed
// literal:
//
//	d365.Filterf("B2BProspectStatus eq %v", commerce.ProspectPending)
//	// B2BProspectStatus eq Microsoft.Dynamics.DataEntities.RetailB2BProspectStatus'Pending'
//
// Enums support only eq and ne. PartyType is not an enum: the PartyType
// field of CustomersV3 (and ProspectPartyType of Prospects) is a string,
// so it formats as a quoted string.

// Finance and Operations enum type names, for d365.Enum.
const (
	// EnumNoYes is the enum of yes/no fields such as IsB2BProspect.
	EnumNoYes = "NoYes"
	// EnumProspectStatus is the enum of Prospects.B2BProspectStatus.
	EnumProspectStatus = "RetailB2BProspectStatus"
	// EnumHierarchyPurpose is the enum of CustomerHiearchies.Purpose.
	EnumHierarchyPurpose = "CustHierarchyPurpose"
	// EnumNodeRole is the enum of CustomerHierarchyNodes.Role.
	EnumNodeRole = "CustHierarchyNodeRole"
	// EnumNodeType is the enum of CustomerHierarchyNodes.NodeType.
	EnumNodeType = "CustHierarchyNodeType"
	// EnumDualWriteStatus is the enum of
	// DualWriteProjectConfigurations.Status.
	EnumDualWriteStatus = "DualWriteProjectStatus"
)

// The enum types format themselves in d365.Filterf.
var (
	_ d365.EnumValuer = NoYes("")
	_ d365.EnumValuer = ProspectStatus("")
	_ d365.EnumValuer = HierarchyPurpose("")
	_ d365.EnumValuer = NodeRole("")
	_ d365.EnumValuer = NodeType("")
	_ d365.EnumValuer = DualWriteStatus("")
)

// NoYes is a Finance and Operations yes/no value (enum NoYes).
type NoYes string

// Members of NoYes.
const (
	No  NoYes = "No"
	Yes NoYes = "Yes"
)

// Bool reports whether v is Yes.
func (v NoYes) Bool() bool { return v == Yes }

// Enum returns v as a filter literal: Microsoft.Dynamics.DataEntities.NoYes'Yes'.
// d365.Filterf calls it: pass v itself.
func (v NoYes) Enum() d365.Enum { return d365.Enum{Type: EnumNoYes, Value: string(v)} }

// UnmarshalJSON accepts the member's name, its number or null.
func (v *NoYes) UnmarshalJSON(b []byte) error {
	return decodeEnum(b, (*string)(v), map[int64]string{0: "No", 1: "Yes"})
}

// ProspectStatus is the state of a B2B prospect (B2BProspectStatus, enum
// RetailB2BProspectStatus).
type ProspectStatus string

// Members of ProspectStatus.
const (
	// ProspectPending: the onboarding request waits for a decision.
	ProspectPending ProspectStatus = "Pending"
	// ProspectApproved: the request was approved; customers and a
	// customer hierarchy exist for the organization.
	ProspectApproved ProspectStatus = "Approved"
	// ProspectRejected: the request was rejected.
	ProspectRejected ProspectStatus = "Rejected"
	// ProspectUnknown: the status was not set.
	ProspectUnknown ProspectStatus = "Unknown"
)

// Enum returns s as a filter literal, such as
// Microsoft.Dynamics.DataEntities.RetailB2BProspectStatus'Pending'.
// d365.Filterf calls it: pass s itself.
func (s ProspectStatus) Enum() d365.Enum {
	return d365.Enum{Type: EnumProspectStatus, Value: string(s)}
}

// UnmarshalJSON accepts the member's name, its number or null.
func (s *ProspectStatus) UnmarshalJSON(b []byte) error {
	return decodeEnum(b, (*string)(s), map[int64]string{0: "Pending", 1: "Approved", 2: "Rejected", 3: "Unknown"})
}

// PartyType is the kind of party behind a customer or a prospect. CustomersV3
// sends it as a plain string.
type PartyType string

// Members of PartyType.
const (
	PartyOrganization PartyType = "Organization"
	PartyPerson       PartyType = "Person"
)

// HierarchyPurpose is the purpose of a customer hierarchy.
type HierarchyPurpose string

// PurposeB2BOrganization is the purpose of the hierarchy of a B2B
// organization, created when its prospect is approved.
const PurposeB2BOrganization HierarchyPurpose = "B2BOrganization"

// Enum returns p as a filter literal, such as
// Microsoft.Dynamics.DataEntities.CustHierarchyPurpose'B2BOrganization'.
func (p HierarchyPurpose) Enum() d365.Enum {
	return d365.Enum{Type: EnumHierarchyPurpose, Value: string(p)}
}

// UnmarshalJSON accepts the member's name, its number or null.
func (p *HierarchyPurpose) UnmarshalJSON(b []byte) error {
	return decodeEnum(b, (*string)(p), map[int64]string{0: "B2BOrganization"})
}

// NodeRole is the role of a customer in a customer hierarchy.
type NodeRole string

// Members of NodeRole.
const (
	// RoleAdmin: the customer administers the organization's users on the
	// B2B site; the requester of an approved prospect gets this role.
	RoleAdmin NodeRole = "Admin"
	// RoleUser: the customer buys on behalf of the organization.
	RoleUser NodeRole = "User"
)

// Enum returns r as a filter literal, such as
// Microsoft.Dynamics.DataEntities.CustHierarchyNodeRole'Admin'.
func (r NodeRole) Enum() d365.Enum { return d365.Enum{Type: EnumNodeRole, Value: string(r)} }

// UnmarshalJSON accepts the member's name, its number or null.
func (r *NodeRole) UnmarshalJSON(b []byte) error {
	return decodeEnum(b, (*string)(r), map[int64]string{0: "Admin", 1: "User"})
}

// NodeType is the kind of a customer hierarchy node.
type NodeType string

// NodeCustomer is a node that is a customer.
const NodeCustomer NodeType = "Customer"

// Enum returns t as a filter literal, such as
// Microsoft.Dynamics.DataEntities.CustHierarchyNodeType'Customer'.
func (t NodeType) Enum() d365.Enum { return d365.Enum{Type: EnumNodeType, Value: string(t)} }

// UnmarshalJSON accepts the member's name, its number or null.
func (t *NodeType) UnmarshalJSON(b []byte) error {
	return decodeEnum(b, (*string)(t), map[int64]string{0: "Customer"})
}

// DualWriteStatus is the state of a dual-write map.
type DualWriteStatus string

// Members of DualWriteStatus.
const (
	// DualWriteEnabled: the map runs (live sync).
	DualWriteEnabled DualWriteStatus = "Enabled"
	// DualWriteDisabled: the map is stopped.
	DualWriteDisabled DualWriteStatus = "Disabled"
	// DualWriteQueueing: the map is paused and queues changes.
	DualWriteQueueing DualWriteStatus = "Queueing"
)

// Enum returns s as a filter literal, such as
// Microsoft.Dynamics.DataEntities.DualWriteProjectStatus'Enabled'.
func (s DualWriteStatus) Enum() d365.Enum {
	return d365.Enum{Type: EnumDualWriteStatus, Value: string(s)}
}

// UnmarshalJSON accepts the member's name, its number or null.
func (s *DualWriteStatus) UnmarshalJSON(b []byte) error {
	return decodeEnum(b, (*string)(s), map[int64]string{0: "Enabled", 1: "Disabled", 4: "Queueing"})
}

// decodeEnum decodes an enum value sent as a name (kept whatever it is), a
// number (mapped to its documented name, else kept as text) or null ("").
func decodeEnum(b []byte, dst *string, names map[int64]string) error {
	b = bytes.TrimSpace(b)
	switch {
	case bytes.Equal(b, []byte("null")):
		*dst = ""
		return nil
	case len(b) > 0 && b[0] == '"':
		return json.Unmarshal(b, dst)
	}
	n, err := strconv.ParseInt(string(b), 10, 64)
	if err != nil {
		return fmt.Errorf("commerce: enum value %s is neither a name nor a number", b)
	}
	if name, ok := names[n]; ok {
		*dst = name
	} else {
		*dst = string(b)
	}
	return nil
}
