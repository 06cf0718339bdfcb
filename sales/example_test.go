package sales_test

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"

	"github.com/b2bflow/d365"
	"github.com/b2bflow/d365/sales"
	"github.com/google/uuid"
)

// The examples run against a local stand-in for Dataverse that answers just
// the call each one makes; point NewClient at your organization instead,
// such as https://contoso.crm.dynamics.com, with a real credential.

func ExampleLeadService_Create() {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Println(r.Method, r.URL.Path) // what the client sends
		w.Header().Set("OData-EntityId", "http://"+r.Host+"/api/data/v9.2/leads(9b5a3f2e-1c4d-4e8f-a7b6-2d3c4e5f6a70)")
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()

	c, err := sales.NewClient(srv.URL, d365.StaticTokenCredential("token"), nil)
	if err != nil {
		log.Fatal(err)
	}
	id, err := c.Leads.Create(context.Background(), &sales.Lead{
		Subject:     "B2B onboarding: Alpine Ski House",
		CompanyName: "Alpine Ski House",
		Email:       "cacilia@alpineskihouse.com",
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("created lead", id)
	// Output:
	// POST /api/data/v9.2/leads
	// created lead 9b5a3f2e-1c4d-4e8f-a7b6-2d3c4e5f6a70
}

func ExampleLeadService_List() {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Println("$filter:", r.URL.Query().Get("$filter"))
		fmt.Fprint(w, `{"value":[
			{"@odata.etag":"W/\"1\"","subject":"Coffee makers","companyname":"O'Neil Ltd","statuscode":1,
			 "statuscode@OData.Community.Display.V1.FormattedValue":"New"}]}`)
	}))
	defer srv.Close()

	c, err := sales.NewClient(srv.URL, d365.StaticTokenCredential("token"), nil)
	if err != nil {
		log.Fatal(err)
	}
	q := &sales.ListOptions{Query: d365.Query{
		Select: []string{"subject", "companyname", "statuscode"},
		Filter: d365.Filterf("companyname eq %v and statecode eq %v", "O'Neil Ltd", int(sales.LeadStateOpen)),
		Top:    10,
	}}
	for lead, err := range c.Leads.List(context.Background(), q) {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(lead.Subject, "|", lead.CompanyName, "|", lead.FormattedValue("statuscode"))
	}
	// Output:
	// $filter: companyname eq 'O''Neil Ltd' and statecode eq 0
	// Coffee makers | O'Neil Ltd | New
}

func ExampleLeadService_Qualify() {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Println(r.Method, r.URL.Path)
		fmt.Fprint(w, `{"value":[
			{"@odata.type":"#Microsoft.Dynamics.CRM.account","accountid":"81883308-7ad5-ea11-a813-000d3a33f3b4"},
			{"@odata.type":"#Microsoft.Dynamics.CRM.contact","contactid":"d1bf9a01-b056-e711-abaa-00155d701c02"},
			{"@odata.type":"#Microsoft.Dynamics.CRM.opportunity","opportunityid":"e90a0493-e8f0-ea11-a815-000d3a1b14a2"}]}`)
	}))
	defer srv.Close()

	c, err := sales.NewClient(srv.URL, d365.StaticTokenCredential("token"), nil)
	if err != nil {
		log.Fatal(err)
	}
	leadID := uuid.MustParse("9b5a3f2e-1c4d-4e8f-a7b6-2d3c4e5f6a70")
	res, err := c.Leads.Qualify(context.Background(), leadID, nil)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("account", res.AccountID)
	fmt.Println("contact", res.ContactID)
	fmt.Println("opportunity", res.OpportunityID)
	// Output:
	// POST /api/data/v9.2/leads(9b5a3f2e-1c4d-4e8f-a7b6-2d3c4e5f6a70)/Microsoft.Dynamics.CRM.QualifyLead
	// account 81883308-7ad5-ea11-a813-000d3a33f3b4
	// contact d1bf9a01-b056-e711-abaa-00155d701c02
	// opportunity e90a0493-e8f0-ea11-a815-000d3a1b14a2
}

func ExampleOpportunityService_Win() {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Println(r.Method, r.URL.Path)
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()

	c, err := sales.NewClient(srv.URL, d365.StaticTokenCredential("token"), nil)
	if err != nil {
		log.Fatal(err)
	}
	oppID := uuid.MustParse("e90a0493-e8f0-ea11-a815-000d3a1b14a2")
	err = c.Opportunities.Win(context.Background(), oppID, &sales.CloseOptions{
		Description:   "B2B partner approved",
		ActualRevenue: "4990.00",
		CloseDate:     d365.Date{Year: 2024, Month: 5, Day: 1},
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("won")
	// Output:
	// POST /api/data/v9.2/WinOpportunity
	// won
}
