package query

import (
	"os"
	"strings"
	"time"
)

// fakeSchema and fakeData are in-memory implementations of Schema and
// Data for the tests.
type fakeSchema struct {
	tables map[string]Table
	cols   map[string]map[string]Column
	navs   map[string]map[string]Navigation
}

// Hierarchy implements HierarchySchema: accounts have parent accounts.
func (s *fakeSchema) Hierarchy(t string) (string, bool) {
	if t == "account" {
		return "parentaccountid", true
	}
	return "", false
}

func (s *fakeSchema) Table(t string) (Table, bool) { tb, ok := s.tables[t]; return tb, ok }
func (s *fakeSchema) Column(t, c string) (Column, bool) {
	col, ok := s.cols[t][c]
	return col, ok
}
func (s *fakeSchema) Navigation(t, n string) (Navigation, bool) {
	nav, ok := s.navs[t][n]
	return nav, ok
}

func (s *fakeSchema) table(logical, set, pk, primary string, cols ...string) {
	s.tables[logical] = Table{LogicalName: logical, EntitySet: set, PrimaryKey: pk, PrimaryName: primary}
	s.cols[logical] = map[string]Column{pk: {Name: pk, Type: TypeUniqueidentifier}}
	for _, c := range cols {
		name, typ, _ := strings.Cut(c, ":")
		col := Column{Name: name, Type: typ}
		if typ == TypeLookup || typ == TypeCustomer || typ == TypeOwner {
			col.Targets = nil
		}
		s.cols[logical][name] = col
	}
}

// lookup declares a lookup column of from pointing to target through the
// single-valued navigation property nav, and the collection-valued
// property coll on target (if coll is not "").
func (s *fakeSchema) lookup(from, column, target, nav, coll string) {
	c := s.cols[from][column]
	if c.Type == "" {
		c = Column{Name: column, Type: TypeLookup}
	}
	c.Targets = append(c.Targets, target)
	s.cols[from][column] = c
	if s.navs[from] == nil {
		s.navs[from] = map[string]Navigation{}
	}
	s.navs[from][nav] = Navigation{Name: nav, Target: target, Column: column}
	if coll != "" {
		if s.navs[target] == nil {
			s.navs[target] = map[string]Navigation{}
		}
		s.navs[target][coll] = Navigation{Name: coll, Target: from, Collection: true, Column: column}
	}
}

type fakeData struct {
	schema *fakeSchema
	rows   map[string][]Row
	assoc  map[string][]Row // "table|id|nav"
}

func (d *fakeData) Rows(t string) []Row {
	out := make([]Row, len(d.rows[t]))
	copy(out, d.rows[t])
	return out
}

func (d *fakeData) Row(t, id string) (Row, bool) {
	pk := d.schema.tables[t].PrimaryKey
	for _, r := range d.rows[t] {
		if r[pk] == id {
			return r, true
		}
	}
	return nil, false
}

func (d *fakeData) Associated(t, id, nav string) []Row { return d.assoc[t+"|"+id+"|"+nav] }

func (d *fakeData) add(t string, r Row) Row {
	d.rows[t] = append(d.rows[t], r)
	return r
}

func newSchema() *fakeSchema {
	s := &fakeSchema{tables: map[string]Table{}, cols: map[string]map[string]Column{}, navs: map[string]map[string]Navigation{}}
	s.table("account", "accounts", "accountid", "name", "name:String", "revenue:Money", "numberofemployees:Integer",
		"address1_city:String", "address1_stateorprovince:String", "statecode:State", "statuscode:Status",
		"accountcategorycode:Picklist", "createdon:DateTime", "creditonhold:Boolean", "industrycode:Picklist", "telephone1:String", "description:Memo")
	s.table("contact", "contacts", "contactid", "fullname", "fullname:String", "firstname:String", "lastname:String",
		"jobtitle:String", "annualincome:Money", "createdon:DateTime", "birthdate:DateTime", "statecode:State")
	s.table("task", "tasks", "activityid", "subject", "subject:String", "description:Memo", "statecode:State", "scheduledstart:DateTime")
	s.table("email", "emails", "activityid", "subject", "subject:String", "statecode:State")
	s.table("opportunity", "opportunities", "opportunityid", "name", "name:String", "description:Memo", "budgetamount:Money")
	s.table("systemuser", "systemusers", "systemuserid", "fullname", "fullname:String")
	s.table("team", "teams", "teamid", "name", "name:String")
	s.table("incident", "incidents", "incidentid", "title", "title:String")
	s.table("transactioncurrency", "transactioncurrencies", "transactioncurrencyid", "currencyname", "currencyname:String")
	for _, t := range []string{"account", "contact"} {
		s.cols[t]["transactioncurrencyid"] = Column{Name: "transactioncurrencyid", Type: TypeLookup, Targets: []string{"transactioncurrency"}}
		s.cols[t]["ownerid"] = Column{Name: "ownerid", Type: TypeOwner, Targets: []string{"systemuser", "team"}}
	}
	s.lookup("account", "primarycontactid", "contact", "primarycontactid", "account_primary_contact")
	s.lookup("account", "parentaccountid", "account", "parentaccountid", "account_parent_account")
	s.lookup("account", "createdby", "systemuser", "createdby", "lk_accountbase_createdby")
	s.lookup("contact", "createdby", "systemuser", "createdby", "lk_contactbase_createdby")
	s.lookup("contact", "parentcustomerid", "account", "parentcustomerid_account", "contact_customer_accounts")
	s.cols["contact"]["parentcustomerid"] = Column{Name: "parentcustomerid", Type: TypeCustomer, Targets: []string{"account", "contact"}}
	s.lookup("task", "regardingobjectid", "account", "regardingobjectid_account_task", "Account_Tasks")
	s.lookup("email", "regardingobjectid", "account", "regardingobjectid_account_email", "Account_Emails")
	s.lookup("opportunity", "customerid", "account", "customerid_account", "opportunity_customer_accounts")
	s.lookup("opportunity", "parentcontactid", "contact", "parentcontactid", "opportunity_customer_contacts")
	s.lookup("incident", "customerid", "contact", "customerid_contact", "")
	s.cols["incident"]["customerid"] = Column{Name: "customerid", Type: TypeCustomer, Targets: []string{"account", "contact"}}
	s.navs["systemuser"]["teammembership_association"] = Navigation{Name: "teammembership_association", Target: "team", Collection: true, ManyToMany: true}
	return s
}

// Identifiers of the fixture, after the documentation's examples.
const (
	idFourth   = "89390c24-9c72-e511-80d4-00155d2a68d1"
	idLitware  = "8b390c24-9c72-e511-80d4-00155d2a68d1"
	idAdvWorks = "3adbf27c-8efb-e511-80d2-00155db07c77"
	idChild1   = "915e89f5-29fc-e511-80d2-00155db07c77"
	idChild2   = "03312500-2afc-e511-80d2-00155db07c77"
	idNancy    = "a0dbf27c-8efb-e511-80d2-00155db07c77"
	idSusanna  = "70bf4d48-34cb-ed11-b596-0022481d68cd"
	idYvonne   = "49b0be2e-d01c-ed11-b83e-000d3a572421"
	idUser     = "4026be43-6b69-e111-8f65-78e7d1620f5e"
	idUSD      = "518c78c9-d3f6-e511-80d0-00155da84802"
	idIncident = "39dd0b31-ed8b-e511-80d2-00155d2a68d4"
)

// clock is the fixture's "now": Wednesday 2024-05-15 10:30 UTC.
var clock = time.Date(2024, 5, 15, 10, 30, 0, 0, time.UTC)

// newEnv builds the fixture. Accounts follow "Aggregate data using
// FetchXml" (ten accounts with their employees and cities).
func newEnv() (*Env, *fakeData) {
	s := newSchema()
	d := &fakeData{schema: s, rows: map[string][]Row{}, assoc: map[string][]Row{}}
	d.add("systemuser", Row{"systemuserid": idUser, "fullname": "System Administrator"})
	d.add("transactioncurrency", Row{"transactioncurrencyid": idUSD, "currencyname": "US Dollar"})
	contact := func(id, first, last, job string, income any, created string) {
		d.add("contact", Row{"contactid": id, "firstname": first, "lastname": last, "fullname": first + " " + last,
			"jobtitle": job, "annualincome": income, "createdon": created, "_createdby_value": idUser,
			"_transactioncurrencyid_value": idUSD, "@odata.etag": `W/"1"`})
	}
	contact(idYvonne, "Yvonne", "McKay (sample)", "Coffee Master", 45000, "2024-05-15T10:00:00Z")
	contact(idSusanna, "Susanna", "Stubberod (sample)", "Senior Purchaser", 52000, "2024-05-14T08:00:00Z")
	contact(idNancy, "Nancy", "Anderson (sample)", "Activities Manager", 55500, "2024-05-01T08:00:00Z")
	contact("24c364b2-bf43-e611-80d5-00155da84802", "Maria", "Cambell (sample)", "Accounts Manager", 31000, "2024-04-30T23:00:00Z")
	contact("38c364b2-bf43-e611-80d5-00155da84802", "Rene", "Valdes (sample)", "Data Analyst III", 86000, "2023-12-31T12:00:00Z")
	contact("30c364b2-bf43-e611-80d5-00155da84802", "Robert", "Lyon (sample)", "Senior Technician", 78000, "2022-01-01T00:00:00Z")
	contact("3cc364b2-bf43-e611-80d5-00155da84802", "Jim", "Glynn (sample)", "Senior International Sales Manager", nil, "2024-05-16T09:00:00Z")
	account := func(id, name string, employees any, city any, created string) Row {
		return d.add("account", Row{"accountid": id, "name": name, "numberofemployees": employees, "address1_city": city,
			"createdon": created, "statecode": 0, "statuscode": 1, "@odata.etag": `W/"501097"`})
	}
	account("a1000000-0000-0000-0000-000000000001", "Example Account", nil, nil, "2023-08-25T12:00:00Z")
	account(idFourth, "Contoso Pharmaceuticals (sample)", 1500, "Redmond", "2023-03-25T17:42:46Z")
	account(idLitware, "Fabrikam, Inc. (sample)", 2700, "Lynnwood", "2023-03-25T17:42:46Z")
	account("a1000000-0000-0000-0000-000000000004", "Blue Yonder Airlines (sample)", 2900, "Los Angeles", "2023-03-25T17:42:46Z")
	account("a1000000-0000-0000-0000-000000000005", "City Power & Light (sample)", 2900, "Redmond", "2023-03-25T17:42:46Z")
	account("a1000000-0000-0000-0000-000000000006", "Coho Winery (sample)", 3900, "Phoenix", "2023-03-25T17:42:46Z")
	adv := account(idAdvWorks, "Adventure Works (sample)", 4300, "Santa Cruz", "2023-03-25T17:42:47Z")
	account("a1000000-0000-0000-0000-000000000008", "Alpine Ski House (sample)", 4800, "Missoula", "2023-03-25T17:42:46Z")
	account("a1000000-0000-0000-0000-000000000009", "Litware, Inc. (sample)", 6000, "Dallas", "2023-03-25T17:42:46Z")
	account("a1000000-0000-0000-0000-000000000010", "A. Datum Corporation (sample)", 6200, "Redmond", "2023-03-25T17:42:46Z")
	adv["_primarycontactid_value"] = idNancy
	adv["revenue"] = 300000
	adv["_transactioncurrencyid_value"] = idUSD
	adv["address1_stateorprovince"] = "WA"
	for _, r := range d.rows["account"] {
		switch r["name"] {
		case "Contoso Pharmaceuticals (sample)":
			r["_primarycontactid_value"], r["revenue"], r["address1_stateorprovince"] = idSusanna, 100000, "WA"
		case "Fabrikam, Inc. (sample)":
			r["_primarycontactid_value"], r["revenue"] = idYvonne, 30000
		case "Coho Winery (sample)":
			r["statecode"], r["statuscode"], r["revenue"], r["accountcategorycode"] = 1, 2, 10000, 1
		case "Litware, Inc. (sample)":
			r["_primarycontactid_value"], r["revenue"], r["address1_stateorprovince"] = idSusanna, 10000, "WA"
		}
		r["_createdby_value"] = idUser
		r["_ownerid_value"] = idUser
	}
	d.add("account", Row{"accountid": idChild1, "name": "Sample Child Account 1", "_parentaccountid_value": idAdvWorks, "statecode": 0, "statuscode": 1})
	d.add("account", Row{"accountid": idChild2, "name": "Sample Child Account 2", "_parentaccountid_value": idAdvWorks, "statecode": 0, "statuscode": 1})
	// Tasks and emails of Adventure Works.
	d.add("task", Row{"activityid": "f68393c1-34cb-ed11-b597-000d3a993550", "subject": "Task 1 for Adventure", "statecode": 1, "_regardingobjectid_value": idAdvWorks, "scheduledstart": "2024-05-20T09:00:00Z", "@odata.etag": `W/"80649460"`})
	d.add("task", Row{"activityid": "f68393c1-34cb-ed11-b597-000d3a993551", "subject": "Task 2 for Adventure", "statecode": 1, "_regardingobjectid_value": idAdvWorks, "@odata.etag": `W/"80649461"`})
	d.add("task", Row{"activityid": "f68393c1-34cb-ed11-b597-000d3a993552", "subject": "Task for Fabrikam", "statecode": 0, "_regardingobjectid_value": idLitware})
	d.add("email", Row{"activityid": "e1000000-0000-0000-0000-000000000001", "subject": "About sometext here", "statecode": 0, "_regardingobjectid_value": idAdvWorks})
	d.add("email", Row{"activityid": "e1000000-0000-0000-0000-000000000002", "subject": "Sometext again", "statecode": 1, "_regardingobjectid_value": idFourth})
	d.add("contact", Row{"contactid": "c1000000-0000-0000-0000-000000000001", "fullname": "Contact of Fabrikam", "jobtitle": "jobtitle", "_parentcustomerid_value": idLitware, "_parentcustomerid_value@Microsoft.Dynamics.CRM.lookuplogicalname": "account"})
	d.add("opportunity", Row{"opportunityid": "0a000000-0000-0000-0000-000000000001", "name": "Opp 1", "description": "good", "_parentcontactid_value": "c1000000-0000-0000-0000-000000000001", "_customerid_value": idLitware, "budgetamount": 500})
	d.add("opportunity", Row{"opportunityid": "0a000000-0000-0000-0000-000000000002", "name": "Opp 2", "description": nil, "_customerid_value": idAdvWorks, "budgetamount": 200})
	d.add("incident", Row{"incidentid": idIncident, "title": "Case", "_customerid_value": idYvonne, "_customerid_value@Microsoft.Dynamics.CRM.lookuplogicalname": "contact"})
	d.add("team", Row{"teamid": "7e000000-0000-0000-0000-000000000001", "name": "CITTEST"})
	d.assoc["systemuser|"+idUser+"|teammembership_association"] = []Row{d.rows["team"][0]}
	return &Env{Schema: s, Data: d, Now: func() time.Time { return clock }, UserID: idUser, BaseURL: "[Organization URI]/api/data/v9.2/"}, d
}

func readRef(t interface{ Skipf(string, ...any) }, file string) (string, error) {
	b, err := os.ReadFile(refDir + file)
	if err != nil {
		t.Skipf("reference file %s: %v", file, err)
	}
	return string(b), err
}
