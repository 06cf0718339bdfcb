// Package vcr wraps go-vcr for the SDK's tests: recorded HTTP exchanges
// (cassettes) replayed without a network, a record mode for re-recording
// against live services, and redaction so that no token, secret or tenant
// host is ever saved.
//
// A cassette is testdata/cassettes/<name>.yaml in the package under test.
// Its first lines are comments that say where its exchanges came from: a
// documented example (with the article), a live capture, the emulator, or
// shapes built from documentation. A README beside the cassettes lists them.
//
// Modes:
//   - replay only (the default, and always when the CI environment variable
//     is set): a request that matches no recorded interaction fails the test;
//   - record: D365_RECORD=1 with live service credentials in the
//     environment (see Service) re-records the cassette through the real
//     transport, with the redaction hooks applied before it is saved. The
//     tests' assertions describe the recorded data: review a re-recorded
//     cassette and adjust its test.
//
// Redaction in record mode does not guess what a secret looks like: the
// credential Service returns is wrapped (see Secrets.Credential) so that
// every access token it hands out is known, with the client secret and the
// tenant id, and each of them is replaced wherever it appears (the URL,
// every header, trailers, request and response bodies), written as is or
// URL-, JSON- or base64-encoded. A cassette in which one would remain is
// not saved. Authorization and Set-Cookie headers are dropped, and bearer
// tokens and JWTs are replaced as well, whoever issued them.
//
// Matching is strict where it matters and tolerant where it must be: the
// method, the URL (after the recorded host is mapped to the test's host), the
// JSON body (compared as JSON, not as text) and every header the cassette's
// request lists (a required subset; Authorization is never compared).
package vcr

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/b2bflow/d365"
	"gopkg.in/dnaeon/go-vcr.v4/pkg/cassette"
	"gopkg.in/dnaeon/go-vcr.v4/pkg/recorder"
)

// Placeholder hosts written into cassettes instead of real tenant hosts.
const (
	SalesHost    = "contoso.crm.dynamics.com"
	CommerceHost = "contoso.operations.dynamics.com"
)

// Recording reports whether tests run in record mode: D365_RECORD=1 and not
// in CI.
func Recording() bool {
	return os.Getenv("D365_RECORD") == "1" && os.Getenv("CI") == ""
}

// Service returns what a test needs to reach a service: in replay mode the
// placeholder URL (such as "https://"+SalesHost) and a fake token; in record
// mode the live URL from the environment variable urlVar (such as
// D365_SALES_URL), a client-secret credential from D365_TENANT_ID,
// D365_CLIENT_ID and D365_CLIENT_SECRET, and Options that rewrite the live
// host to the placeholder in the saved cassette. A test in record mode
// without those variables is skipped.
func Service(t testing.TB, placeholder, urlVar string) (string, d365.Credential, *Options) {
	t.Helper()
	if !Recording() {
		return placeholder, d365.StaticTokenCredential("test-token"), nil
	}
	live := os.Getenv(urlVar)
	tenant, client, secret := os.Getenv("D365_TENANT_ID"), os.Getenv("D365_CLIENT_ID"), os.Getenv("D365_CLIENT_SECRET")
	if live == "" || tenant == "" || client == "" || secret == "" {
		t.Skipf("vcr: recording needs %s, D365_TENANT_ID, D365_CLIENT_ID and D365_CLIENT_SECRET", urlVar)
	}
	cred, err := d365.NewClientSecretCredential(tenant, client, secret, nil)
	if err != nil {
		t.Fatalf("vcr: %v", err)
	}
	lu, err := url.Parse(live)
	if err != nil {
		t.Fatalf("vcr: %s: %v", urlVar, err)
	}
	pu, _ := url.Parse(placeholder)
	secrets := &Secrets{}
	secrets.Add(secret)
	secrets.Replace(tenant, PlaceholderTenantID)
	return live, secrets.Credential(cred), &Options{Hosts: map[string]string{lu.Host: pu.Host}, Secrets: secrets}
}

// PlaceholderTenantID replaces the tenant id of a recording session in the
// cassette.
const PlaceholderTenantID = "00000000-0000-0000-0000-000000000000"

// Options tunes a cassette.
type Options struct {
	// Dir holds the cassettes; default "testdata/cassettes".
	Dir string
	// Hosts maps the real hosts of a recording session to placeholder
	// hosts saved in the cassette, such as
	// {"myorg.crm4.dynamics.com": SalesHost}.
	Hosts map[string]string
	// Secrets are the secret values of the recording session, replaced in
	// the cassette wherever they appear: give the test's client the
	// credential Secrets.Credential returns, so that the tokens it hands
	// out are among them. Service fills it in record mode.
	Secrets *Secrets

	// record forces record mode, for this package's own tests (which
	// record against a local server into a temporary directory).
	record bool
}

// Client returns an *http.Client that replays the named cassette (or, in
// record mode, records it through http.DefaultTransport). The requests of
// the test must use the cassette's host. In replay mode the test fails at
// cleanup if an interaction of the cassette was never requested: a cassette
// documents exactly the exchanges the code under test makes.
func Client(t testing.TB, name string, o *Options) *http.Client {
	t.Helper()
	if o == nil {
		o = &Options{}
	}
	dir := o.Dir
	if dir == "" {
		dir = filepath.Join("testdata", "cassettes")
	}
	mode := recorder.ModeReplayOnly
	if Recording() || o.record {
		mode = recorder.ModeRecordOnly
	}
	rec, err := recorder.New(filepath.Join(dir, name),
		recorder.WithMode(mode),
		recorder.WithSkipRequestLatency(true),
		recorder.WithMatcher(Match),
		recorder.WithHook(redactHook(o.Hosts, o.Secrets), recorder.BeforeSaveHook),
		recorder.WithHook(func(i *cassette.Interaction) error {
			if mode == recorder.ModeReplayOnly && !i.WasReplayed() {
				t.Errorf("vcr: cassette %s: interaction %d (%s %s) was never requested", name, i.ID, i.Request.Method, i.Request.URL)
			}
			return nil
		}, recorder.OnRecorderStopHook),
		recorder.WithHook(func(i *cassette.Interaction) error {
			// A hand-edited body whose recorded length was not updated
			// would be cut short (or padded) on replay: say so plainly.
			if n := int64(len(i.Response.Body)); i.Response.ContentLength > 0 && i.Response.ContentLength != n {
				t.Errorf("vcr: cassette %s: interaction %d: content_length %d, but its body has %d bytes", name, i.ID, i.Response.ContentLength, n)
			}
			return nil
		}, recorder.BeforeResponseReplayHook),
	)
	if err != nil {
		t.Fatalf("vcr: cassette %s: %v", name, err)
	}
	t.Cleanup(func() {
		if err := rec.Stop(); err != nil {
			t.Errorf("vcr: saving cassette %s: %v", name, err)
		}
	})
	return &http.Client{Transport: permanentMisses{rec}}
}

// permanentMisses marks "no recorded interaction" as permanent, so that the
// SDK's retry policy fails at once instead of backing off and trying again.
type permanentMisses struct{ rt http.RoundTripper }

func (p permanentMisses) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := p.rt.RoundTrip(r)
	if err != nil && errors.Is(err, cassette.ErrInteractionNotFound) {
		return nil, permanentError{err}
	}
	return resp, err
}

// permanentError is an error that retrying cannot fix.
type permanentError struct{ error }

func (e permanentError) Unwrap() error   { return e.error }
func (e permanentError) Permanent() bool { return true }

// Match is the cassette matcher: method, URL, JSON body and the headers the
// recorded request lists (except Authorization) must all agree.
func Match(r *http.Request, i cassette.Request) bool {
	if r.Method != i.Method || r.URL.String() != i.URL {
		return false
	}
	for name, want := range i.Headers {
		if strings.EqualFold(name, "Authorization") {
			continue
		}
		if !reflect.DeepEqual(r.Header.Values(name), want) {
			return false
		}
	}
	var body []byte
	if r.Body != nil && r.Body != http.NoBody {
		b, err := io.ReadAll(r.Body)
		if err != nil {
			return false
		}
		r.Body = io.NopCloser(bytes.NewReader(b))
		body = b
	}
	return SameBody(body, []byte(i.Body))
}

// SameBody compares two bodies: as JSON values when both are JSON (numbers
// compared as written, so 12345678901234.5678 and 12345678901234.568
// differ), else as text with surrounding white space ignored.
func SameBody(a, b []byte) bool {
	a, b = bytes.TrimSpace(a), bytes.TrimSpace(b)
	va, errA := decodeExact(a)
	vb, errB := decodeExact(b)
	if errA == nil && errB == nil {
		return reflect.DeepEqual(va, vb)
	}
	return bytes.Equal(a, b)
}

// decodeExact decodes one JSON value, keeping numbers as json.Number.
func decodeExact(b []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, errors.New("trailing data")
	}
	return v, nil
}

var bearerRE = regexp.MustCompile(`(?i)bearer\s+[A-Za-z0-9._~+/=-]+`)
var jwtRE = regexp.MustCompile(`eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*`)

// Redact removes secrets from a string: bearer tokens and JWTs.
func Redact(s string) string {
	s = bearerRE.ReplaceAllString(s, "Bearer REDACTED")
	return jwtRE.ReplaceAllString(s, "REDACTED")
}

// redactHook strips credentials and tenant hosts from an interaction before
// it is saved: the Authorization and Set-Cookie headers, every known
// secret (see scrubInteraction), bearer tokens and JWTs, and the real hosts.
func redactHook(hosts map[string]string, secrets *Secrets) recorder.HookFunc {
	return func(i *cassette.Interaction) error {
		for _, h := range []http.Header{i.Request.Headers, i.Request.Trailer, i.Response.Headers, i.Response.Trailer} {
			for k := range h {
				if strings.EqualFold(k, "Authorization") || strings.EqualFold(k, "Proxy-Authorization") ||
					strings.EqualFold(k, "Set-Cookie") || strings.EqualFold(k, "Cookie") {
					delete(h, k)
				}
			}
		}
		i.Request.Form = nil
		if err := scrubInteraction(i, secrets.list()); err != nil {
			return err
		}
		rewriteStrings(reflect.ValueOf(&i.Request), func(s string) string { return rewriteHosts(Redact(s), hosts) })
		rewriteStrings(reflect.ValueOf(&i.Response), func(s string) string { return rewriteHosts(Redact(s), hosts) })
		if u, err := url.Parse(i.Request.URL); err == nil {
			i.Request.Host = u.Host
		}
		return nil
	}
}

func rewriteHosts(s string, hosts map[string]string) string {
	for real, placeholder := range hosts {
		s = strings.ReplaceAll(s, real, placeholder)
	}
	return s
}
