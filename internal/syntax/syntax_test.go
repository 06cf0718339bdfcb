package syntax

import "testing"

func TestIsNameAndIsPath(t *testing.T) {
	for _, tc := range []struct {
		s          string
		name, path bool
	}{
		{"leads", true, true},
		{"_parentaccountid_value", true, true},
		{"Microsoft.Dynamics.CRM.QualifyLead", true, true},
		{"primarycontactid/fullname", false, true},
		{"", false, false},
		{"a//b", false, false},
		{"/a", false, false},
		{"a/", false, false},
		{"name&$filter=x", false, false},
		{"a b", false, false},
		{"lead's", false, false},
	} {
		if got := IsName(tc.s); got != tc.name {
			t.Errorf("IsName(%q) = %v, want %v", tc.s, got, tc.name)
		}
		if got := IsPath(tc.s); got != tc.path {
			t.Errorf("IsPath(%q) = %v, want %v", tc.s, got, tc.path)
		}
	}
}

func TestIsLoopback(t *testing.T) {
	for host, want := range map[string]bool{
		"localhost": true, "LocalHost": true, "127.0.0.1": true, "127.1.2.3": true, "::1": true,
		"contoso.crm.dynamics.com": false, "10.0.0.1": false, "localhost.evil.com": false, "": false,
	} {
		if got := IsLoopback(host); got != want {
			t.Errorf("IsLoopback(%q) = %v, want %v", host, got, want)
		}
	}
}
