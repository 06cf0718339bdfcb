package wire

import (
	"math"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestSplitSegment(t *testing.T) {
	for in, want := range map[string][3]string{
		"leads":                             {"leads", "", ""},
		"leads/Microsoft.Dynamics.CRM.X":    {"leads", "", "Microsoft.Dynamics.CRM.X"},
		"leads(1)":                          {"leads", "1", ""},
		"leads(name='a(b)')/QualifyLead":    {"leads", "name='a(b)'", "QualifyLead"},
		"Prospects(dataAreaId='usrt',P=1)/": {"Prospects", "dataAreaId='usrt',P=1", ""},
		"accounts(1)/nav(2)/$ref":           {"accounts", "1", "nav(2)/$ref"},
		"accounts(name='a)''b')/x":          {"accounts", "name='a)''b'", "x"},
		"leads/x(1)":                        {"leads", "", "x(1)"},
	} {
		seg, key, tail := SplitSegment(in)
		if got := [3]string{seg, key, tail}; got != want {
			t.Errorf("SplitSegment(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestQueryHelpers(t *testing.T) {
	if diff := cmp.Diff([]string{"a", "b"}, SelectList(" a, ,b ")); diff != "" {
		t.Errorf("SelectList (-want +got):\n%s", diff)
	}
	if got := SelectContext([]string{"a", "b"}); got != "(a,b)" {
		t.Errorf("SelectContext = %q", got)
	}
	if got := EncodeQuery(url.Values{"$top": {"2"}, "$filter": {"a eq 1"}}); got != "$filter=a+eq+1&$top=2" {
		t.Errorf("EncodeQuery = %q", got)
	}
	for prefer, want := range map[string][2]int{
		`odata.include-annotations="*",odata.maxpagesize=50`: {50, 1},
		`return=representation`:                              {0, 0},
		`odata.maxpagesize=99999999999999999999`:             {math.MaxInt, 1},
	} {
		n, ok := MaxPageSize(prefer)
		if got := [2]int{n, map[bool]int{true: 1}[ok]}; got != want {
			t.Errorf("MaxPageSize(%q) = %v, want %v", prefer, got, want)
		}
	}
}

func TestWriteJSON(t *testing.T) {
	rec := httptest.NewRecorder()
	WriteJSON(rec, 201, map[string]any{"a": "<b>"})
	if rec.Code != 201 || rec.Body.String() != "{\"a\":\"<b>\"}\n" ||
		rec.Header().Get("OData-Version") != "4.0" || rec.Header().Get("Content-Type") != "application/json; odata.metadata=minimal" {
		t.Errorf("%d %v %q", rec.Code, rec.Header(), rec.Body.String())
	}
}
