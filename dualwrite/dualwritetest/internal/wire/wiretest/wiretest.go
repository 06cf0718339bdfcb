// Package wiretest helps the tests of the emulator's service packages send
// requests to a service alone.
package wiretest

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
)

// Do sends a request with the given header name and value pairs and
// returns the response (body already read and closed) and its body decoded
// as a JSON object (nil when empty). It fails the test on a transport
// error or a body that is not JSON.
func Do(t testing.TB, method, url, body string, headers ...string) (*http.Response, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := io.ReadAll(res.Body)
	res.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if len(bytes.TrimSpace(raw)) > 0 {
		if err := json.Unmarshal(raw, &m); err != nil {
			t.Fatalf("%s %s: %d, body is not JSON: %v\n%s", method, url, res.StatusCode, err, raw)
		}
	}
	return res, m
}
