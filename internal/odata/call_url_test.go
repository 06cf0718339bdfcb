package odata

import (
	"net/url"
	"strings"
	"testing"
)

// A next link's URL is scrubbed of every token the call has sent by the
// time it is written, even when it was first written before the call
// signed in (a log line while the client waited out a pause).
func TestRedactedNextLinkIsScrubbedOfLaterTokens(t *testing.T) {
	u, err := url.Parse("https://contoso.crm.dynamics.com/api/data/v9.2/leads?$skiptoken=" + url.QueryEscape(opaqueToken))
	if err != nil {
		t.Fatal(err)
	}
	st := &call{u: u, link: true}
	if before := st.redactedURL(); !strings.Contains(before, url.QueryEscape(opaqueToken)) {
		t.Fatalf("before any token was sent: %q (nothing to scrub yet)", before)
	}
	st.tokens = append(st.tokens, opaqueToken)
	if after := st.redactedURL(); strings.Contains(after, url.QueryEscape(opaqueToken)) || strings.Contains(after, opaqueToken) {
		t.Errorf("after the token was sent, the link still holds it: %q", after)
	}
	plain := &call{u: u}
	if plain.redactedURL() != RedactURL(u) {
		t.Errorf("a request's own URL: %q, want RedactURL's %q", plain.redactedURL(), RedactURL(u))
	}
}
