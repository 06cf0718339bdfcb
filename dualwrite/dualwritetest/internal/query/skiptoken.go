package query

import (
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"
)

// SkipToken returns the $skiptoken of a Web API @odata.nextLink, as
// Dataverse writes it ("Page results using OData"): a cookie element whose
// pagingcookie attribute holds the page number and the primary key values
// of the page's last and first rows, URL-encoded twice, the whole encoded
// once more for the URL:
//
//	%3Ccookie%20pagenumber=%222%22%20pagingcookie=%22%253ccookie%2520page%253d%25221%2522%253e...%22%20istracking=%22False%22%20/%3E
//
// page is the number of the page just returned (1 for the first).
func SkipToken(primaryKey string, page int, firstID, lastID string) string {
	inner := fmt.Sprintf(`<cookie page="%d"><%s last="{%s}" first="{%s}" /></cookie>`, page, primaryKey, strings.ToUpper(lastID), strings.ToUpper(firstID))
	cookie := fmt.Sprintf(`<cookie pagenumber="%d" pagingcookie="%s" istracking="False" />`, page+1, urlEncodeLower(urlEncodeLower(inner)))
	r := strings.NewReplacer("<", "%3C", ">", "%3E", " ", "%20", `"`, "%22")
	return r.Replace(cookie)
}

// NestedSkipToken is the $skiptoken Dataverse writes when a query has a
// nested $expand ("Join tables using OData"): the inner cookie also counts
// the records returned so far and keeps the keys in lower case.
func NestedSkipToken(primaryKey string, page, count int, firstID, lastID string) string {
	inner := fmt.Sprintf(`<cookie page="%d" countOfRecords="%d"><%s last="{%s}" first="{%s}" /></cookie>`, page, count, primaryKey, strings.ToLower(lastID), strings.ToLower(firstID))
	cookie := fmt.Sprintf(`<cookie pagenumber="%d" pagingcookie="%s" istracking="False" />`, page+1, urlEncodeLower(urlEncodeLower(inner)))
	r := strings.NewReplacer("<", "%3C", ">", "%3E", " ", "%20", `"`, "%22")
	return r.Replace(cookie)
}

var (
	pageNumberRE = regexp.MustCompile(`pagenumber="(\d+)"`)
	lastKeyRE    = regexp.MustCompile(`last="\{([0-9A-Fa-f-]{36})\}"`)
)

// ParseSkipToken reads a $skiptoken written by SkipToken (already
// URL-decoded once, as Request.URL.Query returns it, or not): the number of
// the page it asks for and the primary key of the previous page's last row.
func ParseSkipToken(tok string) (page int, lastID string, err error) {
	for i := 0; i < 4 && strings.Contains(tok, "%"); i++ {
		u, err := url.PathUnescape(tok)
		if err != nil {
			break
		}
		tok = u
	}
	m := pageNumberRE.FindStringSubmatch(tok)
	k := lastKeyRE.FindStringSubmatch(tok)
	if m == nil || k == nil {
		return 0, "", badRequest(CodeQuery, "The $skiptoken is not a paging cookie.")
	}
	page, _ = strconv.Atoi(m[1])
	return page, strings.ToLower(k[1]), nil
}
