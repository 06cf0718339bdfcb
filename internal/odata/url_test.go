package odata

import (
	"net/url"
	"testing"

	"github.com/b2bflow/d365"
	"github.com/google/uuid"
)

func TestServiceURL(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"https://Contoso.crm.dynamics.com", "https://contoso.crm.dynamics.com/"},
		{"https://contoso.crm.dynamics.com/api/data/v9.2", "https://contoso.crm.dynamics.com/api/data/v9.2/"},
		{"http://127.0.0.1:8080", "http://127.0.0.1:8080/"},
		{"http://localhost:9000/", "http://localhost:9000/"},
		{"http://[::1]:9000", "http://[::1]:9000/"},
	} {
		u, err := ServiceURL("orgURL", tc.in)
		if err != nil || u.String() != tc.want {
			t.Errorf("ServiceURL(%q) = %v, %v; want %s", tc.in, u, err, tc.want)
		}
	}
	for _, bad := range []string{"", "contoso.crm.dynamics.com", "http://contoso.crm.dynamics.com", "ftp://x", "https://user:pw@contoso.crm.dynamics.com", "https://contoso.crm.dynamics.com/?x=1", "http://10.0.0.1"} {
		if _, err := ServiceURL("orgURL", bad); err == nil {
			t.Errorf("ServiceURL(%q) accepted", bad)
		}
	}
}

func TestEntityPath(t *testing.T) {
	id := uuid.MustParse("00000000-0000-0000-0000-000000000001")
	for _, tc := range []struct {
		set  string
		key  []KeyPart
		want string
	}{
		{"leads", []KeyPart{{Value: id}}, "leads(00000000-0000-0000-0000-000000000001)"},
		{"accounts", []KeyPart{{Name: "accountnumber", Value: "O'Neil"}}, "accounts(accountnumber='O''Neil')"},
		{"Prospects", []KeyPart{{"dataAreaId", "usrt"}, {"ProspectId", "P'1/../x?y#z%"}}, "Prospects(dataAreaId='usrt',ProspectId='P''1%2F..%2Fx%3Fy%23z%25')"},
		{"CustomersV3", []KeyPart{{"dataAreaId", "usrt"}, {"CustomerAccount", "US 001"}}, "CustomersV3(dataAreaId='usrt',CustomerAccount='US%20001')"},
	} {
		got, err := EntityPath(tc.set, tc.key...)
		if err != nil || got != tc.want {
			t.Errorf("EntityPath(%s, %v) = %q, %v; want %q", tc.set, tc.key, got, err, tc.want)
		}
	}
	for _, bad := range []struct {
		set string
		key []KeyPart
	}{
		{"leads/../x", []KeyPart{{Value: id}}},
		{"leads", nil},
		{"leads", []KeyPart{{Value: nil}}},
		{"Prospects", []KeyPart{{"dataAreaId", "usrt"}, {"", "x"}}},
		{"Prospects", []KeyPart{{"a b", "usrt"}}},
	} {
		if _, err := EntityPath(bad.set, bad.key...); err == nil {
			t.Errorf("EntityPath(%q, %v) accepted", bad.set, bad.key)
		}
	}
}

func TestRedactURL(t *testing.T) {
	u, _ := ServiceURL("u", "https://contoso.crm.dynamics.com/")
	u.RawQuery = "$filter=name%20eq%20'x'&sig=abc&access_token=xyz&$skiptoken=1"
	want := "https://contoso.crm.dynamics.com/?$filter=name%20eq%20'x'&sig=REDACTED&access_token=REDACTED&$skiptoken=1"
	if got := RedactURL(u); got != want {
		t.Errorf("RedactURL = %s, want %s", got, want)
	}
}

func FuzzEntityPath(f *testing.F) {
	f.Add("usrt", "P-000001")
	f.Add("us'rt", "P'1/../x?y#z%")
	f.Fuzz(func(t *testing.T, company, id string) {
		p, err := EntityPath("Prospects", KeyPart{"dataAreaId", company}, KeyPart{"ProspectId", id})
		if err != nil {
			return
		}
		// The engine builds absolute URLs by appending the path to the
		// service root, as here.
		base, _ := ServiceURL("u", "https://contoso.operations.dynamics.com/data/")
		u, err := url.Parse(base.String() + p)
		if err != nil {
			t.Fatalf("path %q does not parse: %v", p, err)
		}
		if u.Host != base.Host || u.RawQuery != "" || u.Fragment != "" {
			t.Fatalf("key (%q, %q) changed the URL: %s", company, id, u)
		}
		want := "/data/Prospects(dataAreaId=" + mustLit(company) + ",ProspectId=" + mustLit(id) + ")"
		if u.Path != want {
			t.Fatalf("decoded path = %q, want %q", u.Path, want)
		}
	})
}

func mustLit(s string) string {
	l, _ := d365.FormatLiteral(s)
	return l
}
