package d365_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/b2bflow/d365"
	"github.com/b2bflow/d365/commerce"
	"github.com/b2bflow/d365/internal/entratest"
	"github.com/b2bflow/d365/sales"
	"github.com/google/uuid"
	"golang.org/x/oauth2"
)

// azureSecretCredential is azidentity's client-secret credential signed in
// at the fake Microsoft Entra ID.
func azureSecretCredential(t *testing.T, idp *entratest.Server) azcore.TokenCredential {
	t.Helper()
	cred, err := azidentity.NewClientSecretCredential(entratest.DefaultTenantID, entratest.DefaultClientID, entratest.DefaultClientSecret,
		&azidentity.ClientSecretCredentialOptions{
			ClientOptions: azcore.ClientOptions{
				Cloud:     cloud.Configuration{ActiveDirectoryAuthorityHost: idp.URL},
				Transport: idp.Client(),
			},
			DisableInstanceDiscovery: true,
		})
	if err != nil {
		t.Fatal(err)
	}
	return cred
}

// audienceServer answers every request with body, and records the
// audience of each bearer token it receives, as the fake Entra ID issued it.
func audienceServer(t *testing.T, idp *entratest.Server, body string) (*httptest.Server, func() []string) {
	var mu sync.Mutex
	var audiences []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		iss, ok := idp.Lookup(strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer "))
		mu.Lock()
		audiences = append(audiences, fmt.Sprint(iss.Audience, " ", ok))
		mu.Unlock()
		if !ok {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(body))
	}))
	t.Cleanup(srv.Close)
	return srv, func() []string { mu.Lock(); defer mu.Unlock(); return append([]string(nil), audiences...) }
}

// An azidentity credential serves both services through AzureCredential,
// each with a token for its own resource, and its cache is used.
func TestAzureCredentialServesBothServices(t *testing.T) {
	idp := entratest.NewServer(nil)
	defer idp.Close()
	cred := d365.AzureCredential(azureSecretCredential(t, idp))

	org, orgAud := audienceServer(t, idp, `{"leadid":"00000000-0000-0000-0000-000000000001","subject":"x"}`)
	env, envAud := audienceServer(t, idp, `{"value":[]}`)
	sc, err := sales.NewClient(org.URL, cred, nil)
	if err != nil {
		t.Fatal(err)
	}
	cc, err := commerce.NewClient(env.URL, cred, nil)
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if _, err := sc.Leads.Get(context.Background(), uuid.MustParse("00000000-0000-0000-0000-000000000001"), nil); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := cc.DualWrite.Configurations(context.Background()); err != nil {
		t.Fatal(err)
	}
	for _, a := range orgAud() {
		if a != org.URL+" true" {
			t.Errorf("Sales received a token for %q, want %q", a, org.URL)
		}
	}
	for _, a := range envAud() {
		if a != env.URL+" true" {
			t.Errorf("Commerce received a token for %q, want %q", a, env.URL)
		}
	}
	if n := idp.TokenRequests(); n != 2 {
		t.Errorf("token requests = %d, want 2: one per resource, then azidentity's cache", n)
	}
}

// A d365 credential handed to the Azure SDK through AzureTokenCredential
// gives the token of the scope's resource, and refuses scopes it cannot map.
func TestAzureTokenCredential(t *testing.T) {
	idp := entratest.NewServer(nil)
	defer idp.Close()
	cred, err := d365.NewClientSecretCredential(entratest.DefaultTenantID, entratest.DefaultClientID, entratest.DefaultClientSecret,
		&d365.CredentialOptions{AuthorityHost: idp.URL, HTTPClient: idp.Client(), DisableInstanceDiscovery: true})
	if err != nil {
		t.Fatal(err)
	}
	az := d365.AzureTokenCredential(cred)
	at, err := az.GetToken(context.Background(), policy.TokenRequestOptions{Scopes: []string{"https://contoso.crm.dynamics.com/.default"}})
	if err != nil {
		t.Fatal(err)
	}
	iss, ok := idp.Lookup(at.Token)
	if !ok || iss.Audience != "https://contoso.crm.dynamics.com" {
		t.Errorf("token issued for %+v (known %v), want the organization", iss, ok)
	}
	if at.ExpiresOn.IsZero() {
		t.Error("ExpiresOn is zero")
	}
	for _, scopes := range [][]string{nil, {"a/.default", "b/.default"}, {"https://contoso.crm.dynamics.com/user_impersonation"}} {
		if _, err := az.GetToken(context.Background(), policy.TokenRequestOptions{Scopes: scopes}); err == nil {
			t.Errorf("scopes %q: no error", scopes)
		}
	}
}

// ResourceTokenSourceCredential asks for one source per resource origin.
func TestResourceTokenSourceCredential(t *testing.T) {
	calls := map[string]int{}
	cred := d365.ResourceTokenSourceCredential(func(resource string) (oauth2.TokenSource, error) {
		calls[resource]++
		if strings.Contains(resource, "unknown") {
			return nil, errors.New("no token for this service")
		}
		return oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "token-for-" + resource}), nil
	})
	for _, r := range []string{"https://contoso.crm.dynamics.com", "https://contoso.crm.dynamics.com/", "https://CONTOSO.crm.dynamics.com/api/data/v9.2"} {
		tok, err := cred.Token(context.Background(), r)
		if err != nil {
			t.Fatal(err)
		}
		if tok.AccessToken != "token-for-https://contoso.crm.dynamics.com" {
			t.Errorf("%s: token %q", r, tok.AccessToken)
		}
	}
	if tok, _ := cred.Token(context.Background(), "https://contoso.operations.dynamics.com"); tok.AccessToken != "token-for-https://contoso.operations.dynamics.com" {
		t.Errorf("Commerce token %q", tok.AccessToken)
	}
	if _, err := cred.Token(context.Background(), "https://unknown.crm.dynamics.com"); err == nil || !strings.Contains(err.Error(), "no token for this service") {
		t.Errorf("unknown resource: %v", err)
	}
	if calls["https://contoso.crm.dynamics.com"] != 1 {
		t.Errorf("the source was asked %d times for the organization, want 1", calls["https://contoso.crm.dynamics.com"])
	}
	if _, err := cred.Token(context.Background(), "not a url"); err == nil {
		t.Error("a resource that is not a URL: no error")
	}
}

// The adapters print their kind, never a token.
func TestAzureAdaptersPrintNoToken(t *testing.T) {
	src := oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "secret-token-value-123"})
	for _, v := range []any{
		d365.AzureCredential(staticAzure{"secret-token-value-123"}),
		d365.AzureTokenCredential(d365.StaticTokenCredential("secret-token-value-123")),
		d365.ResourceTokenSourceCredential(func(string) (oauth2.TokenSource, error) { return src, nil }),
	} {
		for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x"} {
			if s := fmt.Sprintf(verb, v); strings.Contains(s, "secret-token") || strings.Contains(s, fmt.Sprintf("%x", "secret-token")) {
				t.Errorf("%s of %T printed the token: %s", verb, v, s)
			}
		}
	}
}

type staticAzure struct{ token string }

func (s staticAzure) GetToken(context.Context, policy.TokenRequestOptions) (azcore.AccessToken, error) {
	return azcore.AccessToken{Token: s.token}, nil
}

// ExampleAzureCredential serves both services with azidentity's
// DefaultAzureCredential: workload identity on AKS, a managed identity in
// Azure, or `az login` on a developer's machine.
func ExampleAzureCredential() {
	az, err := azidentity.NewDefaultAzureCredential(nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	cred := d365.AzureCredential(az)
	salesClient, err := sales.NewClient("https://contoso.crm.dynamics.com", cred, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	commerceClient, err := commerce.NewClient("https://contoso.operations.dynamics.com", cred, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	_, _ = salesClient, commerceClient
}
