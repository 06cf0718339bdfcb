package query

import (
	"strings"
	"testing"
)

func TestSkipTokenMatchesDocumentation(t *testing.T) {
	// page-results.md (OData): the first page of contacts ends with
	// D5026A4D-... and starts with 49B0BE2E-...
	const want = "%3Ccookie%20pagenumber=%222%22%20pagingcookie=%22%253ccookie%2520page%253d%25221%2522%253e%253ccontactid%2520last%253d%2522%257bD5026A4D-D01C-ED11-B83E-000D3A572421%257d%2522%2520first%253d%2522%257b49B0BE2E-D01C-ED11-B83E-000D3A572421%257d%2522%2520%252f%253e%253c%252fcookie%253e%22%20istracking=%22False%22%20/%3E"
	got := SkipToken("contactid", 1, "49b0be2e-d01c-ed11-b83e-000d3a572421", "d5026a4d-d01c-ed11-b83e-000d3a572421")
	if got != want {
		t.Errorf("SkipToken =\n%s\nwant\n%s", got, want)
	}
	// query-data-web-api-023.http.txt writes the same form.
	b, _ := readRef(t, "query-data-web-api-023.http.txt")
	if !strings.Contains(b, SkipToken("accountid", 1, "655eaf89-f083-e511-80d3-00155d2a68d3", "695eaf89-f083-e511-80d3-00155d2a68d3")) {
		t.Errorf("the skiptoken of query-data-web-api-023.http.txt differs")
	}
	page, last, err := ParseSkipToken(got)
	if err != nil || page != 2 || last != "d5026a4d-d01c-ed11-b83e-000d3a572421" {
		t.Errorf("ParseSkipToken = %d, %q, %v", page, last, err)
	}
	if _, _, err := ParseSkipToken("abc"); err == nil {
		t.Error("ParseSkipToken(abc) succeeded")
	}
}
