package onboarding

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/b2bflow/d365"
	"github.com/b2bflow/d365/commerce"
	"github.com/b2bflow/d365/sales"
)

// Several companies. Commerce keeps its records by company (legal entity,
// dataAreaId): a prospect, and the customers its approval creates, belong
// to the company of the store the request came from. The lead that
// dual-write makes of a prospect names the prospect (msdyn_prospectid) but
// not its company, so the Service finds it: with one company served, that
// company; with several, one cross-company query over the served companies
// (GET Prospects?$filter=ProspectId eq '…' and (dataAreaId eq 'a' or
// dataAreaId eq 'b')&cross-company=true, as Finance and Operations reads
// other companies than the caller's default one). The answer is kept: a
// prospect never changes company.

// CompanyOptions are the options of one company (dataAreaId) a Service
// serves.
type CompanyOptions struct {
	// Commerce is the client for the company's prospects and customers;
	// nil means the client given to New. A client serves every company
	// (calls name the company): give one here only when the company is
	// reached through another environment or credential.
	Commerce *commerce.Client
	// Credit holds the credit terms Activate gives the company's partners
	// when the call does not say (ActivateOptions.Credit, field by field).
	// The zero value sets none.
	Credit CreditTerms
}

// companies holds what a Service knows of the companies it serves.
type companies struct {
	// ids are the served companies, lower case, sorted; empty when no
	// company is configured (then the prospect's company is wherever
	// Commerce has the prospect).
	ids  []string
	opts map[string]CompanyOptions
	// err is the configuration error of Options.Companies, returned by
	// every call that needs a company.
	err error

	mu    sync.Mutex
	cache map[string]string // prospect id -> company
}

func newCompanies(def string, m map[string]CompanyOptions) *companies {
	cs := &companies{opts: map[string]CompanyOptions{}, cache: map[string]string{}}
	add := func(id string, o CompanyOptions) {
		if !slices.Contains(cs.ids, id) {
			cs.ids = append(cs.ids, id)
		}
		cs.opts[id] = o
	}
	if def != "" {
		add(strings.ToLower(def), CompanyOptions{})
	}
	for id, o := range m {
		if strings.TrimSpace(id) == "" || strings.ContainsAny(id, "\r\n'") {
			cs.err = d365.NewInputError("onboarding: New", "Options.Companies", "has the key %q: give a company id (dataAreaId) such as \"usrt\"", id)
			continue
		}
		add(strings.ToLower(id), o)
	}
	slices.Sort(cs.ids)
	return cs
}

// commerceFor returns the Commerce client of company.
func (s *Service) commerceFor(company string) *commerce.Client {
	if o, ok := s.cos.opts[strings.ToLower(company)]; ok && o.Commerce != nil {
		return o.Commerce
	}
	return s.commerce
}

// hasCommerce reports whether the Service reaches Commerce at all.
func (s *Service) hasCommerce() bool { return s.commerce != nil }

// clientGroups returns the served companies grouped by their Commerce
// client, in the order of the companies; one group with no companies when
// none is configured.
func (s *Service) clientGroups() []clientGroup {
	if len(s.cos.ids) == 0 {
		return []clientGroup{{c: s.commerce}}
	}
	var groups []clientGroup
	for _, id := range s.cos.ids {
		c := s.commerceFor(id)
		i := slices.IndexFunc(groups, func(g clientGroup) bool { return g.c == c })
		if i < 0 {
			groups = append(groups, clientGroup{c: c})
			i = len(groups) - 1
		}
		groups[i].companies = append(groups[i].companies, id)
	}
	return groups
}

// clientGroup is a Commerce client and the served companies it reads.
type clientGroup struct {
	c         *commerce.Client
	companies []string
}

// prospectQuery returns the listing options of a query for prospects that
// match filter in the group's companies: the one company as
// ListOptions.Company, several as a cross-company query with a dataAreaId
// filter, none (nothing configured) as the client's default company.
func (g clientGroup) prospectQuery(filter string) *commerce.ListOptions {
	switch len(g.companies) {
	case 0:
		return &commerce.ListOptions{Query: d365.Query{Filter: filter}}
	case 1:
		return &commerce.ListOptions{Company: g.companies[0], Query: d365.Query{Filter: filter}}
	}
	in := anyOf("dataAreaId", g.companies, func(c string) any { return c })
	return &commerce.ListOptions{CrossCompany: true, Query: d365.Query{Filter: "(" + filter + ") and (" + in + ")"}}
}

// locate finds the company of the lead's prospect and records it in
// out.Company. With one company served it sends nothing.
func (s *Service) locate(ctx context.Context, out *Outcome, lead *sales.Lead) error {
	if s.cos.err != nil {
		return s.cos.err
	}
	if out.ProspectID == "" {
		return fmt.Errorf("onboarding: %s lead %s: the lead names no Commerce prospect (msdyn_prospectid is empty)", out.Decision, out.LeadID)
	}
	if len(s.cos.ids) == 1 {
		out.Company = s.cos.ids[0]
		return nil
	}
	s.cos.mu.Lock()
	c, ok := s.cos.cache[out.ProspectID]
	s.cos.mu.Unlock()
	if ok {
		out.Company = c
		return nil
	}
	var found []*commerce.Prospect
	for _, g := range s.clientGroups() {
		o := g.prospectQuery(d365.Filterf("ProspectId eq %v", out.ProspectID))
		if len(g.companies) == 0 {
			o = &commerce.ListOptions{CrossCompany: true, Query: o.Query}
		}
		for p, err := range g.c.Prospects.List(ctx, o) {
			if err != nil {
				return fmt.Errorf("onboarding: %s lead %s: finding the company of prospect %s: %w", out.Decision, out.LeadID, out.ProspectID, err)
			}
			found = append(found, p)
		}
	}
	p := pickProspect(lead, found)
	if p == nil {
		var in []string
		for _, f := range found {
			in = append(in, f.DataAreaID)
		}
		if len(found) > 1 {
			return fmt.Errorf("onboarding: %s lead %s: prospect %s exists in companies %s and none matches the lead's e-mail address", out.Decision, out.LeadID, out.ProspectID, strings.Join(in, ", "))
		}
		return fmt.Errorf("onboarding: %s lead %s: prospect %s is in none of the served companies (%s): %w", out.Decision, out.LeadID, out.ProspectID, s.servedText(), d365.ErrNotFound)
	}
	out.Company = strings.ToLower(p.DataAreaID)
	s.remember(p)
	return nil
}

// servedText names the served companies for messages.
func (s *Service) servedText() string {
	if len(s.cos.ids) == 0 {
		return "any company"
	}
	return "companies " + strings.Join(s.cos.ids, ", ")
}

// remember records the company of a prospect.
func (s *Service) remember(p *commerce.Prospect) {
	if p == nil || p.ProspectID == "" || p.DataAreaID == "" {
		return
	}
	s.cos.mu.Lock()
	s.cos.cache[p.ProspectID] = strings.ToLower(p.DataAreaID)
	s.cos.mu.Unlock()
}

// pickProspect chooses the lead's prospect among prospects with its id:
// the only one, or the one whose e-mail address is the lead's when the id
// exists in several companies (each company numbers its own prospects).
func pickProspect(lead *sales.Lead, ps []*commerce.Prospect) *commerce.Prospect {
	switch len(ps) {
	case 0:
		return nil
	case 1:
		return ps[0]
	}
	var match *commerce.Prospect
	for _, p := range ps {
		if lead != nil && lead.Email != "" && strings.EqualFold(p.PrimaryEmailAddress, lead.Email) {
			if match != nil {
				return nil
			}
			match = p
		}
	}
	return match
}
