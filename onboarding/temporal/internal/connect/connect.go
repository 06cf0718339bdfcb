// Package connect reads the configuration of the programs of
// onboarding/temporal from the environment: the Dynamics 365 services (the
// variables of the repository's examples) and the Temporal service.
//
//	D365_SALES_URL       the Dataverse organization URL, https://contoso.crm.dynamics.com
//	D365_COMMERCE_URL    the Commerce headquarters URL (optional)
//	D365_COMPANY         the Commerce company (dataAreaId), such as usrt (optional)
//	D365_TENANT_ID       the Microsoft Entra ID tenant
//	D365_CLIENT_ID       the application (client) id
//	D365_CLIENT_SECRET   its secret, or
//	D365_CLIENT_CERT     a PEM or PKCS#12 file with its certificate and key
//	                     (D365_CLIENT_CERT_PASSWORD for an encrypted PKCS#12), or
//	D365_MANAGED_IDENTITY=1 the host's managed identity, or
//	D365_ACCESS_TOKEN    a bearer token to send as is
//
//	TEMPORAL_ADDRESS     the Temporal frontend, host:port (default localhost:7233)
//	TEMPORAL_NAMESPACE   the namespace (default "default")
//	TEMPORAL_TASK_QUEUE  the task queue (default "onboarding")
//	TEMPORAL_API_KEY     an API key (Temporal Cloud); it turns TLS on
//	TEMPORAL_TLS=1       TLS without an API key
package connect

import (
	"crypto/tls"
	"errors"
	"os"

	"github.com/b2bflow/d365"
	"github.com/b2bflow/d365/commerce"
	"github.com/b2bflow/d365/sales"
	"go.temporal.io/sdk/client"
)

// Getenv returns the variable, or def when it is empty.
func Getenv(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// TaskQueue is TEMPORAL_TASK_QUEUE, "onboarding" by default.
func TaskQueue() string { return Getenv("TEMPORAL_TASK_QUEUE", "onboarding") }

// TemporalOptions returns the client options the TEMPORAL_* variables
// give.
func TemporalOptions() client.Options {
	o := client.Options{
		HostPort:  Getenv("TEMPORAL_ADDRESS", client.DefaultHostPort),
		Namespace: Getenv("TEMPORAL_NAMESPACE", client.DefaultNamespace),
	}
	if key := os.Getenv("TEMPORAL_API_KEY"); key != "" {
		o.Credentials = client.NewAPIKeyStaticCredentials(key)
		o.ConnectionOptions.TLS = &tls.Config{MinVersion: tls.VersionTLS12}
	} else if os.Getenv("TEMPORAL_TLS") == "1" {
		o.ConnectionOptions.TLS = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	return o
}

// D365 returns the clients of the services the D365_* variables name;
// Commerce is nil without D365_COMMERCE_URL.
func D365(opts d365.ClientOptions) (*sales.Client, *commerce.Client, error) {
	salesURL := os.Getenv("D365_SALES_URL")
	if salesURL == "" {
		return nil, nil, errors.New("D365_SALES_URL is not set (or use -emulator)")
	}
	cred, err := credential()
	if err != nil {
		return nil, nil, err
	}
	sc, err := sales.NewClient(salesURL, cred, &sales.Options{ClientOptions: opts})
	if err != nil {
		return nil, nil, err
	}
	var cc *commerce.Client
	if u := os.Getenv("D365_COMMERCE_URL"); u != "" {
		if cc, err = commerce.NewClient(u, cred, &commerce.Options{ClientOptions: opts, Company: os.Getenv("D365_COMPANY")}); err != nil {
			return nil, nil, err
		}
	}
	return sc, cc, nil
}

func credential() (d365.Credential, error) {
	tenant, clientID := os.Getenv("D365_TENANT_ID"), os.Getenv("D365_CLIENT_ID")
	switch {
	case os.Getenv("D365_ACCESS_TOKEN") != "":
		return d365.StaticTokenCredential(os.Getenv("D365_ACCESS_TOKEN")), nil
	case os.Getenv("D365_MANAGED_IDENTITY") == "1":
		return d365.NewManagedIdentityCredential(clientID, nil)
	case os.Getenv("D365_CLIENT_SECRET") != "":
		return d365.NewClientSecretCredential(tenant, clientID, os.Getenv("D365_CLIENT_SECRET"), nil)
	case os.Getenv("D365_CLIENT_CERT") != "":
		data, err := os.ReadFile(os.Getenv("D365_CLIENT_CERT"))
		if err != nil {
			return nil, err
		}
		certs, key, err := d365.ParseCertificates(data, os.Getenv("D365_CLIENT_CERT_PASSWORD"))
		if err != nil {
			return nil, err
		}
		return d365.NewClientCertificateCredential(tenant, clientID, certs, key, nil)
	}
	return nil, errors.New("D365_SALES_URL is set but no credential is: set D365_TENANT_ID, D365_CLIENT_ID and D365_CLIENT_SECRET (or D365_CLIENT_CERT, D365_MANAGED_IDENTITY=1 or D365_ACCESS_TOKEN)")
}
