package dualwritetest

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/b2bflow/d365/dualwrite/dualwritetest/internal/engine"
	"github.com/b2bflow/d365/dualwrite/dualwritetest/internal/finops"
	"github.com/b2bflow/d365/dualwrite/dualwritetest/internal/store"
	"github.com/b2bflow/d365/dualwrite/dualwritetest/internal/wire"
	"github.com/google/uuid"
)

// OnboardingPath is the path, on SalesURL, where programs that cannot call
// SubmitOnboardingRequest (other languages, the emulator command) POST an
// OnboardingRequest as JSON ({"FirstName":..., "Company":...}) with the
// bearer token. The answer is 201 with the Submitted as JSON. This endpoint
// is the emulator's own, not a Dynamics 365 one.
const OnboardingPath = "/dualwritetest/onboarding"

// OnboardingRequest is what a company sends from the B2B e-commerce site to
// become a customer.
type OnboardingRequest struct {
	FirstName, LastName string
	Company             string
	Email, Phone        string
	ZipCode             string
	Comments            string
	// Channel is the party number of the store (operating unit) the
	// request came from; empty means none.
	Channel string
	// CurrencyCode is the ISO currency of the prospect, such as "USD"
	// (default) or "EUR".
	CurrencyCode string
	// CustomerGroupID is the customer group of the prospect; empty means
	// none.
	CustomerGroupID string
	// DataAreaID is the company (legal entity) of the store the request
	// came from, such as "usmf"; empty means Options.Company. The
	// prospect is created in that company, and so are the customers its
	// approval creates.
	DataAreaID string
}

// Submitted tells what a submitted onboarding request became.
type Submitted struct {
	// ProspectID and PartyNumber identify the Commerce prospect;
	// Company is its dataAreaId.
	ProspectID, PartyNumber, Company string
	// LeadID is the id of the lead dual-write created in Dataverse.
	LeadID uuid.UUID
}

func (s *Server) serveOnboarding(w http.ResponseWriter, r *http.Request) {
	status := http.StatusCreated
	defer func() { s.record(Request{Service: "sales", Method: r.Method, Path: r.URL.Path, Status: status}) }()
	fail := func(code int, msg string) {
		status = code
		wire.WriteJSON(w, code, map[string]any{"error": map[string]any{"code": "", "message": msg}})
	}
	if r.Header.Get("Authorization") != "Bearer "+Token {
		fail(http.StatusUnauthorized, "the Authorization header must be 'Bearer "+Token+"'")
		return
	}
	if r.Method != http.MethodPost {
		fail(http.StatusMethodNotAllowed, "POST an OnboardingRequest as JSON")
		return
	}
	var req OnboardingRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		fail(http.StatusBadRequest, "the body is not an OnboardingRequest: "+err.Error())
		return
	}
	sub, err := s.SubmitOnboardingRequest(req)
	if err != nil {
		fail(http.StatusBadRequest, err.Error())
		return
	}
	wire.WriteJSON(w, status, sub)
}

// SubmitOnboardingRequest stands in for the B2B site and the headquarters
// jobs (P-0001, "Synchronize customers and channel requests"): it creates
// the Pending B2B prospect in Commerce, which dual-write writes to
// Dataverse as a lead with a timeline note. It does not go through faults or
// limits and is not in the request log.
func (s *Server) SubmitOnboardingRequest(r OnboardingRequest) (*Submitted, error) {
	if strings.TrimSpace(r.Company) == "" {
		return nil, errors.New("dualwritetest: OnboardingRequest.Company is empty")
	}
	if strings.TrimSpace(r.LastName) == "" {
		return nil, errors.New("dualwritetest: OnboardingRequest.LastName is empty")
	}
	if strings.TrimSpace(r.Email) == "" {
		return nil, errors.New("dualwritetest: OnboardingRequest.Email is empty")
	}
	cur := r.CurrencyCode
	if cur == "" {
		cur = "USD"
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	defer s.scanWebhooks()
	t := s.store.Begin()
	tb := s.store.FinOps("prospects")
	row := store.Record{
		"ProspectName": strings.TrimSpace(r.FirstName + " " + r.LastName), "CompanyName": r.Company,
		"PrimaryEmailAddress": r.Email, "PrimaryPhoneNumber": r.Phone, "AddressZipCode": r.ZipCode,
		"Note": r.Comments, "CurrencyCode": cur, "ProspectPartyType": "Organization",
		"IsB2BProspect": "Yes", "B2BProspectStatus": "Pending", "CreditLimit": 0,
	}
	if r.Channel != "" {
		row["RetailChannelOperatingUnitPartyNumber"] = r.Channel
	}
	if r.CustomerGroupID != "" {
		row["CustomerGroupId"] = r.CustomerGroupID
	}
	if r.DataAreaID != "" {
		row["dataAreaId"] = strings.ToLower(r.DataAreaID)
	}
	s.fo.Defaults(t, tb, row)
	t.Put(tb, finops.Key(tb, row), row)
	if err := s.engine.AfterCommerceWrite(t, tb, nil, row); err != nil {
		t.Rollback()
		return nil, fmt.Errorf("dualwritetest: submit onboarding request: %w", err)
	}
	found, _ := engine.Find(s.store.Dataverse("lead"), "msdyn_prospectid", row["ProspectId"])
	leadID, _ := uuid.Parse(found)
	return &Submitted{ProspectID: store.Text(row["ProspectId"]), PartyNumber: store.Text(row["ProspectPartyNumber"]), Company: store.Text(row["dataAreaId"]), LeadID: leadID}, nil
}
