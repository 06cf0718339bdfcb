package commerce

import (
	"context"

	"github.com/b2bflow/d365"
	"github.com/b2bflow/d365/internal/odata"
)

// The members of a B2B organization's customer hierarchy: its users.
//
// A node is a record of CustomerHierarchyNodes, keyed by
// CustomerHierarchyId and NodePartyNumber (the node customer's party), with
// Role (enum CustHierarchyNodeRole: Admin, User) and NodeType (enum
// CustHierarchyNodeType: Customer). The entity and field names are those of
// the service's metadata (finops.json in the project's schema reference);
// the member names come from the dual-write map of
// msdyn_customerhierarchynodes (Admin 192350000, User 192350001; Customer
// 192350000). Microsoft's "Manage B2B business partners using customer
// hierarchies" and "Manage business partner users on B2B e-commerce
// websites" (articles/commerce/b2b/partners-customer-hierarchies.md,
// manage-b2b-users.md) describe what the nodes are: the requester of an
// approved prospect is added with role Admin; each user the administrator
// adds on the site becomes a Person customer added with role User; removing
// a user removes the customer from the hierarchy but keeps the customer;
// only one customer can be the administrator.

// nodePath returns the path of the node of the party partyNumber in the
// hierarchy id.
func nodePath(op, id, partyNumber string) (string, error) {
	if err := required(op, "id", id); err != nil {
		return "", err
	}
	if err := required(op, "partyNumber", partyNumber); err != nil {
		return "", err
	}
	return odata.EntityPath(hierarchyNode.set,
		odata.KeyPart{Name: "CustomerHierarchyId", Value: id},
		odata.KeyPart{Name: "NodePartyNumber", Value: partyNumber})
}

// Node reads the node of the party partyNumber in the hierarchy id,
// GET CustomerHierarchyNodes(CustomerHierarchyId='…',NodePartyNumber='…').
// When the party is not a member, the error matches d365.ErrNotFound.
func (s *HierarchyService) Node(ctx context.Context, id, partyNumber string) (*HierarchyNode, error) {
	p, err := nodePath("Hierarchies.Node", id, partyNumber)
	if err != nil {
		return nil, err
	}
	return odata.Get[HierarchyNode](ctx, s.c.od, p, nil, odata.Prefer{})
}

// AddNode adds a customer to a hierarchy, POST CustomerHierarchyNodes,
// and returns the node as the service stored it. n must name the
// hierarchy (CustomerHierarchyID), the customer's party (NodePartyNumber)
// and the role (RoleAdmin or RoleUser); NodeType empty means NodeCustomer.
// With dual-write the node is mirrored to msdyn_customerhierarchynodes.
//
// AddNode is not retried after a lost connection (a second attempt would
// meet the first one's record): read the node with Node before adding it
// again.
func (s *HierarchyService) AddNode(ctx context.Context, n *HierarchyNode) (*HierarchyNode, error) {
	const op = "Hierarchies.AddNode"
	if n == nil {
		return nil, required(op, "node", "")
	}
	if err := required(op, "HierarchyNode.CustomerHierarchyID", n.CustomerHierarchyID); err != nil {
		return nil, err
	}
	if err := required(op, "HierarchyNode.NodePartyNumber", n.NodePartyNumber); err != nil {
		return nil, err
	}
	if err := checkRole(op, "HierarchyNode.Role", n.Role); err != nil {
		return nil, err
	}
	body := HierarchyNode{CustomerHierarchyID: n.CustomerHierarchyID, NodePartyNumber: n.NodePartyNumber, Role: n.Role, NodeType: n.NodeType}
	if body.NodeType == "" {
		body.NodeType = NodeCustomer
	}
	resp, err := odata.Create(ctx, s.c.od, &odata.Request{
		Path:   hierarchyNode.set,
		Body:   &body,
		Prefer: odata.Prefer{ReturnRepresentation: true},
	})
	if err != nil {
		return nil, err
	}
	created := new(HierarchyNode)
	if err := resp.Decode(created); err != nil {
		return nil, err
	}
	return created, nil
}

// SetRole changes the role of the node of the party partyNumber in the
// hierarchy id (PATCH with {"Role":"…"}). o as for Customers.Update.
func (s *HierarchyService) SetRole(ctx context.Context, id, partyNumber string, role NodeRole, o *d365.UpdateOptions) error {
	const op = "Hierarchies.SetRole"
	p, err := nodePath(op, id, partyNumber)
	if err != nil {
		return err
	}
	if err := checkRole(op, "role", role); err != nil {
		return err
	}
	return odata.Update(ctx, s.c.od, "commerce: "+op, p, &HierarchyNode{Role: role}, o)
}

// RemoveNode removes the party partyNumber from the hierarchy id,
// DELETE CustomerHierarchyNodes(CustomerHierarchyId='…',NodePartyNumber='…').
// The customer itself is kept. When the party is not a member, the error
// matches d365.ErrNotFound (also when a retried DELETE meets the first
// attempt's effect).
func (s *HierarchyService) RemoveNode(ctx context.Context, id, partyNumber string) error {
	p, err := nodePath("Hierarchies.RemoveNode", id, partyNumber)
	if err != nil {
		return err
	}
	return odata.Delete(ctx, s.c.od, p)
}

func checkRole(op, field string, r NodeRole) error {
	switch r {
	case RoleAdmin, RoleUser:
		return nil
	case "":
		return required(op, field, "")
	}
	return d365.NewInputError("commerce: "+op, field, "is %q: give commerce.RoleAdmin or commerce.RoleUser", string(r))
}
