package commerce

import (
	"github.com/b2bflow/d365"
	"github.com/b2bflow/d365/internal/odata"
)

// Hierarchy is a record of the CustomerHiearchies entity (the collection's
// name is spelled so in the service's metadata): the customers of one B2B
// organization. Approving a B2B prospect creates one with purpose
// B2BOrganization and the requester as its Admin node. Its key is
// CustomerHierarchyID; it belongs to no company.
type Hierarchy struct {
	// Annotations holds the record's ETag.
	d365.Annotations

	CustomerHierarchyID string `json:"CustomerHierarchyId,omitempty"`
	Name                string `json:"Name,omitempty"`
	// Purpose is B2BOrganization for B2B e-commerce.
	Purpose HierarchyPurpose `json:"Purpose,omitempty"`
	// OrganizationPartyNumber is the party of the organization.
	OrganizationPartyNumber string `json:"OrganizationPartyNumber,omitempty"`
	// SellerChannel names the channel that sells to the organization.
	SellerChannel string `json:"SellerChannel,omitempty"`

	// Nodes are the hierarchy's members (entity CustomerHierarchyNodes),
	// filled by HierarchyService.Get and ForOrganization.
	Nodes []HierarchyNode `json:"-"`
}

// UnmarshalJSON decodes the record and its annotations.
func (h *Hierarchy) UnmarshalJSON(b []byte) error {
	*h = Hierarchy{}
	type plain Hierarchy
	return odata.DecodeRecord(b, (*plain)(h), &h.Annotations)
}

// Admins returns the nodes with role Admin.
func (h *Hierarchy) Admins() []HierarchyNode { return h.withRole(RoleAdmin) }

// Users returns the nodes with role User.
func (h *Hierarchy) Users() []HierarchyNode { return h.withRole(RoleUser) }

// withRole returns the nodes with the role.
func (h *Hierarchy) withRole(role NodeRole) []HierarchyNode {
	var out []HierarchyNode
	for _, n := range h.Nodes {
		if n.Role == role {
			out = append(out, n)
		}
	}
	return out
}

// HierarchyNode is a record of the CustomerHierarchyNodes entity: one
// customer (party) in a customer hierarchy. Its key is CustomerHierarchyID
// + NodePartyNumber.
type HierarchyNode struct {
	// Annotations holds the record's ETag.
	d365.Annotations

	CustomerHierarchyID string `json:"CustomerHierarchyId,omitempty"`
	// NodePartyNumber is the party of the node's customer.
	NodePartyNumber string `json:"NodePartyNumber,omitempty"`
	// Role is Admin or User.
	Role NodeRole `json:"Role,omitempty"`
	// NodeType is Customer.
	NodeType NodeType `json:"NodeType,omitempty"`
	// VersionAdded and VersionRemoved are the hierarchy versions in which
	// the node was added and removed (0: none), kept by the service.
	VersionAdded   int32 `json:"VersionAdded,omitempty"`
	VersionRemoved int32 `json:"VersionRemoved,omitempty"`
}

// UnmarshalJSON decodes the record and its annotations.
func (n *HierarchyNode) UnmarshalJSON(b []byte) error {
	*n = HierarchyNode{}
	type plain HierarchyNode
	return odata.DecodeRecord(b, (*plain)(n), &n.Annotations)
}
