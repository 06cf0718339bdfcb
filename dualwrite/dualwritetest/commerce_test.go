package dualwritetest

import (
	"encoding/base64"
	"net/url"
	"strings"
	"testing"

	"github.com/b2bflow/d365/dualwrite"
)

func TestCommerce(t *testing.T) {
	s := NewServer(nil)
	defer s.Close()
	sub := submit(t, s, "Coho")
	// Another company: only visible cross-company.
	call(t, "POST", data(s)+"Prospects", map[string]any{"dataAreaId": "demf", "ProspectId": "P-O'1", "ProspectName": "Other", "IsB2BProspect": "No"}).want(t, 201)
	if n := len(call(t, "GET", data(s)+"Prospects", nil).want(t, 200).values()); n != 1 {
		t.Errorf("default company sees %d prospects", n)
	}
	if n := len(call(t, "GET", data(s)+"Prospects?cross-company=true", nil).want(t, 200).values()); n != 2 {
		t.Errorf("cross-company sees %d prospects", n)
	}
	// Compound key with a doubled quote, percent-encoded.
	p := call(t, "GET", data(s)+"Prospects(dataAreaId='demf',ProspectId='P-O''1')?cross-company=true", nil).want(t, 200).body
	if p["ProspectName"] != "Other" {
		t.Errorf("by key: %v", p)
	}
	call(t, "GET", data(s)+"Prospects(dataAreaId='demf',ProspectId='P-O%27%271')?cross-company=true", nil).want(t, 200)
	// Enum literals, eq/ne only.
	f := "IsB2BProspect eq Microsoft.Dynamics.DataEntities.NoYes'Yes' and B2BProspectStatus eq Microsoft.Dynamics.DataEntities.RetailB2BProspectStatus'Pending'"
	rows := call(t, "GET", data(s)+"Prospects?cross-company=true&$filter="+url.QueryEscape(f), nil).want(t, 200).values()
	if len(rows) != 1 || rows[0]["ProspectId"] != sub.ProspectID || rows[0]["AddressValidFrom"] != "1900-01-01T00:00:00Z" {
		t.Fatalf("enum filter: %v", rows)
	}
	bad := call(t, "GET", data(s)+"Prospects?$filter="+url.QueryEscape("B2BProspectStatus gt Microsoft.Dynamics.DataEntities.RetailB2BProspectStatus'Pending'"), nil).want(t, 400)
	inner, _ := bad.body["error"].(map[string]any)["innererror"].(map[string]any)
	if inner == nil || inner["type"] == nil {
		t.Errorf("F&O error shape: %s", bad.raw)
	}
	// ETags look like Finance and Operations ones.
	etag := rows[0]["@odata.etag"].(string)
	dec, err := base64.StdEncoding.DecodeString(strings.TrimSuffix(strings.TrimPrefix(etag, `W/"`), `"`))
	if err != nil || !strings.HasPrefix(string(dec), "'1,") {
		t.Errorf("etag %s", etag)
	}
	call(t, "GET", data(s)+"Prospects(dataAreaId='usrt',ProspectId='nope')", nil).want(t, 404)
	call(t, "GET", data(s)+"prospects", nil).want(t, 404)
	// Paging with $skip nextLinks.
	for i := 0; i < 4; i++ {
		call(t, "POST", data(s)+"CustomersV3", map[string]any{"PartyType": "Organization", "OrganizationName": "Org"}).want(t, 201)
	}
	link, n := data(s)+"CustomersV3?$count=true", 0
	for link != "" {
		r := call(t, "GET", link, nil, "Prefer", "odata.maxpagesize=3").want(t, 200)
		n += len(r.values())
		link, _ = r.body["@odata.nextLink"].(string)
	}
	if n != 4 || s.Count("accounts") != 4 {
		t.Errorf("paged %d customers, %d accounts", n, s.Count("accounts"))
	}
	// Map health from the configuration rows.
	var cfgs []dualwrite.MapConfig
	for _, v := range call(t, "GET", data(s)+"DualWriteProjectConfigurations", nil).want(t, 200).values() {
		var st dualwrite.MapStatus
		if err := st.UnmarshalText([]byte(v["Status"].(string))); err != nil {
			t.Fatal(err)
		}
		cfgs = append(cfgs, dualwrite.MapConfig{ProjectName: v["ProjectName"].(string), InternalEntityName: v["InternalEntityName"].(string), ExternalEntityName: v["ExternalEntityName"].(string), Status: st})
	}
	if h := dualwrite.CheckMaps(cfgs); !h.OK {
		t.Errorf("seeded maps unhealthy: %s", h)
	}
	s.SetMapStatus(dualwrite.Prospects.Name, dualwrite.Queueing)
	v := call(t, "GET", data(s)+"DualWriteProjectConfigurations?$filter="+url.QueryEscape("Status eq Microsoft.Dynamics.DataEntities.DualWriteProjectStatus'Queueing'"), nil).want(t, 200).values()
	if len(v) != 1 {
		t.Errorf("status filter: %v", v)
	}
}

func TestSubmitUnknownCurrencyRollsBack(t *testing.T) {
	s := NewServer(nil)
	defer s.Close()
	_, err := s.SubmitOnboardingRequest(OnboardingRequest{LastName: "X", Company: "Y", Email: "x@y.example", CurrencyCode: "XXX"})
	if err == nil || !strings.Contains(err.Error(), "XXX") {
		t.Fatalf("err = %v", err)
	}
	if s.Count("Prospects") != 0 || s.Count("leads") != 0 {
		t.Fatal("the failed submit left records")
	}
}
