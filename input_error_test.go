package d365_test

import (
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
