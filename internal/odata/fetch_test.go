package odata

import (
	"strings"
	"testing"
)

// The annotation as "Page results using FetchXml" documents it.
const docCookie = `<cookie pagenumber="2" pagingcookie="%253ccookie%2520page%253d%25221%2522%253e%253caccountid%2520last%253d%2522%257b695EAF89-F083-E511-80D3-00155D2A68D3%257d%2522%2520first%253d%2522%257b655EAF89-F083-E511-80D3-00155D2A68D3%257d%2522%2520%252f%253e%253c%252fcookie%253e" istracking="False" />`

func TestPagingCookieOfTheDocumentedAnnotation(t *testing.T) {
	page, cookie, err := PagingCookie(docCookie)
	if err != nil {
		t.Fatal(err)
	}
	const want = `<cookie page="1"><accountid last="{695EAF89-F083-E511-80D3-00155D2A68D3}" first="{655EAF89-F083-E511-80D3-00155D2A68D3}" /></cookie>`
	if page != 2 || cookie != want {
		t.Errorf("PagingCookie = %d, %q; want 2, %q", page, cookie, want)
	}
	for _, bad := range []string{``, `<cookie />`, `<cookie pagenumber="x" />`, `<cookie pagenumber="2" pagingcookie="%zz" />`} {
		if _, _, err := PagingCookie(bad); err == nil {
			t.Errorf("PagingCookie(%q): no error", bad)
		}
	}
}

func TestFetchPageSetsPageAndCookie(t *testing.T) {
	const fetch = `<?xml version="1.0"?>
<fetch count="2" page="1" paging-cookie="old"><entity name="account"><attribute name="name" /></entity></fetch>`
	got, err := FetchPage(fetch, 2, `<cookie page="1"><accountid last="{6}" /></cookie>`)
	if err != nil {
		t.Fatal(err)
	}
	const want = `<?xml version="1.0"?>
<fetch count="2" page="2" paging-cookie="&lt;cookie page=&#34;1&#34;&gt;&lt;accountid last=&#34;{6}&#34; /&gt;&lt;/cookie&gt;"><entity name="account"><attribute name="name" /></entity></fetch>`
	if got != want {
		t.Errorf("FetchPage =\n%s\nwant\n%s", got, want)
	}
	fi, err := ParseFetch(got)
	if err != nil || fi.Page != 2 {
		t.Errorf("ParseFetch = %+v, %v", fi, err)
	}
	for _, bad := range []string{`<entity name="account"/>`, `<fetch/>`, `<fetch><entity>`, `not xml`, `<fetch page="0"><entity name="a"/></fetch>`} {
		if _, err := ParseFetch(bad); err == nil {
			t.Errorf("ParseFetch(%q): no error", bad)
		} else if strings.Contains(err.Error(), "panic") {
			t.Error(err)
		}
	}
}
