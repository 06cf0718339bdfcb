package d365

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestTokenCachePrintsNoToken prints a token cache holding a token, and a
// value holding a secret, with every verb, directly and by reflection.
func TestTokenCachePrintsNoToken(t *testing.T) {
	const token = "Cached-Opaque-Token-77e1c2d9"
	fetch := func(context.Context, string, string) (string, time.Time, error) {
		return token, time.Now().Add(time.Hour), nil
	}
	c := newTokenCache(fetch, credentialConfig{refreshMargin: time.Minute, now: time.Now})
	if _, err := c.Token(context.Background(), "https://contoso.crm.dynamics.com"); err != nil {
		t.Fatal(err)
	}
	type holder struct {
		c *tokenCache
		s secret
	}
	h := holder{c, newSecret(token)}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d"} {
		for _, v := range []any{c, h, &h, []*tokenCache{c}} {
			out := fmt.Sprintf(verb, v)
			for _, form := range []string{token, fmt.Sprintf("%x", token), fmt.Sprintf("%X", token)} {
				if strings.Contains(out, form) {
					t.Errorf("%s of %T shows the token: %s", verb, v, out)
				}
			}
		}
	}
	if got := fmt.Sprint(c); got != "d365.tokenCache{resources: 1}" {
		t.Errorf("the cache prints as %q", got)
	}
}

// TestCredentialErrorPrintsNoSecret: a CredentialError keeps the secrets
// it must redact; no verb shows them, and %v, %s and %#v stay readable.
func TestCredentialErrorPrintsNoSecret(t *testing.T) {
	const sec = "Redact-Me-Secret-4f3e2d1c"
	err := newCredentialError("ClientSecretCredential", "https://contoso.crm.dynamics.com", errors.New("boom: "+sec), sec)
	want := "d365: ClientSecretCredential: sign-in for https://contoso.crm.dynamics.com failed: boom: [REDACTED]"
	if got := fmt.Sprintf("%v", err); got != want {
		t.Errorf("%%v = %q, want %q", got, want)
	}
	if got := fmt.Sprintf("%s", err); got != want {
		t.Errorf("%%s = %q, want %q", got, want)
	}
	if got := fmt.Sprintf("%#v", err); !strings.HasPrefix(got, `&d365.CredentialError{Credential:"ClientSecretCredential", Resource:"https://contoso.crm.dynamics.com", Reason:"boom: [REDACTED]"`) {
		t.Errorf("%%#v = %q", got)
	}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d"} {
		for _, v := range []any{err, struct{ e error }{err}, []error{err}} {
			out := fmt.Sprintf(verb, v)
			for _, form := range []string{sec, fmt.Sprintf("%x", sec), fmt.Sprintf("%X", sec)} {
				if strings.Contains(out, form) {
					t.Errorf("%s of %T shows the secret: %s", verb, v, out)
				}
			}
		}
	}
}
