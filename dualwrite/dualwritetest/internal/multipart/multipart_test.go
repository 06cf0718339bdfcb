package multipart

import (
	"mime"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func crlf(lines ...string) string { return strings.Join(lines, "\r\n") + "\r\n" }

func TestParseSingleAndChangeSet(t *testing.T) {
	body := crlf(
		"--batch_1",
		"Content-Type: application/http",
		"Content-Transfer-Encoding: binary",
		"",
		"GET leads?$top=1 HTTP/1.1",
		"Accept: application/json",
		"",
		"--batch_1",
		"Content-Type: multipart/mixed; boundary=changeset_1",
		"",
		"--changeset_1",
		"Content-Type: application/http",
		"Content-Transfer-Encoding: binary",
		"Content-ID: 1",
		"",
		"post /api/data/v9.2/accounts HTTP/1.1",
		"Content-Type: application/json",
		"",
		`{"name":"Contoso"}`,
		"--changeset_1",
		"Content-Type: application/http",
		"Content-ID: 2",
		"",
		"PATCH $1 HTTP/1.1",
		"",
		`{"name":"Fabrikam"}`,
		"--changeset_1--",
		"--batch_1--",
	)
	parts, n, err := Parse("multipart/mixed; boundary=batch_1", []byte(body))
	if err != nil {
		t.Fatal(err)
	}
	if n != 3 {
		t.Errorf("n = %d, want 3", n)
	}
	want := []Part{
		{Request: &Request{Method: "GET", Target: "leads?$top=1", Header: http.Header{"Accept": {"application/json"}}, Body: []byte{}}},
		{ChangeSet: []*Request{
			{ContentID: "1", Method: "POST", Target: "/api/data/v9.2/accounts", Header: http.Header{"Content-Type": {"application/json"}}, Body: []byte(`{"name":"Contoso"}`)},
			{ContentID: "2", Method: "PATCH", Target: "$1", Header: http.Header{}, Body: []byte(`{"name":"Fabrikam"}`)},
		}},
	}
	if diff := cmp.Diff(want, parts); diff != "" {
		t.Errorf("parts (-want +got):\n%s", diff)
	}
}

func TestParseRefuses(t *testing.T) {
	part := func(method string) []string {
		return []string{"Content-Type: application/http", "", method + " leads HTTP/1.1", ""}
	}
	cs := func(boundary string, lines ...string) []string {
		return append(append([]string{"Content-Type: multipart/mixed; boundary=" + boundary, "", "--" + boundary}, lines...), "--"+boundary+"--")
	}
	batch := func(lines ...string) string {
		return crlf(append(append([]string{"--b"}, lines...), "--b--")...)
	}
	for _, c := range []struct{ name, ct, body, want string }{
		{"not multipart", "application/json", "{}", "The Content-Type 'application/json' is not multipart/mixed with a boundary."},
		{"no parts", "multipart/mixed; boundary=b", "--b--\r\n", `The $batch request holds no parts (boundary "b").`},
		{"bad method", "multipart/mixed; boundary=b", batch(part("HEAD")...), "Batch part 1: the method 'HEAD' is not supported in a batch."},
		{"not http", "multipart/mixed; boundary=b", batch("Content-Type: text/plain", "", "x"), "Batch part 1: the part's Content-Type 'text/plain' is not application/http."},
		{"GET in change set", "multipart/mixed; boundary=b", batch(cs("c", part("GET")...)...), "Batch part 1, change set request 1: a GET request is not allowed inside a change set."},
		{"nested", "multipart/mixed; boundary=b", batch(cs("c", cs("d", part("POST")...)...)...), "Batch part 1: change sets cannot be nested."},
		{"empty change set", "multipart/mixed; boundary=b", batch("Content-Type: multipart/mixed; boundary=c", "", "--c--"), "Batch part 1: the change set is empty."},
	} {
		_, _, err := Parse(c.ct, []byte(c.body))
		if _, ok := err.(*Error); !ok || err.Error() != c.want {
			t.Errorf("%s: error %#v, want %q", c.name, err, c.want)
		}
	}
}

func TestWriter(t *testing.T) {
	w := NewWriter()
	w.WriteResponse(Response{Status: 204, Header: http.Header{"Odata-Version": {"4.0"}, "A": {"1"}}, ContentID: "7"})
	w.WriteChangeSet([]Response{{Status: 201, Header: http.Header{}, Body: []byte("{}\n")}})
	got := string(w.Close())
	_, params, err := mime.ParseMediaType(w.ContentType())
	if err != nil || !strings.HasPrefix(params["boundary"], "batchresponse_") {
		t.Fatalf("Content-Type %q", w.ContentType())
	}
	b := params["boundary"]
	i := strings.Index(got, "boundary=changesetresponse_")
	if i < 0 {
		t.Fatalf("no change set in\n%s", got)
	}
	cs := got[i+len("boundary=") : i+len("boundary=")+len("changesetresponse_")+36]
	want := crlf(
		"--"+b,
		"Content-Type: application/http",
		"Content-Transfer-Encoding: binary",
		"Content-ID: 7",
		"",
		"HTTP/1.1 204 No Content",
		"A: 1",
		"Odata-Version: 4.0",
		"",
		"",
		"--"+b,
		"Content-Type: multipart/mixed; boundary="+cs,
		"",
		"--"+cs,
		"Content-Type: application/http",
		"Content-Transfer-Encoding: binary",
		"",
		"HTTP/1.1 201 Created",
		"",
		"{}",
		"--"+cs+"--",
		"--"+b+"--",
	)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("answer (-want +got):\n%s", diff)
	}
}
