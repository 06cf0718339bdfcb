package d365

import (
	"fmt"
	"io"
)

// secret holds a string (a token, a client secret) where fmt, encoding/json,
// log/slog and any other printer that walks values by reflection cannot
// reach it: inside a closure, which they show as an address at most. A
// Format method alone would not do: fmt calls no method of a value it
// reaches through an unexported field, such as the credential an internal
// client keeps, and prints the bare string instead.
type secret struct{ reveal func() string }

func newSecret(s string) secret { return secret{reveal: func() string { return s }} }

// value returns the secret; "" for the zero secret.
func (s secret) value() string {
	if s.reveal == nil {
		return ""
	}
	return s.reveal()
}

// formatRedacted prints desc, the description of a value that holds a
// secret (a description that does not contain it), for every verb: %v, %+v
// and %s print desc, %#v prints goDesc, %q quotes desc, %x and %X print its
// hexadecimal, and any other verb (%d) prints as fmt prints a string with
// it. Flags, width and precision apply as they would to a string.
func formatRedacted(f fmt.State, verb rune, desc, goDesc string) {
	if verb == 'v' && f.Flag('#') {
		io.WriteString(f, goDesc)
		return
	}
	fmt.Fprintf(f, fmt.FormatString(f, verb), desc)
}
