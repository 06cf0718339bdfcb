package d365

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"golang.org/x/oauth2"
)

// AzureCredential adapts a credential of the Azure SDK for Go
// (azcore.TokenCredential) to a [Credential], so that the credentials of
// github.com/Azure/azure-sdk-for-go/sdk/azidentity serve both services:
// DefaultAzureCredential, WorkloadIdentityCredential (AKS, GitHub Actions
// federation), AzureCLICredential, ManagedIdentityCredential,
// ClientSecretCredential and the rest.
//
// For a service URL R it asks for the scope "R/.default", the scope the
// Dataverse Web API and Finance and Operations accept, so one credential
// serves the Sales and the Commerce client. The azidentity credentials cache
// their tokens and refresh them before they expire; the adapter adds no
// cache of its own and does not implement [TokenInvalidator] (azcore has no
// way to drop one cached token): after a 401 the request is tried once more
// with the token the Azure credential then returns.
//
// Which to choose: in Azure (AKS with workload identity, App Service,
// Functions, VMs) or on a developer's machine signed in with `az login`,
// wrap azidentity's DefaultAzureCredential; with an app registration's
// secret or certificate and no other Azure code, this package's
// [NewClientSecretCredential] and [NewClientCertificateCredential] need no
// Azure module and print their AADSTS causes in [CredentialError].
func AzureCredential(cred azcore.TokenCredential) Credential {
	return &azureCredential{cred: cred, kind: fmt.Sprintf("%T", cred)}
}

type azureCredential struct {
	cred azcore.TokenCredential
	kind string // the Azure credential's type, for String
}

// Token asks the Azure credential for a token for resource.
func (c *azureCredential) Token(ctx context.Context, resource string) (*oauth2.Token, error) {
	if c.cred == nil {
		return nil, errors.New("d365: AzureCredential: the Azure credential is nil")
	}
	_, scope, err := resourceScope(resource)
	if err != nil {
		return nil, err
	}
	at, err := c.cred.GetToken(ctx, policy.TokenRequestOptions{Scopes: []string{scope}})
	if err != nil {
		return nil, fmt.Errorf("d365: AzureCredential: getting a token for %s: %w", resource, err)
	}
	if at.Token == "" {
		return nil, fmt.Errorf("d365: AzureCredential: the Azure credential returned an empty token for %s", resource)
	}
	return &oauth2.Token{AccessToken: at.Token, TokenType: "Bearer", Expiry: at.ExpiresOn}, nil
}

// String describes the credential by the Azure credential's type.
func (c *azureCredential) String() string {
	if c == nil {
		return "d365.AzureCredential(nil)"
	}
	return "d365.AzureCredential(" + c.kind + ")"
}

// Format prints String for every verb, so that no verb shows a token the
// Azure credential caches.
func (c *azureCredential) Format(f fmt.State, verb rune) {
	formatRedacted(f, verb, c.String(), c.String())
}

// LogValue logs String.
func (c *azureCredential) LogValue() slog.Value { return slog.StringValue(c.String()) }

// AzureTokenCredential adapts a [Credential] to the Azure SDK for Go's
// azcore.TokenCredential, so that a d365 credential (a client secret, a
// certificate, a managed identity, a device code sign-in) can be handed to
// Azure SDK clients. The Azure client must ask for a single scope of the
// form "<resource>/.default", as Azure's clients do; the token is the
// credential's token for that resource, refreshed as the credential
// refreshes it.
func AzureTokenCredential(cred Credential) azcore.TokenCredential {
	return &tokenCredential{cred: cred}
}

type tokenCredential struct{ cred Credential }

// GetToken returns the credential's token for the resource of the one
// "<resource>/.default" scope asked for.
func (c *tokenCredential) GetToken(ctx context.Context, o policy.TokenRequestOptions) (azcore.AccessToken, error) {
	if c.cred == nil {
		return azcore.AccessToken{}, errors.New("d365: AzureTokenCredential: the credential is nil")
	}
	if len(o.Scopes) != 1 {
		return azcore.AccessToken{}, fmt.Errorf("d365: AzureTokenCredential: %d scopes asked for (%s): want exactly one, \"<resource>/.default\"", len(o.Scopes), strings.Join(o.Scopes, " "))
	}
	resource, ok := strings.CutSuffix(o.Scopes[0], "/.default")
	if !ok {
		return azcore.AccessToken{}, fmt.Errorf("d365: AzureTokenCredential: the scope %q is not of the form \"<resource>/.default\"", o.Scopes[0])
	}
	tok, err := c.cred.Token(ctx, resource)
	if err != nil {
		return azcore.AccessToken{}, err
	}
	return azcore.AccessToken{Token: tok.AccessToken, ExpiresOn: tok.Expiry}, nil
}

// String describes the adapter by the credential it wraps.
func (c *tokenCredential) String() string {
	return fmt.Sprintf("d365.AzureTokenCredential(%v)", c.cred)
}

// Format prints String for every verb.
func (c *tokenCredential) Format(f fmt.State, verb rune) {
	formatRedacted(f, verb, c.String(), c.String())
}

// ResourceTokenSourceCredential adapts token sources chosen per resource to
// a [Credential]: source is called once for each service URL the credential
// is asked about (its origin, such as https://contoso.crm.dynamics.com) and
// the token source it returns serves every later token for that resource.
// Use it when the tokens come from elsewhere (a secrets store, an
// oauth2.Config of your own) and differ per service; [TokenSourceCredential]
// serves every resource from one source. Wrap each source with
// [oauth2.ReuseTokenSource] if it does not cache its tokens.
func ResourceTokenSourceCredential(source func(resource string) (oauth2.TokenSource, error)) Credential {
	return &resourceTokenSources{source: source, sources: map[string]oauth2.TokenSource{}}
}

type resourceTokenSources struct {
	source  func(resource string) (oauth2.TokenSource, error)
	mu      sync.Mutex
	sources map[string]oauth2.TokenSource // origin -> its source
}

// Token returns a token from the resource's token source.
func (c *resourceTokenSources) Token(_ context.Context, resource string) (*oauth2.Token, error) {
	if c.source == nil {
		return nil, errors.New("d365: ResourceTokenSourceCredential: the source function is nil")
	}
	origin, _, err := resourceScope(resource)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	ts, ok := c.sources[origin]
	if !ok {
		ts, err = c.source(origin)
		if err == nil && ts == nil {
			err = errors.New("the source function returned a nil token source")
		}
		if err != nil {
			c.mu.Unlock()
			return nil, fmt.Errorf("d365: ResourceTokenSourceCredential: %s: %w", origin, err)
		}
		c.sources[origin] = ts
	}
	c.mu.Unlock()
	return ts.Token()
}

// String describes the credential without any token.
func (c *resourceTokenSources) String() string { return "d365.ResourceTokenSourceCredential" }

// Format prints String for every verb, so that no verb shows a cached token.
func (c *resourceTokenSources) Format(f fmt.State, verb rune) {
	formatRedacted(f, verb, c.String(), c.String())
}

// LogValue logs String.
func (c *resourceTokenSources) LogValue() slog.Value { return slog.StringValue(c.String()) }
