package query

import (
	"errors"
	"os"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// refQuery extracts the query string of the first request line of a
// documented exchange in ../shared/reference/dataverse-docs-examples (lines
// joined, as the documentation wraps long URLs).
func refQuery(t *testing.T, file string) string {
	t.Helper()
	b, err := os.ReadFile(refDir + file)
	if err != nil {
		t.Skipf("reference file %s: %v", file, err)
	}
	var url strings.Builder
	for i, line := range strings.Split(strings.ReplaceAll(string(b), "\r", ""), "\n") {
		if i > 0 && (line == "" || strings.Contains(line, ": ") && !strings.HasPrefix(line, "&") && !strings.Contains(line, "$")) {
			break
		}
		line = strings.TrimPrefix(line, "GET ")
		line = strings.TrimSuffix(strings.TrimSpace(line), " HTTP/1.1")
		if i > 0 && !strings.HasPrefix(line, "&") {
			line = " " + line
		}
		url.WriteString(line)
	}
	_, q, _ := strings.Cut(url.String(), "?")
	return q
}

const refDir = "../../../../../shared/reference/dataverse-docs-examples/"

func runQuery(t *testing.T, e *Env, table, raw string) (*Query, []map[string]any, error) {
	t.Helper()
	vals, err := ParseRawQuery(raw)
	if err != nil {
		return nil, nil, err
	}
	q, err := e.ParseQuery(table, vals)
	if err != nil {
		return nil, nil, err
	}
	if q.Apply != nil {
		out, err := e.RunApply(table, q)
		return q, out, err
	}
	rows, err := e.Match(table, q)
	if err != nil {
		return q, nil, err
	}
	out, err := e.Project(table, q, rows)
	return q, out, err
}

func names(rows []map[string]any, key string) []string {
	var out []string
	for _, r := range rows {
		s, _ := r[key].(string)
		out = append(out, s)
	}
	return out
}

func TestDocumentedQueries(t *testing.T) {
	for _, tc := range []struct {
		ref     string // reference file, or a documentation page
		table   string
		query   string // "" to read it from ref
		key     string
		want    []string
		context string
	}{
		{ref: "query-data-web-api-001.http.txt", table: "account", key: "name", context: "(name)",
			want: []string{"Example Account", "Contoso Pharmaceuticals (sample)", "Fabrikam, Inc. (sample)"}},
		{ref: "query-data-web-api-006.http.txt", table: "account", key: "name", context: "(name,revenue)",
			want: []string{"Adventure Works (sample)"}},
		{ref: "query-data-web-api-008.http.txt", table: "account", key: "name",
			want: []string{"Contoso Pharmaceuticals (sample)"}},
		{ref: "query-data-web-api-009.http.txt", table: "account", key: "name",
			want: []string{"Contoso Pharmaceuticals (sample)", "Adventure Works (sample)"}},
		{ref: "query-data-web-api-010.http.txt (accounts without tasks pass all)", table: "account", key: "name",
			query: "$select=name&$filter=Account_Tasks/all(o:o/statecode eq 1) and Account_Tasks/any()",
			want:  []string{"Adventure Works (sample)"}},
		{ref: "query-data-web-api-011.http.txt", table: "account", key: "name",
			want: []string{"Adventure Works (sample)"}},
		{ref: "query-data-web-api-012.http.txt", table: "account", key: "name",
			query: "$select=name&$filter=(contact_customer_accounts/any(c:c/jobtitle eq 'jobtitle' and c/opportunity_customer_contacts/any(o:o/description ne 'N/A'))) and endswith(name,'Inc. (sample)')",
			want:  []string{"Fabrikam, Inc. (sample)"}},
		{ref: "query-data-web-api-013.http.txt", table: "account", key: "name",
			query: "$select=name&$filter=not opportunity_customer_accounts/any(o:o/description eq null and o/budgetamount le 300 or contains(o/description, 'bad')) and opportunity_customer_accounts/any() and endswith(name,'(sample)')",
			want:  []string{"Fabrikam, Inc. (sample)"}},
		{ref: "query-data-web-api-014.http.txt", table: "account", key: "name",
			want: []string{"Adventure Works (sample)"}},
		{ref: "query-data-web-api-016.http.txt", table: "account", key: "name", context: "(name)",
			want: []string{"Sample Child Account 1", "Sample Child Account 2"}},
		{ref: "query-data-web-api-019.http.txt", table: "account", key: "name",
			want: []string{"Litware, Inc. (sample)", "Coho Winery (sample)", "Fabrikam, Inc. (sample)", "Contoso Pharmaceuticals (sample)", "Adventure Works (sample)"}},
		{ref: "query-data-web-api-021.http.txt", table: "account", key: "name",
			want: []string{"Litware, Inc. (sample)", "Coho Winery (sample)", "Fabrikam, Inc. (sample)", "Contoso Pharmaceuticals (sample)", "Adventure Works (sample)"}},
		{ref: "filter-rows.md: Filter using lookup column property values", table: "account", key: "name",
			query: "$filter=primarycontactid/fullname eq 'Susanna Stubberod (sample)'&$select=name,_primarycontactid_value",
			want:  []string{"Contoso Pharmaceuticals (sample)", "Litware, Inc. (sample)"}},
		{ref: "filter-rows.md: primarycontactid/createdby/fullname", table: "account", key: "name",
			query: "$filter=primarycontactid/createdby/fullname eq 'System Administrator' and revenue ge 100000&$select=name",
			want:  []string{"Contoso Pharmaceuticals (sample)", "Adventure Works (sample)"}},
		{ref: "web-api-query-data-sample-010.http.txt", table: "contact", key: "fullname",
			want: []string{"Robert Lyon (sample)"}},
		{ref: "web-api-query-data-sample-012.http.txt", table: "contact", key: "fullname",
			want: []string{"Maria Cambell (sample)", "Nancy Anderson (sample)", "Yvonne McKay (sample)", "Rene Valdes (sample)", "Jim Glynn (sample)", "Susanna Stubberod (sample)", "Robert Lyon (sample)"}},
		{ref: "web-api-query-data-sample-014.http.txt", table: "contact", key: "fullname",
			want: []string{"Maria Cambell (sample)", "Nancy Anderson (sample)", "Yvonne McKay (sample)", "Rene Valdes (sample)", "Jim Glynn (sample)", "Susanna Stubberod (sample)", "Robert Lyon (sample)"}},
		{ref: "web-api-query-data-sample-006.http.txt (clock 10:30, Yvonne created 10:00)", table: "contact", key: "fullname",
			want: []string{"Yvonne McKay (sample)"}},
		{ref: "query-data-web-api-018.http.txt (columns the fixture has)", table: "systemuser", key: "fullname",
			query: "$filter=(teammembership_association/any(t:t/name eq 'CITTEST'))&$select=fullname,systemuserid&$orderby=fullname",
			want:  []string{"System Administrator"}},
		{ref: "filter-rows.md: Manage single quotes (In with double quotes)", table: "contact", key: "fullname",
			query: `$select=fullname&$filter=Microsoft.Dynamics.CRM.In(PropertyName=@p1,PropertyValues=@p2)&@p1='lastname'&@p2=["OBrian","Glynn (sample)","O'Brian"]`,
			want:  []string{"Jim Glynn (sample)"}},
		{ref: "filter-rows.md: O''Bryan", table: "contact", key: "fullname",
			query: "$select=fullname&$filter=lastname eq 'O''Bryan' or lastname eq 'McKay (sample)'",
			want:  []string{"Yvonne McKay (sample)"}},
		{ref: "filter-rows.md: _owninguser_value eq '<systemuserid value>' (quoted GUID)", table: "account", key: "name",
			query: "$select=name&$filter=_primarycontactid_value eq '" + idNancy + "'",
			want:  []string{"Adventure Works (sample)"}},
		{ref: "ne includes rows whose column is null (Advanced Find's 'Does Not Equal')", table: "account", key: "name",
			query: "$select=name&$filter=address1_city ne 'Redmond' and numberofemployees lt 3000",
			want:  []string{"Fabrikam, Inc. (sample)", "Blue Yonder Airlines (sample)"}},
		{ref: "ne with null rows", table: "account", key: "name",
			query: "$select=name&$filter=address1_city ne 'Redmond' and revenue eq null and numberofemployees eq null",
			want:  []string{"Example Account", "Sample Child Account 1", "Sample Child Account 2"}},
		{ref: "filter-rows.md: column comparison", table: "contact", key: "fullname",
			query: "$select=fullname&$filter=firstname eq lastname", want: nil},
		{ref: "filter-rows.md: wildcard characters", table: "account", key: "name",
			query: "$select=name&$filter=startswith(name,'[A-B]%25(sample)')",
			want:  []string{"Blue Yonder Airlines (sample)", "Adventure Works (sample)", "Alpine Ski House (sample)", "A. Datum Corporation (sample)"}},
	} {
		t.Run(tc.ref, func(t *testing.T) {
			e, _ := newEnv()
			raw := tc.query
			if raw == "" {
				raw = refQuery(t, strings.Fields(tc.ref)[0])
			}
			q, out, err := runQuery(t, e, tc.table, raw)
			if err != nil {
				t.Fatalf("%s: %v", raw, err)
			}
			if diff := cmp.Diff(tc.want, names(out, tc.key)); diff != "" {
				t.Errorf("%s: rows (-want +got):\n%s", raw, diff)
			}
			if tc.context != "" && q.Context() != tc.context {
				t.Errorf("context = %q, want %q", q.Context(), tc.context)
			}
		})
	}
}

func TestSelectAddsKeyAndCurrency(t *testing.T) {
	// web-api-query-data-sample-005.http.txt: selecting annualincome (money)
	// brings _transactioncurrencyid_value and the key contactid.
	e, _ := newEnv()
	_, out, err := runQuery(t, e, "contact", "$select=fullname,jobtitle,annualincome&$filter=contactid eq "+idYvonne)
	if err != nil {
		t.Fatal(err)
	}
	want := []map[string]any{{"@odata.etag": `W/"1"`, "fullname": "Yvonne McKay (sample)", "jobtitle": "Coffee Master",
		"annualincome": 45000, "_transactioncurrencyid_value": idUSD, "contactid": idYvonne}}
	if diff := cmp.Diff(want, out); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestExpand(t *testing.T) {
	e, _ := newEnv()
	// query-data-web-api-033.http.txt / retrieve-related-entities-query-007.http.txt
	q, out, err := runQuery(t, e, "account", "$select=name&$filter=accountid eq "+idAdvWorks+"&$expand=primarycontactid($select=contactid,fullname),Account_Tasks($select=subject,scheduledstart)")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := q.Context(), "(name,primarycontactid(contactid,fullname),Account_Tasks(subject,scheduledstart))"; got != want {
		t.Errorf("context = %q, want %q", got, want)
	}
	want := []map[string]any{{
		"@odata.etag": `W/"501097"`, "name": "Adventure Works (sample)", "accountid": idAdvWorks,
		"primarycontactid": map[string]any{"contactid": idNancy, "fullname": "Nancy Anderson (sample)"},
		"Account_Tasks": []any{
			map[string]any{"@odata.etag": `W/"80649460"`, "subject": "Task 1 for Adventure", "scheduledstart": "2024-05-20T09:00:00Z", "_regardingobjectid_value": idAdvWorks, "activityid": "f68393c1-34cb-ed11-b597-000d3a993550"},
			map[string]any{"@odata.etag": `W/"80649461"`, "subject": "Task 2 for Adventure", "scheduledstart": nil, "_regardingobjectid_value": idAdvWorks, "activityid": "f68393c1-34cb-ed11-b597-000d3a993551"},
		},
		"Account_Tasks@odata.nextLink": "[Organization URI]/api/data/v9.2/accounts(" + idAdvWorks + ")/Account_Tasks?$select=subject,scheduledstart",
	}}
	if diff := cmp.Diff(want, out); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}

	// join-tables.md: nested options on a collection.
	_, out, err = runQuery(t, e, "account", "$select=name&$filter=accountid eq "+idAdvWorks+"&$expand=Account_Tasks($select=subject;$filter=contains(subject,'Task');$orderby=subject desc;$top=1)")
	if err != nil {
		t.Fatal(err)
	}
	tasks := out[0]["Account_Tasks"].([]any)
	if len(tasks) != 1 || tasks[0].(map[string]any)["subject"] != "Task 2 for Adventure" {
		t.Errorf("Account_Tasks = %v, want only Task 2", tasks)
	}

	// query-data-web-api-029.http.txt: a Customer lookup's navigation property.
	_, out, err = runQuery(t, e, "incident", "$select=title,_customerid_value&$expand=customerid_contact($select=fullname)")
	if err != nil {
		t.Fatal(err)
	}
	if got := out[0]["customerid_contact"]; !cmp.Equal(got, map[string]any{"fullname": "Yvonne McKay (sample)", "contactid": idYvonne}) {
		t.Errorf("customerid_contact = %v", got)
	}

	// retrieve-related-entities-query-003.http.txt: $ref.
	q, out, err = runQuery(t, e, "account", "$select=name&$filter=accountid eq "+idAdvWorks+"&$expand=primarycontactid/$ref")
	if err != nil {
		t.Fatal(err)
	}
	if got := out[0]["primarycontactid"]; !cmp.Equal(got, map[string]any{"@odata.id": "[Organization URI]/api/data/v9.2/contacts(" + idNancy + ")"}) {
		t.Errorf("$ref = %v", got)
	}
	if out[0]["_primarycontactid_value"] != idNancy {
		t.Errorf("$ref row lacks _primarycontactid_value: %v", out[0])
	}
	if got, want := q.Context(), "(name,primarycontactid,primarycontactid/$ref())"; got != want {
		t.Errorf("context = %q, want %q", got, want)
	}

	// filter-rows.md: nested $expand of single-valued properties.
	_, out, err = runQuery(t, e, "account", "$select=name&$filter=accountid eq "+idAdvWorks+"&$expand=primarycontactid($select=fullname,_createdby_value;$expand=createdby($select=fullname))")
	if err != nil {
		t.Fatal(err)
	}
	pc := out[0]["primarycontactid"].(map[string]any)
	if !cmp.Equal(pc["createdby"], map[string]any{"fullname": "System Administrator", "systemuserid": idUser}) {
		t.Errorf("nested createdby = %v", pc["createdby"])
	}

	// join-tables.md: the nextLink of a collection with a nested $expand
	// keeps the nested options.
	_, out, err = runQuery(t, e, "account", "$select=name&$filter=accountid eq "+idLitware+"&$expand=contact_customer_accounts($select=fullname;$expand=createdby($select=fullname))")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := out[0]["contact_customer_accounts@odata.nextLink"], "[Organization URI]/api/data/v9.2/accounts("+idLitware+")/contact_customer_accounts?$select=fullname&$expand=createdby($select=fullname)"; got != want {
		t.Errorf("nextLink = %v, want %v", got, want)
	}
	if got := out[0]["contact_customer_accounts"].([]any); len(got) != 1 || got[0].(map[string]any)["_parentcustomerid_value"] != idLitware {
		t.Errorf("contact_customer_accounts = %v", got)
	}

	// A lookup that is empty expands to null.
	_, out, err = runQuery(t, e, "account", "$select=name&$filter=accountid eq "+idChild1+"&$expand=primarycontactid($select=fullname)")
	if err != nil {
		t.Fatal(err)
	}
	if v, ok := out[0]["primarycontactid"]; !ok || v != nil {
		t.Errorf("primarycontactid = %v (present %v), want null", v, ok)
	}
}

func TestRefusals(t *testing.T) {
	for _, tc := range []struct {
		name, table, query string
		status             int
		code, message      string
	}{
		{"unknown $filter column (brief: 0x80060888)", "lead", "", 0, "", ""},
		{"unknown column in $filter", "account", "$filter=foo eq 1", 400, CodeQuery, "Could not find a property named 'foo' on type 'Microsoft.Dynamics.CRM.account'."},
		{"troubleshoot doc: $select=Name is case sensitive", "account", "$select=Name", 400, CodeSelectProperty, "Could not find a property named 'Name' on type 'Microsoft.Dynamics.CRM.account'."},
		{"lookup logical name is not a property", "account", "$select=primarycontactid", 501, CodeQuery, "The emulator does not implement selecting the navigation property 'primarycontactid' (use $expand)."},
		{"CRMRESTBuilder issue: customerid_value", "incident", "$select=title,customerid_value", 400, CodeSelectProperty, "Could not find a property named 'customerid_value' on type 'Microsoft.Dynamics.CRM.incident'."},
		{"unknown column in $orderby", "account", "$orderby=foo desc", 400, CodeQuery, "Could not find a property named 'foo' on type 'Microsoft.Dynamics.CRM.account'."},
		{"page-results.md: $skip is not supported", "account", "$skip=10", 400, CodeQuery, "The query parameter $skip is not supported"},
		{"overview.md: $search is not supported", "account", "$search=x", 400, CodeQuery, "The query parameter $search is not supported"},
		{"join-tables.md: $ref on a collection", "account", "$expand=Account_Tasks/$ref", 400, CodeQuery, "Expand with $ref is only supported on lookup type navigation property."},
		{"join-tables.md: $top with a nested $expand", "account", "$expand=Account_Tasks($top=1),contact_customer_accounts($select=fullname;$expand=createdby($select=fullname))", 400, CodeQuery, "Only $select and $filter clause can be provided while doing $expand on many-to-one relationship or nested one-to-many relationship."},
		{"join-tables.md: $orderby on a single-valued $expand", "account", "$expand=primarycontactid($orderby=fullname)", 400, CodeQuery, "Only $select and $filter clause can be provided while doing $expand on many-to-one relationship or nested one-to-many relationship."},
		{"join-tables.md: $skip in $expand", "account", "$expand=Account_Tasks($skip=1)", 400, CodeQuery, "The query option '$skip' is not supported in $expand (Dataverse supports $select, $filter, $orderby, $top and $expand)."},
		{"unknown navigation property in $expand", "account", "$expand=Foo", 400, CodeQuery, "Could not find a property named 'Foo' on type 'Microsoft.Dynamics.CRM.account'."},
		{"filter-rows.md: unterminated literal", "contact", "$filter=lastname eq 'O'Bryan'", 400, CodeQuery, "There is an unterminated literal at position 21 in 'lastname eq 'O'Bryan''."},
		{"filter-rows.md: In with single quotes inside", "contact", "$filter=Microsoft.Dynamics.CRM.In(PropertyName='lastname',PropertyValues=[\"a\",'O'Brian'])", 400, CodeQuery, jsonComma},
		{"incompatible operand types", "account", "$filter=name eq 5", 400, CodeQuery, "A binary operator with incompatible types was detected. Found operand types 'Edm.String' and 'Edm.Int32' for operator kind 'Equal'."},
		{"not applies to a boolean", "account", "$filter=not name eq 'x'", 400, CodeQuery, "A unary operator with an incompatible type was detected. Found operand type 'Edm.String' for operator kind 'Not'."},
		{"tolower is not implemented", "account", "$filter=tolower(name) eq 'x'", 501, CodeQuery, "The emulator does not implement the OData function 'tolower' in $filter."},
		{"in operator is not implemented", "account", "$filter=name in ('a','b')", 501, CodeQuery, "The emulator does not implement the $filter operator 'in'."},
		{"hierarchy functions need a hierarchy", "contact", "$filter=Microsoft.Dynamics.CRM.Under(PropertyName='contactid',PropertyValue='" + idNancy + "')", 400, CodeQuery, "The table 'contact' has no hierarchical relationship: the hierarchy operators cannot be used on it."},
		{"team functions are not implemented", "account", "$filter=Microsoft.Dynamics.CRM.EqualUserTeams(PropertyName='ownerid')", 501, CodeQuery, "The emulator does not implement the query function Microsoft.Dynamics.CRM.EqualUserTeams."},
		{"unknown query function", "account", "$filter=Microsoft.Dynamics.CRM.Foo(PropertyName='name')", 400, CodeQuery, "An unknown function with name 'Microsoft.Dynamics.CRM.Foo' was found. This may also be a function import or a key lookup on a navigation property, which is not allowed."},
		{"date function on a string column", "account", "$filter=Microsoft.Dynamics.CRM.Today(PropertyName='name')", 400, CodeQuery, "The operator 'today' is only valid on date and time columns; 'name' of table 'account' is String."},
		{"Between needs two values", "account", "$filter=Microsoft.Dynamics.CRM.Between(PropertyName='numberofemployees',PropertyValues=[\"5\"])", 400, CodeQuery, "The function 'Microsoft.Dynamics.CRM.Between' requires exactly two PropertyValues."},
		{"lambda on a single-valued property", "account", "$filter=primarycontactid/any(c:c/fullname eq 'x')", 400, CodeQuery, "The 'any' and 'all' operators can only be applied to a collection-valued navigation property; 'primarycontactid' is single-valued."},
		{"filter-rows.md: lambda through a lookup is not supported", "account", "$filter=primarycontactid/contact_customer_accounts/any(a:a/fullname eq 'x')", 501, CodeQuery, "The emulator does not implement lambda operators on a collection reached through a lookup ('primarycontactid/contact_customer_accounts'), which Dataverse does not support either."},
		{"property of a collection", "account", "$filter=Account_Tasks/subject eq 'x'", 400, CodeQuery, "The parent value for a property access of a property 'subject' is not a single value. Property access can only be applied to a single value."},
		{"bad $top", "account", "$top=-1", 400, CodeQuery, "Invalid value '-1' for $top query option found. The $top query option requires a non-negative integer value."},
		{"aggregate-data.md: $orderby an aggregate", "account", "$apply=groupby((statuscode),aggregate($count as count))&$orderby=count", 400, CodeQuery, "The query node SingleValueOpenPropertyAccess is not supported."},
		{"unknown option", "account", "$foo=1", 400, CodeQuery, "The query parameter $foo is not supported"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e, _ := newEnv()
			if tc.status == 0 {
				// The brief's example: an unknown table is a 404 segment error,
				// an unknown column on a known table names the table.
				_, _, err := runQuery(t, e, "account", "$filter=leadqualitycode eq 1")
				var qe *Error
				if !errors.As(err, &qe) || qe.Code != "0x80060888" || qe.Message != "Could not find a property named 'leadqualitycode' on type 'Microsoft.Dynamics.CRM.account'." {
					t.Fatalf("err = %#v", err)
				}
				return
			}
			_, _, err := runQuery(t, e, tc.table, tc.query)
			var qe *Error
			if !errors.As(err, &qe) {
				t.Fatalf("%s: err = %v, want *Error", tc.query, err)
			}
			got := Error{Status: qe.Status, Code: qe.Code, Message: qe.Message}
			if diff := cmp.Diff(Error{Status: tc.status, Code: tc.code, Message: tc.message}, got); diff != "" {
				t.Errorf("%s (-want +got):\n%s", tc.query, diff)
			}
			if errors.Is(err, ErrNotImplemented) != (tc.status == 501) {
				t.Errorf("errors.Is(ErrNotImplemented) = %v for status %d", errors.Is(err, ErrNotImplemented), tc.status)
			}
		})
	}
}

func TestQueryFunctions(t *testing.T) {
	// Clock: Wednesday 2024-05-15 10:30 UTC. Contacts created: Yvonne
	// 05-15 10:00, Susanna 05-14 08:00, Nancy 05-01, Maria 04-30 23:00,
	// Rene 2023-12-31, Jim 05-16 09:00 (tomorrow).
	for _, tc := range []struct {
		filter string
		want   []string
	}{
		{"Microsoft.Dynamics.CRM.Today(PropertyName='createdon')", []string{"Yvonne"}},
		{"Microsoft.Dynamics.CRM.Yesterday(PropertyName='createdon')", []string{"Susanna"}},
		{"Microsoft.Dynamics.CRM.Tomorrow(PropertyName='createdon')", []string{"Jim"}},
		{"Microsoft.Dynamics.CRM.LastXDays(PropertyName='createdon',PropertyValue=1)", []string{"Yvonne", "Susanna"}},
		{"Microsoft.Dynamics.CRM.LastXDays(PropertyName='createdon',PropertyValue='15')", []string{"Yvonne", "Susanna", "Nancy", "Maria"}},
		{"Microsoft.Dynamics.CRM.LastXDays(PropertyName='createdon',PropertyValue=14)", []string{"Yvonne", "Susanna", "Nancy"}},
		{"Microsoft.Dynamics.CRM.NextXDays(PropertyName='createdon',PropertyValue=1)", []string{"Jim"}},
		{"Microsoft.Dynamics.CRM.LastXHours(PropertyName='createdon',PropertyValue='1')", []string{"Yvonne"}},
		{"Microsoft.Dynamics.CRM.OlderThanXDays(PropertyName='createdon',PropertyValue=30)", []string{"Rene", "Robert"}},
		{"Microsoft.Dynamics.CRM.ThisMonth(PropertyName='createdon')", []string{"Yvonne", "Susanna", "Nancy", "Jim"}},
		{"Microsoft.Dynamics.CRM.LastMonth(PropertyName='createdon')", []string{"Maria"}},
		{"Microsoft.Dynamics.CRM.LastYear(PropertyName='createdon')", []string{"Rene"}},
		{"Microsoft.Dynamics.CRM.ThisWeek(PropertyName='createdon')", []string{"Yvonne", "Susanna", "Jim"}},
		{"Microsoft.Dynamics.CRM.On(PropertyName='createdon',PropertyValue='2024-05-14')", []string{"Susanna"}},
		{"Microsoft.Dynamics.CRM.OnOrBefore(PropertyName='createdon',PropertyValue='2024-04-30')", []string{"Maria", "Rene", "Robert"}},
		{"Microsoft.Dynamics.CRM.OnOrAfter(PropertyName='createdon',PropertyValue='2024-05-15')", []string{"Yvonne", "Jim"}},
		{"Microsoft.Dynamics.CRM.In(PropertyName='firstname',PropertyValues=[\"Jim\",\"Rene\"])", []string{"Rene", "Jim"}},
		{"Microsoft.Dynamics.CRM.NotIn(PropertyName='firstname',PropertyValues=[\"Jim\",\"Rene\",\"Maria\"]) and firstname ne null", []string{"Yvonne", "Susanna", "Nancy", "Robert"}},
		{"Microsoft.Dynamics.CRM.Between(PropertyName='annualincome',PropertyValues=[\"50000\",\"60000\"])", []string{"Susanna", "Nancy"}},
		{"Microsoft.Dynamics.CRM.NotBetween(PropertyName='annualincome',PropertyValues=[40000,80000])", []string{"Maria", "Rene"}},
		{"Microsoft.Dynamics.CRM.EqualUserId(PropertyName='createdby') and firstname ne null and createdon lt 2024-05-01", []string{"Maria", "Rene", "Robert"}},
		{"Microsoft.Dynamics.CRM.NotEqualUserId(PropertyName='createdby')", []string{""}},
		{"createdon ge 2024-05-14T00:00:00Z and createdon lt 2024-05-16", []string{"Yvonne", "Susanna"}},
		{"annualincome gt 50000.5 and annualincome le 55500", []string{"Susanna", "Nancy"}},
	} {
		t.Run(tc.filter, func(t *testing.T) {
			e, _ := newEnv()
			_, out, err := runQuery(t, e, "contact", "$select=firstname&$filter="+tc.filter)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, names(out, "firstname")); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestHierarchy(t *testing.T) {
	// query-hierarchical-data: the two sample child accounts are under
	// Adventure Works; a grandchild is under both.
	e, d := newEnv()
	d.add("account", Row{"accountid": "9c000000-0000-0000-0000-000000000001", "name": "Grandchild", "_parentaccountid_value": idChild1})
	for _, tc := range []struct {
		filter string
		want   []string
	}{
		{"Microsoft.Dynamics.CRM.Under(PropertyName='accountid',PropertyValue='" + idAdvWorks + "')", []string{"Sample Child Account 1", "Sample Child Account 2", "Grandchild"}},
		{"Microsoft.Dynamics.CRM.UnderOrEqual(PropertyName='accountid',PropertyValue='" + idChild1 + "')", []string{"Sample Child Account 1", "Grandchild"}},
		{"Microsoft.Dynamics.CRM.Above(PropertyName='accountid',PropertyValue='9c000000-0000-0000-0000-000000000001')", []string{"Adventure Works (sample)", "Sample Child Account 1"}},
		{"Microsoft.Dynamics.CRM.AboveOrEqual(PropertyName='accountid',PropertyValue='" + idChild2 + "')", []string{"Adventure Works (sample)", "Sample Child Account 2"}},
		{"Microsoft.Dynamics.CRM.NotUnder(PropertyName='accountid',PropertyValue='" + idAdvWorks + "') and numberofemployees gt 6000", []string{"A. Datum Corporation (sample)"}},
	} {
		_, out, err := runQuery(t, e, "account", "$select=name&$filter="+tc.filter)
		if err != nil {
			t.Fatalf("%s: %v", tc.filter, err)
		}
		if diff := cmp.Diff(tc.want, names(out, "name")); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tc.filter, diff)
		}
	}
	res, err := runFetch(t, e, `<fetch><entity name='account'><attribute name='name'/><filter><condition attribute='accountid' operator='eq-or-under' value='{`+strings.ToUpper(idChild1)+`}'/></filter></entity></fetch>`)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"Sample Child Account 1", "Grandchild"}, names(res.Rows, "name")); diff != "" {
		t.Errorf("fetch eq-or-under (-want +got):\n%s", diff)
	}
}

func TestOrderNulls(t *testing.T) {
	// Nulls sort first ascending and last descending (SQL Server).
	e, _ := newEnv()
	_, out, err := runQuery(t, e, "contact", "$select=firstname&$filter=firstname ne null&$orderby=annualincome desc")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"Rene", "Robert", "Nancy", "Susanna", "Yvonne", "Maria", "Jim"}, names(out, "firstname")); diff != "" {
		t.Errorf("desc (-want +got):\n%s", diff)
	}
	_, out, _ = runQuery(t, e, "contact", "$select=firstname&$filter=firstname ne null&$orderby=annualincome")
	if got := names(out, "firstname"); got[0] != "Jim" {
		t.Errorf("asc: nulls not first: %v", got)
	}
	// order-rows.md: a lookup sorts by the primary name of its target.
	_, out, _ = runQuery(t, e, "account", "$select=name&$filter=_primarycontactid_value ne null&$orderby=_primarycontactid_value,name")
	if diff := cmp.Diff([]string{"Adventure Works (sample)", "Contoso Pharmaceuticals (sample)", "Litware, Inc. (sample)", "Fabrikam, Inc. (sample)"}, names(out, "name")); diff != "" {
		t.Errorf("lookup order (-want +got):\n%s", diff)
	}
}

func TestApply(t *testing.T) {
	for _, tc := range []struct {
		ref, query string
		want       []map[string]any
	}{
		{"aggregate-data.md: Count by status values", "$apply=groupby((statuscode),aggregate($count as count))",
			[]map[string]any{{"statuscode": 1, "count": 11}, {"statuscode": 2, "count": 1}}},
		{"aggregate-data.md: Aggregate sum of revenue", "$apply=aggregate(revenue with sum as total)",
			[]map[string]any{{"total": int64(450000)}}},
		{"aggregate-data.md: Average revenue based on status", "$apply=groupby((statuscode),aggregate(revenue with average as averagevalue))",
			[]map[string]any{{"statuscode": 1, "averagevalue": 110000.0}, {"statuscode": 2, "averagevalue": 10000.0}}},
		{"aggregate-data.md: Total account revenue by primary contact name", "$apply=groupby((primarycontactid/fullname),aggregate(revenue with sum as total))",
			[]map[string]any{{"total": int64(10000)}, {"contact_fullname": "Nancy Anderson (sample)", "total": int64(300000)},
				{"contact_fullname": "Susanna Stubberod (sample)", "total": int64(110000)}, {"contact_fullname": "Yvonne McKay (sample)", "total": int64(30000)}}},
		{"aggregate-data.md: Primary contact names for accounts in 'WA'", "$apply=filter(address1_stateorprovince eq 'WA')/groupby((primarycontactid/fullname))",
			[]map[string]any{{"contact_fullname": "Nancy Anderson (sample)"}, {"contact_fullname": "Susanna Stubberod (sample)"}}},
		{"aggregate-data.md: Last created record date and time", "$apply=aggregate(createdon with max as lastCreate)",
			[]map[string]any{{"lastCreate": "2023-08-25T12:00:00Z"}}},
		{"aggregate-data.md: First created record date and time", "$apply=aggregate(createdon with min as firstCreate)&$filter=createdon ne null",
			[]map[string]any{{"firstCreate": "2023-03-25T17:42:46Z"}}},
		{"aggregate-data.md: Distinct column values (null values left out)", "$apply=groupby((statecode,statuscode,accountcategorycode))",
			[]map[string]any{{"statecode": 0, "statuscode": 1}, {"statecode": 1, "statuscode": 2, "accountcategorycode": 1}}},
		{"countdistinct", "$apply=aggregate(address1_city with countdistinct as cities)",
			[]map[string]any{{"cities": 7}}},
	} {
		t.Run(tc.ref, func(t *testing.T) {
			e, _ := newEnv()
			_, out, err := runQuery(t, e, "account", tc.query)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, out); diff != "" {
				t.Errorf("%s (-want +got):\n%s", tc.query, diff)
			}
		})
	}
}

func TestFilterAST(t *testing.T) {
	x, err := ParseFilter("Account_Emails/any(o:contains(o/subject,'sometext') and o/statecode eq 0)", nil)
	if err != nil {
		t.Fatal(err)
	}
	want := Lambda{Source: Property{Path: []string{"Account_Emails"}}, Op: "any", Var: "o", Body: Binary{Op: "and",
		Left:  Call{Name: "contains", Args: []Expr{Property{Var: "o", Path: []string{"subject"}}, Literal{Value: "sometext", Type: "Edm.String"}}},
		Right: Binary{Op: "eq", Left: Property{Var: "o", Path: []string{"statecode"}}, Right: Literal{Value: int64(0), Type: "Edm.Int32"}}}}
	if diff := cmp.Diff(Expr(want), x); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	// Finance and Operations enum literals parse too (eq and ne only).
	x, err = ParseFilter("ProspectStatus eq Microsoft.Dynamics.DataEntities.RetailB2BProspectStatus'Pending'", nil)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(Expr(Binary{Op: "eq", Left: Property{Path: []string{"ProspectStatus"}}, Right: EnumLiteral{Type: "Microsoft.Dynamics.DataEntities.RetailB2BProspectStatus", Value: "Pending"}}), x); diff != "" {
		t.Errorf("enum (-want +got):\n%s", diff)
	}
	// Without a schema names are not checked: the Commerce dialect.
	e := &Env{}
	if err := e.CheckFilter("Prospects", x); err != nil {
		t.Fatal(err)
	}
	ok, err := e.Matches("Prospects", x, Row{"ProspectStatus": "Pending"})
	if err != nil || !ok {
		t.Errorf("Matches = %v, %v", ok, err)
	}
}

func TestParseRawQueryKeepsSemicolons(t *testing.T) {
	v, err := ParseRawQuery("$select=name&$expand=Account_Tasks($select=subject;$top=2)&$filter=contains(name,'%2B123')")
	if err != nil {
		t.Fatal(err)
	}
	if got := v.Get("$expand"); got != "Account_Tasks($select=subject;$top=2)" {
		t.Errorf("$expand = %q", got)
	}
	if got := v.Get("$filter"); got != "contains(name,'+123')" {
		t.Errorf("$filter = %q", got)
	}
	keys := make([]string, 0, len(v))
	for k := range v {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	if diff := cmp.Diff([]string{"$expand", "$filter", "$select"}, keys); diff != "" {
		t.Error(diff)
	}
}

func TestApplyOrderAndTop(t *testing.T) {
	e, _ := newEnv()
	_, out, err := runQuery(t, e, "account", "$apply=groupby((address1_city),aggregate($count as n))&$orderby=address1_city desc&$top=2")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]map[string]any{{"address1_city": "Santa Cruz", "n": 1}, {"address1_city": "Redmond", "n": 3}}, out); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	_, out, err = runQuery(t, e, "account", "$apply=groupby((primarycontactid/fullname),aggregate($count as n))&$orderby=primarycontactid/fullname desc&$filter=_primarycontactid_value ne null")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"Yvonne McKay (sample)", "Susanna Stubberod (sample)", "Nancy Anderson (sample)"}, names(out, "contact_fullname")); diff != "" {
		t.Errorf("nav order (-want +got):\n%s", diff)
	}
	for _, bad := range []string{"$apply=groupby((name),aggregate(name with sum as s))", "$apply=topcount(2,revenue)", "$apply=groupby(name)", "$apply=filter(name eq 'x')", "$apply=aggregate(revenue with median as m)"} {
		if _, _, err := runQuery(t, e, "account", bad); err == nil {
			t.Errorf("%s: no error", bad)
		}
	}
}

func TestNestedExpandPaging(t *testing.T) {
	// join-tables.md: with a nested $expand and odata.maxpagesize=1, each
	// expanded collection is paged and its nextLink carries a skiptoken with
	// countOfRecords and lower-case keys.
	e, _ := newEnv()
	e.MaxPageSize = 1
	_, _, err := runQuery(t, e, "account", "$select=name,accountid&$filter=accountid eq "+idAdvWorks+"&$expand=Account_Tasks($select=subject),contact_customer_accounts($select=fullname;$expand=owninguser($select=fullname))")
	if err == nil {
		t.Fatal("owninguser is not in the fixture: want an unknown property error")
	}
	_, out, err := runQuery(t, e, "account", "$select=name,accountid&$filter=accountid eq "+idAdvWorks+"&$expand=Account_Tasks($select=subject),contact_customer_accounts($select=fullname;$expand=createdby($select=fullname))")
	if err != nil {
		t.Fatal(err)
	}
	tasks := out[0]["Account_Tasks"].([]any)
	if len(tasks) != 1 {
		t.Fatalf("Account_Tasks has %d rows, want 1 (paged)", len(tasks))
	}
	want := "[Organization URI]/api/data/v9.2/accounts(" + idAdvWorks + ")/Account_Tasks?$select=subject&$skiptoken=%3Ccookie%20pagenumber=%222%22%20pagingcookie=%22%253ccookie%2520page%253d%25221%2522%2520countOfRecords%253d%25221%2522%253e%253cactivityid%2520last%253d%2522%257bf68393c1-34cb-ed11-b597-000d3a993550%257d%2522%2520first%253d%2522%257bf68393c1-34cb-ed11-b597-000d3a993550%257d%2522%2520%252f%253e%253c%252fcookie%253e%22%20istracking=%22False%22%20/%3E"
	if got := out[0]["Account_Tasks@odata.nextLink"]; got != want {
		t.Errorf("nextLink =\n%v\nwant\n%v", got, want)
	}
	// Without a nested $expand the page size does not apply to expansions.
	_, out, err = runQuery(t, e, "account", "$select=name&$filter=accountid eq "+idAdvWorks+"&$expand=Account_Tasks($select=subject)")
	if err != nil {
		t.Fatal(err)
	}
	if n := len(out[0]["Account_Tasks"].([]any)); n != 2 {
		t.Errorf("single $expand: %d tasks, want 2", n)
	}
}
