package query

import (
	"errors"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// refFetch returns the FetchXML of a documented request: the fetchXml
// parameter of an .http.txt file (URL-decoded until it is XML, as the
// samples encode it once or twice) or the whole of an .xml file.
func refFetch(t *testing.T, file string) string {
	t.Helper()
	b, err := os.ReadFile(refDir + file)
	if err != nil {
		t.Skipf("reference file %s: %v", file, err)
	}
	s := string(b)
	if strings.HasSuffix(file, ".xml") {
		return s
	}
	_, q, _ := strings.Cut(strings.SplitN(s, "\n", 2)[0], "fetchXml=")
	q = strings.TrimSuffix(strings.TrimSpace(q), " HTTP/1.1")
	for i := 0; i < 3 && !strings.HasPrefix(q, "<"); i++ {
		if q, err = url.PathUnescape(q); err != nil {
			t.Fatal(err)
		}
	}
	return q
}

func runFetch(t *testing.T, e *Env, xml string) (*FetchResult, error) {
	t.Helper()
	f, err := ParseFetchXML(xml)
	if err != nil {
		return nil, err
	}
	return e.RunFetch(f)
}

func TestFetchDocumented(t *testing.T) {
	for _, tc := range []struct {
		ref   string
		fetch string // "" to read it from ref
		key   string
		want  []string
	}{
		{ref: "retrieve-and-execute-predefined-queries-006.http.txt", key: "name",
			want: []string{"Example Account", "Contoso Pharmaceuticals (sample)", "Fabrikam, Inc. (sample)", "Blue Yonder Airlines (sample)",
				"City Power & Light (sample)", "Coho Winery (sample)", "Adventure Works (sample)", "Alpine Ski House (sample)",
				"Litware, Inc. (sample)", "A. Datum Corporation (sample)", "Sample Child Account 1", "Sample Child Account 2"}},
		{ref: "web-api-query-data-sample-033.http.txt", key: "fullname",
			want: []string{"Yvonne McKay (sample)", "Susanna Stubberod (sample)", "Robert Lyon (sample)", "Rene Valdes (sample)",
				"Nancy Anderson (sample)", "Maria Cambell (sample)", "Jim Glynn (sample)"}},
		{ref: "web-api-query-data-sample-036.http.txt (page 2 of 4)", key: "fullname",
			fetch: `<fetch mapping="logical" page="2" count="4"><entity name="contact"><attribute name="fullname" /><order descending="true" attribute="fullname" /><filter type="and"><condition value="%(sample)%" attribute="fullname" operator="like" /></filter></entity></fetch>`,
			want:  []string{"Nancy Anderson (sample)", "Maria Cambell (sample)", "Jim Glynn (sample)"}},
		{ref: "retrieve-and-execute-predefined-queries-008.xml", key: "name",
			want: []string{"A. Datum Corporation (sample)", "Adventure Works (sample)"}},
		{ref: "filter-rows.md: or filter with nested and", key: "name",
			fetch: `<fetch><entity name='account'><attribute name='name'/><filter type='or'><condition attribute='address1_city' operator='eq' value='Dallas'/><filter type='and'><condition attribute='address1_city' operator='eq' value='Redmond'/><condition attribute='numberofemployees' operator='gt' value='2000'/></filter></filter></entity></fetch>`,
			want:  []string{"City Power & Light (sample)", "Litware, Inc. (sample)", "A. Datum Corporation (sample)"}},
		{ref: "condition operators in, not-null, between, begins-with", key: "name",
			fetch: `<fetch><entity name='account'><attribute name='name'/><filter><condition attribute='address1_city' operator='in'><value>Redmond</value><value>Phoenix</value></condition><condition attribute='numberofemployees' operator='between'><value>2000</value><value>5000</value></condition><condition attribute='name' operator='not-begin-with' value='City'/><condition attribute='address1_city' operator='not-null'/></filter></entity></fetch>`,
			want:  []string{"Coho Winery (sample)"}},
		{ref: "condition null and not-in", key: "name",
			fetch: `<fetch><entity name='account'><attribute name='name'/><filter type='or'><condition attribute='numberofemployees' operator='null'/><condition attribute='address1_city' operator='not-in'><value>Redmond</value><value>Phoenix</value><value>Dallas</value><value>Lynnwood</value><value>Los Angeles</value><value>Missoula</value></condition></filter></entity></fetch>`,
			want:  []string{"Example Account", "Adventure Works (sample)", "Sample Child Account 1", "Sample Child Account 2"}},
		{ref: "date operators with the injected clock", key: "fullname",
			fetch: `<fetch><entity name='contact'><attribute name='fullname'/><filter type='or'><condition attribute='createdon' operator='today'/><condition attribute='createdon' operator='last-x-days' value='1'/><condition attribute='createdon' operator='on' value='2022-01-01'/></filter></entity></fetch>`,
			want:  []string{"Yvonne McKay (sample)", "Susanna Stubberod (sample)", "Robert Lyon (sample)"}},
		{ref: "eq-userid on a lookup", key: "name",
			fetch: `<fetch top='2'><entity name='account'><attribute name='name'/><filter><condition attribute='ownerid' operator='eq-userid'/></filter><order attribute='name'/></entity></fetch>`,
			want:  []string{"A. Datum Corporation (sample)", "Adventure Works (sample)"}},
		{ref: "page-large-result-sets-with-fetchxml: GUID values in braces, uiname/uitype", key: "name",
			fetch: `<fetch><entity name='account'><attribute name='name'/><filter><condition attribute='primarycontactid' operator='eq' value='{A0DBF27C-8EFB-E511-80D2-00155DB07C77}' uiname='Nancy Anderson (sample)' uitype='contact'/></filter></entity></fetch>`,
			want:  []string{"Adventure Works (sample)"}},
		{ref: "filter-rows.md: valueof compares two columns", key: "fullname",
			fetch: `<fetch><entity name='contact'><attribute name='fullname'/><filter><condition attribute='firstname' operator='eq' valueof='lastname'/></filter></entity></fetch>`,
			want:  nil},
	} {
		t.Run(tc.ref, func(t *testing.T) {
			e, _ := newEnv()
			x := tc.fetch
			if x == "" {
				x = refFetch(t, strings.Fields(tc.ref)[0])
			}
			res, err := runFetch(t, e, x)
			if err != nil {
				t.Fatalf("%s: %v", x, err)
			}
			if diff := cmp.Diff(tc.want, names(res.Rows, tc.key)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestFetchRowShape(t *testing.T) {
	// web-api-query-data-sample-034.http.txt: the attributes, the money
	// column's currency and the primary key.
	e, _ := newEnv()
	res, err := runFetch(t, e, `<fetch><entity name='contact'><attribute name='fullname'/><attribute name='annualincome'/><filter><condition attribute='contactid' operator='eq' value='`+idYvonne+`'/></filter></entity></fetch>`)
	if err != nil {
		t.Fatal(err)
	}
	want := []map[string]any{{"@odata.etag": `W/"1"`, "fullname": "Yvonne McKay (sample)", "annualincome": 45000, "_transactioncurrencyid_value": idUSD, "contactid": idYvonne}}
	if diff := cmp.Diff(want, res.Rows); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"fullname", "annualincome", "_transactioncurrencyid_value", "contactid"}, res.Columns); diff != "" {
		t.Errorf("columns (-want +got):\n%s", diff)
	}
	if got, want := res.Context(), "(fullname,annualincome,_transactioncurrencyid_value,transactioncurrencyid,contactid)"; got != want {
		t.Errorf("Context() = %q, want %q", got, want)
	}
}

func TestFetchLinkEntity(t *testing.T) {
	e, _ := newEnv()
	// join-tables.md (FetchXml): inner join with an alias; lookups by
	// logical name; link columns as alias.attribute.
	res, err := runFetch(t, e, `<fetch><entity name='account'><attribute name='name'/><attribute name='primarycontactid'/>
		<link-entity name='contact' from='contactid' to='primarycontactid' link-type='inner' alias='pc'>
		  <attribute name='fullname'/><attribute name='jobtitle' alias='title'/>
		  <filter><condition attribute='fullname' operator='like' value='%Susanna%'/></filter>
		</link-entity><order attribute='name'/></entity></fetch>`)
	if err != nil {
		t.Fatal(err)
	}
	want := []map[string]any{
		{"@odata.etag": `W/"501097"`, "name": "Contoso Pharmaceuticals (sample)", "_primarycontactid_value": idSusanna, "accountid": idFourth, "pc.fullname": "Susanna Stubberod (sample)", "title": "Senior Purchaser"},
		{"@odata.etag": `W/"501097"`, "name": "Litware, Inc. (sample)", "_primarycontactid_value": idSusanna, "accountid": "a1000000-0000-0000-0000-000000000009", "pc.fullname": "Susanna Stubberod (sample)", "title": "Senior Purchaser"},
	}
	if diff := cmp.Diff(want, res.Rows); diff != "" {
		t.Errorf("inner (-want +got):\n%s", diff)
	}

	// Outer join keeps rows without a match; a generated alias names the
	// link (contact1); a condition on the entity filters by entityname.
	res, err = runFetch(t, e, `<fetch><entity name='account'><attribute name='name'/>
		<link-entity name='contact' from='contactid' to='primarycontactid' link-type='outer'><attribute name='fullname'/></link-entity>
		<filter><condition attribute='address1_city' operator='eq' value='Santa Cruz'/></filter></entity></fetch>`)
	if err != nil {
		t.Fatal(err)
	}
	if got := res.Rows[0]["contact1.fullname"]; got != "Nancy Anderson (sample)" || len(res.Rows) != 1 {
		t.Errorf("outer rows = %v", res.Rows)
	}
	res, err = runFetch(t, e, `<fetch><entity name='account'><attribute name='name'/>
		<link-entity name='contact' from='contactid' to='primarycontactid' link-type='outer' alias='c'/>
		<filter><condition entityname='c' attribute='contactid' operator='null'/><condition attribute='numberofemployees' operator='ge' value='6000'/></filter></entity></fetch>`)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"A. Datum Corporation (sample)"}, names(res.Rows, "name")); diff != "" {
		t.Errorf("outer with entityname null (-want +got):\n%s", diff)
	}
	// One-to-many: a row per task; link-type any keeps each account once.
	res, err = runFetch(t, e, `<fetch><entity name='account'><attribute name='name'/>
		<link-entity name='task' from='regardingobjectid' to='accountid' alias='t'><attribute name='subject'/></link-entity><order attribute='name'/></entity></fetch>`)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"Task 1 for Adventure", "Task 2 for Adventure", "Task for Fabrikam"}, names(res.Rows, "t.subject")); diff != "" {
		t.Errorf("one-to-many (-want +got):\n%s", diff)
	}
	res, err = runFetch(t, e, `<fetch><entity name='account'><attribute name='name'/>
		<link-entity name='task' from='regardingobjectid' to='accountid' link-type='any'><filter><condition attribute='statecode' operator='eq' value='1'/></filter></link-entity></entity></fetch>`)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"Adventure Works (sample)"}, names(res.Rows, "name")); diff != "" {
		t.Errorf("any (-want +got):\n%s", diff)
	}
}

func TestFetchAggregate(t *testing.T) {
	e, _ := newEnv()
	// aggregate-data.md (FetchXml): the ten accounts of the example, plus
	// two child accounts without employees or city.
	res, err := runFetch(t, e, `<fetch aggregate='true'><entity name='account'>
	    <attribute name='numberofemployees' alias='Average' aggregate='avg' />
	    <attribute name='numberofemployees' alias='Count' aggregate='count' />
	    <attribute name='numberofemployees' alias='ColumnCount' aggregate='countcolumn' />
	    <attribute name='numberofemployees' alias='Distinct' aggregate='countcolumn' distinct='true' />
	    <attribute name='numberofemployees' alias='Maximum' aggregate='max' />
	    <attribute name='numberofemployees' alias='Minimum' aggregate='min' />
	    <attribute name='numberofemployees' alias='Sum' aggregate='sum' />
	    <filter><condition attribute='parentaccountid' operator='null'/></filter>
	  </entity></fetch>`)
	if err != nil {
		t.Fatal(err)
	}
	want := []map[string]any{{"Average": int64(3911), "Count": 10, "ColumnCount": 9, "Distinct": 8, "Maximum": 6200, "Minimum": 1500, "Sum": int64(35200)}}
	if diff := cmp.Diff(want, res.Rows); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}

	// Grouping by city, ordered by the group's alias; nulls first, and a
	// sum over nulls is 0 as the documented table shows.
	res, err = runFetch(t, e, `<fetch aggregate='true'><entity name='account'>
	      <attribute name='numberofemployees' alias='Total' aggregate='sum' />
	      <attribute name='address1_city' alias='Count' aggregate='count' />
	      <attribute name='address1_city' alias='City' groupby='true' />
	      <filter><condition attribute='parentaccountid' operator='null'/></filter>
	      <order alias='City' />
	   </entity></fetch>`)
	if err != nil {
		t.Fatal(err)
	}
	want = []map[string]any{
		{"Total": int64(0), "Count": 1, "City": nil}, {"Total": int64(6000), "Count": 1, "City": "Dallas"},
		{"Total": int64(2900), "Count": 1, "City": "Los Angeles"}, {"Total": int64(2700), "Count": 1, "City": "Lynnwood"},
		{"Total": int64(4800), "Count": 1, "City": "Missoula"}, {"Total": int64(3900), "Count": 1, "City": "Phoenix"},
		{"Total": int64(10600), "Count": 3, "City": "Redmond"}, {"Total": int64(4300), "Count": 1, "City": "Santa Cruz"},
	}
	if diff := cmp.Diff(want, res.Rows); diff != "" {
		t.Errorf("groupby (-want +got):\n%s", diff)
	}

	// Grouping by parts of a date.
	res, err = runFetch(t, e, `<fetch aggregate='true'><entity name='account'>
	      <attribute name='numberofemployees' alias='Total' aggregate='sum' />
	      <attribute name='createdon' alias='Month' groupby='true' dategrouping='month' />
	      <attribute name='createdon' alias='Year' groupby='true' dategrouping='year' />
	      <filter><condition attribute='createdon' operator='not-null'/></filter>
	      <order alias='Month' />
	   </entity></fetch>`)
	if err != nil {
		t.Fatal(err)
	}
	want = []map[string]any{{"Total": int64(35200), "Month": 3, "Year": 2023}, {"Total": int64(0), "Month": 8, "Year": 2023}}
	if diff := cmp.Diff(want, res.Rows); diff != "" {
		t.Errorf("dategrouping (-want +got):\n%s", diff)
	}

	// Limitations: the per-query aggregatelimit.
	_, err = runFetch(t, e, `<fetch aggregate='true' aggregatelimit='10'><entity name='account'><attribute name='name' alias='n' aggregate='count'/></entity></fetch>`)
	var qe *Error
	if !errors.As(err, &qe) || qe.Code != CodeAggregateLimit || qe.Message != "AggregateQueryRecordLimit exceeded. Cannot perform this operation." {
		t.Errorf("aggregatelimit: err = %v", err)
	}
}

func TestFetchPagingCookie(t *testing.T) {
	// page-results.md (FetchXml, Web API tab): count=3 page=1 ordered by
	// fullname descending; the cookie names fullname then contactid, and
	// is URL-encoded twice.
	e, _ := newEnv()
	res, err := runFetch(t, e, `<fetch count='3' page='1'><entity name='contact'><attribute name='fullname'/><attribute name='jobtitle'/><attribute name='annualincome'/><order descending='true' attribute='fullname'/><filter><condition attribute='fullname' operator='like' value='%(sample)'/></filter></entity></fetch>`)
	if err != nil {
		t.Fatal(err)
	}
	if !res.MoreRecords {
		t.Fatal("MoreRecords = false, want true")
	}
	inner := `<cookie page="1"><fullname last="Robert Lyon (sample)" first="Yvonne McKay (sample)" /><contactid last="{30C364B2-BF43-E611-80D5-00155DA84802}" first="{49B0BE2E-D01C-ED11-B83E-000D3A572421}" /></cookie>`
	want := `<cookie pagenumber="2" pagingcookie="` + urlEncodeLower(urlEncodeLower(inner)) + `" istracking="False" />`
	if res.PagingCookie != want {
		t.Errorf("cookie =\n%s\nwant\n%s", res.PagingCookie, want)
	}
	// The documented encoding: lower-case hex, spaces %2520, braces %257b.
	if !strings.HasPrefix(res.PagingCookie, `<cookie pagenumber="2" pagingcookie="%253ccookie%2520page%253d%25221%2522%253e%253cfullname%2520last%253d%2522Robert%2520Lyon%2520%2528sample%2529%2522`) {
		t.Errorf("cookie encoding differs from the documentation's: %s", res.PagingCookie)
	}
	// The next request: the client decodes the cookie twice and sends it
	// XML-encoded in paging-cookie with page 2.
	v := res.PagingCookie[strings.Index(res.PagingCookie, `pagingcookie="`)+len(`pagingcookie="`):]
	v = v[:strings.IndexByte(v, '"')]
	for i := 0; i < 2; i++ {
		v, _ = url.QueryUnescape(v)
	}
	next := `<fetch count='3' page='2' paging-cookie='` + xmlAttr(v) + `'><entity name='contact'><attribute name='fullname'/><order descending='true' attribute='fullname'/><filter><condition attribute='fullname' operator='like' value='%(sample)'/></filter></entity></fetch>`
	res, err = runFetch(t, e, next)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"Rene Valdes (sample)", "Nancy Anderson (sample)", "Maria Cambell (sample)"}, names(res.Rows, "fullname")); diff != "" {
		t.Errorf("page 2 (-want +got):\n%s", diff)
	}
	// Last page: no cookie, no morerecords.
	res, err = runFetch(t, e, strings.Replace(next, "page='2'", "page='3'", 1))
	if err != nil {
		t.Fatal(err)
	}
	if res.MoreRecords || res.PagingCookie != "" || len(res.Rows) != 1 {
		t.Errorf("last page: more=%v cookie=%q rows=%d", res.MoreRecords, res.PagingCookie, len(res.Rows))
	}
}

func TestFetchRefusals(t *testing.T) {
	for _, tc := range []struct {
		name, fetch   string
		status        int
		code, message string
	}{
		{"unknown attribute", `<fetch><entity name='account'><attribute name='foo'/></entity></fetch>`, 400, CodeFetchNoAttribute,
			"'account' entity doesn't contain attribute with Name = 'foo' and NameMapping = 'Logical'."},
		{"unknown attribute in a condition", `<fetch><entity name='account'><filter><condition attribute='Name' operator='eq' value='x'/></filter></entity></fetch>`, 400, CodeFetchNoAttribute,
			"'account' entity doesn't contain attribute with Name = 'Name' and NameMapping = 'Logical'."},
		{"unknown entity", `<fetch><entity name='accounts'><all-attributes/></entity></fetch>`, 400, CodeFetchNoEntity,
			"The entity with a name = 'accounts' with namemapping = 'Logical' was not found in the MetadataCache."},
		{"page-results.md: top with paging", `<fetch top='5' count='2'><entity name='account'/></fetch>`, 400, CodeFetchXML,
			"The 'top' attribute can't be used together with the 'count' or 'page' attributes."},
		{"not XML", `<fetch><entity name='account'>`, 400, CodeFetchXML, "The FetchXML query is not well-formed XML: XML syntax error on line 1: unexpected EOF."},
		{"unknown operator", `<fetch><entity name='account'><filter><condition attribute='name' operator='equals' value='x'/></filter></entity></fetch>`, 400, CodeFetchXML,
			"The condition operator 'equals' is not valid."},
		{"team operator", `<fetch><entity name='account'><filter><condition attribute='ownerid' operator='eq-userteams'/></filter></entity></fetch>`, 501, CodeQuery,
			"The emulator does not implement the condition operator 'eq-userteams'."},
		{"link-type all", `<fetch><entity name='account'><link-entity name='task' from='regardingobjectid' to='accountid' link-type='all'/></entity></fetch>`, 501, CodeQuery,
			"The emulator does not implement link-type 'all'."},
		{"aggregate without alias", `<fetch aggregate='true'><entity name='account'><attribute name='name' aggregate='count'/></entity></fetch>`, 400, CodeFetchXML,
			"Every attribute of an aggregate query needs an alias; 'name' has none."},
		{"between needs two values", `<fetch><entity name='account'><filter><condition attribute='numberofemployees' operator='between' value='1'/></filter></entity></fetch>`, 400, CodeFetchXML,
			"The condition operator 'between' takes exactly two values."},
		{"unknown element", `<fetch><entity name='account'><attributes name='name'/></entity></fetch>`, 400, CodeFetchXML,
			"The element 'attributes' is not expected in 'entity'."},
		{"fiscal dategrouping", `<fetch aggregate='true'><entity name='account'><attribute name='createdon' alias='p' groupby='true' dategrouping='fiscal-period'/></entity></fetch>`, 501, CodeQuery,
			"The emulator does not implement dategrouping 'fiscal-period'."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e, _ := newEnv()
			_, err := runFetch(t, e, tc.fetch)
			var qe *Error
			if !errors.As(err, &qe) {
				t.Fatalf("err = %v, want *Error", err)
			}
			if diff := cmp.Diff(Error{Status: tc.status, Code: tc.code, Message: tc.message}, *qe); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestFetchContextMatchesDocumentedResponse(t *testing.T) {
	// web-api-query-data-sample-033 (request) and -034 (response).
	e, _ := newEnv()
	res, err := runFetch(t, e, refFetch(t, "web-api-query-data-sample-033.http.txt"))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := readRef(t, "web-api-query-data-sample-034.http.txt")
	want := `$metadata#contacts` + res.Context() + `"`
	if !strings.Contains(body, want) {
		t.Errorf("the documented response has no %s", want)
	}
	// Every documented row carries exactly these keys (with @odata.etag and
	// formatted values, which Render adds).
	for _, r := range res.Rows {
		for k := range r {
			if k != "@odata.etag" && !strings.Contains(body, `"`+k+`":`) {
				t.Errorf("key %q is not in the documented response", k)
			}
		}
	}
}

func TestFetchMore(t *testing.T) {
	e, _ := newEnv()
	// distinct='true' removes duplicate output rows.
	res, err := runFetch(t, e, `<fetch distinct='true'><entity name='account'><attribute name='address1_city'/><attribute name='statecode'/><filter><condition attribute='address1_city' operator='eq' value='Redmond'/></filter></entity></fetch>`)
	if err != nil {
		t.Fatal(err)
	}
	// The primary key is always returned, so rows stay distinct by key.
	if len(res.Rows) != 3 {
		t.Errorf("distinct with key: %d rows, want 3", len(res.Rows))
	}
	res, err = runFetch(t, e, `<fetch distinct='true' aggregate='true'><entity name='account'><attribute name='address1_city' alias='city' groupby='true'/><filter><condition attribute='address1_city' operator='like' value='R%'/></filter></entity></fetch>`)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]map[string]any{{"city": "Redmond"}}, res.Rows); diff != "" {
		t.Errorf("groupby as distinct (-want +got):\n%s", diff)
	}
	// An aggregate over no rows is one row of zero counts.
	res, err = runFetch(t, e, `<fetch aggregate='true'><entity name='account'><attribute name='accountid' alias='n' aggregate='count'/><attribute name='numberofemployees' alias='s' aggregate='sum'/><attribute name='numberofemployees' alias='m' aggregate='max'/><filter><condition attribute='name' operator='eq' value='nobody'/></filter></entity></fetch>`)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]map[string]any{{"n": 0, "s": int64(0), "m": nil}}, res.Rows); diff != "" {
		t.Errorf("empty aggregate (-want +got):\n%s", diff)
	}
	// Aggregated rows page with count and page; descending order by alias.
	res, err = runFetch(t, e, `<fetch aggregate='true' count='2' page='2'><entity name='account'><attribute name='address1_city' alias='City' groupby='true'/><attribute name='accountid' alias='n' aggregate='count'/><order alias='City' descending='true'/></entity></fetch>`)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"Phoenix", "Missoula"}, names(res.Rows, "City")); diff != "" || !res.MoreRecords {
		t.Errorf("aggregate page 2 more=%v (-want +got):\n%s", res.MoreRecords, diff)
	}
	// returntotalrecordcount.
	res, err = runFetch(t, e, `<fetch returntotalrecordcount='true' count='1'><entity name='contact'><attribute name='fullname'/></entity></fetch>`)
	if err != nil {
		t.Fatal(err)
	}
	if res.TotalRecordCount != 8 || res.TotalRecordCountLimitExceeded || len(res.Rows) != 1 {
		t.Errorf("total = %d exceeded=%v rows=%d", res.TotalRecordCount, res.TotalRecordCountLimitExceeded, len(res.Rows))
	}
	// Boolean values are written 0/1 or true/false.
	res, err = runFetch(t, e, `<fetch><entity name='account'><attribute name='name'/><filter><condition attribute='creditonhold' operator='ne' value='1'/><condition attribute='address1_city' operator='eq' value='Dallas'/></filter></entity></fetch>`)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"Litware, Inc. (sample)"}, names(res.Rows, "name")); diff != "" {
		t.Errorf("boolean (-want +got):\n%s", diff)
	}
}
