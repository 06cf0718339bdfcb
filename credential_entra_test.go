package d365

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	msalerrors "github.com/AzureAD/microsoft-authentication-library-for-go/apps/errors"
	"github.com/b2bflow/d365/internal/entratest"
	pkcs12 "software.sslmate.com/src/go-pkcs12"
)

const (
	testOrg = "https://contoso.crm.dynamics.com"
	testEnv = "https://contoso.operations.dynamics.com"
)

// fakeClock is an injectable clock, safe for concurrent use.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock { return &fakeClock{t: time.Now()} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func testOptions(s *entratest.Server, clock *fakeClock) *CredentialOptions {
	o := &CredentialOptions{AuthorityHost: s.URL, HTTPClient: s.Client(), DisableInstanceDiscovery: true}
	if clock != nil {
		o.Now = clock.Now
	}
	return o
}

func newSecretCred(t *testing.T, s *entratest.Server, clock *fakeClock) Credential {
	t.Helper()
	cred, err := NewClientSecretCredential(entratest.DefaultTenantID, entratest.DefaultClientID, entratest.DefaultClientSecret, testOptions(s, clock))
	if err != nil {
		t.Fatal(err)
	}
	return cred
}

func TestClientSecretCredentialCachesAndRefreshes(t *testing.T) {
	s := entratest.NewServer(nil)
	defer s.Close()
	clock := newFakeClock()
	cred := newSecretCred(t, s, clock)
	ctx := context.Background()

	tok1, err := cred.Token(ctx, testOrg+"/")
	if err != nil {
		t.Fatal(err)
	}
	if tok1.AccessToken == "" || tok1.TokenType != "Bearer" {
		t.Fatalf("token = %+v", tok1)
	}
	iss, ok := s.Lookup(tok1.AccessToken)
	if !ok || iss.Audience != testOrg || iss.Grant != "client_credentials" {
		t.Fatalf("issued = %+v, %v; want audience %s", iss, ok, testOrg)
	}
	n := s.TokenRequests()

	// Cached, whatever the spelling of the resource.
	for _, r := range []string{testOrg, testOrg + "/api/data/v9.2/", "HTTPS://Contoso.crm.dynamics.com/.default"} {
		tok, err := cred.Token(ctx, r)
		if err != nil {
			t.Fatal(err)
		}
		if tok.AccessToken != tok1.AccessToken {
			t.Errorf("Token(%q) signed in again", r)
		}
	}
	if got := s.TokenRequests(); got != n {
		t.Fatalf("token requests = %d after cached calls, want %d", got, n)
	}

	// Another resource: another token, another audience.
	tokEnv, err := cred.Token(ctx, testEnv)
	if err != nil {
		t.Fatal(err)
	}
	if iss, _ := s.Lookup(tokEnv.AccessToken); iss.Audience != testEnv {
		t.Fatalf("audience = %q, want %q", iss.Audience, testEnv)
	}
	n = s.TokenRequests()

	// Just before expiry minus the margin: still cached.
	clock.Advance(time.Hour - DefaultRefreshMargin - time.Minute)
	if tok, _ := cred.Token(ctx, testOrg); tok.AccessToken != tok1.AccessToken || s.TokenRequests() != n {
		t.Fatal("token refreshed before expiry minus margin")
	}
	// Past it: refreshed.
	clock.Advance(2 * time.Minute)
	tok2, err := cred.Token(ctx, testOrg)
	if err != nil {
		t.Fatal(err)
	}
	if tok2.AccessToken == tok1.AccessToken || s.TokenRequests() != n+1 {
		t.Fatalf("token not refreshed after expiry minus margin (requests %d, want %d)", s.TokenRequests(), n+1)
	}
	if !tok2.Expiry.After(clock.Now().Add(50 * time.Minute)) {
		t.Errorf("expiry %v not about an hour after %v", tok2.Expiry, clock.Now())
	}
}

func TestRefreshMarginOption(t *testing.T) {
	s := entratest.NewServer(nil)
	defer s.Close()
	clock := newFakeClock()
	o := testOptions(s, clock)
	o.RefreshMargin = 20 * time.Minute
	cred, err := NewClientSecretCredential(entratest.DefaultTenantID, entratest.DefaultClientID, entratest.DefaultClientSecret, o)
	if err != nil {
		t.Fatal(err)
	}
	tok1, _ := cred.Token(context.Background(), testOrg)
	clock.Advance(41 * time.Minute)
	tok2, _ := cred.Token(context.Background(), testOrg)
	if tok1 == nil || tok2 == nil || tok1.AccessToken == tok2.AccessToken {
		t.Fatal("token not refreshed 20 minutes before expiry")
	}
}

func TestConcurrentTokenCallsSignInOnce(t *testing.T) {
	s := entratest.NewServer(nil)
	defer s.Close()
	cred := newSecretCred(t, s, nil)
	const n = 1000
	var (
		wg     sync.WaitGroup
		failed atomic.Int32
		tokens sync.Map
	)
	start := make(chan struct{})
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			tok, err := cred.Token(context.Background(), testOrg)
			if err != nil {
				failed.Add(1)
				return
			}
			tokens.Store(tok.AccessToken, true)
		}()
	}
	close(start)
	wg.Wait()
	if failed.Load() != 0 {
		t.Fatalf("%d calls failed", failed.Load())
	}
	if got := s.TokenRequests(); got != 1 {
		t.Fatalf("token requests = %d, want 1", got)
	}
	count := 0
	tokens.Range(func(any, any) bool { count++; return true })
	if count != 1 {
		t.Fatalf("%d distinct tokens, want 1", count)
	}
}

func TestInvalidateToken(t *testing.T) {
	s := entratest.NewServer(nil)
	defer s.Close()
	cred := newSecretCred(t, s, nil)
	inv, ok := cred.(TokenInvalidator)
	if !ok {
		t.Fatal("credential does not implement TokenInvalidator")
	}
	ctx := context.Background()
	tok1, err := cred.Token(ctx, testOrg)
	if err != nil {
		t.Fatal(err)
	}
	inv.InvalidateToken(testOrg+"/", tok1.AccessToken)
	tok2, err := cred.Token(ctx, testOrg)
	if err != nil {
		t.Fatal(err)
	}
	if tok2.AccessToken == tok1.AccessToken {
		t.Fatal("InvalidateToken with the current token: same token again (MSAL's cache served it?)")
	}
	if s.TokenRequests() != 2 {
		t.Fatalf("token requests = %d, want 2", s.TokenRequests())
	}
	// The old token again (a late 401): nothing happens.
	inv.InvalidateToken(testOrg, tok1.AccessToken)
	tok3, _ := cred.Token(ctx, testOrg)
	if tok3.AccessToken != tok2.AccessToken || s.TokenRequests() != 2 {
		t.Fatal("InvalidateToken with an old token dropped the current one")
	}
	// Another resource's token is untouched.
	tokEnv, _ := cred.Token(ctx, testEnv)
	inv.InvalidateToken(testOrg, tok3.AccessToken)
	if again, _ := cred.Token(ctx, testEnv); again.AccessToken != tokEnv.AccessToken {
		t.Fatal("InvalidateToken dropped another resource's token")
	}
}

func TestClientSecretWrongSecret(t *testing.T) {
	s := entratest.NewServer(nil)
	defer s.Close()
	const bad = "this-is-the-wrong-secret-123"
	cred, err := NewClientSecretCredential(entratest.DefaultTenantID, entratest.DefaultClientID, bad, testOptions(s, nil))
	if err != nil {
		t.Fatal(err)
	}
	_, err = cred.Token(context.Background(), testOrg)
	if err == nil {
		t.Fatal("no error with a wrong secret")
	}
	msg := err.Error()
	if !strings.Contains(msg, "client secret is wrong") || !strings.Contains(msg, "7000215") {
		t.Errorf("error does not say the secret is wrong: %s", msg)
	}
	var ce *CredentialError
	if !errors.As(err, &ce) || ce.StatusCode != 401 || ce.Code != "invalid_client" || len(ce.ErrorCodes) == 0 || ce.ErrorCodes[0] != 7000215 || ce.TraceID == "" {
		t.Errorf("CredentialError = %+v", ce)
	}
	var call msalerrors.CallErr
	if !errors.As(err, &call) {
		t.Error("MSAL's CallErr is not reachable with errors.As")
	} else if call.Req != nil && (call.Req.Body != nil || call.Req.GetBody != nil) {
		t.Error("the CallErr still holds the request body (with the secret)")
	}
	for _, text := range []string{msg, fmt.Sprintf("%+v", err), fmt.Sprintf("%#v", cred), fmt.Sprint(cred), msalerrors.Verbose(err)} {
		if strings.Contains(text, bad) {
			t.Errorf("the secret leaked: %s", text)
		}
	}
}

func TestUnknownTenant(t *testing.T) {
	s := entratest.NewServer(nil)
	defer s.Close()
	cred, err := NewClientSecretCredential("contoso-typo.onmicrosoft.com", entratest.DefaultClientID, entratest.DefaultClientSecret, testOptions(s, nil))
	if err != nil {
		t.Fatal(err)
	}
	_, err = cred.Token(context.Background(), testOrg)
	if err == nil || !strings.Contains(err.Error(), "tenant does not exist") || !strings.Contains(err.Error(), "90002") {
		t.Fatalf("err = %v, want a tenant-not-found error", err)
	}
	if strings.Contains(err.Error(), entratest.DefaultClientSecret) {
		t.Fatal("secret leaked")
	}
}

func TestUnknownClient(t *testing.T) {
	s := entratest.NewServer(nil)
	defer s.Close()
	cred, err := NewClientSecretCredential(entratest.DefaultTenantID, "00000000-0000-0000-0000-000000000001", entratest.DefaultClientSecret, testOptions(s, nil))
	if err != nil {
		t.Fatal(err)
	}
	_, err = cred.Token(context.Background(), testOrg)
	if err == nil || !strings.Contains(err.Error(), "not registered in this tenant") {
		t.Fatalf("err = %v", err)
	}
}

func TestConstructorValidation(t *testing.T) {
	const tenant, client, secret = entratest.DefaultTenantID, entratest.DefaultClientID, "s3cret-value"
	prompt := func(context.Context, string) error { return nil }
	cert, key := newTestCert(t, time.Now().Add(-time.Hour), time.Now().Add(time.Hour))
	cases := []struct {
		name, want string
		err        error
	}{
		{"empty tenant", "tenantID", second(NewClientSecretCredential("", client, secret, nil))},
		{"bad tenant", "tenantID", second(NewClientSecretCredential("a/b", client, secret, nil))},
		{"empty client", "clientID", second(NewClientSecretCredential(tenant, "", secret, nil))},
		{"client not guid", "clientID", second(NewClientSecretCredential(tenant, "my-app", secret, nil))},
		{"empty secret", "secret", second(NewClientSecretCredential(tenant, client, " ", nil))},
		{"http authority", "AuthorityHost", second(NewClientSecretCredential(tenant, client, secret, &CredentialOptions{AuthorityHost: "http://login.example.com/"}))},
		{"relative authority", "AuthorityHost", second(NewClientSecretCredential(tenant, client, secret, &CredentialOptions{AuthorityHost: "login.example.com"}))},
		{"negative margin", "RefreshMargin", second(NewClientSecretCredential(tenant, client, secret, &CredentialOptions{RefreshMargin: -time.Second}))},
		{"nil prompt", "prompt", second(NewDeviceCodeCredential(tenant, client, nil, nil))},
		{"device bad client", "clientID", second(NewDeviceCodeCredential(tenant, "x", prompt, nil))},
		{"no certs", "certs", second(NewClientCertificateCredential(tenant, client, nil, key, nil))},
		{"nil key", "key", second(NewClientCertificateCredential(tenant, client, []*x509.Certificate{cert}, nil, nil))},
		{"mi bad client", "clientID", second(NewManagedIdentityCredential("not-a-guid", nil))},
	}
	for _, c := range cases {
		if c.err == nil || !strings.Contains(c.err.Error(), c.want) {
			t.Errorf("%s: err = %v, want one naming %s", c.name, c.err, c.want)
		}
		if c.err != nil && strings.Contains(c.err.Error(), secret) {
			t.Errorf("%s: secret leaked: %v", c.name, c.err)
		}
	}
}

func second[T any](_ T, err error) error { return err }

func TestStringHidesSecret(t *testing.T) {
	const secret = "very-secret-value-42"
	cred, err := NewClientSecretCredential(entratest.DefaultTenantID, entratest.DefaultClientID, secret, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := "d365.ClientSecretCredential{tenant: " + entratest.DefaultTenantID + ", client: " + entratest.DefaultClientID + "}"
	for _, got := range []string{fmt.Sprint(cred), fmt.Sprintf("%v", cred), fmt.Sprintf("%+v", cred), fmt.Sprintf("%#v", cred)} {
		if got != want {
			t.Errorf("got %q, want %q", got, want)
		}
	}
}

func TestResourceValidation(t *testing.T) {
	s := entratest.NewServer(nil)
	defer s.Close()
	cred := newSecretCred(t, s, nil)
	for _, r := range []string{"", "contoso.crm.dynamics.com", "http://contoso.crm.dynamics.com", "ftp://x"} {
		if _, err := cred.Token(context.Background(), r); err == nil {
			t.Errorf("Token(%q): no error", r)
		}
	}
	if s.TokenRequests() != 0 {
		t.Error("a bad resource reached the token endpoint")
	}
	origin, scope, err := resourceScope("https://Contoso.crm.dynamics.com/")
	if err != nil || origin != "https://contoso.crm.dynamics.com" || scope != "https://contoso.crm.dynamics.com/.default" {
		t.Errorf("resourceScope = %q, %q, %v", origin, scope, err)
	}
}

// newTestCert makes a self-signed RSA certificate.
func newTestCert(t *testing.T, notBefore, notAfter time.Time) (*x509.Certificate, *rsa.PrivateKey) {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: "d365 test"},
		NotBefore:    notBefore, NotAfter: notAfter,
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

func TestClientCertificateCredential(t *testing.T) {
	cert, key := newTestCert(t, time.Now().Add(-time.Hour), time.Now().Add(24*time.Hour))
	s := entratest.NewServer(&entratest.Options{Certificate: cert})
	defer s.Close()
	clock := newFakeClock()
	cred, err := NewClientCertificateCredential(entratest.DefaultTenantID, entratest.DefaultClientID, []*x509.Certificate{cert}, key, testOptions(s, clock))
	if err != nil {
		t.Fatal(err)
	}
	tok, err := cred.Token(context.Background(), testOrg)
	if err != nil {
		t.Fatal(err)
	}
	if iss, ok := s.Lookup(tok.AccessToken); !ok || iss.Audience != testOrg {
		t.Fatalf("issued = %+v, %v", iss, ok)
	}
	if got := fmt.Sprint(cred); !strings.HasPrefix(got, "d365.ClientCertificateCredential{tenant: ") {
		t.Errorf("String = %q", got)
	}

	// A day later the certificate has expired: refused before any request.
	clock.Advance(25 * time.Hour)
	n := s.TokenRequests()
	_, err = cred.Token(context.Background(), testOrg)
	if err == nil || !strings.Contains(err.Error(), "expired") || !strings.Contains(err.Error(), "NotAfter") {
		t.Fatalf("err = %v, want an expired-certificate error", err)
	}
	if s.TokenRequests() != n {
		t.Fatal("an expired certificate reached the token endpoint")
	}

	// A certificate not registered for the application.
	other, otherKey := newTestCert(t, time.Now().Add(-time.Hour), time.Now().Add(time.Hour))
	cred2, err := NewClientCertificateCredential(entratest.DefaultTenantID, entratest.DefaultClientID, []*x509.Certificate{other}, otherKey, testOptions(s, nil))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cred2.Token(context.Background(), testOrg); err == nil || !strings.Contains(err.Error(), "700027") {
		t.Fatalf("err = %v, want AADSTS700027", err)
	}
}

func TestClientCertificateExpiredRefusedAtConstruction(t *testing.T) {
	notAfter := time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC)
	cert, key := newTestCert(t, notAfter.Add(-time.Hour), notAfter)
	s := entratest.NewServer(&entratest.Options{Certificate: cert})
	defer s.Close()
	_, err := NewClientCertificateCredential(entratest.DefaultTenantID, entratest.DefaultClientID, []*x509.Certificate{cert}, key, testOptions(s, nil))
	if err == nil || !strings.Contains(err.Error(), "2020-01-02T03:04:05Z") || !strings.Contains(err.Error(), "expired") {
		t.Fatalf("err = %v, want an error naming NotAfter 2020-01-02T03:04:05Z", err)
	}
	if s.TokenRequests() != 0 || len(s.Requests()) != 0 {
		t.Fatal("requests were sent for an expired certificate")
	}
}

func TestParseCertificates(t *testing.T) {
	cert, key := newTestCert(t, time.Now().Add(-time.Hour), time.Now().Add(time.Hour))
	other, _ := newTestCert(t, time.Now().Add(-time.Hour), time.Now().Add(time.Hour))
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	var pemData []byte
	pemData = append(pemData, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: other.Raw})...)
	pemData = append(pemData, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})...)
	pemData = append(pemData, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw})...)
	certs, k, err := ParseCertificates(pemData, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(certs) != 2 || !certs[0].Equal(cert) || !key.Equal(k) {
		t.Fatalf("PEM: got %d certs, leaf first = %v", len(certs), len(certs) > 0 && certs[0].Equal(cert))
	}

	for _, enc := range []*pkcs12.Encoder{pkcs12.Modern, pkcs12.LegacyDES} {
		pfx, err := enc.Encode(key, cert, []*x509.Certificate{other}, "pfx-password")
		if err != nil {
			t.Fatal(err)
		}
		certs, k, err := ParseCertificates(pfx, "pfx-password")
		if err != nil {
			t.Fatal(err)
		}
		if len(certs) != 2 || !certs[0].Equal(cert) || !key.Equal(k) {
			t.Fatalf("PKCS#12: got %d certs", len(certs))
		}
		if _, _, err := ParseCertificates(pfx, "wrong"); err == nil || !strings.Contains(err.Error(), "password") {
			t.Errorf("wrong password: err = %v", err)
		}
	}

	if _, _, err := ParseCertificates(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw}), ""); err == nil || !strings.Contains(err.Error(), "private key") {
		t.Errorf("no key: err = %v", err)
	}
	if _, _, err := ParseCertificates(nil, ""); err == nil {
		t.Error("empty data: no error")
	}
}

func TestDeviceCodeCredential(t *testing.T) {
	s := entratest.NewServer(&entratest.Options{DeviceCodePendingPolls: 1})
	defer s.Close()
	var (
		mu       sync.Mutex
		messages []string
	)
	prompt := func(ctx context.Context, msg string) error {
		mu.Lock()
		messages = append(messages, msg)
		mu.Unlock()
		return nil
	}
	cred, err := NewDeviceCodeCredential(entratest.DefaultTenantID, entratest.DefaultClientID, prompt, testOptions(s, nil))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	tok, err := cred.Token(ctx, testOrg)
	if err != nil {
		t.Fatal(err)
	}
	if iss, ok := s.Lookup(tok.AccessToken); !ok || iss.Audience != testOrg || iss.Grant != "device_code" {
		t.Fatalf("issued = %+v, %v", iss, ok)
	}
	if len(messages) != 1 || !strings.Contains(messages[0], "enter the code") || !strings.Contains(messages[0], "https://microsoft.com/devicelogin") {
		t.Fatalf("prompt messages = %q, want one with the code and URL", messages)
	}

	// Invalidation and a second resource use the refresh token: no prompt.
	cred.(TokenInvalidator).InvalidateToken(testOrg, tok.AccessToken)
	tok2, err := cred.Token(ctx, testOrg)
	if err != nil {
		t.Fatal(err)
	}
	if tok2.AccessToken == tok.AccessToken {
		t.Fatal("same token after invalidation")
	}
	if iss, _ := s.Lookup(tok2.AccessToken); iss.Grant != "refresh_token" {
		t.Errorf("second token grant = %q, want refresh_token", iss.Grant)
	}
	tokEnv, err := cred.Token(ctx, testEnv)
	if err != nil {
		t.Fatal(err)
	}
	if iss, _ := s.Lookup(tokEnv.AccessToken); iss.Audience != testEnv {
		t.Errorf("audience = %q", iss.Audience)
	}
	if len(messages) != 1 {
		t.Fatalf("prompt called %d times, want 1", len(messages))
	}
}

func TestDeviceCodePromptError(t *testing.T) {
	s := entratest.NewServer(nil)
	defer s.Close()
	boom := errors.New("no terminal")
	cred, err := NewDeviceCodeCredential(entratest.DefaultTenantID, entratest.DefaultClientID, func(context.Context, string) error { return boom }, testOptions(s, nil))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cred.Token(context.Background(), testOrg); !errors.Is(err, boom) {
		t.Fatalf("err = %v, want the prompt's error", err)
	}
}

func TestManagedIdentityCredential(t *testing.T) {
	s := entratest.NewServer(nil)
	defer s.Close()
	t.Setenv("IDENTITY_ENDPOINT", s.ManagedIdentityEndpoint)
	t.Setenv("IDENTITY_HEADER", s.ManagedIdentityHeader)
	const uami = "99999999-8888-7777-6666-555555555555"
	cred, err := NewManagedIdentityCredential(uami, &CredentialOptions{HTTPClient: s.Client()})
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(cred); got != "d365.ManagedIdentityCredential{client: "+uami+"}" {
		t.Errorf("String = %q", got)
	}
	ctx := context.Background()
	tok, err := cred.Token(ctx, testOrg+"/")
	if err != nil {
		t.Fatal(err)
	}
	iss, ok := s.Lookup(tok.AccessToken)
	if !ok || iss.Audience != testOrg || iss.ClientID != uami {
		t.Fatalf("issued = %+v, %v", iss, ok)
	}
	if again, _ := cred.Token(ctx, testOrg); again.AccessToken != tok.AccessToken || s.TokenRequests() != 1 {
		t.Fatal("managed identity token not cached")
	}
	cred.(TokenInvalidator).InvalidateToken(testOrg, tok.AccessToken)
	tok2, err := cred.Token(ctx, testOrg)
	if err != nil {
		t.Fatal(err)
	}
	if tok2.AccessToken == tok.AccessToken || s.TokenRequests() != 2 {
		t.Fatal("InvalidateToken did not get a new managed identity token (MSAL's cache served it?)")
	}

	sys, err := NewManagedIdentityCredential("", &CredentialOptions{HTTPClient: s.Client()})
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(sys); got != "d365.ManagedIdentityCredential{system-assigned}" {
		t.Errorf("String = %q", got)
	}
}

func TestCanceledLeaderDoesNotFailWaiters(t *testing.T) {
	release := make(chan struct{})
	var calls atomic.Int32
	fetch := func(ctx context.Context, resource, scope string) (string, time.Time, error) {
		if calls.Add(1) == 1 {
			<-ctx.Done()
			return "", time.Time{}, ctx.Err()
		}
		<-release
		return "tok-2", time.Now().Add(time.Hour), nil
	}
	cfg, _ := (*CredentialOptions)(nil).config("test")
	c := newTokenCache(fetch, cfg)
	leaderCtx, cancel := context.WithCancel(context.Background())
	leaderDone := make(chan error)
	go func() {
		_, err := c.Token(leaderCtx, testOrg)
		leaderDone <- err
	}()
	for calls.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	waiterDone := make(chan string)
	go func() {
		tok, err := c.Token(context.Background(), testOrg)
		if err != nil {
			waiterDone <- "error: " + err.Error()
			return
		}
		waiterDone <- tok.AccessToken
	}()
	time.Sleep(10 * time.Millisecond)
	cancel()
	if err := <-leaderDone; !errors.Is(err, context.Canceled) {
		t.Fatalf("leader err = %v", err)
	}
	close(release)
	if got := <-waiterDone; got != "tok-2" {
		t.Fatalf("waiter got %q, want tok-2", got)
	}
}

func TestFailedRefreshServesStillValidToken(t *testing.T) {
	clock := newFakeClock()
	var calls atomic.Int32
	fetch := func(ctx context.Context, resource, scope string) (string, time.Time, error) {
		if calls.Add(1) == 1 {
			return "tok-1", time.Now().Add(time.Hour), nil
		}
		return "", time.Time{}, errors.New("entra unavailable")
	}
	cfg, _ := (&CredentialOptions{Now: clock.Now}).config("test")
	c := newTokenCache(fetch, cfg)
	ctx := context.Background()
	if tok, err := c.Token(ctx, testOrg); err != nil || tok.AccessToken != "tok-1" {
		t.Fatal(tok, err)
	}
	// Due for refresh, the refresh fails, the token still has 4 minutes:
	// served, and the refresh is not retried on every call.
	clock.Advance(56 * time.Minute)
	for i := 0; i < 3; i++ {
		if tok, err := c.Token(ctx, testOrg); err != nil || tok.AccessToken != "tok-1" {
			t.Fatalf("call %d: %v, %v", i, tok, err)
		}
	}
	if calls.Load() != 2 {
		t.Fatalf("fetch calls = %d, want 2", calls.Load())
	}
	// Within a minute of expiry: the error comes through.
	clock.Advance(3*time.Minute + 30*time.Second)
	if _, err := c.Token(ctx, testOrg); err == nil || !strings.Contains(err.Error(), "entra unavailable") {
		t.Fatalf("err = %v", err)
	}
}

func TestManagedIdentityError(t *testing.T) {
	s := entratest.NewServer(nil)
	defer s.Close()
	t.Setenv("IDENTITY_ENDPOINT", s.ManagedIdentityEndpoint)
	t.Setenv("IDENTITY_HEADER", "wrong-header")
	cred, err := NewManagedIdentityCredential("", &CredentialOptions{HTTPClient: s.Client()})
	if err != nil {
		t.Fatal(err)
	}
	_, err = cred.Token(context.Background(), testOrg)
	var ce *CredentialError
	if !errors.As(err, &ce) || ce.StatusCode != 401 || !strings.Contains(err.Error(), "managed identity endpoint answered 401") {
		t.Fatalf("err = %v", err)
	}
}
