package sales

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/b2bflow/d365"
	"github.com/b2bflow/d365/internal/odata"
	"github.com/google/uuid"
)

// QualifyOptions tunes Qualify. The zero value (or nil) creates an account,
// a contact and an opportunity.
type QualifyOptions struct {
	// SkipAccount, SkipContact and SkipOpportunity turn off creating the
	// account, the contact or the opportunity.
	SkipAccount, SkipContact, SkipOpportunity bool
	// CurrencyID is the opportunity's currency (OpportunityCurrencyId, a
	// transactioncurrency id). Empty means the organization's base currency.
	CurrencyID uuid.UUID
	// CustomerAccountID is an existing account to make the opportunity's
	// customer (OpportunityCustomerId).
	CustomerAccountID uuid.UUID
	// SourceCampaignID is the campaign the lead came from (SourceCampaignId).
	SourceCampaignID uuid.UUID
	// DetectDuplicates sends SuppressDuplicateDetection false: the records
	// QualifyLead creates are checked against the organization's duplicate
	// detection rules, and a duplicate fails the action. The default sends
	// nothing (the service suppresses detection). To qualify into an
	// existing account instead of creating one, set SkipAccount and
	// CustomerAccountID.
	DetectDuplicates bool
}

// QualifyResult holds the ids of the records Qualify created; uuid.Nil for
// a record that was not created.
type QualifyResult struct {
	AccountID     uuid.UUID
	ContactID     uuid.UUID
	OpportunityID uuid.UUID
}

// entityRef is an action parameter naming a record by type and id.
func entityRef(table string, id uuid.UUID) map[string]any {
	return map[string]any{"@odata.type": "Microsoft.Dynamics.CRM." + table, table + "id": id}
}

// Qualify qualifies the lead with the QualifyLead action (status reason
// Qualified) and returns the ids of the account, contact and opportunity it
// created. Qualifying a lead that is not open fails.
//
// Qualify is not idempotent: it is never sent twice, even after a lost
// connection. Before trying again, read the lead: a qualified lead names its
// opportunity in QualifyingOpportunityID.
func (s *LeadService) Qualify(ctx context.Context, id uuid.UUID, o *QualifyOptions) (*QualifyResult, error) {
	p, err := s.path("Qualify", id)
	if err != nil {
		return nil, err
	}
	if o == nil {
		o = &QualifyOptions{}
	}
	body := map[string]any{
		"CreateAccount":     !o.SkipAccount,
		"CreateContact":     !o.SkipContact,
		"CreateOpportunity": !o.SkipOpportunity,
		"Status":            LeadStatusQualified,
	}
	if o.CurrencyID != uuid.Nil {
		body["OpportunityCurrencyId"] = entityRef("transactioncurrency", o.CurrencyID)
	}
	if o.CustomerAccountID != uuid.Nil {
		body["OpportunityCustomerId"] = entityRef("account", o.CustomerAccountID)
	}
	if o.SourceCampaignID != uuid.Nil {
		body["SourceCampaignId"] = entityRef("campaign", o.SourceCampaignID)
	}
	if o.DetectDuplicates {
		body["SuppressDuplicateDetection"] = false
	}
	resp, err := s.c.od.Do(ctx, &odata.Request{Method: http.MethodPost, Path: p + "/Microsoft.Dynamics.CRM.QualifyLead", Body: body})
	if err != nil {
		return nil, err
	}
	var out struct {
		Value []map[string]json.RawMessage `json:"value"`
	}
	if err := resp.Decode(&out); err != nil {
		return nil, fmt.Errorf("sales: Leads.Qualify: %w", err)
	}
	res := &QualifyResult{}
	for _, rec := range out.Value {
		var typ string
		_ = json.Unmarshal(rec["@odata.type"], &typ)
		table := strings.TrimPrefix(strings.TrimPrefix(typ, "#"), "Microsoft.Dynamics.CRM.")
		var dst *uuid.UUID
		switch table {
		case "account":
			dst = &res.AccountID
		case "contact":
			dst = &res.ContactID
		case "opportunity":
			dst = &res.OpportunityID
		default:
			continue
		}
		if err := json.Unmarshal(rec[table+"id"], dst); err != nil {
			return nil, fmt.Errorf("sales: Leads.Qualify: the created %s has no readable %sid: %v", table, table, err)
		}
	}
	return res, nil
}

// Disqualify closes the lead as disqualified (State Disqualified) with the given
// reason: LeadStatusLost, LeadStatusCannotContact,
// LeadStatusNoLongerInterested or LeadStatusCanceled. It fails with
// d365.ErrNotFound when the lead does not exist.
func (s *LeadService) Disqualify(ctx context.Context, id uuid.UUID, reason LeadStatus) error {
	if reason.State() != LeadStateDisqualified || reason > LeadStatusCanceled {
		return d365.NewInputError(s.op("Disqualify"), "reason", "is %s: give Lost, CannotContact, NoLongerInterested or Canceled", reason)
	}
	body, err := odata.Members(&leadWrite{State: Ptr(LeadStateDisqualified), leadCreate: leadCreate{LeadChanges: LeadChanges{Status: &reason}}}, "Disqualify", false)
	if err != nil {
		return err
	}
	return s.update(ctx, "Disqualify", id, body, nil)
}

// CloseOptions describes the opportunity close activity Win and Lose
// record.
type CloseOptions struct {
	// Subject is the activity's subject; default "Won Opportunity" or
	// "Lost Opportunity".
	Subject string
	// Description is the activity's description.
	Description string
	// ActualRevenue is the actual revenue (actualrevenue).
	ActualRevenue d365.Decimal
	// CloseDate is the actual close date (actualend); empty means today,
	// as the service decides.
	CloseDate d365.Date
}

// Win closes the opportunity as won (WinOpportunity, status reason Won).
func (s *OpportunityService) Win(ctx context.Context, id uuid.UUID, o *CloseOptions) error {
	return s.close(ctx, "WinOpportunity", "Won Opportunity", id, OpportunityStatusWon, o)
}

// Lose closes the opportunity as lost (LoseOpportunity) with the given
// reason: OpportunityStatusCanceled or OpportunityStatusOutSold.
func (s *OpportunityService) Lose(ctx context.Context, id uuid.UUID, reason OpportunityStatus, o *CloseOptions) error {
	if reason != OpportunityStatusCanceled && reason != OpportunityStatusOutSold {
		return d365.NewInputError(s.op("Lose"), "reason", "is %s: give OpportunityStatusCanceled or OpportunityStatusOutSold", reason)
	}
	return s.close(ctx, "LoseOpportunity", "Lost Opportunity", id, reason, o)
}

// close calls WinOpportunity or LoseOpportunity. Neither is idempotent (a
// second call fails on the closed opportunity), so neither is retried after
// a lost connection.
func (s *OpportunityService) close(ctx context.Context, action, subject string, id uuid.UUID, status OpportunityStatus, o *CloseOptions) error {
	method := strings.TrimSuffix(action, "Opportunity")
	if _, err := s.path(method, id); err != nil {
		return err
	}
	if o == nil {
		o = &CloseOptions{}
	}
	if o.Subject != "" {
		subject = o.Subject
	}
	activity, err := odata.Members(&opportunityClose{
		Subject: subject, Opportunity: id, Description: o.Description,
		ActualRevenue: o.ActualRevenue, CloseDate: o.CloseDate,
	}, "CloseOptions", true)
	if err != nil {
		return s.input(method, err)
	}
	_, err = CallAction[map[string]any, struct{}](ctx, s.c, action, nil, map[string]any{"Status": status, "OpportunityClose": activity}, nil)
	return err
}

// opportunityClose is the opportunity close activity Win and Lose record.
type opportunityClose struct {
	Subject       string       `json:"subject" d365:"max=200"`
	Opportunity   uuid.UUID    `json:"opportunityid@odata.bind" d365:"bind=opportunities"`
	Description   string       `json:"description"`
	ActualRevenue d365.Decimal `json:"actualrevenue"`
	CloseDate     d365.Date    `json:"actualend"`
}
