package d365

import (
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/b2bflow/d365/internal/syntax"
	"github.com/google/uuid"
)

// DefaultAuthorityHost is the Microsoft Entra ID authority host of the
// Azure public cloud, used when [CredentialOptions.AuthorityHost] is empty.
const DefaultAuthorityHost = "https://login.microsoftonline.com/"

// DefaultRefreshMargin is how long before its expiry a cached token is
// replaced, when [CredentialOptions.RefreshMargin] is zero.
const DefaultRefreshMargin = 5 * time.Minute

// CredentialOptions configures the Microsoft Entra ID credentials
// ([NewClientSecretCredential], [NewClientCertificateCredential],
// [NewManagedIdentityCredential], [NewDeviceCodeCredential]). A nil
// *CredentialOptions and the zero value both mean the defaults.
type CredentialOptions struct {
	// AuthorityHost is the Microsoft Entra ID sign-in host. Empty means
	// DefaultAuthorityHost (the Azure public cloud). Sovereign clouds set
	// their own, for example "https://login.microsoftonline.us/" (Azure
	// Government) or "https://login.chinacloudapi.cn/" (Azure operated by
	// 21Vianet). It must be an https URL: the sign-in library refuses any
	// other scheme, loopback hosts included (tests use a TLS server, see
	// internal/entratest). Ignored by the managed identity credential.
	AuthorityHost string

	// HTTPClient sends the sign-in requests. Nil means the sign-in
	// library's default client.
	HTTPClient *http.Client

	// RefreshMargin is how long before its expiry a cached token is
	// replaced by a new one, so that a request never leaves with a token
	// about to expire. Zero means DefaultRefreshMargin (5 minutes). For a
	// token whose whole lifetime is shorter than twice the margin, half its
	// lifetime is used instead.
	RefreshMargin time.Duration

	// DisableInstanceDiscovery turns off the instance discovery request
	// (and with it the validation of the authority host against
	// Microsoft's list of known clouds). Set it for a private cloud, an
	// Azure Stack or a test authority. It is implied when AuthorityHost is
	// a loopback address, so that a test never reaches the network.
	DisableInstanceDiscovery bool

	// Now, when set, replaces time.Now for deciding when cached tokens
	// must be refreshed and whether a certificate has expired. It is meant
	// for tests; leave it nil in programs.
	Now func() time.Time
}

// credentialConfig is CredentialOptions with the defaults applied.
type credentialConfig struct {
	authorityHost            *url.URL
	httpClient               *http.Client
	refreshMargin            time.Duration
	disableInstanceDiscovery bool
	now                      func() time.Time
}

func (o *CredentialOptions) config(kind string) (credentialConfig, error) {
	var opts CredentialOptions
	if o != nil {
		opts = *o
	}
	c := credentialConfig{
		httpClient:               opts.HTTPClient,
		refreshMargin:            opts.RefreshMargin,
		disableInstanceDiscovery: opts.DisableInstanceDiscovery,
		now:                      opts.Now,
	}
	if c.refreshMargin == 0 {
		c.refreshMargin = DefaultRefreshMargin
	}
	if c.refreshMargin < 0 {
		return c, NewInputError("d365: "+kind, "CredentialOptions.RefreshMargin", "is negative (%s)", opts.RefreshMargin)
	}
	if c.now == nil {
		c.now = time.Now
	}
	host := strings.TrimSpace(opts.AuthorityHost)
	if host == "" {
		host = DefaultAuthorityHost
	}
	u, err := url.Parse(host)
	if err != nil || u.Host == "" || u.Opaque != "" {
		return c, NewInputError("d365: "+kind, "CredentialOptions.AuthorityHost", "%q is not an absolute URL", opts.AuthorityHost)
	}
	if u.Scheme != "https" {
		return c, NewInputError("d365: "+kind, "CredentialOptions.AuthorityHost", "%q must use https (the sign-in library refuses other schemes, even on loopback)", opts.AuthorityHost)
	}
	if u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return c, NewInputError("d365: "+kind, "CredentialOptions.AuthorityHost", "%q must not carry user information, a query or a fragment", opts.AuthorityHost)
	}
	u.Path = strings.TrimRight(u.Path, "/") + "/"
	u.RawPath = ""
	c.authorityHost = u
	if syntax.IsLoopback(u.Hostname()) {
		c.disableInstanceDiscovery = true
	}
	return c, nil
}

// authority returns the authority URL of a tenant:
// https://login.microsoftonline.com/<tenant>.
func (c credentialConfig) authority(tenantID string) string {
	return strings.TrimSuffix(c.authorityHost.String(), "/") + "/" + tenantID
}

// checkTenantID validates a directory (tenant) id: a GUID or a verified
// domain name such as contoso.onmicrosoft.com.
func checkTenantID(kind, tenantID string) error {
	if tenantID == "" {
		return NewInputError("d365: "+kind, "tenantID", "is empty (want the directory id, a GUID, or a domain such as contoso.onmicrosoft.com)")
	}
	for _, r := range tenantID {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '.') {
			return NewInputError("d365: "+kind, "tenantID", "%q is not a directory id (a GUID) or a domain name", tenantID)
		}
	}
	return nil
}

// checkClientID validates an application (client) id: a GUID such as
// 00000000-0000-0000-0000-000000000000.
func checkClientID(kind, name, clientID string) error {
	if clientID == "" {
		return NewInputError("d365: "+kind, name, "is empty (want the application id, a GUID)")
	}
	// Only the 36-character form: uuid.Validate also takes braces and URNs.
	if len(clientID) != 36 || uuid.Validate(clientID) != nil {
		return NewInputError("d365: "+kind, name, "%q is not an application id (want a GUID such as 00000000-0000-0000-0000-000000000000)", clientID)
	}
	return nil
}

// resourceScope normalises a resource (an organization or environment URL)
// to its origin, the cache key, and the scope to request,
// "<origin>/.default". Any path, query or trailing slash is dropped.
func resourceScope(resource string) (origin, scope string, err error) {
	r := strings.TrimSpace(resource)
	if r == "" {
		return "", "", NewInputError("d365", "the resource", "is empty (want the service URL, such as https://contoso.crm.dynamics.com)")
	}
	u, err := url.Parse(r)
	if err != nil || u.Host == "" || u.Opaque != "" {
		return "", "", NewInputError("d365", "the resource", "%q is not an absolute URL (want the service URL, such as https://contoso.crm.dynamics.com)", resource)
	}
	scheme := strings.ToLower(u.Scheme)
	if scheme != "https" && !(scheme == "http" && syntax.IsLoopback(u.Hostname())) {
		return "", "", NewInputError("d365", "the resource", "%q must use https", resource)
	}
	origin = scheme + "://" + strings.ToLower(u.Host)
	return origin, origin + "/.default", nil
}
