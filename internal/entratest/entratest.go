// Package entratest is a fake Microsoft Entra ID for tests: an
// httptest TLS server that answers what the Microsoft Authentication Library
// (MSAL) for Go asks of a real tenant.
//
// It serves, under its URL (the authority host):
//
//   - GET  /<tenant>/v2.0/.well-known/openid-configuration (tenant discovery)
//   - GET  /common/discovery/instance (instance discovery, if asked)
//   - POST /<tenant>/oauth2/v2.0/token: the client credentials grant (client
//     secret or certificate assertion), the device code grant and the
//     refresh token grant
//   - POST /<tenant>/oauth2/v2.0/devicecode
//   - GET  /msi/token: an App Service style managed identity endpoint (set
//     IDENTITY_ENDPOINT to ManagedIdentityEndpoint and IDENTITY_HEADER to
//     ManagedIdentityHeader)
//
// Errors have the shape and the AADSTS codes of the real service: an
// unknown tenant is answered with AADSTS90002, a wrong client secret with
// AADSTS7000215, an unknown client id with AADSTS700016. Every access token
// is distinct. MSAL refuses authorities that are not https, so the server
// uses TLS; give the credential [Server.Client] as its HTTP client.
package entratest

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Well-known values used when Options leaves them empty.
const (
	DefaultTenantID     = "11111111-2222-3333-4444-555555555555"
	DefaultClientID     = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
	DefaultClientSecret = "fake-secret-value~do-not-use"
)

// Options configures a Server. The zero value accepts DefaultClientID with
// DefaultClientSecret in DefaultTenantID and issues one-hour tokens.
type Options struct {
	// Tenants are the tenant ids (or domains) that exist. Empty means
	// DefaultTenantID. Any other tenant is answered with AADSTS90002.
	Tenants []string
	// ClientID is the only application registered. Empty means
	// DefaultClientID.
	ClientID string
	// ClientSecret is the application's secret. Empty means
	// DefaultClientSecret.
	ClientSecret string
	// Certificate, when set, is registered for the application: client
	// assertions must be signed by its key. When nil, any certificate
	// assertion is refused with AADSTS700027.
	Certificate *x509.Certificate
	// TokenLifetime is the lifetime of the access tokens issued. Zero means
	// one hour.
	TokenLifetime time.Duration
	// DeviceCodePendingPolls is how many times a device code poll is
	// answered authorization_pending before the user "signs in".
	DeviceCodePendingPolls int
}

// Server is a running fake Microsoft Entra ID. Close it when done.
type Server struct {
	// URL is the authority host, such as "https://127.0.0.1:1234/": give
	// it as CredentialOptions.AuthorityHost.
	URL string
	// ManagedIdentityEndpoint is the URL of the managed identity endpoint.
	ManagedIdentityEndpoint string
	// ManagedIdentityHeader is the secret the managed identity endpoint
	// expects in X-IDENTITY-HEADER.
	ManagedIdentityHeader string

	srv  *httptest.Server
	opts Options

	tokenRequests atomic.Int64
	mu            sync.Mutex
	issued        map[string]Issued // access token -> what it was issued for
	serial        int
	deviceCodes   map[string]int // device code -> polls left before success
	refreshTokens map[string]string
	requests      []string
}

// Issued describes an access token the server issued.
type Issued struct {
	Audience  string // the resource, "https://contoso.crm.dynamics.com"
	Tenant    string
	ClientID  string
	Grant     string // "client_credentials", "device_code", "refresh_token", "managed_identity"
	ExpiresOn time.Time
}

// NewServer starts a fake Microsoft Entra ID. o may be nil.
func NewServer(o *Options) *Server {
	s := &Server{issued: map[string]Issued{}, deviceCodes: map[string]int{}, refreshTokens: map[string]string{}}
	if o != nil {
		s.opts = *o
	}
	if len(s.opts.Tenants) == 0 {
		s.opts.Tenants = []string{DefaultTenantID}
	}
	if s.opts.ClientID == "" {
		s.opts.ClientID = DefaultClientID
	}
	if s.opts.ClientSecret == "" {
		s.opts.ClientSecret = DefaultClientSecret
	}
	if s.opts.TokenLifetime == 0 {
		s.opts.TokenLifetime = time.Hour
	}
	s.ManagedIdentityHeader = "fake-identity-header-" + randomHex(8)
	s.srv = httptest.NewTLSServer(http.HandlerFunc(s.serveHTTP))
	s.URL = s.srv.URL + "/"
	s.ManagedIdentityEndpoint = s.srv.URL + "/msi/token"
	return s
}

// Client returns an HTTP client that trusts the server's certificate.
func (s *Server) Client() *http.Client { return s.srv.Client() }

// Close shuts the server down.
func (s *Server) Close() { s.srv.Close() }

// TokenRequests is how many requests reached the token endpoints (the
// OAuth token endpoint and the managed identity endpoint), failed ones
// included. Device code polls are counted too.
func (s *Server) TokenRequests() int { return int(s.tokenRequests.Load()) }

// Requests lists the requests received, as "METHOD /path".
func (s *Server) Requests() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.requests...)
}

// Lookup tells what an access token was issued for, and whether the server
// issued it. Emulators of the Dynamics 365 services can use it to check
// the bearer tokens they receive.
func (s *Server) Lookup(accessToken string) (Issued, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	i, ok := s.issued[accessToken]
	return i, ok
}

func (s *Server) knownTenant(t string) bool {
	for _, k := range s.opts.Tenants {
		if strings.EqualFold(k, t) {
			return true
		}
	}
	return false
}

func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.requests = append(s.requests, r.Method+" "+r.URL.Path)
	s.mu.Unlock()
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	switch {
	case r.URL.Path == "/msi/token":
		s.tokenRequests.Add(1)
		s.managedIdentity(w, r)
	case len(parts) == 3 && parts[0] == "common" && parts[1] == "discovery" && parts[2] == "instance":
		s.instanceDiscovery(w, r)
	case len(parts) == 4 && parts[1] == "v2.0" && parts[2] == ".well-known" && parts[3] == "openid-configuration":
		s.openIDConfiguration(w, parts[0])
	case len(parts) == 4 && parts[1] == "oauth2" && parts[2] == "v2.0" && parts[3] == "token" && r.Method == http.MethodPost:
		s.tokenRequests.Add(1)
		s.token(w, r, parts[0])
	case len(parts) == 4 && parts[1] == "oauth2" && parts[2] == "v2.0" && parts[3] == "devicecode" && r.Method == http.MethodPost:
		s.deviceCode(w, r, parts[0])
	default:
		writeError(w, http.StatusNotFound, "invalid_request", 900561, "The endpoint only accepts POST requests, or the path is unknown: "+r.URL.Path)
	}
}

func (s *Server) openIDConfiguration(w http.ResponseWriter, tenant string) {
	if !s.knownTenant(tenant) {
		writeError(w, http.StatusBadRequest, "invalid_tenant", 90002, fmt.Sprintf("Tenant '%s' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.", tenant))
		return
	}
	base := strings.TrimSuffix(s.URL, "/") + "/" + tenant
	writeJSON(w, http.StatusOK, map[string]any{
		"token_endpoint":                        base + "/oauth2/v2.0/token",
		"authorization_endpoint":                base + "/oauth2/v2.0/authorize",
		"device_authorization_endpoint":         base + "/oauth2/v2.0/devicecode",
		"issuer":                                base + "/v2.0",
		"jwks_uri":                              base + "/discovery/v2.0/keys",
		"token_endpoint_auth_methods_supported": []string{"client_secret_post", "private_key_jwt", "client_secret_basic"},
		"response_types_supported":              []string{"code", "id_token", "code id_token", "id_token token"},
		"scopes_supported":                      []string{"openid", "profile", "email", "offline_access"},
		"tenant_region_scope":                   "EU",
		"cloud_instance_name":                   "microsoftonline.com",
	})
}

func (s *Server) instanceDiscovery(w http.ResponseWriter, r *http.Request) {
	host := strings.TrimPrefix(strings.TrimPrefix(s.URL, "https://"), "http://")
	host = strings.TrimSuffix(host, "/")
	tenant := "common"
	if ae := r.URL.Query().Get("authorization_endpoint"); ae != "" {
		if p := strings.Split(strings.TrimPrefix(ae, "https://"), "/"); len(p) > 1 {
			tenant = p[1]
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"tenant_discovery_endpoint": fmt.Sprintf("https://%s/%s/v2.0/.well-known/openid-configuration", host, tenant),
		"api-version":               "1.1",
		"metadata": []map[string]any{{
			"preferred_network": host, "preferred_cache": host, "aliases": []string{host},
		}},
	})
}

func (s *Server) token(w http.ResponseWriter, r *http.Request, tenant string) {
	if err := r.ParseForm(); err != nil {
		writeError(w, http.StatusBadRequest, "invalid_request", 900144, "The request body must contain the following parameter: 'grant_type'.")
		return
	}
	if !s.knownTenant(tenant) {
		writeError(w, http.StatusBadRequest, "invalid_tenant", 90002, fmt.Sprintf("Tenant '%s' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.", tenant))
		return
	}
	clientID := r.PostForm.Get("client_id")
	if clientID != s.opts.ClientID {
		writeError(w, http.StatusBadRequest, "unauthorized_client", 700016, fmt.Sprintf("Application with identifier '%s' was not found in the directory '%s'.", clientID, tenant))
		return
	}
	grant := r.PostForm.Get("grant_type")
	scope := r.PostForm.Get("scope")
	switch grant {
	case "client_credentials":
		if !s.authenticateClient(w, r, tenant) {
			return
		}
		resource, ok := s.resource(w, scope)
		if !ok {
			return
		}
		s.issue(w, tenant, resource, grant, false)
	case "urn:ietf:params:oauth:grant-type:device_code", "device_code":
		code := r.PostForm.Get("device_code")
		s.mu.Lock()
		left, ok := s.deviceCodes[code]
		if ok && left > 0 {
			s.deviceCodes[code] = left - 1
		} else if ok {
			delete(s.deviceCodes, code)
		}
		s.mu.Unlock()
		switch {
		case !ok:
			writeError(w, http.StatusBadRequest, "expired_token", 70020, "The provided value for the input parameter 'device_code' is not valid. This device code has expired.")
		case left > 0:
			writeError(w, http.StatusBadRequest, "authorization_pending", 70016, "OAuth 2.0 device flow error. Authorization is pending. Continue polling.")
		default:
			resource, ok := s.resource(w, scope)
			if !ok {
				return
			}
			s.issue(w, tenant, resource, "device_code", true)
		}
	case "refresh_token":
		rt := r.PostForm.Get("refresh_token")
		s.mu.Lock()
		_, ok := s.refreshTokens[rt]
		s.mu.Unlock()
		if !ok {
			writeError(w, http.StatusBadRequest, "invalid_grant", 70000, "The provided value for the 'refresh_token' is not valid.")
			return
		}
		resource, ok := s.resource(w, scope)
		if !ok {
			return
		}
		s.issue(w, tenant, resource, grant, true)
	default:
		writeError(w, http.StatusBadRequest, "unsupported_grant_type", 70003, fmt.Sprintf("The app requested an unsupported grant type '%s'.", grant))
	}
}

// resource extracts the resource of a "<resource>/.default" scope, ignoring
// the OpenID scopes MSAL adds.
func (s *Server) resource(w http.ResponseWriter, scope string) (string, bool) {
	for _, sc := range strings.Fields(scope) {
		if r, ok := strings.CutSuffix(sc, "/.default"); ok && strings.Contains(r, "://") {
			return r, true
		}
	}
	writeError(w, http.StatusBadRequest, "invalid_scope", 70011, fmt.Sprintf("The provided value for the input parameter 'scope' is not valid. The scope %s is not valid.", scope))
	return "", false
}

func (s *Server) authenticateClient(w http.ResponseWriter, r *http.Request, tenant string) bool {
	if secret := r.PostForm.Get("client_secret"); secret != "" {
		if secret != s.opts.ClientSecret {
			writeError(w, http.StatusUnauthorized, "invalid_client", 7000215, fmt.Sprintf("Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '%s'.", s.opts.ClientID))
			return false
		}
		return true
	}
	if a := r.PostForm.Get("client_assertion"); a != "" {
		if err := s.checkAssertion(a, tenant); err != "" {
			writeError(w, http.StatusUnauthorized, "invalid_client", 700027, "Client assertion failed signature validation. "+err)
			return false
		}
		return true
	}
	writeError(w, http.StatusUnauthorized, "invalid_client", 7000218, "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.")
	return false
}

// checkAssertion verifies a client assertion JWT against the registered
// certificate; it returns "" when valid, otherwise why not.
func (s *Server) checkAssertion(a, tenant string) string {
	if s.opts.Certificate == nil {
		return "No certificate is registered for the application."
	}
	p := strings.Split(a, ".")
	if len(p) != 3 {
		return "The assertion is not a JWT."
	}
	var hdr struct {
		Alg string `json:"alg"`
	}
	var claims struct {
		Aud string `json:"aud"`
		Iss string `json:"iss"`
		Sub string `json:"sub"`
		Exp int64  `json:"exp"`
	}
	if decodeSegment(p[0], &hdr) != nil || decodeSegment(p[1], &claims) != nil {
		return "The assertion is malformed."
	}
	sig, err := base64.RawURLEncoding.DecodeString(p[2])
	if err != nil {
		return "The signature is malformed."
	}
	pub, ok := s.opts.Certificate.PublicKey.(*rsa.PublicKey)
	if !ok {
		return "The registered certificate has no RSA key."
	}
	sum := sha256.Sum256([]byte(p[0] + "." + p[1]))
	switch hdr.Alg {
	case "PS256":
		err = rsa.VerifyPSS(pub, crypto.SHA256, sum[:], sig, nil)
	case "RS256":
		err = rsa.VerifyPKCS1v15(pub, crypto.SHA256, sum[:], sig)
	default:
		return "Unsupported algorithm " + hdr.Alg + "."
	}
	if err != nil {
		return "The signature does not match the registered certificate."
	}
	if claims.Iss != s.opts.ClientID || claims.Sub != s.opts.ClientID {
		return "The issuer and subject must be the client id."
	}
	if want := strings.TrimSuffix(s.URL, "/") + "/" + tenant + "/oauth2/v2.0/token"; !strings.EqualFold(claims.Aud, want) {
		return "The audience must be the token endpoint."
	}
	if time.Unix(claims.Exp, 0).Before(time.Now()) {
		return "The assertion has expired."
	}
	return ""
}

func (s *Server) deviceCode(w http.ResponseWriter, r *http.Request, tenant string) {
	if err := r.ParseForm(); err != nil {
		writeError(w, http.StatusBadRequest, "invalid_request", 900144, "The request body is malformed.")
		return
	}
	if !s.knownTenant(tenant) {
		writeError(w, http.StatusBadRequest, "invalid_tenant", 90002, fmt.Sprintf("Tenant '%s' not found.", tenant))
		return
	}
	if id := r.PostForm.Get("client_id"); id != s.opts.ClientID {
		writeError(w, http.StatusBadRequest, "unauthorized_client", 700016, fmt.Sprintf("Application with identifier '%s' was not found in the directory '%s'.", id, tenant))
		return
	}
	code := "fake-device-code-" + randomHex(16)
	user := strings.ToUpper(randomHex(4))
	s.mu.Lock()
	s.deviceCodes[code] = s.opts.DeviceCodePendingPolls
	s.mu.Unlock()
	verify := "https://microsoft.com/devicelogin"
	writeJSON(w, http.StatusOK, map[string]any{
		"user_code":        user,
		"device_code":      code,
		"verification_uri": verify,
		"expires_in":       900,
		"interval":         1,
		"message":          fmt.Sprintf("To sign in, use a web browser to open the page %s and enter the code %s to authenticate.", verify, user),
	})
}

func (s *Server) managedIdentity(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("X-IDENTITY-HEADER") != s.ManagedIdentityHeader {
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = w.Write([]byte(`{"statusCode":401,"message":"Unauthorized request, the X-IDENTITY-HEADER is missing or wrong."}`))
		return
	}
	resource := strings.TrimSuffix(r.URL.Query().Get("resource"), "/")
	if resource == "" {
		w.WriteHeader(http.StatusBadRequest)
		_, _ = w.Write([]byte(`{"statusCode":400,"message":"No resource parameter was given."}`))
		return
	}
	at, exp := s.newAccessToken(Issued{Audience: resource, Tenant: s.opts.Tenants[0], ClientID: r.URL.Query().Get("client_id"), Grant: "managed_identity"})
	writeJSON(w, http.StatusOK, map[string]any{
		"access_token": at,
		"expires_on":   fmt.Sprint(exp.Unix()),
		"resource":     resource,
		"token_type":   "Bearer",
		"client_id":    r.URL.Query().Get("client_id"),
	})
}

func (s *Server) newAccessToken(i Issued) (string, time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.serial++
	i.ExpiresOn = time.Now().Add(s.opts.TokenLifetime)
	hdr := base64.RawURLEncoding.EncodeToString([]byte(`{"typ":"JWT","alg":"none"}`))
	claims, _ := json.Marshal(map[string]any{
		"aud": i.Audience, "tid": i.Tenant, "appid": i.ClientID, "exp": i.ExpiresOn.Unix(),
		"iat": time.Now().Unix(), "uti": fmt.Sprintf("%d-%s", s.serial, randomHex(6)),
	})
	at := hdr + "." + base64.RawURLEncoding.EncodeToString(claims) + ".fake-signature"
	s.issued[at] = i
	return at, i.ExpiresOn
}

func (s *Server) issue(w http.ResponseWriter, tenant, resource, grant string, user bool) {
	at, _ := s.newAccessToken(Issued{Audience: resource, Tenant: tenant, ClientID: s.opts.ClientID, Grant: grant})
	secs := int(s.opts.TokenLifetime / time.Second)
	body := map[string]any{
		"token_type":     "Bearer",
		"expires_in":     secs,
		"ext_expires_in": secs,
		"access_token":   at,
		"scope":          resource + "/.default",
	}
	if user {
		rt := "fake-refresh-token-" + randomHex(16)
		s.mu.Lock()
		s.refreshTokens[rt] = resource
		s.mu.Unlock()
		uid := "00000000-0000-0000-0000-0000000000aa"
		body["refresh_token"] = rt
		body["scope"] = resource + "/user_impersonation " + resource + "/.default"
		ci, _ := json.Marshal(map[string]string{"uid": uid, "utid": tenant})
		body["client_info"] = base64.RawURLEncoding.EncodeToString(ci)
		idc, _ := json.Marshal(map[string]any{
			"aud": s.opts.ClientID, "iss": strings.TrimSuffix(s.URL, "/") + "/" + tenant + "/v2.0",
			"iat": time.Now().Unix(), "nbf": time.Now().Unix(), "exp": time.Now().Add(time.Hour).Unix(),
			"name": "Test User", "oid": uid, "preferred_username": "user@contoso.example",
			"sub": "fake-subject", "tid": tenant, "ver": "2.0",
		})
		body["id_token"] = base64.RawURLEncoding.EncodeToString([]byte(`{"typ":"JWT","alg":"none"}`)) + "." +
			base64.RawURLEncoding.EncodeToString(idc) + "."
	}
	writeJSON(w, http.StatusOK, body)
}

// writeError answers with Microsoft Entra ID's error shape.
func writeError(w http.ResponseWriter, status int, code string, aadsts int, description string) {
	trace, corr := newGUID(), newGUID()
	writeJSON(w, status, map[string]any{
		"error": code,
		"error_description": fmt.Sprintf("AADSTS%d: %s Trace ID: %s Correlation ID: %s Timestamp: %s",
			aadsts, description, trace, corr, time.Now().UTC().Format("2006-01-02 15:04:05Z")),
		"error_codes":    []int{aadsts},
		"timestamp":      time.Now().UTC().Format("2006-01-02 15:04:05Z"),
		"trace_id":       trace,
		"correlation_id": corr,
		"error_uri":      "https://login.microsoftonline.com/error?code=" + fmt.Sprint(aadsts),
	})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store, no-cache")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func decodeSegment(seg string, v any) error {
	b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(seg, "="))
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func newGUID() string {
	h := randomHex(16)
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}
