package finops

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/b2bflow/d365/dualwrite/dualwritetest/internal/multipart"
	"github.com/b2bflow/d365/dualwrite/dualwritetest/internal/schema"
	"github.com/b2bflow/d365/dualwrite/dualwritetest/internal/store"
	"github.com/b2bflow/d365/dualwrite/dualwritetest/internal/wire/wiretest"
	"github.com/google/go-cmp/cmp"
)

func newService(t *testing.T) (*Service, *httptest.Server) {
	t.Helper()
	s := &Service{Store: store.New(), Company: "usrt"}
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	s.URL = ts.URL
	return s, ts
}

func TestServiceAlone(t *testing.T) {
	s, ts := newService(t)
	post := func(body string) (int, http.Header, map[string]any) {
		res, m := wiretest.Do(t, "POST", ts.URL+"/data/Prospects", body, "Content-Type", "application/json")
		return res.StatusCode, res.Header, m
	}
	status, h, body := post(`{"ProspectName":"Ana Silva","IsB2BProspect":"Yes"}`)
	if status != 201 || h.Get("Location") != ts.URL+"/data/Prospects(dataAreaId='usrt',ProspectId='P-000001')" {
		t.Fatalf("create: %d, Location %q", status, h.Get("Location"))
	}
	for f, want := range map[string]any{"dataAreaId": "usrt", "ProspectId": "P-000001", "ProspectName": "Ana Silva",
		"B2BProspectStatus": "Pending", "ProspectPartyNumber": "000001001", "AddressValidFrom": "1900-01-01T00:00:00Z", "CreditLimit": float64(0)} {
		if body[f] != want {
			t.Errorf("%s = %v, want %v", f, body[f], want)
		}
	}
	// No name is made up from fields Prospects does not have.
	_, _, body = post(`{"CompanyName":"Fabrikam"}`)
	if _, ok := body["ProspectName"]; ok {
		t.Errorf("ProspectName defaulted: %v", body)
	}
	status, _, body = post(`{"IsB2BProspect":"Maybe"}`)
	msg := "The value 'Maybe' is not a member of the enum type 'Microsoft.Dynamics.DataEntities.NoYes' (members: No, Yes); property 'IsB2BProspect' of 'Microsoft.Dynamics.DataEntities.Prospect'."
	want := map[string]any{"error": map[string]any{"code": "", "message": msg, "innererror": map[string]any{
		"message": msg, "type": "Microsoft.OData.ODataException", "stacktrace": "",
	}}}
	if status != 400 {
		t.Errorf("bad enum: %d, want 400", status)
	}
	if diff := cmp.Diff(want, body); diff != "" {
		t.Errorf("bad enum (-want +got):\n%s", diff)
	}
	// An enum given by its integer is stored by name.
	_, _, body = post(`{"ProspectId":"P-N","IsB2BProspect":1}`)
	if body["IsB2BProspect"] != "Yes" {
		t.Errorf("IsB2BProspect = %v", body["IsB2BProspect"])
	}
	if n := s.Store.FinOps("Prospects").Len(); n != 3 {
		t.Errorf("%d prospects, want 3", n)
	}
}

// answer is the part of an F&O error body the refusal tests compare.
type answer struct {
	Status  int
	Message string // error.message
	Inner   string // error.innererror.message
	Type    string // error.innererror.type
}

func send(t *testing.T, ts *httptest.Server, method, path, body string, headers ...string) answer {
	t.Helper()
	res, m := wiretest.Do(t, method, ts.URL+"/data/"+path, body, headers...)
	e, _ := m["error"].(map[string]any)
	inner, _ := e["innererror"].(map[string]any)
	msg, _ := e["message"].(string)
	im, _ := inner["message"].(string)
	typ, _ := inner["type"].(string)
	return answer{res.StatusCode, msg, im, typ}
}

const (
	odataEx = "Microsoft.OData.ODataException"
	writeEx = "Microsoft.Dynamics.Platform.Integration.Services.OData.AxODataWriteException"
	axEx    = "Microsoft.Dynamics.Platform.Integration.Services.OData.AxODataException"
	notURI  = "The query specified in the URI is not valid. "
)

func same(status int, msg, typ string) answer { return answer{status, msg, msg, typ} }

func TestRefusals(t *testing.T) {
	_, ts := newService(t)
	if a := send(t, ts, "POST", "Prospects", `{"ProspectId":"P-1"}`); a.Status != 201 {
		t.Fatalf("create: %+v", a)
	}
	keyMsg := "The number of keys specified in the URI does not match number of key properties for the resource 'Microsoft.Dynamics.DataEntities.Prospect'. Missing: dataAreaId."
	for _, c := range []struct {
		method, path, body string
		headers            []string
		want               answer
	}{
		// Write failures: 500, "An error has occurred.", the cause inside.
		{"POST", "Prospects", `{"ProspectId":"P-1"}`, nil, answer{500, "An error has occurred.",
			"Write failed for table row of type 'ProspectEntity'. Infolog: Info: Cannot create a record in Prospects. dataAreaId: usrt, ProspectId: P-1.\nThe record already exists..", writeEx}},
		{"POST", "DualWriteProjectConfigurations", `{"InternalEntityName":"Prospects"}`, nil, answer{500, "An error has occurred.",
			"Write failed for table row of type 'DualWriteProjectConfigurationEntity'. Infolog: Error: Field 'ProjectName' must be filled in.", writeEx}},
		// Keys name every key field, dataAreaId included.
		{"GET", "Prospects(ProspectId='P-1')", "", nil, same(400, keyMsg, odataEx)},
		{"PATCH", "Prospects(ProspectId='P-1')", `{}`, []string{"If-Match", `W/"x"`}, same(400, keyMsg, odataEx)},
		{"GET", "Prospects('P-1')", "", nil, same(400, "The number of keys specified in the URI does not match number of key properties for the resource 'Microsoft.Dynamics.DataEntities.Prospect'. Missing: dataAreaId, ProspectId.", odataEx)},
		{"GET", "CustomerHierarchyNodes(CustomerHierarchyId='CH-1')", "", nil, same(400, "The number of keys specified in the URI does not match number of key properties for the resource 'Microsoft.Dynamics.DataEntities.CustomerHierarchyNode'. Missing: NodePartyNumber.", odataEx)},
		{"GET", "Prospects(dataAreaId='usrt',ProspectId='P-2')", "", nil, same(404, "No Prospects record with key (dataAreaId='usrt',ProspectId='P-2') was found.", axEx)},
		{"PATCH", "Prospects(dataAreaId='usrt',ProspectId='P-1')", `{}`, []string{"If-Match", `W/"x"`}, same(412, "The record has been changed by another user since it was read (the ETag does not match).", axEx)},
		{"GET", "prospects", "", nil, same(404, "Resource not found for the segment 'prospects'.", odataEx)},
		// Unknown fields and wrong types.
		{"POST", "Prospects", `{"PersonFirstName":"Ana"}`, nil, same(400, "The property 'PersonFirstName' does not exist on type 'Microsoft.Dynamics.DataEntities.Prospect'. Make sure to only use property names that are defined by the type.", odataEx)},
		{"PATCH", "Prospects(dataAreaId='usrt',ProspectId='P-1')", `{"CreditLimit":"lots"}`, nil, same(400, "Cannot convert a primitive value to the expected type 'Edm.Decimal'. See the inner exception for more details. (property 'CreditLimit' of 'Microsoft.Dynamics.DataEntities.Prospect')", odataEx)},
		{"PATCH", "Prospects(dataAreaId='usrt',ProspectId='P-1')", `{"ProspectId":"P-9"}`, nil, same(400, "The key field 'ProspectId' of Prospects cannot be changed by an update.", odataEx)},
		{"GET", "Prospects?$select=ProspectId,PrimaryUrl", "", nil, same(400, notURI+"Could not find a property named 'PrimaryUrl' on type 'Microsoft.Dynamics.DataEntities.Prospect'.", odataEx)},
		{"GET", "Prospects?$filter=" + url.QueryEscape("AddressState eq 'WA'"), "", nil, same(400, notURI+"Could not find a property named 'AddressState' on type 'Microsoft.Dynamics.DataEntities.Prospect'.", odataEx)},
		{"GET", "Prospects?$orderby=Nope", "", nil, same(400, notURI+"Could not find a property named 'Nope' on type 'Microsoft.Dynamics.DataEntities.Prospect'.", odataEx)},
		// Enums: typed literals only, eq and ne only.
		{"GET", "Prospects?$filter=" + url.QueryEscape("B2BProspectStatus eq 'Pending'"), "", nil, same(400, notURI+"A binary operator with incompatible types was detected. Found operand types 'Microsoft.Dynamics.DataEntities.RetailB2BProspectStatus' and 'Edm.String' for operator kind 'Equal'.", odataEx)},
		{"GET", "Prospects?$filter=" + url.QueryEscape("IsB2BProspect ne 1"), "", nil, same(400, notURI+"A binary operator with incompatible types was detected. Found operand types 'Microsoft.Dynamics.DataEntities.NoYes' and 'Edm.Int32' for operator kind 'NotEqual'.", odataEx)},
		{"GET", "Prospects?$filter=" + url.QueryEscape("B2BProspectStatus eq Microsoft.Dynamics.DataEntities.NoYes'Yes'"), "", nil, same(400, notURI+"A binary operator with incompatible types was detected. Found operand types 'Microsoft.Dynamics.DataEntities.RetailB2BProspectStatus' and 'Microsoft.Dynamics.DataEntities.NoYes' for operator kind 'Equal'.", odataEx)},
		{"GET", "Prospects?$filter=" + url.QueryEscape("B2BProspectStatus eq Microsoft.Dynamics.DataEntities.RetailB2BProspectStatus'Maybe'"), "", nil, same(400, notURI+"The string 'Maybe' is not a valid enumeration type constant.", odataEx)},
		{"GET", "Prospects?$filter=" + url.QueryEscape("B2BProspectStatus gt Microsoft.Dynamics.DataEntities.RetailB2BProspectStatus'Pending'"), "", nil, same(400, notURI+"The operator 'gt' is not supported for the enum field 'B2BProspectStatus': Finance and Operations supports only eq and ne on enums.", odataEx)},
		{"GET", "Prospects?$filter=" + url.QueryEscape("B2BProspectStatus has Microsoft.Dynamics.DataEntities.RetailB2BProspectStatus'Pending'"), "", nil, same(400, notURI+"The operator 'has' is not supported: Finance and Operations supports neither 'has' nor 'in'.", odataEx)},
		{"GET", "Prospects?$filter=" + url.QueryEscape("contains(ProspectName,'Ana')"), "", nil, same(400, notURI+"The function 'contains' is not supported by Finance and Operations: write a wildcard in an eq string literal instead, such as Name eq '*text*'.", odataEx)},
		{"GET", "Prospects?$top=-1", "", nil, same(400, notURI+"Invalid value '-1' for $top query option found. The $top query option requires a non-negative integer value.", odataEx)},
		// Never a silent 200: what is not implemented is 501, named.
		{"GET", "Prospects?$expand=Party", "", nil, same(501, "The emulator does not implement the query option $expand.", axEx)},
		{"GET", "Prospects?userQuery=1", "", nil, same(501, "The emulator does not implement the query parameter 'userQuery'.", axEx)},
		{"GET", "Prospects", "", []string{"Prefer", "odata.track-changes"}, same(501, "The emulator does not implement the preference 'odata.track-changes' (Prefer header).", axEx)},
		{"GET", "Prospects(dataAreaId='usrt',ProspectId='P-1')", "", []string{"If-None-Match", "*"}, same(501, "The emulator does not implement the If-None-Match header.", axEx)},
		{"GET", "Prospects?$filter=" + url.QueryEscape("CreditLimit add 1 gt 2"), "", nil, same(501, "The emulator does not implement the $filter operator 'add' (Finance and Operations $filter).", axEx)},
		{"GET", "Prospects(dataAreaId='usrt',ProspectId='P-1')/ProspectName", "", nil, same(501, "The emulator does not implement the path segment 'ProspectName' (properties, navigation, actions).", axEx)},
		{"PUT", "Prospects(dataAreaId='usrt',ProspectId='P-1')", `{}`, nil, same(501, "The emulator does not implement PUT (replace a record); use PATCH.", axEx)},
		{"POST", "Prospects", `{"Party@odata.bind":"CDSParties('1')"}`, nil, same(501, "The emulator does not implement binding navigation properties ('Party@odata.bind').", axEx)},
	} {
		if diff := cmp.Diff(c.want, send(t, ts, c.method, c.path, c.body, c.headers...)); diff != "" {
			t.Errorf("%s %s (-want +got):\n%s", c.method, c.path, diff)
		}
	}
}

type failSync struct{ err error }

func (f failSync) AfterCommerceWrite(*store.Tx, *store.Table, store.Record, store.Record) error {
	return f.err
}

func TestSyncFailureIsAWriteFailure(t *testing.T) {
	s, ts := newService(t)
	s.Sync = failSync{errors.New("Dual-write: unable to write data to leads.")}
	res, body := wiretest.Do(t, "POST", ts.URL+"/data/CustomersV3", `{"PartyType":"Organization"}`)
	e := body["error"].(map[string]any)
	inner := e["innererror"].(map[string]any)
	got := answer{res.StatusCode, e["message"].(string), inner["message"].(string), inner["type"].(string)}
	want := answer{500, "An error has occurred.", "Write failed for table row of type 'CustCustomerV3Entity'. Infolog: Error: Dual-write: unable to write data to leads.", writeEx}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if st, _ := inner["stacktrace"].(string); !strings.HasPrefix(st, "   at Microsoft.Dynamics.Platform.Integration.Services.OData.Update.UpdateProcessor.CreateEntity_Save(") {
		t.Errorf("stacktrace %q", st)
	}
	if n := s.Store.FinOps("CustomersV3").Len(); n != 0 {
		t.Errorf("%d customers left after the failed write", n)
	}
}

// ids returns the ProspectId of each row of a listing.
func ids(t *testing.T, ts *httptest.Server, path string, headers ...string) ([]string, map[string]any) {
	t.Helper()
	res, m := wiretest.Do(t, "GET", ts.URL+"/data/"+path, "", headers...)
	if res.StatusCode != 200 {
		t.Fatalf("GET %s: %d %v", path, res.StatusCode, m)
	}
	var out []string
	for _, v := range m["value"].([]any) {
		out = append(out, v.(map[string]any)["ProspectId"].(string))
	}
	return out, m
}

func TestQueryDialect(t *testing.T) {
	_, ts := newService(t)
	for _, b := range []string{
		`{"ProspectId":"P-1","ProspectName":"Contoso Bikes","IsB2BProspect":"Yes","CreditLimit":100}`,
		`{"ProspectId":"P-2","ProspectName":"Fabrikam","IsB2BProspect":"Yes","B2BProspectStatus":"Approved","CreditLimit":50}`,
		`{"ProspectId":"P-3","ProspectName":"contoso retail","IsB2BProspect":"No","CreditLimit":75.5}`,
		`{"dataAreaId":"demf","ProspectId":"P-4","ProspectName":"Contoso Europe","IsB2BProspect":"Yes"}`,
	} {
		if a := send(t, ts, "POST", "Prospects", b); a.Status != 201 {
			t.Fatalf("create %s: %+v", b, a)
		}
	}
	f := func(filter string) string { return "Prospects?$filter=" + url.QueryEscape(filter) }
	for _, c := range []struct {
		path string
		want []string
	}{
		{"Prospects", []string{"P-1", "P-2", "P-3"}}, // the default company only
		{"Prospects?cross-company=true", []string{"P-1", "P-2", "P-3", "P-4"}},
		{f("dataAreaId eq 'demf'") + "&cross-company=true", []string{"P-4"}},
		{f("ProspectName eq 'contoso*'"), []string{"P-1", "P-3"}},
		{f("ProspectName eq '*RETAIL*'"), []string{"P-3"}},
		{f("ProspectName eq '*o*o*s'"), []string{"P-1"}},
		{f("ProspectName ne 'contoso*'"), []string{"P-2"}},
		{f("ProspectName eq 'fabrikam'"), []string{"P-2"}},
		{f("IsB2BProspect eq Microsoft.Dynamics.DataEntities.NoYes'Yes' and B2BProspectStatus eq Microsoft.Dynamics.DataEntities.RetailB2BProspectStatus'Pending'"), []string{"P-1"}},
		{f("B2BProspectStatus ne Microsoft.Dynamics.DataEntities.RetailB2BProspectStatus'Approved'"), []string{"P-1", "P-3"}},
		{f("B2BProspectStatus eq null"), []string{"P-3"}},
		{f("CreditLimit gt 60 or not (IsB2BProspect eq Microsoft.Dynamics.DataEntities.NoYes'Yes')"), []string{"P-1", "P-3"}},
		{f("60 lt CreditLimit"), []string{"P-1", "P-3"}},
		{"Prospects?$orderby=CreditLimit%20desc", []string{"P-1", "P-3", "P-2"}},
		{"Prospects?$orderby=ProspectName&$skip=1&$top=1", []string{"P-3"}},
	} {
		got, _ := ids(t, ts, c.path)
		if diff := cmp.Diff(c.want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", c.path, diff)
		}
	}
	// $select, $count and paging with $skip next links.
	_, m := ids(t, ts, "Prospects?$select=ProspectId&$count=true&$top=3", "Prefer", "odata.maxpagesize=2")
	if m["@odata.count"] != float64(3) || m["@odata.context"] != ts.URL+"/data/$metadata#Prospects(ProspectId)" {
		t.Errorf("count/context: %v", m)
	}
	if keys := len(m["value"].([]any)[0].(map[string]any)); keys != 2 { // @odata.etag, ProspectId
		t.Errorf("$select gave %d properties", keys)
	}
	next, _ := m["@odata.nextLink"].(string)
	if want := ts.URL + "/data/Prospects?$count=true&$select=ProspectId&$skip=2&$top=1"; next != want {
		t.Fatalf("nextLink %q, want %q", next, want)
	}
	got, m := ids(t, ts, strings.TrimPrefix(next, ts.URL+"/data/"), "Prefer", "odata.maxpagesize=2")
	if diff := cmp.Diff([]string{"P-3"}, got); diff != "" || m["@odata.nextLink"] != nil {
		t.Errorf("page 2 (-want +got):\n%s%v", diff, m["@odata.nextLink"])
	}
	// <entity>/$count.
	res, err := http.Get(ts.URL + "/data/Prospects/$count?cross-company=true")
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || string(raw) != "4" {
		t.Errorf("$count: %d %q", res.StatusCode, raw)
	}
}

func TestMetadata(t *testing.T) {
	_, ts := newService(t)
	res, err := http.Get(ts.URL + "/data/$metadata")
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "application/xml" {
		t.Fatalf("$metadata: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	if diff := cmp.Diff(string(schema.MustLoad().FinOpsCSDL()), string(raw)); diff != "" {
		t.Errorf("$metadata (-want +got):\n%s", diff)
	}
}

// batchBody builds a $batch body: each element is a change set (a slice of
// "METHOD target body" requests) or, alone, a single GET.
func batchBody(parts ...[]string) string {
	var b strings.Builder
	for i, p := range parts {
		b.WriteString("--batch_b\r\n")
		if len(p) == 1 && strings.HasPrefix(p[0], "GET ") {
			b.WriteString("Content-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n\r\n" + p[0] + " HTTP/1.1\r\nAccept: application/json\r\n\r\n")
			continue
		}
		cs := "changeset_" + string(rune('a'+i))
		b.WriteString("Content-Type: multipart/mixed; boundary=" + cs + "\r\n\r\n")
		for j, r := range p {
			method, rest, _ := strings.Cut(r, " ")
			target, body, _ := strings.Cut(rest, " ")
			b.WriteString("--" + cs + "\r\nContent-Type: application/http\r\nContent-Transfer-Encoding: binary\r\nContent-ID: " + string(rune('1'+j)) + "\r\n\r\n")
			b.WriteString(method + " " + target + " HTTP/1.1\r\nContent-Type: application/json\r\n\r\n" + body + "\r\n")
		}
		b.WriteString("--" + cs + "--\r\n")
	}
	b.WriteString("--batch_b--\r\n")
	return b.String()
}

func postBatch(t *testing.T, ts *httptest.Server, body string) (int, []multipart.Part) {
	t.Helper()
	res, err := http.Post(ts.URL+"/data/$batch", "multipart/mixed; boundary=batch_b", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(res.Body)
	res.Body.Close()
	return res.StatusCode, parseAnswer(t, res.Header.Get("Content-Type"), raw)
}

// parseAnswer reads a $batch answer, keeping each part's status line in
// Request.Method and its body in Request.Body.
func parseAnswer(t *testing.T, ct string, raw []byte) []multipart.Part {
	t.Helper()
	// The answer parts are HTTP responses: make them parse as requests
	// by turning "HTTP/1.1 201 Created" into "PATCH /201".
	fixed := statusLine.ReplaceAllString(string(raw), "PATCH /$1")
	parts, _, err := multipart.Parse(ct, []byte(fixed))
	if err != nil {
		t.Fatalf("batch answer: %v\n%s", err, raw)
	}
	return parts
}

var statusLine = regexp.MustCompile(`HTTP/1\.1 ([0-9]{3})[^\r\n]*`)

func TestBatch(t *testing.T) {
	s, ts := newService(t)
	// A change set that succeeds, the second request referring to the first.
	status, parts := postBatch(t, ts, batchBody(
		[]string{`POST Prospects {"ProspectId":"P-1","ProspectName":"A"}`, `PATCH $1 {"ProspectName":"B"}`},
		[]string{"GET Prospects(dataAreaId='usrt',ProspectId='P-1')"},
	))
	if status != 200 || len(parts) != 2 || len(parts[0].ChangeSet) != 2 {
		t.Fatalf("batch: %d %+v", status, parts)
	}
	if got := []string{parts[0].ChangeSet[0].Target, parts[0].ChangeSet[1].Target, parts[1].Request.Target}; !cmp.Equal(got, []string{"/201", "/204", "/200"}) {
		t.Errorf("statuses %v", got)
	}
	if !strings.Contains(string(parts[1].Request.Body), `"ProspectName":"B"`) {
		t.Errorf("GET after the change set: %s", parts[1].Request.Body)
	}
	// A change set whose second request fails: nothing is written, the
	// batch is 200 and the change set holds the failure alone.
	status, parts = postBatch(t, ts, batchBody(
		[]string{`POST Prospects {"ProspectId":"P-2"}`, `POST Prospects {"ProspectId":"P-1"}`},
		[]string{"GET Prospects(dataAreaId='usrt',ProspectId='P-2')"},
	))
	if status != 200 || len(parts) != 1 || len(parts[0].ChangeSet) != 1 {
		t.Fatalf("failed batch: %d %+v", status, parts)
	}
	failed := parts[0].ChangeSet[0]
	if failed.Target != "/500" || failed.ContentID != "2" || !strings.Contains(string(failed.Body), `"message":"An error has occurred."`) ||
		!strings.Contains(string(failed.Body), writeEx) {
		t.Errorf("failed part: %s %s %s", failed.Target, failed.ContentID, failed.Body)
	}
	if n := s.Store.FinOps("Prospects").Len(); n != 1 {
		t.Errorf("%d prospects after the failed change set, want 1", n)
	}
	// Malformed: 400.
	if a := send(t, ts, "POST", "$batch", "--x--", "Content-Type", "text/plain"); a.Status != 400 {
		t.Errorf("malformed batch: %+v", a)
	}
}
