package wire

import (
	"bytes"
	"errors"
	"io"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// readBoth reads body with ReadBody and with encoding/json alone (what
// ReadBody did before its fast path), with and without a Content-Length.
func readBoth(t *testing.T, body string) {
	t.Helper()
	want, werr := decodeBody(strings.NewReader(body))
	for _, withLength := range []bool{true, false} {
		r := httptest.NewRequest("POST", "/", strings.NewReader(body))
		if !withLength {
			r.ContentLength = -1
		}
		got, gerr := ReadBody(r)
		if (werr == nil) != (gerr == nil) || werr != nil && werr.Error() != gerr.Error() {
			t.Fatalf("%q: error %v, encoding/json's %v", body, gerr, werr)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("%q (-encoding/json +ReadBody):\n%s", body, diff)
		}
	}
}

func TestReadBodyIsEncodingJSON(t *testing.T) {
	for _, body := range []string{
		`{}`, ` { } `, `{"a":1}`, `{"a":"x","b":true,"c":false,"d":null,"e":-0.5e+10,"f":0,"g":12.25E-3}`,
		`{"a":1,"a":2}`, `{"a":1} trailing`, `{"a":1}{"b":2}`, "{\n\t\"a\" :\r 1 , \"b\":\"é漢😀\"}",
		`{"lastname":"Silva","parentaccountid@odata.bind":"/accounts(6f1c1a8e-0b5e-4b8a-9d7e-000000000001)"}`,
		`{"a":"esc\"aped"}`, `{"a":"\u00e9"}`, `{"a":"tab	raw"}`, "{\"a\":\"bad \xff\"}", `{"a":{"b":1}}`, `{"a":[1,2]}`,
		``, ` `, `null`, `[]`, `"x"`, `1`, `{`, `{"a"`, `{"a":`, `{"a":1`, `{"a":1,}`, `{,}`, `{"a" 1}`, `{a:1}`,
		`{"a":01}`, `{"a":-}`, `{"a":1.}`, `{"a":1e}`, `{"a":.5}`, `{"a":+1}`, `{"a":truex}`, `{"a":nul}`, `{"a":1x}`,
		`{"a":1 "b":2}`, `{"a":"unterminated}`, `{"":""}`, `{"a":1}` + strings.Repeat(" ", 5000),
	} {
		readBoth(t, body)
	}
}

func TestReadBodyReadError(t *testing.T) {
	boom := errors.New("boom")
	for _, body := range []string{`{"a":1}`, `{"a":`} {
		r := httptest.NewRequest("POST", "/", io.MultiReader(strings.NewReader(body), errReader{boom}))
		got, err := ReadBody(r)
		want, werr := decodeBody(io.MultiReader(strings.NewReader(body), errReader{boom}))
		if (err == nil) != (werr == nil) || err != nil && err.Error() != werr.Error() || !cmp.Equal(got, want) {
			t.Errorf("%q: %v, %v; encoding/json: %v, %v", body, got, err, want, werr)
		}
	}
}

// FuzzReadBody checks ReadBody against encoding/json on any body.
func FuzzReadBody(f *testing.F) {
	for _, s := range []string{`{"a":1,"b":"x","c":[1],"d":{"e":null}}`, `{"a":-1.5e3,"b":true}`, `{"a":"\u00e9"}`, `{} x`, `{"a":01}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		want, werr := decodeBody(bytes.NewReader(data))
		got, gerr := ReadBody(httptest.NewRequest("POST", "/", bytes.NewReader(data)))
		if (werr == nil) != (gerr == nil) || werr != nil && werr.Error() != gerr.Error() || !cmp.Equal(want, got) {
			t.Fatalf("%q: got %v (%v), want %v (%v)", data, got, gerr, want, werr)
		}
	})
}
