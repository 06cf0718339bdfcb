package onboarding

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/b2bflow/d365"
	"github.com/b2bflow/d365/sales"
	"github.com/google/uuid"
)

// Duplicate partners: before a request is decided, Pending can look for
// the accounts Sales already has for the same company (Options.Duplicates)
// and hand them to the policy as Request.Matches. Approving into one of
// them (ApproveOptions.ExistingAccountID, Verdict.AccountID) qualifies the
// lead without creating a second account.

// AccountMatch is an existing account that matches an onboarding request.
type AccountMatch struct {
	AccountID     uuid.UUID `json:"accountId"`
	Name          string    `json:"name,omitempty"`
	AccountNumber string    `json:"accountNumber,omitempty"`
	// Rules names the matchers that found the account (Matcher.Rule), in
	// the order of DuplicateOptions.Matchers, such as ["email domain",
	// "company name"].
	Rules []string `json:"rules"`
}

// MatchOp is how a Matcher compares a column with the lead's value. Every
// comparison ignores case, as Dataverse's do.
type MatchOp int

const (
	// MatchEqual: the column equals the value.
	MatchEqual MatchOp = iota
	// MatchEndsWith: the column ends with the value (an email address
	// and "@domain").
	MatchEndsWith
	// MatchContains: the column contains the value (a web site URL and a
	// domain).
	MatchContains
)

// Matcher is a rule that finds existing accounts matching a request: the
// active accounts whose Column compares by Op with the value Value takes
// from the lead, or, with Contacts, the accounts of the active contacts
// whose Column does (the contact's company, parentcustomerid). Values are
// written into the query with d365.Filterf, so no value can change it.
type Matcher struct {
	// Rule names the matcher in AccountMatch.Rules.
	Rule string
	// Value returns what the lead is matched by; "" skips the rule for
	// this lead.
	Value func(*sales.Lead) string
	// Column is the account's (or the contact's) column compared, such
	// as "emailaddress1" or a custom column "new_vatnumber".
	Column string
	Op     MatchOp
	// Contacts compares the contacts' Column; the match is their account.
	Contacts bool
}

// DuplicateOptions configures the search for existing accounts (see
// Options.Duplicates). The zero value uses DefaultMatchers.
type DuplicateOptions struct {
	// Matchers are the rules; nil means DefaultMatchers().
	Matchers []Matcher
	// MaxMatches bounds the matches kept per request, those found by the
	// most rules first; zero means 5.
	MaxMatches int
}

// DefaultMatchers returns the default rules: the domain of the lead's
// email address (emailaddress1) against the accounts' email addresses
// ("email domain"), their web sites ("website") and their contacts' email
// addresses ("contact email domain"), and the lead's company name against
// the accounts' names ("company name"). Addresses of public mail providers
// (gmail.com, outlook.com...) match nothing by domain (see
// LeadEmailDomain).
func DefaultMatchers() []Matcher {
	at := func(l *sales.Lead) string {
		if d := LeadEmailDomain(l); d != "" {
			return "@" + d
		}
		return ""
	}
	return []Matcher{
		{Rule: "email domain", Value: at, Column: "emailaddress1", Op: MatchEndsWith},
		{Rule: "website", Value: LeadEmailDomain, Column: "websiteurl", Op: MatchContains},
		{Rule: "contact email domain", Value: at, Column: "emailaddress1", Op: MatchEndsWith, Contacts: true},
		{Rule: "company name", Value: func(l *sales.Lead) string { return strings.TrimSpace(l.CompanyName) }, Column: "name", Op: MatchEqual},
	}
}

// ColumnMatcher returns a rule comparing a column of the lead (read from
// Lead.Custom, such as a custom VAT number column "new_vatnumber") with a
// column of the accounts, for equality.
func ColumnMatcher(rule, leadColumn, accountColumn string) Matcher {
	return Matcher{Rule: rule, Column: accountColumn, Op: MatchEqual, Value: func(l *sales.Lead) string {
		v, _ := l.Custom.Get(leadColumn)
		str, _ := v.(string)
		return strings.TrimSpace(str)
	}}
}

// publicDomains are mail providers anyone can have an address at: a domain
// shared by strangers says nothing about their company.
var publicDomains = []string{"gmail.com", "googlemail.com", "outlook.com", "hotmail.com", "live.com", "msn.com",
	"yahoo.com", "ymail.com", "icloud.com", "me.com", "aol.com", "gmx.com", "gmx.net", "gmx.de", "web.de",
	"proton.me", "protonmail.com", "mail.com", "yandex.com", "yandex.ru", "qq.com", "163.com", "zoho.com"}

// LeadEmailDomain returns the domain of the lead's email address
// (emailaddress1), in lower case; "" when it has none or the domain is a
// public mail provider's, such as gmail.com or outlook.com.
func LeadEmailDomain(l *sales.Lead) string {
	_, d, ok := strings.Cut(strings.TrimSpace(l.Email), "@")
	d = strings.ToLower(d)
	if !ok || d == "" || strings.ContainsAny(d, "@ ") || slices.Contains(publicDomains, d) {
		return ""
	}
	return d
}

var columnName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// check validates the options and returns the matchers and the bound.
func (o *DuplicateOptions) check() ([]Matcher, int, error) {
	ms := o.Matchers
	if ms == nil {
		ms = DefaultMatchers()
	}
	for i, m := range ms {
		field := fmt.Sprintf("Options.Duplicates.Matchers[%d]", i)
		switch {
		case m.Value == nil:
			return nil, 0, d365.NewInputError("onboarding", field+".Value", "is nil")
		case !columnName.MatchString(m.Column):
			return nil, 0, d365.NewInputError("onboarding", field+".Column", "%q is not a column name", m.Column)
		case m.Op < MatchEqual || m.Op > MatchContains:
			return nil, 0, d365.NewInputError("onboarding", field+".Op", "is %d: give MatchEqual, MatchEndsWith or MatchContains", m.Op)
		case m.Rule == "":
			return nil, 0, d365.NewInputError("onboarding", field+".Rule", "is empty")
		}
	}
	if o.MaxMatches < 0 {
		return nil, 0, d365.NewInputError("onboarding", "Options.Duplicates.MaxMatches", "is %d: it must not be negative", o.MaxMatches)
	}
	max := o.MaxMatches
	if max == 0 {
		max = 5
	}
	return ms, max, nil
}

// condition returns the $filter condition of a matcher for a value.
func (m *Matcher) condition(v string) string {
	switch m.Op {
	case MatchEndsWith:
		return d365.Filterf("endswith("+m.Column+", %v)", v)
	case MatchContains:
		return d365.Filterf("contains("+m.Column+", %v)", v)
	}
	return d365.Filterf(m.Column+" eq %v", v)
}

// matches reports whether a column's value matches v, as the condition
// does.
func (m *Matcher) matches(col any, v string) bool {
	s, ok := col.(string)
	if !ok {
		return false
	}
	s, v = strings.ToLower(s), strings.ToLower(v)
	switch m.Op {
	case MatchEndsWith:
		return strings.HasSuffix(s, v)
	case MatchContains:
		return strings.Contains(s, v)
	}
	return s == v
}

// maxFilter bounds the length of one $filter of the search: longer lists of
// conditions are split into several queries, keeping URLs (about 14,000
// characters once escaped) below Dataverse's limit of 32,768.
const maxFilter = 8000

// chunks joins conditions with "or" into filters of at most maxFilter
// characters each.
func chunks(conds []string) []string {
	var out []string
	var b strings.Builder
	for _, c := range conds {
		if b.Len() > 0 && b.Len()+len(c)+4 > maxFilter {
			out = append(out, b.String())
			b.Reset()
		}
		if b.Len() > 0 {
			b.WriteString(" or ")
		}
		b.WriteString(c)
	}
	if b.Len() > 0 {
		out = append(out, b.String())
	}
	return out
}

// attachMatches finds the existing accounts matching the undecided
// requests of a group. It sends one query to the accounts and one to the
// contacts (when a rule compares contacts) per 8,000 characters of
// conditions (one each for a group of 50 requests with the default rules
// and ordinary names; a domain or name shared by several requests counts
// once), and one for the accounts of matching contacts that the first did
// not return, when there are such.
func (s *Service) attachMatches(ctx context.Context, group []*Request) error {
	ms, max, err := s.dups.check()
	if err != nil {
		return err
	}
	var open []*Request
	for _, r := range group {
		if r.Unfinished == Skip {
			open = append(open, r)
		}
	}
	if len(open) == 0 {
		return nil
	}
	// The conditions, once each, for accounts and for contacts.
	var conds [2][]string
	seen := map[string]bool{}
	cols := [2][]string{{"accountid", "name", "accountnumber", "_originatingleadid_value"}, {"contactid", "_parentcustomerid_value", "_originatingleadid_value"}}
	for i := range ms {
		m := &ms[i]
		side := 0
		if m.Contacts {
			side = 1
		}
		if !slices.Contains(cols[side], m.Column) {
			cols[side] = append(cols[side], m.Column)
		}
		for _, r := range open {
			v := m.Value(r.Lead)
			if v == "" {
				continue
			}
			c := m.condition(v)
			if key := fmt.Sprint(side, c); !seen[key] {
				seen[key] = true
				conds[side] = append(conds[side], c)
			}
		}
	}
	accounts := map[uuid.UUID]map[string]any{}
	readAccounts := func(filter string) error {
		for rec, err := range s.sales.Table("accounts").List(ctx, &sales.ListOptions{Query: d365.Query{
			Select: cols[0], Filter: "statecode eq 0 and (" + filter + ")",
		}}) {
			if err != nil {
				return fmt.Errorf("onboarding: looking for accounts that match %d requests: %w", len(open), err)
			}
			if id, err := uuid.Parse(fmt.Sprint(rec.Columns["accountid"])); err == nil {
				accounts[id] = rec.Columns
			}
		}
		return nil
	}
	for _, f := range chunks(conds[0]) {
		if err := readAccounts(f); err != nil {
			return err
		}
	}
	var contacts []map[string]any
	for _, f := range chunks(conds[1]) {
		for rec, err := range s.sales.Table("contacts").List(ctx, &sales.ListOptions{Query: d365.Query{
			Select: cols[1], Filter: "statecode eq 0 and _parentcustomerid_value ne null and (" + f + ")",
		}}) {
			if err != nil {
				return fmt.Errorf("onboarding: looking for contacts that match %d requests: %w", len(open), err)
			}
			contacts = append(contacts, rec.Columns)
		}
	}
	// The contacts' accounts the account query did not return.
	var missing []string
	for _, c := range contacts {
		id, err := uuid.Parse(fmt.Sprint(c["_parentcustomerid_value"]))
		if err != nil || accounts[id] != nil {
			continue
		}
		if cond := d365.Filterf("accountid eq %v", id); !slices.Contains(missing, cond) {
			missing = append(missing, cond)
		}
	}
	for _, f := range chunks(missing) {
		if err := readAccounts(f); err != nil {
			return err
		}
	}

	for _, r := range open {
		byID := map[uuid.UUID]*AccountMatch{}
		var order []uuid.UUID
		add := func(id uuid.UUID, rule string) {
			a := accounts[id]
			if a == nil || fmt.Sprint(a["_originatingleadid_value"]) == r.Lead.ID.String() {
				return // not an account, inactive, or the lead's own
			}
			m := byID[id]
			if m == nil {
				name, _ := a["name"].(string)
				number, _ := a["accountnumber"].(string)
				m = &AccountMatch{AccountID: id, Name: name, AccountNumber: number}
				byID[id] = m
				order = append(order, id)
			}
			if !slices.Contains(m.Rules, rule) {
				m.Rules = append(m.Rules, rule)
			}
		}
		for i := range ms {
			m := &ms[i]
			v := m.Value(r.Lead)
			if v == "" {
				continue
			}
			if !m.Contacts {
				for _, id := range sortedIDs(accounts) {
					if m.matches(accounts[id][m.Column], v) {
						add(id, m.Rule)
					}
				}
				continue
			}
			for _, c := range contacts {
				if fmt.Sprint(c["_originatingleadid_value"]) == r.Lead.ID.String() || !m.matches(c[m.Column], v) {
					continue
				}
				if id, err := uuid.Parse(fmt.Sprint(c["_parentcustomerid_value"])); err == nil {
					add(id, m.Rule)
				}
			}
		}
		r.Matches = nil
		for _, id := range order {
			r.Matches = append(r.Matches, *byID[id])
		}
		slices.SortStableFunc(r.Matches, func(a, b AccountMatch) int { return len(b.Rules) - len(a.Rules) })
		if len(r.Matches) > max {
			r.Matches = r.Matches[:max]
		}
	}
	return nil
}

// sortedIDs returns the keys of m in a stable order.
func sortedIDs(m map[uuid.UUID]map[string]any) []uuid.UUID {
	ids := make([]uuid.UUID, 0, len(m))
	for id := range m {
		ids = append(ids, id)
	}
	slices.SortFunc(ids, func(a, b uuid.UUID) int { return strings.Compare(a.String(), b.String()) })
	return ids
}
