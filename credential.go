package d365

import (
	"context"
	"fmt"
	"log/slog"
	"strings"

	"golang.org/x/oauth2"
)

// A Credential obtains OAuth 2.0 access tokens for the Dynamics 365 services.
//
// The resource is the service URL the token is for: the Dataverse
// organization URL (https://contoso.crm.dynamics.com) or the Finance and
// Operations environment URL (https://contoso.operations.dynamics.com). A
// token for resource R is requested with the scope "R/.default", so one
// credential serves both the Sales and the Commerce client.
//
// Implementations must be safe for concurrent use. The clients call Token
// before every attempt of every request, so an implementation should cache
// tokens and refresh them shortly before they expire; the credentials in this
// package do.
//
// A Credential may also implement [TokenInvalidator]; the clients then
// discard a token the service refused with 401 Unauthorized and retry the
// request once with a new one.
//
// The Microsoft Entra ID credentials, [NewClientSecretCredential],
// [NewClientCertificateCredential], [NewManagedIdentityCredential] and
// [NewDeviceCodeCredential], cache one token per resource, refresh it
// before it expires (see [CredentialOptions].RefreshMargin), sign in once
// however many goroutines ask at the same time, and implement
// [TokenInvalidator]. Their failures are *[CredentialError] values.
type Credential interface {
	Token(ctx context.Context, resource string) (*oauth2.Token, error)
}

// TokenInvalidator is implemented by credentials that cache tokens. When a
// service answers 401 Unauthorized, the clients call InvalidateToken with the
// access token that was refused, then ask for a new token and retry the
// request once. An implementation drops its cached token for the resource
// only if it is still the refused one, so that many requests failing with the
// same token cause a single refresh.
type TokenInvalidator interface {
	InvalidateToken(resource, accessToken string)
}

// TokenSourceCredential adapts any [oauth2.TokenSource] to a [Credential].
// The resource is ignored: the token source must yield tokens for every
// service the credential is used with. Wrap the source with
// [oauth2.ReuseTokenSource] if it does not cache its tokens.
//
// The credential prints (with fmt, log/slog, encoding/json) as
// "d365.TokenSourceCredential(<the source's type>)", never with a token the
// source holds.
func TokenSourceCredential(ts oauth2.TokenSource) Credential {
	return &tokenSourceCredential{source: func() oauth2.TokenSource { return ts }, kind: fmt.Sprintf("%T", ts)}
}

// tokenSourceCredential keeps its source in a closure: a printer walking
// the credential by reflection sees an address, not the source's cached
// token.
type tokenSourceCredential struct {
	source func() oauth2.TokenSource
	kind   string // the source's type, for String
}

func (c *tokenSourceCredential) Token(ctx context.Context, _ string) (*oauth2.Token, error) {
	ts := c.source()
	if ts == nil {
		return nil, NewInputError("d365: TokenSourceCredential", "the token source", "is nil")
	}
	return ts.Token()
}

// String describes the credential without any token.
func (c *tokenSourceCredential) String() string {
	if c == nil {
		return "d365.TokenSourceCredential(nil)"
	}
	return "d365.TokenSourceCredential(" + c.kind + ")"
}

// Format prints String for every verb, so that no verb shows a token.
func (c *tokenSourceCredential) Format(f fmt.State, verb rune) {
	formatRedacted(f, verb, c.String(), c.String())
}

// LogValue logs String.
func (c *tokenSourceCredential) LogValue() slog.Value { return slog.StringValue(c.String()) }

// StaticTokenCredential returns a [Credential] that always yields the given
// access token. It is meant for tests and for tokens obtained elsewhere (for
// example from the Azure CLI); it cannot refresh the token when it expires.
//
// The credential prints (with fmt, log/slog, encoding/json) as
// "d365.StaticTokenCredential([REDACTED])", never with the token.
func StaticTokenCredential(accessToken string) Credential {
	return &staticCredential{token: newSecret(strings.TrimSpace(accessToken))}
}

type staticCredential struct{ token secret }

func (c *staticCredential) Token(context.Context, string) (*oauth2.Token, error) {
	at := c.token.value()
	if at == "" {
		return nil, NewInputError("d365: StaticTokenCredential", "the access token", "is empty")
	}
	return &oauth2.Token{AccessToken: at, TokenType: "Bearer"}, nil
}

// String describes the credential without the token.
func (c *staticCredential) String() string {
	if c == nil || c.token.value() == "" {
		return "d365.StaticTokenCredential(empty)"
	}
	return "d365.StaticTokenCredential([REDACTED])"
}

// Format prints String for every verb, so that no verb shows the token.
func (c *staticCredential) Format(f fmt.State, verb rune) {
	formatRedacted(f, verb, c.String(), c.String())
}

// LogValue logs String.
func (c *staticCredential) LogValue() slog.Value { return slog.StringValue(c.String()) }
