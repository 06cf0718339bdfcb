package d365_test

import (
	"testing"

	"github.com/b2bflow/d365"
)

func TestQueryEncode(t *testing.T) {
	q := &d365.Query{
		Select:  []string{"fullname", "companyname", "_parentaccountid_value"},
		Filter:  d365.Filterf("companyname eq %v and contains(subject,%v)", "Fabrikam & Sons", "50% off #1"),
		OrderBy: []string{"createdon desc", "fullname"},
		Expand:  []string{"parentaccountid($select=name)"},
		Top:     10,
		Count:   true,
	}
	want := "$select=fullname,companyname,_parentaccountid_value" +
		"&$filter=companyname%20eq%20'Fabrikam%20%26%20Sons'%20and%20contains(subject,'50%25%20off%20%231')" +
		"&$orderby=createdon%20desc,fullname&$expand=parentaccountid($select%3Dname)&$top=10&$count=true"
	if got := q.Encode(); got != want {
		t.Errorf("Encode:\n got %s\nwant %s", got, want)
	}
	if err := q.Validate(); err != nil {
		t.Error(err)
	}
	var nilQ *d365.Query
	if nilQ.Encode() != "" || nilQ.Validate() != nil {
		t.Error("a nil query is not empty")
	}
}

func TestQueryValidate(t *testing.T) {
	for name, q := range map[string]*d365.Query{
		"negative top":      {Top: -1},
		"negative page":     {PageSize: -5},
		"select injection":  {Select: []string{"name&$filter=x"}},
		"bad orderby":       {OrderBy: []string{"name sideways"}},
		"expand not a name": {Expand: []string{"a&b"}},
	} {
		if err := q.Validate(); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
