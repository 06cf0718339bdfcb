package vcr

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"unicode/utf16"

	"github.com/b2bflow/d365"
	"github.com/b2bflow/d365/sales"
	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"
	"golang.org/x/oauth2"
	"gopkg.in/dnaeon/go-vcr.v4/pkg/cassette"
)

// rotatingSource hands out a new opaque (not JWT-shaped) token on every
// call, as a credential refreshing its tokens does.
type rotatingSource struct {
	mu sync.Mutex
	n  int
}

func (s *rotatingSource) Token() (*oauth2.Token, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.n++
	return &oauth2.Token{AccessToken: tokenN(s.n), TokenType: "Bearer"}, nil
}

// tokenN is the n-th token: characters that URLs and JSON escape each their
// own way ('/', '+', '=', '<', '&', '>').
func tokenN(n int) string { return fmt.Sprintf("vcrOpaqueToken%d-7f3e2a/x+y=z<&>", n) }

const recordSecret = "Recorded~Client/Secret+Value=42"

// uEscape writes every character of s as a \uXXXX escape, the form some
// JSON encoders (and hostile proxies) use.
func uEscape(s string) string {
	var b strings.Builder
	for _, r := range utf16.Encode([]rune(s)) {
		fmt.Fprintf(&b, `\u%04X`, r)
	}
	return b.String()
}

// lowerEscapes writes the hexadecimal digits of %XX and \uXXXX escapes in
// lower case, as some encoders do.
func lowerEscapes(s string) string {
	return escapeRE.ReplaceAllStringFunc(s, strings.ToLower)
}

var escapeRE = regexp.MustCompile(`%[0-9A-F]{2}|\\u[0-9A-F]{4}`)

// forbiddenForms are the forms in which a secret must not be in a saved
// cassette.
func forbiddenForms(s string) []string {
	j, _ := json.Marshal(s)
	forms := []string{
		s, url.QueryEscape(s), url.PathEscape(s), lowerEscapes(url.QueryEscape(s)),
		strings.Trim(string(j), `"`), uEscape(s), lowerEscapes(uEscape(s)),
	}
	// The distinctive part, which no escaping changes: catches any other
	// form that keeps it.
	if i := strings.IndexByte(s, '/'); i > 0 {
		forms = append(forms, s[:i])
	}
	return forms
}

// TestRecordRedactsSecrets records, through the Sales client, a listing of
// two pages from a server that echoes the request's token in a header, in
// a Location header (URL-escaped in a query), in JSON bodies (as is,
// HTML-escaped and \u-escaped) and in the next page's URL; it also echoes
// the client secret. The saved cassette holds none of them in any form,
// and it replays: the same records, the secrets replaced by REDACTED.
func TestRecordRedactsSecrets(t *testing.T) {
	var served atomic.Int64
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		served.Add(1)
		tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || !strings.HasPrefix(tok, "vcrOpaqueToken") {
			http.Error(w, "no token", http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "application/json; odata.metadata=minimal")
		w.Header().Set("X-Echo-Token", tok)
		w.Header().Set("X-Echo-Authorization", "Bearer "+tok)
		w.Header().Set("X-Echo-Secret", recordSecret)
		w.Header().Set("Location", srv.URL+"/api/data/v9.2/leads?token="+url.QueryEscape(tok)+"&path="+url.PathEscape(tok))
		if r.URL.Query().Get("$skiptoken") == "" {
			subject, _ := json.Marshal(tok) // HTML-escaped: \u003c \u0026 \u003e
			body := `{"@odata.context":"` + srv.URL + `/api/data/v9.2/$metadata#leads","value":[` +
				`{"leadid":"00000000-0000-0000-0000-00000000000a","subject":` + string(subject) + `,"description":"` + uEscape(tok) + `"}` +
				`],"@odata.nextLink":"` + srv.URL + `/api/data/v9.2/leads?$skiptoken=` + url.QueryEscape(tok) + `"}`
			fmt.Fprint(w, body)
			return
		}
		body, _ := json.Marshal(map[string]any{"value": []map[string]any{{
			"leadid": "00000000-0000-0000-0000-00000000000b", "subject": tok, "description": "secret " + recordSecret,
			"websiteurl": "https://partner.example/?t=" + url.QueryEscape(tok),
		}}})
		w.Write(body)
	}))
	defer srv.Close()
	dir := t.TempDir()
	const name = "record-redaction"

	var recorded []*sales.Lead
	var tokens []string
	t.Run("record", func(t *testing.T) {
		secrets := &Secrets{}
		secrets.Add(recordSecret)
		src := &rotatingSource{}
		cred := secrets.Credential(d365.TokenSourceCredential(src))
		hc := Client(t, name, &Options{Dir: dir, Secrets: secrets, record: true})
		sc, err := sales.NewClient(srv.URL, cred, &sales.Options{ClientOptions: d365.ClientOptions{HTTPClient: hc}})
		if err != nil {
			t.Fatal(err)
		}
		for l, err := range sc.Leads.List(context.Background(), nil) {
			if err != nil {
				t.Fatal(err)
			}
			recorded = append(recorded, l)
		}
		if len(recorded) != 2 || recorded[0].Subject != tokenN(1) || recorded[1].Subject != tokenN(2) {
			t.Fatalf("recorded listing = %+v, want two leads echoing tokens 1 and 2", recorded)
		}
		for i := 1; i <= src.n; i++ {
			tokens = append(tokens, tokenN(i))
		}
	})
	if t.Failed() {
		return
	}

	path := filepath.Join(dir, name+".yaml")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	text := string(data)
	c, err := cassette.Load(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	var all strings.Builder
	for _, i := range c.Interactions {
		b, _ := json.Marshal(i) // every field, decoded from the YAML
		all.Write(b)
		fmt.Fprintf(&all, "%+v", *i)
	}
	for _, sec := range append(tokens, recordSecret) {
		for _, form := range forbiddenForms(sec) {
			if strings.Contains(text, form) {
				t.Errorf("the cassette file holds %q", form)
			}
			if strings.Contains(all.String(), form) {
				t.Errorf("the loaded cassette holds %q", form)
			}
		}
	}
	if !strings.Contains(text, Redacted) || strings.Contains(text, "Authorization: ") {
		t.Errorf("the cassette is not redacted as expected:\n%s", text)
	}
	if len(c.Interactions) != 2 {
		t.Fatalf("%d interactions recorded, want 2", len(c.Interactions))
	}
	if got := c.Interactions[0].Response.Headers.Get("Location"); got != srv.URL+"/api/data/v9.2/leads?token=REDACTED&path=REDACTED" {
		t.Errorf("Location = %q", got)
	}
	if got := c.Interactions[1].Request.URL; got != srv.URL+"/api/data/v9.2/leads?$skiptoken=REDACTED" {
		t.Errorf("second request URL = %q", got)
	}

	t.Run("replay", func(t *testing.T) {
		before := served.Load()
		hc := Client(t, name, &Options{Dir: dir})
		sc, err := sales.NewClient(srv.URL, d365.StaticTokenCredential("test-token"), &sales.Options{ClientOptions: d365.ClientOptions{HTTPClient: hc}})
		if err != nil {
			t.Fatal(err)
		}
		var replayed []*sales.Lead
		for l, err := range sc.Leads.List(context.Background(), nil) {
			if err != nil {
				t.Fatal(err)
			}
			replayed = append(replayed, l)
		}
		if served.Load() != before {
			t.Errorf("the replay reached the server %d times", served.Load()-before)
		}
		want := []*sales.Lead{
			{ID: uuid.MustParse("00000000-0000-0000-0000-00000000000a"), Subject: Redacted, Description: Redacted},
			{ID: uuid.MustParse("00000000-0000-0000-0000-00000000000b"), Subject: Redacted, Description: "secret " + Redacted,
				WebsiteURL: "https://partner.example/?t=" + Redacted},
		}
		if len(replayed) != len(want) {
			t.Fatalf("replayed %d leads, want %d", len(replayed), len(want))
		}
		for i := range want {
			got := replayed[i]
			if got.ID != want[i].ID || got.Subject != want[i].Subject || got.Description != want[i].Description || got.WebsiteURL != want[i].WebsiteURL {
				t.Errorf("replayed lead %d = %+v, want %+v", i, got, want[i])
			}
			if got.ID != recorded[i].ID {
				t.Errorf("replayed lead %d has id %v, recorded %v", i, got.ID, recorded[i].ID)
			}
		}
	})
}

// TestScrubInteraction plants a secret in every field of an interaction,
// in every escaped form, and checks that none is left.
func TestScrubInteraction(t *testing.T) {
	const sec = "Scrub/Me+Secret=99<&>é"
	j, _ := json.Marshal(sec)
	escaped := strings.Trim(string(j), `"`)
	mixed := `Scrub\/Me%2bSecret\u003D99\u003c%26\u003E\u00e9` // one escape of each kind
	forms := []string{sec, url.QueryEscape(sec), url.PathEscape(sec), lowerEscapes(url.QueryEscape(sec)), escaped, uEscape(sec), mixed}
	i := &cassette.Interaction{
		Request: cassette.Request{
			URL:        "http://127.0.0.1/api?a=" + url.QueryEscape(sec) + "&b=" + lowerEscapes(url.QueryEscape(sec)),
			RequestURI: "/api/" + url.PathEscape(sec),
			Host:       "127.0.0.1",
			Method:     "POST",
			Headers: map[string][]string{
				"X-A":                           {sec, "Bearer " + sec},
				"X-Name-" + url.PathEscape(sec): {"v"},
			},
			Trailer: map[string][]string{"X-T": {sec}},
			Body:    `{"a":"` + escaped + `","b":"` + uEscape(sec) + `","c":"` + mixed + `"}`,
		},
		Response: cassette.Response{
			Status: "200 " + sec,
			Headers: map[string][]string{
				"Location":       {"http://127.0.0.1/x?t=" + url.QueryEscape(sec)},
				"Content-Length": {"0"},
			},
			Trailer: map[string][]string{"X-T": {sec}},
			Body:    strings.Join(forms, " | "),
		},
	}
	i.Response.ContentLength = int64(len(i.Response.Body))
	i.Response.Headers["Content-Length"] = []string{fmt.Sprint(len(i.Response.Body))}
	s := &Secrets{}
	s.Add(sec)
	if err := redactHook(nil, s)(i); err != nil {
		t.Fatal(err)
	}
	dump, _ := json.Marshal(i)
	for _, f := range forms {
		if strings.Contains(string(dump), f) {
			t.Errorf("the interaction still holds %q:\n%s", f, dump)
		}
	}
	if strings.Contains(string(dump), "Scrub") {
		t.Errorf("part of the secret is left:\n%s", dump)
	}
	want := strings.Repeat(Redacted+" | ", len(forms)-1) + Redacted
	if diff := cmp.Diff(want, i.Response.Body); diff != "" {
		t.Errorf("response body (-want +got):\n%s", diff)
	}
	if i.Response.ContentLength != int64(len(want)) || i.Response.Headers["Content-Length"][0] != fmt.Sprint(len(want)) {
		t.Errorf("content length %d, header %q; want %d", i.Response.ContentLength, i.Response.Headers["Content-Length"], len(want))
	}
	if got := i.Request.URL; got != "http://127.0.0.1/api?a=REDACTED&b=REDACTED" {
		t.Errorf("URL = %q", got)
	}
	if _, ok := map[string][]string(i.Request.Headers)["X-Name-"+Redacted]; !ok {
		t.Errorf("a header name holding the secret was not rewritten: %v", i.Request.Headers)
	}
}

// TestScrubLeavesOtherText: text that only resembles a secret is kept, and
// a short value is not treated as a secret.
func TestScrubLeavesOtherText(t *testing.T) {
	secrets := []secretValue{{"abc/def+ghi", Redacted}}
	for _, tc := range []struct{ in, want string }{
		{"abc/def+gh", "abc/def+gh"},
		{"xabc/def+ghix", "x" + Redacted + "x"},
		{"abc%2Fdef%2Bghi%2", Redacted + "%2"},
		{`abc\/def+ghi\u`, Redacted + `\u`},
		{"abc%2Gdef+ghi", "abc%2Gdef+ghi"},
		{"abc/def ghi", "abc/def ghi"}, // a '+' in the secret is not a space
		{"", ""},
	} {
		if got, _ := scrub(tc.in, secrets); got != tc.want {
			t.Errorf("scrub(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	s := &Secrets{}
	s.Add("abc")
	s.Add("  ")
	if s.Len() != 0 {
		t.Errorf("short values were kept: %d", s.Len())
	}
}

// TestCompressedBodyIsRefused: a compressed body cannot be searched, so
// the interaction is not saved.
func TestCompressedBodyIsRefused(t *testing.T) {
	s := &Secrets{}
	s.Add("some-secret-value")
	i := &cassette.Interaction{Response: cassette.Response{Headers: map[string][]string{"Content-Encoding": {"gzip"}}, Body: "\x1f\x8b..."}}
	if err := redactHook(nil, s)(i); err == nil || !strings.Contains(err.Error(), "gzip") {
		t.Errorf("err = %v, want a refusal naming gzip", err)
	}
}

// TestSecretsPrintNothing: the collection and the credential wrapper show
// no secret with any verb, and the wrapper keeps TokenInvalidator.
func TestSecretsPrintNothing(t *testing.T) {
	const sec = "Printed-Secret-Value-1234"
	s := &Secrets{}
	s.Add(sec)
	plain := s.Credential(d365.StaticTokenCredential(sec))
	if _, ok := plain.(d365.TokenInvalidator); ok {
		t.Error("the wrapper of a static credential claims to be a TokenInvalidator")
	}
	if _, err := plain.Token(context.Background(), "https://contoso.crm.dynamics.com"); err != nil {
		t.Fatal(err)
	}
	inv := &invalidating{Credential: d365.StaticTokenCredential(sec)}
	wrapped := s.Credential(inv)
	ti, ok := wrapped.(d365.TokenInvalidator)
	if !ok {
		t.Fatal("the wrapper drops TokenInvalidator")
	}
	ti.InvalidateToken("https://contoso.crm.dynamics.com", "x")
	if inv.calls != 1 {
		t.Errorf("InvalidateToken reached the credential %d times, want 1", inv.calls)
	}
	type holder struct{ s, c, w any }
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d"} {
		for _, v := range []any{s, plain, wrapped, holder{s, plain, wrapped}} {
			out := fmt.Sprintf(verb, v)
			for _, f := range []string{sec, fmt.Sprintf("%x", sec), fmt.Sprintf("%X", sec)} {
				if strings.Contains(out, f) {
					t.Errorf("%s of %T shows the secret: %s", verb, v, out)
				}
			}
		}
	}
	if got := fmt.Sprint(s); got != "vcr.Secrets{1 values}" {
		t.Errorf("Secrets prints as %q", got)
	}
}

type invalidating struct {
	d365.Credential
	calls int
}

func (c *invalidating) InvalidateToken(string, string) { c.calls++ }
