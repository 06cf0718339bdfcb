package odata

import (
	"fmt"
	"io"
)

// Format prints s, a client's description, for every verb of f, so that no
// verb (%v, %+v, %#v, %s...) reaches the credential the client holds: the
// Format method of the SDK's clients.
func Format(f fmt.State, verb rune, s string) {
	if verb == 'v' && f.Flag('#') {
		io.WriteString(f, s)
		return
	}
	fmt.Fprintf(f, fmt.FormatString(f, verb), s)
}
