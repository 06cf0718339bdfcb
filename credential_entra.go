package d365

import (
	"context"
	"crypto"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/AzureAD/microsoft-authentication-library-for-go/apps/cache"
	"github.com/AzureAD/microsoft-authentication-library-for-go/apps/confidential"
	"github.com/AzureAD/microsoft-authentication-library-for-go/apps/managedidentity"
	"github.com/AzureAD/microsoft-authentication-library-for-go/apps/public"
	"golang.org/x/oauth2"
)

// entraCredential is the Credential of every Microsoft Entra ID sign-in
// flow: a per-resource token cache in front of a flow-specific fetch.
type entraCredential struct {
	kind     string // "ClientSecretCredential", ...
	tenantID string // empty for managed identity
	clientID string // empty for a system-assigned managed identity
	cache    *tokenCache
}

var (
	_ Credential       = (*entraCredential)(nil)
	_ TokenInvalidator = (*entraCredential)(nil)
)

// Token returns an access token for resource (the organization or
// environment URL), from the cache when the cached one is not due for
// refresh.
func (c *entraCredential) Token(ctx context.Context, resource string) (*oauth2.Token, error) {
	return c.cache.Token(ctx, resource)
}

// InvalidateToken drops the cached token for resource if it is still
// accessToken, so that the next Token call signs in again.
func (c *entraCredential) InvalidateToken(resource, accessToken string) {
	c.cache.InvalidateToken(resource, accessToken)
}

// String describes the credential without any secret.
func (c *entraCredential) String() string {
	switch {
	case c.tenantID != "":
		return fmt.Sprintf("d365.%s{tenant: %s, client: %s}", c.kind, c.tenantID, c.clientID)
	case c.clientID != "":
		return fmt.Sprintf("d365.%s{client: %s}", c.kind, c.clientID)
	default:
		return fmt.Sprintf("d365.%s{system-assigned}", c.kind)
	}
}

// GoString is String, so that %#v prints no secret either.
func (c *entraCredential) GoString() string { return c.String() }

// Format prints String for every verb, so that no verb shows a token.
func (c *entraCredential) Format(f fmt.State, verb rune) {
	formatRedacted(f, verb, c.String(), c.String())
}

// LogValue logs String.
func (c *entraCredential) LogValue() slog.Value { return slog.StringValue(c.String()) }

// NewClientSecretCredential returns a [Credential] that signs in as the
// application clientID of the Microsoft Entra ID tenant tenantID with a
// client secret (the OAuth 2.0 client credentials grant).
//
// The application must be registered in the tenant, and known to the
// services as an application user (Dataverse) or in System administration >
// Setup > Microsoft Entra ID applications (Finance and Operations).
//
// Tokens are cached per resource and refreshed before they expire; the
// credential is safe for concurrent use and implements [TokenInvalidator].
// A failed sign-in returns a *[CredentialError].
func NewClientSecretCredential(tenantID, clientID, secret string, o *CredentialOptions) (Credential, error) {
	const kind = "ClientSecretCredential"
	if err := checkTenantID(kind, tenantID); err != nil {
		return nil, err
	}
	if err := checkClientID(kind, "clientID", clientID); err != nil {
		return nil, err
	}
	if strings.TrimSpace(secret) == "" {
		return nil, NewInputError("d365: "+kind, "secret", "is empty")
	}
	cfg, err := o.config(kind)
	if err != nil {
		return nil, err
	}
	cred, err := confidential.NewCredFromSecret(secret)
	if err != nil {
		return nil, fmt.Errorf("d365: %s: secret: %s", kind, redactAll(err.Error(), []string{secret}))
	}
	return newConfidential(kind, tenantID, clientID, cred, cfg, nil, secret)
}

// NewClientCertificateCredential returns a [Credential] that signs in as the
// application clientID of the Microsoft Entra ID tenant tenantID with a
// certificate registered for the application: the first certificate whose
// public key matches key signs the client assertion, the others are its
// chain. Use [ParseCertificates] to load certs and key from a PEM or
// PKCS#12 (.pfx) file. The key must be an RSA key.
//
// A certificate that has expired, or is not valid yet, is refused: at
// construction, and before any sign-in once it expires.
func NewClientCertificateCredential(tenantID, clientID string, certs []*x509.Certificate, key crypto.PrivateKey, o *CredentialOptions) (Credential, error) {
	const kind = "ClientCertificateCredential"
	if err := checkTenantID(kind, tenantID); err != nil {
		return nil, err
	}
	if err := checkClientID(kind, "clientID", clientID); err != nil {
		return nil, err
	}
	if len(certs) == 0 {
		return nil, NewInputError("d365: "+kind, "certs", "is empty")
	}
	if key == nil {
		return nil, NewInputError("d365: "+kind, "key", "is nil")
	}
	cfg, err := o.config(kind)
	if err != nil {
		return nil, err
	}
	leaf, err := signingCertificate(certs, key)
	if err != nil {
		return nil, fmt.Errorf("d365: %s: %w", kind, err)
	}
	if err := checkValidity(leaf, cfg.now()); err != nil {
		return nil, fmt.Errorf("d365: %s: %w", kind, err)
	}
	cred, err := confidential.NewCredFromCert(certs, key)
	if err != nil {
		return nil, fmt.Errorf("d365: %s: certs and key: %w", kind, err)
	}
	check := func() error { return checkValidity(leaf, cfg.now()) }
	return newConfidential(kind, tenantID, clientID, cred, cfg, check, "")
}

// newConfidential builds a credential on an MSAL confidential client. check,
// when set, runs before every sign-in.
func newConfidential(kind, tenantID, clientID string, cred confidential.Credential, cfg credentialConfig, check func() error, secret string) (Credential, error) {
	opts := []confidential.Option{
		confidential.WithCache(&refreshTokenOnlyCache{}),
		confidential.WithInstanceDiscovery(!cfg.disableInstanceDiscovery),
	}
	if cfg.httpClient != nil {
		opts = append(opts, confidential.WithHTTPClient(cfg.httpClient))
	}
	client, err := confidential.New(cfg.authority(tenantID), clientID, cred, opts...)
	if err != nil {
		return nil, fmt.Errorf("d365: %s: %s", kind, redactAll(err.Error(), []string{secret}))
	}
	fetch := func(ctx context.Context, resource, scope string) (string, time.Time, error) {
		if check != nil {
			if err := check(); err != nil {
				return "", time.Time{}, &CredentialError{Credential: kind, Resource: resource, Reason: err.Error(), err: err}
			}
		}
		res, err := client.AcquireTokenByCredential(ctx, []string{scope})
		if err != nil {
			return "", time.Time{}, newCredentialError(kind, resource, err, secret)
		}
		return res.AccessToken, res.ExpiresOn, nil
	}
	return &entraCredential{kind: kind, tenantID: tenantID, clientID: clientID, cache: newTokenCache(fetch, cfg)}, nil
}

// NewManagedIdentityCredential returns a [Credential] that obtains tokens for
// the Azure managed identity of the machine the program runs on (a virtual
// machine, App Service, Functions, Container Apps, Azure Arc, ...). clientID
// "" means the system-assigned identity; otherwise it is the client id of a
// user-assigned identity.
//
// The identity endpoint is detected from the environment (IDENTITY_ENDPOINT
// and IDENTITY_HEADER, MSI_ENDPOINT, the Azure Arc agent, or the instance
// metadata service), when the credential is created.
func NewManagedIdentityCredential(clientID string, o *CredentialOptions) (Credential, error) {
	const kind = "ManagedIdentityCredential"
	id := managedidentity.SystemAssigned()
	if clientID != "" {
		if err := checkClientID(kind, "clientID", clientID); err != nil {
			return nil, err
		}
		id = managedidentity.UserAssignedClientID(clientID)
	}
	var opts CredentialOptions
	if o != nil {
		opts = *o
	}
	opts.AuthorityHost = "" // not used by managed identity
	cfg, err := opts.config(kind)
	if err != nil {
		return nil, err
	}
	var miOpts []managedidentity.ClientOption
	if cfg.httpClient != nil {
		miOpts = append(miOpts, managedidentity.WithHTTPClient(cfg.httpClient))
	}
	client, err := managedidentity.New(id, miOpts...)
	if err != nil {
		return nil, &CredentialError{Credential: kind, Reason: err.Error(), err: err}
	}
	fetch := func(ctx context.Context, resource, scope string) (string, time.Time, error) {
		// MSAL keeps managed identity tokens in a process-wide cache that
		// cannot be replaced; a claims value makes it skip that cache (it
		// is not sent by the managed identity sources), so that our cache
		// stays the only one and InvalidateToken really gets a new token.
		res, err := client.AcquireToken(ctx, resource, managedidentity.WithClaims("{}"))
		if err != nil {
			return "", time.Time{}, newCredentialError(kind, resource, err)
		}
		return res.AccessToken, res.ExpiresOn, nil
	}
	return &entraCredential{kind: kind, clientID: clientID, cache: newTokenCache(fetch, cfg)}, nil
}

// NewDeviceCodeCredential returns a [Credential] that signs a user in with
// the device code flow, for tools run by a person: the first time a token is
// needed, prompt receives Microsoft Entra ID's message telling the user which
// code to enter at which URL (print it), and Token waits until the user has
// signed in, the code expires or ctx ends. Later tokens, for this or another
// resource, are obtained silently with the refresh token.
//
// clientID is a public client application registered in the tenant (with
// "Allow public client flows" enabled); tenantID may also be "organizations".
func NewDeviceCodeCredential(tenantID, clientID string, prompt func(ctx context.Context, msg string) error, o *CredentialOptions) (Credential, error) {
	const kind = "DeviceCodeCredential"
	if err := checkTenantID(kind, tenantID); err != nil {
		return nil, err
	}
	if err := checkClientID(kind, "clientID", clientID); err != nil {
		return nil, err
	}
	if prompt == nil {
		return nil, NewInputError("d365: "+kind, "prompt", "is nil (it must show the user the sign-in message)")
	}
	cfg, err := o.config(kind)
	if err != nil {
		return nil, err
	}
	opts := []public.Option{
		public.WithAuthority(cfg.authority(tenantID)),
		public.WithCache(&refreshTokenOnlyCache{}),
		public.WithInstanceDiscovery(!cfg.disableInstanceDiscovery),
	}
	if cfg.httpClient != nil {
		opts = append(opts, public.WithHTTPClient(cfg.httpClient))
	}
	client, err := public.New(clientID, opts...)
	if err != nil {
		return nil, fmt.Errorf("d365: %s: %w", kind, err)
	}
	var (
		mu      sync.Mutex
		account public.Account
		signed  bool
	)
	fetch := func(ctx context.Context, resource, scope string) (string, time.Time, error) {
		scopes := []string{scope}
		mu.Lock()
		acct, ok := account, signed
		mu.Unlock()
		if ok {
			// The access tokens are kept out of MSAL's cache, so this
			// redeems the refresh token at Microsoft Entra ID.
			res, err := client.AcquireTokenSilent(ctx, scopes, public.WithSilentAccount(acct))
			if err == nil {
				return res.AccessToken, res.ExpiresOn, nil
			}
			if ctx.Err() != nil {
				return "", time.Time{}, newCredentialError(kind, resource, err)
			}
			// The refresh token was refused or has expired: sign in again.
		}
		dc, err := client.AcquireTokenByDeviceCode(ctx, scopes)
		if err != nil {
			return "", time.Time{}, newCredentialError(kind, resource, err)
		}
		if err := prompt(ctx, dc.Result.Message); err != nil {
			return "", time.Time{}, fmt.Errorf("d365: %s: prompt: %w", kind, err)
		}
		res, err := dc.AuthenticationResult(ctx)
		if err != nil {
			return "", time.Time{}, newCredentialError(kind, resource, err)
		}
		mu.Lock()
		account, signed = res.Account, true
		mu.Unlock()
		return res.AccessToken, res.ExpiresOn, nil
	}
	return &entraCredential{kind: kind, tenantID: tenantID, clientID: clientID, cache: newTokenCache(fetch, cfg)}, nil
}

// refreshTokenOnlyCache is the external cache handed to MSAL. MSAL serves
// access tokens from its own cache, by its own clock and with its own
// margin, and has no option to skip it for the client credentials grant
// short of sending a claims challenge. Our tokenCache must be the only
// cache of access tokens (for the refresh margin, the injectable clock and
// InvalidateToken to mean what they say), so this accessor strips access
// tokens from what MSAL stores and loads: every MSAL request goes to
// Microsoft Entra ID, redeeming the refresh token where there is one.
type refreshTokenOnlyCache struct {
	mu   sync.Mutex
	data []byte
}

// Replace loads the stored cache, without access tokens, into MSAL.
func (c *refreshTokenOnlyCache) Replace(_ context.Context, u cache.Unmarshaler, _ cache.ReplaceHints) error {
	c.mu.Lock()
	data := c.data
	c.mu.Unlock()
	if data == nil {
		data = []byte("{}")
	}
	return u.Unmarshal(data)
}

// Export stores MSAL's cache minus its access tokens.
func (c *refreshTokenOnlyCache) Export(_ context.Context, m cache.Marshaler, _ cache.ExportHints) error {
	raw, err := m.Marshal()
	if err != nil {
		return err
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil {
		return errors.New("d365: credential: cannot read the sign-in library's cache")
	}
	delete(fields, "AccessToken")
	data, err := json.Marshal(fields)
	if err != nil {
		return err
	}
	c.mu.Lock()
	c.data = data
	c.mu.Unlock()
	return nil
}
