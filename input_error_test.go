package d365_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/b2bflow/d365"
)

func TestInputError(t *testing.T) {
	err := fmt.Errorf("wrapped: %w", d365.NewInputError("sales: Leads.Create", "lead.LastName", "is empty"))
	if !errors.Is(err, d365.ErrInvalidInput) {
		t.Errorf("errors.Is(%v, ErrInvalidInput) = false", err)
	}
	if errors.Is(err, d365.ErrNotFound) {
		t.Errorf("an input error matches ErrNotFound")
	}
	var ie *d365.InputError
	if !errors.As(err, &ie) || ie.Field != "lead.LastName" {
		t.Fatalf("errors.As = %v, field %q", ie, ie.Field)
	}
	if got, want := ie.Error(), "sales: Leads.Create: lead.LastName is empty"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}

func ExampleInputError() {
	err := d365.NewInputError("sales: Leads.Get", "id", "is empty (uuid.Nil)")
	var ie *d365.InputError
	if errors.Is(err, d365.ErrInvalidInput) && errors.As(err, &ie) {
		fmt.Println("bad", ie.Field+":", err)
	}
	// Output: bad id: sales: Leads.Get: id is empty (uuid.Nil)
}

func TestRootInputErrorsAreMatchable(t *testing.T) {
	const guid = "00000000-0000-0000-0000-000000000001"
	for _, tc := range []struct {
		name, field string
		err         error
	}{
		{"query top", "Query.Top", (&d365.Query{Top: -1}).Validate()},
		{"query select", "Query.Select", (&d365.Query{Select: []string{"name&$filter=x"}}).Validate()},
		{"query orderby", "Query.OrderBy", (&d365.Query{OrderBy: []string{"name sideways"}}).Validate()},
		{"query expand", "Query.Expand", (&d365.Query{Expand: []string{"a&b"}}).Validate()},
		{"date", "", func() error { _, err := d365.ParseDate("2026-13-01"); return err }()},
		{"decimal", "", func() error { _, err := d365.NewDecimal("1,5"); return err }()},
		{"tenant", "tenantID", func() error { _, err := d365.NewClientSecretCredential("", guid, "s", nil); return err }()},
		{"client id braces", "clientID", func() error {
			_, err := d365.NewClientSecretCredential(guid, "{"+guid+"}", "s", nil)
			return err
		}()},
		{"client id short", "clientID", func() error { _, err := d365.NewClientSecretCredential(guid, guid[1:], "s", nil); return err }()},
		{"secret", "secret", func() error { _, err := d365.NewClientSecretCredential(guid, guid, " ", nil); return err }()},
		{"authority http", "CredentialOptions.AuthorityHost", func() error {
			_, err := d365.NewClientSecretCredential(guid, guid, "s", &d365.CredentialOptions{AuthorityHost: "http://localhost:1/"})
			return err
		}()},
		{"prompt", "prompt", func() error { _, err := d365.NewDeviceCodeCredential(guid, guid, nil, nil); return err }()},
		{"certificates", "data", func() error { _, _, err := d365.ParseCertificates(nil, ""); return err }()},
		{"static token", "the access token", func() error {
			_, err := d365.StaticTokenCredential(" ").Token(context.Background(), "https://contoso.crm.dynamics.com")
			return err
		}()},
	} {
		var ie *d365.InputError
		if !errors.Is(tc.err, d365.ErrInvalidInput) || !errors.As(tc.err, &ie) {
			t.Errorf("%s: err = %v (%T), want a *d365.InputError", tc.name, tc.err, tc.err)
			continue
		}
		if ie.Field != tc.field {
			t.Errorf("%s: Field = %q, want %q", tc.name, ie.Field, tc.field)
		}
	}
}
