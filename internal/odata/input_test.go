package odata

import (
	"context"
	"errors"
	"net/http"
	"testing"

	"github.com/b2bflow/d365"
)

func TestEngineInputErrorsAreMatchable(t *testing.T) {
	var calls int
	c, _, _, _ := testClient(t, func(w http.ResponseWriter, r *http.Request) { calls++ }, nil)
	base := c.BaseURL()
	for _, tc := range []struct {
		name, field string
		err         error
	}{
		{"http url", "url", func() error { _, err := ServiceURL("url", "http://contoso.crm.dynamics.com/"); return err }()},
		{"empty url", "url", func() error { _, err := ServiceURL("url", " "); return err }()},
		{"no url", "the service URL", func() error { _, err := New(Config{}); return err }()},
		{"max body", "ClientOptions.MaxResponseBytes", func() error {
			_, err := New(Config{BaseURL: base, Options: d365.ClientOptions{MaxResponseBytes: -1}})
			return err
		}()},
		{"user agent", "ClientOptions.UserAgent", func() error {
			_, err := New(Config{BaseURL: base, Options: d365.ClientOptions{UserAgent: "a\r\nb"}})
			return err
		}()},
		{"backoff", "RetryOptions.MaxBackoff", func() error {
			_, err := New(Config{BaseURL: base, Options: d365.ClientOptions{Retry: d365.RetryOptions{MinBackoff: 2, MaxBackoff: 1}}})
			return err
		}()},
		{"entity set", "entity set name", func() error { _, err := EntityPath("leads/x", KeyPart{Value: 1}); return err }()},
		{"no key", "the key of leads", func() error { _, err := EntityPath("leads"); return err }()},
		{"name", "column name", CheckName("column", "")},
		{"absolute path", "request path", func() error { _, err := c.Do(context.Background(), &Request{Path: "/leads"}); return err }()},
		{"dot segment", "request path", func() error { _, err := c.Do(context.Background(), &Request{Path: "a/../leads"}); return err }()},
		{"empty batch", "the batch", func() error { _, err := c.Batch(context.Background(), &d365.Batch{}); return err }()},
		{"batch part", "batch part 1", func() error {
			_, err := c.Batch(context.Background(), &d365.Batch{Parts: []d365.BatchPart{{}}})
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
	if calls != 0 {
		t.Errorf("the server got %d requests for bad input, want none", calls)
	}
}
