package d365_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/b2bflow/d365"
	"github.com/b2bflow/d365/internal/entratest"
	"github.com/b2bflow/d365/sales"
	"github.com/google/uuid"
)

// TestUnauthorizedRefreshesARealCredentialOnce runs a Sales client with a
// client-secret credential signed in at a fake Microsoft Entra ID. The data
// service refuses the first token it sees (as when a token is revoked or the
// service's clock disagrees): the client must get exactly one new token and
// send the request once more, and 20 concurrent requests refused with the
// same token must still cause a single refresh.
func TestUnauthorizedRefreshesARealCredentialOnce(t *testing.T) {
	idp := entratest.NewServer(nil)
	defer idp.Close()
	var mu sync.Mutex
	refused := ""
	var seen []string
	data := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tok := r.Header.Get("Authorization")
		mu.Lock()
		seen = append(seen, tok)
		if refused == "" {
			refused = tok
		}
		bad := tok == refused
		mu.Unlock()
		if bad {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.Write([]byte(`{"leadid":"00000000-0000-0000-0000-000000000001","subject":"x"}`))
	}))
	defer data.Close()

	cred, err := d365.NewClientSecretCredential(entratest.DefaultTenantID, entratest.DefaultClientID, entratest.DefaultClientSecret,
		&d365.CredentialOptions{AuthorityHost: idp.URL, HTTPClient: idp.Client(), DisableInstanceDiscovery: true})
	if err != nil {
		t.Fatal(err)
	}
	c, err := sales.NewClient(data.URL, cred, nil)
	if err != nil {
		t.Fatal(err)
	}
	// Sign in once, so that every request starts with the same token.
	if _, err := cred.Token(context.Background(), data.URL); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := c.Leads.Get(context.Background(), uuid.MustParse("00000000-0000-0000-0000-000000000001"), nil); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if n := idp.TokenRequests(); n != 2 {
		t.Errorf("token requests = %d, want 2: the first sign-in and one refresh", n)
	}
	distinct := map[string]bool{}
	for _, s := range seen {
		distinct[s] = true
	}
	if len(distinct) != 2 || len(seen) > 40 {
		t.Errorf("%d requests with %d distinct tokens; want at most 40 with 2", len(seen), len(distinct))
	}
}
