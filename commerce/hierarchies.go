package commerce

import (
	"context"
	"iter"

	"github.com/b2bflow/d365"
	"github.com/b2bflow/d365/internal/odata"
)

// HierarchyService reads customer hierarchies (entities CustomerHiearchies
// and CustomerHierarchyNodes). Hierarchies belong to no company. Use it
// through Client.Hierarchies.
type HierarchyService struct{ c *Client }

// Get reads the hierarchy with the given id,
// GET CustomerHiearchies(CustomerHierarchyId='…'), and its nodes. An
// unknown hierarchy fails with an error matching d365.ErrNotFound.
func (s *HierarchyService) Get(ctx context.Context, id string, o *d365.GetOptions) (*Hierarchy, error) {
	h, err := get[Hierarchy](ctx, s.c, hierarchies, "Hierarchies.Get", "", id, o)
	if err != nil {
		return nil, err
	}
	return s.withNodes(ctx, h)
}

// ForOrganization returns the hierarchy of the organization whose party is
// partyNumber, with its nodes: the hierarchy that approving the
// organization's B2B prospect creates. When there is none (not approved
// yet, or not propagated yet), the error matches d365.ErrNotFound.
func (s *HierarchyService) ForOrganization(ctx context.Context, partyNumber string) (*Hierarchy, error) {
	if err := required("Hierarchies.ForOrganization", "partyNumber", partyNumber); err != nil {
		return nil, err
	}
	seq := s.List(ctx, &ListOptions{Query: d365.Query{
		Filter: d365.Filterf("OrganizationPartyNumber eq %v", partyNumber),
		Top:    1,
	}})
	h, err := first(seq, "customer hierarchy for organization party "+partyNumber)
	if err != nil {
		return nil, err
	}
	return s.withNodes(ctx, h)
}

// List pages through the hierarchies that o selects, without their nodes.
// o must not name a company: hierarchies belong to none.
func (s *HierarchyService) List(ctx context.Context, o *ListOptions) iter.Seq2[*Hierarchy, error] {
	return list[Hierarchy](ctx, s.c, hierarchies, "Hierarchies.List", o)
}

// Nodes pages through the nodes of the hierarchy with the given id.
func (s *HierarchyService) Nodes(ctx context.Context, id string) iter.Seq2[*HierarchyNode, error] {
	if err := required("Hierarchies.Nodes", "id", id); err != nil {
		return odata.Fail[*HierarchyNode](err)
	}
	return list[HierarchyNode](ctx, s.c, hierarchyNode, "Hierarchies.Nodes", &ListOptions{Query: d365.Query{
		Filter: d365.Filterf("CustomerHierarchyId eq %v", id),
	}})
}

// withNodes reads the nodes of h into h.Nodes.
func (s *HierarchyService) withNodes(ctx context.Context, h *Hierarchy) (*Hierarchy, error) {
	nodes, err := collect(s.Nodes(ctx, h.CustomerHierarchyID))
	if err != nil {
		return nil, err
	}
	h.Nodes = nodes
	return h, nil
}
