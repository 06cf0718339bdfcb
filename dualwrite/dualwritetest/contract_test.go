package dualwritetest

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// exchange is a documented request or response read from testdata.
type exchange struct {
	method, target string // request
	status         int    // response
	header         http.Header
	body           string
}

// readExchange parses a .http.txt block: a request line (possibly spread
// over several lines until " HTTP/1.1") or a status line, headers, a blank
// line and a body.
func readExchange(t *testing.T, name, orgURL string) exchange {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", "contract", name+".http.txt"))
	if err != nil {
		t.Fatal(err)
	}
	text := strings.ReplaceAll(string(raw), "\r\n", "\n")
	text = strings.ReplaceAll(text, "https://[Organization URI]", orgURL)
	text = strings.ReplaceAll(text, "[Organization URI]", orgURL)
	sc := bufio.NewScanner(strings.NewReader(text))
	var x exchange
	x.header = http.Header{}
	var first strings.Builder
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		first.WriteString(line)
		if strings.HasSuffix(line, "HTTP/1.1") || strings.HasPrefix(line, "HTTP/1.1") {
			break
		}
	}
	fl := first.String()
	if strings.HasPrefix(fl, "HTTP/1.1 ") {
		x.status, _ = strconv.Atoi(strings.Fields(fl)[1])
	} else {
		fl = strings.TrimSuffix(fl, "HTTP/1.1")
		x.method, x.target, _ = strings.Cut(strings.TrimSpace(fl), " ")
		x.target = strings.TrimSpace(x.target)
	}
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			break
		}
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			break
		}
		x.header.Add(strings.TrimSpace(k), strings.TrimSpace(v))
	}
	var body strings.Builder
	for sc.Scan() {
		body.WriteString(sc.Text())
		body.WriteByte('\n')
	}
	x.body = strings.TrimSpace(body.String())
	return x
}

// send sends a documented request to the emulator, with its token.
func send(t *testing.T, x exchange) (*http.Response, string) {
	t.Helper()
	target := strings.ReplaceAll(x.target, " ", "%20")
	req, err := http.NewRequest(x.method, target, strings.NewReader(x.body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range x.header {
		req.Header[k] = v
	}
	req.Header.Set("Authorization", "Bearer "+Token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res, string(b)
}

// shape replaces every value by its JSON type, keeping object keys, so that
// two bodies compare by structure. Arrays keep their length.
func shape(v any) any {
	switch x := v.(type) {
	case map[string]any:
		m := map[string]any{}
		for k, e := range x {
			m[k] = shape(e)
		}
		return m
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = shape(e)
		}
		return out
	case string:
		return "string"
	case json.Number, float64:
		return "number"
	case bool:
		return "bool"
	case nil:
		return "null"
	}
	return fmt.Sprintf("%T", v)
}

func decodeLoose(t *testing.T, s string) any {
	t.Helper()
	s = strings.ReplaceAll(s, ", . . .", "") // the docs' ellipsis
	var v any
	dec := json.NewDecoder(bytes.NewReader([]byte(s)))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("bad JSON %v in\n%s", err, s)
	}
	return v
}

func TestContract(t *testing.T) {
	var s *Server
	fixed := "00000000-0000-0000-0000-000000000001"
	createAccount := func(t *testing.T) {
		call(t, "POST", api(s)+"accounts", map[string]any{"accountid": fixed, "name": "Sample Account", "revenue": 5000000,
			"accountcategorycode": 1, "creditonhold": false, "address1_latitude": 47.63958, "description": "This is the description of the sample account"}).want(t, 204)
	}
	cases := []struct {
		req, res string
		setup    func(t *testing.T)
		status   int      // when no response is documented
		headers  []string // response headers that must be present
		check    func(t *testing.T, got map[string]any)
	}{
		{req: "create-entity-web-api-001", res: "create-entity-web-api-002", headers: []string{"OData-EntityId", "OData-Version"}},
		{req: "create-entity-web-api-010", res: "create-entity-web-api-011", headers: []string{"Preference-Applied", "OData-Version", "Content-Type"}},
		{req: "perform-conditional-operations-using-web-api-004", res: "perform-conditional-operations-using-web-api-005", headers: []string{"OData-Version", "Content-Type"}},
		{req: "update-delete-entities-using-web-api-003", res: "update-delete-entities-using-web-api-004", setup: createAccount, headers: []string{"Preference-Applied"}},
		{req: "perform-conditional-operations-using-web-api-006", res: "perform-conditional-operations-using-web-api-007", setup: createAccount},
		{req: "perform-conditional-operations-using-web-api-008", res: "perform-conditional-operations-using-web-api-009", setup: createAccount},
		{req: "perform-conditional-operations-using-web-api-010", res: "perform-conditional-operations-using-web-api-011", setup: createAccount},
		{
			req: "query-data-web-api-022", res: "query-data-web-api-023", headers: []string{"Preference-Applied"},
			setup: func(t *testing.T) {
				for _, n := range []string{"Fourth Coffee (sample)", "Litware, Inc. (sample)", "Adventure Works (sample)", "Fabrikam, Inc. (sample)", "Blue Yonder Airlines (sample)", "City Power & Light (sample)", "Contoso Pharmaceuticals (sample)", "Alpine Ski House (sample)", "A. Datum Corporation (sample)", "Coho Winery (sample)"} {
					call(t, "POST", api(s)+"accounts", map[string]any{"name": n}).want(t, 204)
				}
			},
			check: func(t *testing.T, got map[string]any) {
				if num(got["@odata.count"]) != 10 {
					t.Errorf("@odata.count = %v, want 10", got["@odata.count"])
				}
				link := got["@odata.nextLink"].(string)
				if !strings.Contains(link, "$skiptoken=%3Ccookie%20pagenumber=%222%22") {
					t.Errorf("nextLink %s does not carry a paging cookie", link)
				}
				// Following the link unchanged gives the next page.
				next := call(t, "GET", link, nil, "Prefer", "odata.maxpagesize=3").want(t, 200)
				if n := len(next.values()); n != 3 || next.values()[0]["name"] != "Fabrikam, Inc. (sample)" {
					t.Errorf("page 2 = %v", next.raw)
				}
			},
		},
		{
			req: "use-web-api-actions-002", status: 204,
			setup: func(t *testing.T) {
				call(t, "POST", api(s)+"opportunities", map[string]any{"opportunityid": "b3828ac8-917a-e511-80d2-00155d2a68d2", "name": "Sample"}).want(t, 204)
			},
			check: func(t *testing.T, _ map[string]any) {
				o := call(t, "GET", api(s)+"opportunities(b3828ac8-917a-e511-80d2-00155d2a68d2)", nil).want(t, 200).body
				if num(o["statecode"]) != 1 || num(o["statuscode"]) != 3 {
					t.Errorf("opportunity after WinOpportunity: %v", o)
				}
			},
		},
	}
	for _, c := range cases {
		t.Run(c.req, func(t *testing.T) {
			s = NewServer(nil)
			defer s.Close()
			org := s.SalesURL
			if c.setup != nil {
				c.setup(t)
			}
			req := readExchange(t, c.req, org)
			res, body := send(t, req)
			want := exchange{status: c.status}
			if c.res != "" {
				want = readExchange(t, c.res, org)
			}
			if res.StatusCode != want.status {
				t.Fatalf("status %d, documented %d; body %s", res.StatusCode, want.status, body)
			}
			for _, h := range c.headers {
				if res.Header.Get(h) == "" {
					t.Errorf("header %s missing", h)
				}
				if w := want.header.Get(h); w != "" && h != "OData-EntityId" && res.Header.Get(h) != w {
					t.Errorf("header %s = %q, documented %q", h, res.Header.Get(h), w)
				}
			}
			if want.body == "" {
				if strings.TrimSpace(body) != "" {
					t.Errorf("body %s, documented none", body)
				}
			} else {
				got, doc := decodeLoose(t, body), decodeLoose(t, want.body)
				if diff := cmp.Diff(shape(doc), shape(got)); diff != "" {
					t.Errorf("body shape differs from the documented one (-doc +emulator):\n%s", diff)
				}
				if c.check != nil {
					c.check(t, got.(map[string]any))
				}
			}
			if want.body == "" && c.check != nil {
				c.check(t, nil)
			}
		})
	}
}
