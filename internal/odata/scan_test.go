package odata

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/b2bflow/d365"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// A next link written with an escape is still the next link: the listing
// goes on to page 3 instead of ending silently after page 1.
func TestListFollowsAnEscapedNextLink(t *testing.T) {
	var calls atomic.Int32
	c, _, _, _ := testClient(t, func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		page := 1
		fmt.Sscanf(r.URL.Query().Get("$skiptoken"), "%d", &page)
		value := map[bool]string{false: "value", true: `v\u0061lue`}[page == 3]
		body := fmt.Sprintf(`{"@odata.context":"x","%s":[{"accountid":"%d"}]`, value, page)
		if page < 3 {
			// Each page spells the member differently.
			name := []string{"", `@odata.next\u004cink`, `\u0040odata.nextLink`}[page]
			body += fmt.Sprintf(`,"%s":"http://%s/api/data/v9.2/accounts?$skiptoken=%d"`, name, r.Host, page+1)
		}
		fmt.Fprint(w, body+"}")
	}, nil)
	var ids []string
	for r, err := range List[row](context.Background(), c, &Request{Path: "accounts"}, 0) {
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, r.ID)
	}
	if diff := cmp.Diff([]string{"1", "2", "3"}, ids); diff != "" {
		t.Errorf("records (-want +got):\n%s", diff)
	}
	if calls.Load() != 3 {
		t.Errorf("pages requested = %d, want 3", calls.Load())
	}
}

// pageCases are pages on which a lax scanner and encoding/json disagree.
var pageCases = []string{
	// Escaped member names.
	`{"value":[{"accountid":"a"}],"@odata.next\u004cink":"n"}`,
	`{"\u0076alue":[{"accountid":"a"}]}`,
	`{"value":[],"@odata.c\u006funt":5}`,
	`{"value":[],"@odata.nextLink":"a\u0026b"}`,
	// Repeated members: the last one counts, as in a map.
	`{"value":[{"accountid":"a"}],"value":[{"accountid":"b"}]}`,
	`{"value":[],"@odata.nextLink":"n","@odata.nextLink":null}`,
	`{"value":[],"@odata.nextLink":5,"@odata.nextLink":"n"}`,
	`{"value":[],"@odata.count":"x","@odata.count":2}`,
	// Text encoding/json rejects.
	`{"value":[]} trailing`,
	`{"value":[]}}`,
	`{"value":[],"x":tru}`,
	`{"value":[],"x":nul}`,
	`{"value":[],"x":01}`,
	`{"value":[],"x":1.}`,
	`{"value":[],"x":-}`,
	`{"value":[],"x":1e}`,
	`{"value":[],"x":"\x"}`,
	`{"value":[],"x":"\u12"}`,
	"{\"value\":[],\"x\":\"a\tb\"}",
	`{"value":[{"accountid":"a"} {"accountid":"b"}]}`,
	`{"value":[1,]}`,
	`{"value":[],"x":{"a":1,}}`,
	`{"value":[],"x":{"a" 1}}`,
	`{"value":[],"x":[1 2]}`,
	`{"value":[],"x":{1:2}}`,
	`{"value":[],}`,
	`{"value":[],"x":` + strings.Repeat("[", maxDepth) + strings.Repeat("]", maxDepth) + `}`,
	`{"value":[],"x":` + strings.Repeat("[", maxDepth-1) + strings.Repeat("]", maxDepth-1) + `}`,
	// Names in invalid UTF-8 are not the names they resemble.
	"{\"value\":[],\"@odata.nextLink\xff\":\"n\"}",
	// The count and the next link have types.
	`{"value":[],"@odata.count":1.5}`,
	`{"value":[],"@odata.nextLink":{}}`,
	`{"value":null}`,
	`{"Value":[]}`,
	`null`,
	` {"value":[ ]} `,
}

func TestScanPageReadsWhatEncodingJSONReads(t *testing.T) {
	for _, body := range pageCases {
		comparePage(t, []byte(body))
	}
}

// comparePage checks that the scanner reads body as the reference does.
func comparePage(t *testing.T, body []byte) {
	t.Helper()
	want, werr := refPage(body)
	for _, chunk := range []int{0, 1, 7} {
		got, gerr := streamedPage(body, chunk)
		if (werr == nil) != (gerr == nil) {
			t.Fatalf("page %.200q in pieces of %d: scanner error %v, encoding/json error %v", body, chunk, gerr, werr)
		}
		if werr != nil {
			continue
		}
		if diff := cmp.Diff(want, got, cmp.AllowUnexported(refPageResult{}), cmpopts.EquateEmpty()); diff != "" {
			t.Fatalf("page %.200q in pieces of %d (-encoding/json +scanner):\n%s", body, chunk, diff)
		}
	}
	if werr != nil {
		return
	}
	for i, raw := range want.records {
		compareLead(t, raw, fmt.Sprintf("record %d of page %.100q", i, body))
	}
}

// compareLead checks that DecodeRecord reads a record as the reference does.
func compareLead(t *testing.T, data []byte, what string) {
	t.Helper()
	want, werr := refLead(data)
	got, gerr := scannedLead(data)
	if (werr == nil) != (gerr == nil) {
		t.Fatalf("%s: DecodeRecord error %v, encoding/json error %v", what, gerr, werr)
	}
	if werr != nil {
		return
	}
	if diff := cmp.Diff(want, got, cmpopts.EquateEmpty()); diff != "" {
		t.Fatalf("%s %.200q (-encoding/json +DecodeRecord):\n%s", what, data, diff)
	}
	cwant, cwerr := refCustomLead(data)
	cgot, cgerr := scannedCustomLead(data)
	if (cwerr == nil) != (cgerr == nil) {
		t.Fatalf("%s, with custom columns: DecodeRecord error %v, encoding/json error %v", what, cgerr, cwerr)
	}
	if cwerr != nil {
		return
	}
	if diff := cmp.Diff(cwant, cgot, cmpopts.EquateEmpty()); diff != "" {
		t.Fatalf("%s %.200q, with custom columns (-encoding/json +DecodeRecord):\n%s", what, data, diff)
	}
}

var recordCases = []string{
	// An annotation whose '@' is escaped: the record holds no '@' byte.
	`{"leadid":"a","statuscode\u0040OData.Community.Display.V1.FormattedValue":"New"}`,
	`{"leadid":"a","statuscode@OData.Community.Display.V1.Formatted\u0056alue":"New"}`,
	`{"\u0040odata.etag":"W/\"1\""}`,
	// Repeated annotations: the last one counts.
	`{"@odata.etag":"W/\"1\"","@odata.etag":5}`,
	`{"@odata.etag":5,"@odata.etag":"W/\"2\""}`,
	`{"x@y":1,"x@y":2}`,
	// Names encoding/json decodes: a literal backslash, invalid UTF-8, a
	// lone surrogate.
	`{"a\\@b":1}`,
	"{\"a@b\xff\":1}",
	`{"a@\ud800":1}`,
	`{"p@odata.bind":"/accounts(1)","p\u0040odata.bind":"x"}`,
	`null`,
	// Names matched as encoding/json matches them: in any case, escaped,
	// folded (the long s, the Kelvin sign), repeated.
	`{"LEADID":"a","StatusCode":2,"new_X":1,"new_x":{"y":[1.50,"\u00e9"]}}`,
	`{"\u017ftatuscode":3,"\u212aey":1,"lead\u0069d":"b","ſtatuscode":4}`,
	`{"leadid":"a","leadid":"b","new_a":1,"new_a":null,"statuscode":"x"}`,
	`{"new_q\"uote":"\\","new_ctl\n":1,"x":"\ud800"}`,
}

func TestDecodeRecordReadsWhatEncodingJSONReads(t *testing.T) {
	for _, data := range recordCases {
		compareLead(t, []byte(data), "record")
	}
	var l annotatedLead
	if err := json.Unmarshal([]byte(recordCases[0]), &l); err != nil || l.FormattedValue("statuscode") != "New" {
		t.Errorf("escaped annotation: FormattedValue = %q, %v", l.FormattedValue("statuscode"), err)
	}
	var a d365.Annotations
	SetAnnotation(&a, "@odata.etag", json.RawMessage(`5`))
	SetAnnotation(&a, "@odata.etag", json.RawMessage(`"W/\"2\""`))
	if a.ETag != `W/"2"` || len(a.Raw) != 0 {
		t.Errorf("after a numeric then a string ETag: %+v", a)
	}
}
