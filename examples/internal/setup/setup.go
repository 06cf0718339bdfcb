// Package setup connects the example programs to Dynamics 365: to real
// services when D365_SALES_URL is set, otherwise to an in-process emulator
// of Sales, Commerce and dual-write, so that every example runs anywhere.
//
// Environment variables for real services:
//
//	D365_SALES_URL       the Dataverse organization URL, https://contoso.crm.dynamics.com
//	D365_COMMERCE_URL    the Commerce headquarters URL, https://contoso.operations.dynamics.com (optional)
//	D365_COMPANY         the Commerce company (dataAreaId), such as usrt (optional)
//	D365_TENANT_ID       the Microsoft Entra ID tenant
//	D365_CLIENT_ID       the application (client) id
//	D365_CLIENT_SECRET   its secret, or
//	D365_CLIENT_CERT     a PEM or PKCS#12 file with its certificate and key
//	                     (D365_CLIENT_CERT_PASSWORD for an encrypted PKCS#12), or
//	D365_MANAGED_IDENTITY=1 to sign in as the managed identity of the host
//	                     (user-assigned when D365_CLIENT_ID is set), or
//	D365_ACCESS_TOKEN    a bearer token to send as is, obtained elsewhere
//	                     (it is not refreshed); the standalone emulator
//	                     (examples/emulator) accepts dualwritetest-token
package setup

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/b2bflow/d365"
	"github.com/b2bflow/d365/commerce"
	"github.com/b2bflow/d365/dualwrite/dualwritetest"
	"github.com/b2bflow/d365/sales"
)

// Env is what an example works with.
type Env struct {
	Sales *sales.Client
	// Commerce is nil against real services when D365_COMMERCE_URL is not set.
	Commerce *commerce.Client
	// Emulator is the in-process emulator, nil against real services.
	Emulator *dualwritetest.Server
	// Credential signs in to both services.
	Credential d365.Credential
}

// Close stops the emulator, if any.
func (e *Env) Close() {
	if e.Emulator != nil {
		e.Emulator.Close()
	}
}

// Connect returns the clients, and writes to w a first line saying whether
// they reach real services or the emulator.
func Connect(w io.Writer, opts *d365.ClientOptions) (*Env, error) {
	if opts == nil {
		opts = &d365.ClientOptions{}
	}
	salesURL := os.Getenv("D365_SALES_URL")
	if salesURL == "" {
		fmt.Fprintln(w, "D365_SALES_URL is not set: running on the in-process emulator of Sales, Commerce and dual-write (dualwritetest).")
		srv := dualwritetest.NewServer(nil)
		env := &Env{Emulator: srv, Credential: srv.Credential()}
		if err := env.clients(srv.SalesURL, srv.CommerceURL, srv.Company(), opts); err != nil {
			srv.Close()
			return nil, err
		}
		return env, nil
	}
	cred, err := credential()
	if err != nil {
		return nil, err
	}
	commerceURL := os.Getenv("D365_COMMERCE_URL")
	fmt.Fprintf(w, "Connecting to %s", salesURL)
	if commerceURL != "" {
		fmt.Fprintf(w, " and %s", commerceURL)
	}
	fmt.Fprintln(w, ".")
	env := &Env{Credential: cred}
	return env, env.clients(salesURL, commerceURL, os.Getenv("D365_COMPANY"), opts)
}

func (e *Env) clients(salesURL, commerceURL, company string, opts *d365.ClientOptions) error {
	var err error
	if e.Sales, err = sales.NewClient(salesURL, e.Credential, &sales.Options{ClientOptions: *opts}); err != nil {
		return err
	}
	if commerceURL != "" {
		e.Commerce, err = commerce.NewClient(commerceURL, e.Credential, &commerce.Options{ClientOptions: *opts, Company: company})
	}
	return err
}

// credential signs in as the environment variables say.
func credential() (d365.Credential, error) {
	tenant, client := os.Getenv("D365_TENANT_ID"), os.Getenv("D365_CLIENT_ID")
	switch {
	case os.Getenv("D365_ACCESS_TOKEN") != "":
		return d365.StaticTokenCredential(os.Getenv("D365_ACCESS_TOKEN")), nil
	case os.Getenv("D365_MANAGED_IDENTITY") == "1":
		return d365.NewManagedIdentityCredential(client, nil)
	case os.Getenv("D365_CLIENT_SECRET") != "":
		return d365.NewClientSecretCredential(tenant, client, os.Getenv("D365_CLIENT_SECRET"), nil)
	case os.Getenv("D365_CLIENT_CERT") != "":
		data, err := os.ReadFile(os.Getenv("D365_CLIENT_CERT"))
		if err != nil {
			return nil, err
		}
		certs, key, err := d365.ParseCertificates(data, os.Getenv("D365_CLIENT_CERT_PASSWORD"))
		if err != nil {
			return nil, err
		}
		return d365.NewClientCertificateCredential(tenant, client, certs, key, nil)
	}
	return nil, errors.New("D365_SALES_URL is set but no credential is: set D365_TENANT_ID, D365_CLIENT_ID and D365_CLIENT_SECRET (or D365_CLIENT_CERT, D365_MANAGED_IDENTITY=1 or D365_ACCESS_TOKEN)")
}
