package securitytest

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"log/slog"
	"math/big"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/b2bflow/d365"
	"github.com/b2bflow/d365/commerce"
	"github.com/b2bflow/d365/dualwrite/dualwritetest"
	"github.com/b2bflow/d365/internal/entratest"
	"github.com/b2bflow/d365/sales"
	"golang.org/x/oauth2"
)

// printVerbs are the verbs every value holding a secret is printed with.
var printVerbs = []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "% x", "%10.40s", "%T"}

// secretForms returns the forms in which a secret may show in printed
// output: as is, quoted or escaped the ways Go and JSON escape strings, and
// in hexadecimal (%x and %X print a string's bytes), plus the same forms of
// its distinctive core (the secret minus any characters escaping changes).
func secretForms(s string) []string {
	forms := map[string]bool{}
	add := func(v string) {
		if len(v) >= 8 {
			forms[v] = true
		}
	}
	for _, v := range []string{s, distinctiveCore(s)} {
		add(v)
		add(strings.Trim(strconv.Quote(v), `"`))
		j, _ := json.Marshal(v)
		add(strings.Trim(string(j), `"`))
		add(hex.EncodeToString([]byte(v)))
		add(strings.ToUpper(hex.EncodeToString([]byte(v))))
		add(fmt.Sprintf("% x", v))
		add(fmt.Sprintf("% X", v))
		add(base64.StdEncoding.EncodeToString([]byte(v)))
	}
	out := make([]string, 0, len(forms))
	for f := range forms {
		out = append(out, f)
	}
	return out
}

// distinctiveCore is the longest run of s made of letters, digits, '-' and
// '~', which no escaping changes.
func distinctiveCore(s string) string {
	best, cur := "", ""
	for _, r := range s {
		if r < 128 && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '~') {
			cur += string(r)
			if len(cur) > len(best) {
				best = cur
			}
		} else {
			cur = ""
		}
	}
	return best
}

// keyForms are the forms an RSA private key would show in when printed:
// its private exponent and primes in decimal and hexadecimal, and its DER
// and PEM encodings.
func keyForms(k *rsa.PrivateKey) []string {
	var out []string
	for _, n := range append([]*big.Int{k.D}, k.Primes...) {
		out = append(out, n.String()[:40], n.Text(16)[:40], strings.ToUpper(n.Text(16)[:40]))
	}
	der := x509.MarshalPKCS1PrivateKey(k)
	p := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: der})
	body := strings.Split(string(p), "\n")[3] // a line of base64 in the middle of the key
	out = append(out, body, hex.EncodeToString(der[100:140]), strings.ToUpper(hex.EncodeToString(der[100:140])))
	return out
}

// printings returns v printed every way a program may print it: with every
// verb, directly and inside other values (a struct's exported, unexported
// and embedded fields, a slice, a map, nested structs), through log/slog's
// text and JSON handlers, and through encoding/json.
func printings(t *testing.T, v any) map[string]string {
	t.Helper()
	type exported struct{ Field any }
	type unexported struct{ field any }
	type nested struct{ inner unexported }
	holders := map[string]any{
		"value":              v,
		"exported field":     exported{v},
		"unexported field":   unexported{v},
		"pointer to struct":  &unexported{v},
		"nested struct":      nested{unexported{v}},
		"slice":              []any{v},
		"map":                map[string]any{"k": v},
		"pointer to pointer": &[]any{v},
	}
	out := map[string]string{}
	for hname, h := range holders {
		for _, verb := range printVerbs {
			out[hname+" "+verb] = fmt.Sprintf(verb, h)
		}
		out[hname+" Sprint"] = fmt.Sprint(h)
		out[hname+" Sprintln"] = fmt.Sprintln(h)
		out[hname+" Errorf"] = fmt.Errorf("wrapped: %v", h).Error()
		if b, err := json.Marshal(h); err != nil {
			out[hname+" json error"] = err.Error()
		} else {
			out[hname+" json"] = string(b)
		}
		var text, js bytes.Buffer
		opts := &slog.HandlerOptions{Level: slog.LevelDebug}
		slog.New(slog.NewTextHandler(&text, opts)).Info("print", slog.Any("v", h), "arg", h)
		slog.New(slog.NewJSONHandler(&js, opts)).Info("print", slog.Any("v", h), "arg", h)
		out[hname+" slog text"], out[hname+" slog json"] = text.String(), js.String()
	}
	return out
}

// assertNoSecret prints v every way (see printings) and fails the test if
// any form of any of the secrets shows.
func assertNoSecret(t *testing.T, name string, v any, forms []string) {
	t.Helper()
	leaks := 0
	for how, s := range printings(t, v) {
		for _, f := range forms {
			if strings.Contains(s, f) && leaks < 5 {
				leaks++
				t.Errorf("%s, printed as %s, shows a secret (%.24q...): %.300s", name, how, f, s)
			}
		}
	}
}

// newRSACert makes a self-signed RSA certificate valid for a day.
func newRSACert(t *testing.T) (*x509.Certificate, *rsa.PrivateKey) {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(42),
		Subject:      pkix.Name{CommonName: "d365 securitytest"},
		NotBefore:    time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return cert, key
}

// TestNothingPrintsASecret prints every exported type that holds a secret
// (each credential after it obtained a token, the Sales and Commerce
// clients built on each, the options that can carry a credential, the
// emulator's credential, a sign-in error) with every fmt verb, inside
// other values, through log/slog and encoding/json, and looks for the
// tokens, client secrets and private key in every form.
func TestNothingPrintsASecret(t *testing.T) {
	ctx := context.Background()
	const (
		org = "https://contoso.crm.dynamics.com"
		env = "https://contoso.operations.dynamics.com"
		// Distinctive, opaque (not JWT-shaped) values, with characters that
		// Go and JSON escape.
		staticToken  = `St4tic-Opaque-Token-9f2e7c31"<&>é`
		sourceToken  = "Source-Opaque-Token-6b1d0a94"
		reuseToken   = "Reuse-Opaque-Token-3c8e5f27"
		clientSecret = "Client~Secret-Value-5d4c3b2a1"
		wrongSecret  = "Wrong~Secret-Value-0a9b8c7d"
	)
	cert, key := newRSACert(t)
	entra := entratest.NewServer(&entratest.Options{ClientSecret: clientSecret, Certificate: cert})
	defer entra.Close()
	copts := &d365.CredentialOptions{AuthorityHost: entra.URL, HTTPClient: entra.Client()}

	type subject struct {
		name string
		cred d365.Credential
		// forms of the secrets it holds, filled in once it has tokens
		secrets []string
	}
	var subjects []subject

	subjects = append(subjects, subject{"StaticTokenCredential", d365.StaticTokenCredential(staticToken), []string{staticToken}})
	subjects = append(subjects, subject{"TokenSourceCredential(StaticTokenSource)",
		d365.TokenSourceCredential(oauth2.StaticTokenSource(&oauth2.Token{AccessToken: sourceToken})), []string{sourceToken}})
	subjects = append(subjects, subject{"TokenSourceCredential(ReuseTokenSource)",
		d365.TokenSourceCredential(oauth2.ReuseTokenSource(nil, oauth2.StaticTokenSource(&oauth2.Token{AccessToken: reuseToken}))), []string{reuseToken}})

	secretCred, err := d365.NewClientSecretCredential(entratest.DefaultTenantID, entratest.DefaultClientID, clientSecret, copts)
	if err != nil {
		t.Fatal(err)
	}
	subjects = append(subjects, subject{"ClientSecretCredential", secretCred, []string{clientSecret}})

	certCred, err := d365.NewClientCertificateCredential(entratest.DefaultTenantID, entratest.DefaultClientID, []*x509.Certificate{cert}, key, copts)
	if err != nil {
		t.Fatal(err)
	}
	subjects = append(subjects, subject{"ClientCertificateCredential", certCred, nil})

	t.Setenv("IDENTITY_ENDPOINT", entra.ManagedIdentityEndpoint)
	t.Setenv("IDENTITY_HEADER", entra.ManagedIdentityHeader)
	miCred, err := d365.NewManagedIdentityCredential("", &d365.CredentialOptions{HTTPClient: entra.Client()})
	if err != nil {
		t.Fatal(err)
	}
	subjects = append(subjects, subject{"ManagedIdentityCredential", miCred, []string{entra.ManagedIdentityHeader}})

	var prompts []string
	dcCred, err := d365.NewDeviceCodeCredential(entratest.DefaultTenantID, entratest.DefaultClientID,
		func(_ context.Context, msg string) error { prompts = append(prompts, msg); return nil }, copts)
	if err != nil {
		t.Fatal(err)
	}
	subjects = append(subjects, subject{"DeviceCodeCredential", dcCred, nil})

	emu := dualwritetest.NewServer(nil)
	defer emu.Close()
	subjects = append(subjects, subject{"dualwritetest.Server.Credential", emu.Credential(), []string{dualwritetest.Token}})

	// Every credential hands out a token (filling the caches), whose value
	// is then one of its secrets.
	for i := range subjects {
		s := &subjects[i]
		for _, res := range []string{org, env} {
			tok, err := s.cred.Token(ctx, res)
			if err != nil {
				t.Fatalf("%s: Token: %v", s.name, err)
			}
			s.secrets = append(s.secrets, tok.AccessToken)
		}
	}
	if len(prompts) != 1 {
		t.Fatalf("the device code prompt ran %d times, want 1", len(prompts))
	}

	keyF := keyForms(key)
	for _, s := range subjects {
		var forms []string
		for _, sec := range s.secrets {
			forms = append(forms, secretForms(sec)...)
		}
		forms = append(forms, keyF...)
		// A top-level print names the credential: the test looks at
		// something.
		if got := fmt.Sprint(s.cred); !strings.HasPrefix(got, "d365.") {
			t.Errorf("%s prints as %q, want a description starting with d365.", s.name, got)
		}
		assertNoSecret(t, s.name, s.cred, forms)

		httpClient := &http.Client{Transport: &oauth2.Transport{Source: oauth2.StaticTokenSource(&oauth2.Token{AccessToken: s.secrets[0]})}}
		opts := d365.ClientOptions{HTTPClient: httpClient, CallerObjectID: "00000000-0000-0000-0000-000000000001"}
		assertNoSecret(t, s.name+" ClientOptions", opts, forms)
		assertNoSecret(t, s.name+" *ClientOptions", &opts, forms)
		copts := commerce.Options{ClientOptions: opts, Company: "usrt"}
		assertNoSecret(t, s.name+" commerce.Options", copts, forms)

		sc, err := sales.NewClient(org, s.cred, &sales.Options{ClientOptions: opts})
		if err != nil {
			t.Fatal(err)
		}
		if got, want := fmt.Sprint(sc), "sales.Client{org: "+org+"}"; got != want {
			t.Errorf("%s: *sales.Client prints as %q, want %q", s.name, got, want)
		}
		assertNoSecret(t, s.name+" *sales.Client", sc, forms)
		assertNoSecret(t, s.name+" sales.Client", *sc, forms)
		assertNoSecret(t, s.name+" struct embedding *sales.Client", struct{ *sales.Client }{sc}, forms)
		assertNoSecret(t, s.name+" struct holding sales.Client", struct{ c sales.Client }{*sc}, forms)
		assertNoSecret(t, s.name+" *sales.LeadService", sc.Leads, forms)

		cc, err := commerce.NewClient(env, s.cred, &copts)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := fmt.Sprint(cc), "commerce.Client{env: "+env+", company: usrt}"; got != want {
			t.Errorf("%s: *commerce.Client prints as %q, want %q", s.name, got, want)
		}
		assertNoSecret(t, s.name+" *commerce.Client", cc, forms)
		assertNoSecret(t, s.name+" commerce.Client", *cc, forms)
		assertNoSecret(t, s.name+" struct embedding *commerce.Client", struct{ *commerce.Client }{cc}, forms)
		assertNoSecret(t, s.name+" struct holding commerce.Client", struct{ c commerce.Client }{*cc}, forms)
		assertNoSecret(t, s.name+" *commerce.ProspectService", cc.Prospects, forms)
	}

	// A failed sign-in with a wrong secret: the error holds the secret to
	// redact it; no print shows it.
	bad, err := d365.NewClientSecretCredential(entratest.DefaultTenantID, entratest.DefaultClientID, wrongSecret, copts)
	if err != nil {
		t.Fatal(err)
	}
	_, err = bad.Token(ctx, org)
	if err == nil {
		t.Fatal("a wrong secret signed in")
	}
	assertNoSecret(t, "*CredentialError", err, secretForms(wrongSecret))
	assertNoSecret(t, "credential with a wrong secret", bad, secretForms(wrongSecret))
}

// TestSecretFormsCatchLeaks checks the detector on values that do print
// their secrets, so that a blind detector cannot pass the test above.
func TestSecretFormsCatchLeaks(t *testing.T) {
	const sec = `Planted-Opaque-Token-1234"<&>`
	type leaky struct{ token string }
	forms := secretForms(sec)
	for _, verb := range printVerbs {
		if verb == "%T" {
			continue
		}
		out := fmt.Sprintf(verb, leaky{sec})
		found := false
		for _, f := range forms {
			found = found || strings.Contains(out, f)
		}
		if !found {
			t.Errorf("%s of a struct holding the token prints %q: no form of the token is recognised", verb, out)
		}
	}
	_, key := newRSACert(t)
	kf := keyForms(key)
	for _, verb := range []string{"%v", "%+v", "%x", "%X", "%d"} {
		out := fmt.Sprintf(verb, struct{ k *rsa.PrivateKey }{key}) + fmt.Sprintf(verb, key)
		found := false
		for _, f := range kf {
			found = found || strings.Contains(out, f)
		}
		if !found {
			t.Errorf("%s of a private key: no form of the key is recognised", verb)
		}
	}
}
