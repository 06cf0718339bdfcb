package d365_test

import (
	"context"
	"fmt"
	"log"
	"os"

	"github.com/b2bflow/d365"
)

// Sign in as an application with a client secret, and use the one credential
// for both services: tokens are requested, cached and refreshed per service
// URL, so a program that runs for days never sends an expired token.
func ExampleNewClientSecretCredential() {
	const (
		orgURL = "https://contoso.crm.dynamics.com"        // Dynamics 365 Sales (Dataverse)
		envURL = "https://contoso.operations.dynamics.com" // Commerce headquarters
	)
	cred, err := d365.NewClientSecretCredential(
		os.Getenv("AZURE_TENANT_ID"),     // directory (tenant) id
		os.Getenv("AZURE_CLIENT_ID"),     // application (client) id
		os.Getenv("AZURE_CLIENT_SECRET"), // the secret's value
		nil,                              // defaults: public cloud, 5-minute refresh margin
	)
	if err != nil {
		log.Fatal(err) // names the bad argument; never prints the secret
	}
	fmt.Println(cred) // d365.ClientSecretCredential{tenant: ..., client: ...}

	// The clients take the credential and ask it for a token before each
	// request:
	//
	//	salesClient, err := sales.NewClient(orgURL, cred, nil)
	//	commerceClient, err := commerce.NewClient(envURL, cred, nil)
	//
	// Asking directly shows what they get; the scope requested is the
	// service URL followed by "/.default".
	ctx := context.Background()
	for _, resource := range []string{orgURL, envURL} {
		tok, err := cred.Token(ctx, resource)
		if err != nil {
			// A *d365.CredentialError says what went wrong in plain
			// words: a wrong secret (AADSTS7000215), an unknown tenant
			// (AADSTS90002), ...
			log.Fatal(err)
		}
		fmt.Println(resource, "token valid until", tok.Expiry)
	}
}
