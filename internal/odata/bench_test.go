package odata

// Benchmarks of the record decoder, to locate the cost of
// sales.Leads.Get and Leads.List (see docs/performance.md):
//
//	go test -run '^$' -bench 'BenchmarkDecode' -benchmem -count 10 ./internal/odata > odata.txt
//	benchstat -col /impl odata.txt
//
// impl=DecodeRecord is the decoder (encoding/json into the struct, then a
// byte scan for the annotations); impl=struct-only is encoding/json into the
// same struct without the annotations (the floor).

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/b2bflow/d365"
	"github.com/google/uuid"
)

// benchRecordJSON is a lead as Dataverse returns it with all annotations
// (218 members, 54 of them annotations; see sales/bench_test.go).
const benchRecordJSON = `{"@odata.etag": "W/\"4850431\"", "prioritycode@OData.Community.Display.V1.FormattedValue": "Label 1", "prioritycode": 1, "mobilephone": "123456778", "merged@OData.Community.Display.V1.FormattedValue": "No", "merged": false, "confirminterest@OData.Community.Display.V1.FormattedValue": "No", "confirminterest": false, "exchangerate": 1, "_parentcontactid_value@OData.Community.Display.V1.FormattedValue": "David Pinto", "_parentcontactid_value@Microsoft.Dynamics.CRM.associatednavigationproperty": "parentcontactid", "_parentcontactid_value@Microsoft.Dynamics.CRM.lookuplogicalname": "contact", "_parentcontactid_value": "80ac35a0-01af-ea11-a812-000d3a8b3ec6", "decisionmaker@OData.Community.Display.V1.FormattedValue": "No", "decisionmaker": false, "modifiedon@OData.Community.Display.V1.FormattedValue": "1/7/2024 11:25 PM", "modifiedon": "2024-01-09T02:06:15Z", "_owninguser_value@OData.Community.Display.V1.FormattedValue": "Ana Admin", "_owninguser_value@Microsoft.Dynamics.CRM.associatednavigationproperty": "owninguser", "_owninguser_value@Microsoft.Dynamics.CRM.lookuplogicalname": "systemuser", "_owninguser_value": "29c3a361-4b9c-ee11-be36-000d3abf077e", "address1_shippingmethodcode@OData.Community.Display.V1.FormattedValue": "Label 1", "address1_shippingmethodcode": 1, "address1_composite": "Casa do Patrimonio Largo Padre Americo\r\n232", "lastname": "Pinto", "donotpostalmail@OData.Community.Display.V1.FormattedValue": "No", "donotpostalmail": false, "donotphone@OData.Community.Display.V1.FormattedValue": "No", "donotphone": false, "preferredcontactmethodcode@OData.Community.Display.V1.FormattedValue": "Label 1", "preferredcontactmethodcode": 1, "_ownerid_value@OData.Community.Display.V1.FormattedValue": "Ana Admin", "_ownerid_value@Microsoft.Dynamics.CRM.associatednavigationproperty": "ownerid", "_ownerid_value@Microsoft.Dynamics.CRM.lookuplogicalname": "systemuser", "_ownerid_value": "29c3a361-4b9c-ee11-be36-000d3abf077e", "firstname": "David", "jobtitle": "Developer", "donotemail@OData.Community.Display.V1.FormattedValue": "No", "donotemail": false, "evaluatefit@OData.Community.Display.V1.FormattedValue": "No", "evaluatefit": false, "yomifullname": "David Pinto", "address2_addresstypecode@OData.Community.Display.V1.FormattedValue": "Label 1", "address2_addresstypecode": 1, "address2_shippingmethodcode@OData.Community.Display.V1.FormattedValue": "Label 1", "address2_shippingmethodcode": 1, "fullname": "David Pinto", "address1_addressid": "fb6fb48b-fa35-46b4-8e93-b1d29084d269", "msdyn_gdproptout@OData.Community.Display.V1.FormattedValue": "No", "msdyn_gdproptout": false, "processid": "00000000-0000-0000-0000-000000000000", "statuscode@OData.Community.Display.V1.FormattedValue": "New", "statuscode": 1, "createdon@OData.Community.Display.V1.FormattedValue": "1/7/2024 11:25 PM", "createdon": "2024-01-07T23:25:00Z", "companyname": "Deskpro", "donotfax@OData.Community.Display.V1.FormattedValue": "No", "donotfax": false, "leadsourcecode@OData.Community.Display.V1.FormattedValue": "Label 10", "leadsourcecode": 10, "versionnumber": 4850431, "address1_line1": "Casa do Patrimonio Largo Padre Americo", "address1_line2": "232", "donotsendmm@OData.Community.Display.V1.FormattedValue": "No", "donotsendmm": false, "leadqualitycode@OData.Community.Display.V1.FormattedValue": "Label 2", "leadqualitycode": 2, "_transactioncurrencyid_value@OData.Community.Display.V1.FormattedValue": "Ana Admin", "_transactioncurrencyid_value@Microsoft.Dynamics.CRM.associatednavigationproperty": "transactioncurrencyid", "_transactioncurrencyid_value@Microsoft.Dynamics.CRM.lookuplogicalname": "transactioncurrency", "_transactioncurrencyid_value": "dbce9d1c-c29c-ee11-be36-000d3abf077e", "subject": "Formula1", "address1_addresstypecode@OData.Community.Display.V1.FormattedValue": "Label 1", "address1_addresstypecode": 1, "donotbulkemail@OData.Community.Display.V1.FormattedValue": "No", "donotbulkemail": false, "budgetamount_base@OData.Community.Display.V1.FormattedValue": "€5,000,000.00", "budgetamount_base": 5000000, "_modifiedby_value@OData.Community.Display.V1.FormattedValue": "Ana Admin", "_modifiedby_value@Microsoft.Dynamics.CRM.associatednavigationproperty": "modifiedby", "_modifiedby_value@Microsoft.Dynamics.CRM.lookuplogicalname": "systemuser", "_modifiedby_value": "29c3a361-4b9c-ee11-be36-000d3abf077e", "followemail@OData.Community.Display.V1.FormattedValue": "Yes", "followemail": true, "leadid": "0d14e658-25fb-4ccd-a51c-6263832c72fe", "_createdby_value@OData.Community.Display.V1.FormattedValue": "Ana Admin", "_createdby_value@Microsoft.Dynamics.CRM.associatednavigationproperty": "createdby", "_createdby_value@Microsoft.Dynamics.CRM.lookuplogicalname": "systemuser", "_createdby_value": "29c3a361-4b9c-ee11-be36-000d3abf077e", "websiteurl": "https://a.b.com", "budgetamount@OData.Community.Display.V1.FormattedValue": "€5,000,000.00", "budgetamount": 5000000, "salesstagecode@OData.Community.Display.V1.FormattedValue": "Label 1", "salesstagecode": 1, "purchasetimeframe": 2, "participatesinworkflow@OData.Community.Display.V1.FormattedValue": "No", "participatesinworkflow": false, "statecode@OData.Community.Display.V1.FormattedValue": "Open", "statecode": 0, "_owningbusinessunit_value@OData.Community.Display.V1.FormattedValue": "Ana Admin", "_owningbusinessunit_value@Microsoft.Dynamics.CRM.associatednavigationproperty": "owningbusinessunit", "_owningbusinessunit_value@Microsoft.Dynamics.CRM.lookuplogicalname": "businessunit", "_owningbusinessunit_value": "37bca361-4b9c-ee11-be36-000d3abf077e", "address2_addressid": "ed11d670-ebaf-45a7-a129-aaded1cf058b", "_customerid_value@OData.Community.Display.V1.FormattedValue": "David Pinto", "_customerid_value@Microsoft.Dynamics.CRM.associatednavigationproperty": "customerid", "_customerid_value@Microsoft.Dynamics.CRM.lookuplogicalname": "contact", "_customerid_value": "80ac35a0-01af-ea11-a812-000d3a8b3ec6", "telephone3": null, "businesscardattributes": null, "address1_upszone": null, "address2_city": null, "_slainvokedid_value": null, "address1_postofficebox": null, "importsequencenumber": null, "utcconversiontimezonecode": null, "schedulefollowup_qualify": null, "overriddencreatedon": null, "stageid": null, "msdyn_leadscore": null, "address1_latitude": null, "address1_utcoffset": null, "yomifirstname": null, "estimatedclosedate": null, "_masterid_value": null, "lastonholdtime": null, "address2_fax": null, "address2_line1": null, "address1_telephone3": null, "address1_telephone2": null, "address1_telephone1": null, "address2_postofficebox": null, "emailaddress1": "david.pinto@deskpro.example", "emailaddress2": null, "address2_latitude": null, "emailaddress3": null, "address2_composite": null, "salesstage": null, "traversedpath": null, "address1_city": null, "qualificationcomments": null, "address2_line2": null, "_msdyn_predictivescoreid_value": null, "numberofemployees": null, "teamsfollowed": null, "address2_stateorprovince": null, "address2_postalcode": null, "estimatedamount": null, "entityimage_url": null, "initialcommunication": null, "msdyn_scorehistory": null, "timezoneruleversionnumber": null, "estimatedamount_base": null, "need": null, "address2_telephone3": null, "address2_telephone2": null, "address2_telephone1": null, "address1_postalcode": null, "address2_upszone": null, "_owningteam_value": null, "budgetstatus": null, "address2_line3": null, "timespentbymeonemailandmeetings": null, "address1_country": null, "businesscard": null, "address2_longitude": null, "_modifiedonbehalfby_value": null, "revenue_base": null, "address1_county": null, "schedulefollowup_prospect": null, "msdyn_leadscoretrend": null, "address1_fax": null, "_createdonbehalfby_value": null, "_accountid_value": null, "address2_name": null, "msdyn_leadgrade": null, "msdyn_scorereasons": null, "address2_utcoffset": null, "_campaignid_value": null, "sic": null, "_slaid_value": null, "fax": null, "_msdyn_leadkpiid_value": null, "address2_county": null, "_qualifyingopportunityid_value": null, "msdyn_salesassignmentresult": null, "address1_line3": null, "industrycode": null, "address1_stateorprovince": null, "purchaseprocess": null, "onholdtime": null, "entityimage_timestamp": null, "entityimageid": null, "_parentaccountid_value": null, "lastusedincampaign": null, "_msdyn_segmentid_value": null, "_originatingcaseid_value": null, "telephone2": null, "yomilastname": null, "revenue": null, "description": null, "_relatedobjectid_value": null, "_contactid_value": null, "yomimiddlename": null, "address1_name": null, "telephone1": null, "yomicompanyname": null, "address1_longitude": null, "entityimage": null, "middlename": null, "estimatedvalue": null, "salutation": null, "pager": null, "address2_country": null, "msdyn_b2bcommerceprospect@OData.Community.Display.V1.FormattedValue": "Yes", "msdyn_b2bcommerceprospect": true, "msdyn_b2bprospectstatus": 0, "msdyn_prospectid": "P-000042"}`

type benchRecord struct {
	d365.Annotations
	ID                    uuid.UUID    `json:"leadid,omitzero"`
	Subject               string       `json:"subject,omitempty"`
	FirstName             string       `json:"firstname,omitempty"`
	LastName              string       `json:"lastname,omitempty"`
	FullName              string       `json:"fullname,omitempty"`
	CompanyName           string       `json:"companyname,omitempty"`
	Email                 string       `json:"emailaddress1,omitempty"`
	WebsiteURL            string       `json:"websiteurl,omitempty"`
	JobTitle              string       `json:"jobtitle,omitempty"`
	Address1Line1         string       `json:"address1_line1,omitempty"`
	Address1Line2         string       `json:"address1_line2,omitempty"`
	BudgetAmount          d365.Decimal `json:"budgetamount,omitempty"`
	ParentContactID       uuid.UUID    `json:"_parentcontactid_value,omitzero"`
	TransactionCurrencyID uuid.UUID    `json:"_transactioncurrencyid_value,omitzero"`
	B2BCommerceProspect   *bool        `json:"msdyn_b2bcommerceprospect,omitempty"`
	B2BProspectStatus     int          `json:"msdyn_b2bprospectstatus,omitempty"`
	ProspectID            string       `json:"msdyn_prospectid,omitempty"`
	State                 *int         `json:"statecode,omitempty"`
	Status                int          `json:"statuscode,omitempty"`
	CreatedOn             time.Time    `json:"createdon,omitzero"`
	ModifiedOn            time.Time    `json:"modifiedon,omitzero"`
}

type benchRecordJSONType benchRecord

func BenchmarkDecodeRecord(b *testing.B) {
	data := []byte(benchRecordJSON)
	b.Run("impl=DecodeRecord", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		b.ReportAllocs()
		for b.Loop() {
			var r benchRecord
			if err := DecodeRecord(data, (*benchRecordJSONType)(&r), &r.Annotations); err != nil || r.ETag == "" {
				b.Fatal(err)
			}
		}
	})
	b.Run("impl=struct-only", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		b.ReportAllocs()
		for b.Loop() {
			var r benchRecord
			if err := json.Unmarshal(data, (*benchRecordJSONType)(&r)); err != nil || r.ID == uuid.Nil {
				b.Fatal(err)
			}
		}
	})
}

// TestDecodeRecordAnnotationsOfACapture checks that the decoder finds every
// annotation of a realistic record, so that the benchmark measures the full
// work.
func TestDecodeRecordAnnotationsOfACapture(t *testing.T) {
	data := []byte(benchRecordJSON)
	var r benchRecord
	if err := DecodeRecord(data, (*benchRecordJSONType)(&r), &r.Annotations); err != nil {
		t.Fatal(err)
	}
	var all map[string]json.RawMessage
	if err := json.Unmarshal(data, &all); err != nil {
		t.Fatal(err)
	}
	want := 0
	for k, v := range all {
		if k == "@odata.etag" || !bytes.Contains([]byte(k), []byte("@")) {
			continue
		}
		want++
		if !bytes.Equal(v, r.Raw[k]) {
			t.Errorf("%s = %s, want %s", k, r.Raw[k], v)
		}
	}
	if r.ETag != `W/"4850431"` || len(r.Raw) != want {
		t.Errorf("ETag %q, %d annotations; want W/\"4850431\" and %d", r.ETag, len(r.Raw), want)
	}
}
