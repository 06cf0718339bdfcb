package d365

import (
	"errors"
	"fmt"
)

// ErrInvalidInput matches, with errors.Is, every error a call returns for
// bad input: a malformed id, an empty required field, an option out of
// range. Such a call sends no request.
var ErrInvalidInput = errors.New("d365: invalid input")

// InputError is bad input that a call refused before sending any request.
// It matches [ErrInvalidInput]; use errors.As to read which field was
// wrong.
type InputError struct {
	// Op is the call that refused the input, such as "sales: Leads.Create".
	Op string
	// Field names what was wrong, as the caller wrote it: "lead.LastName",
	// "BulkOptions.ChunkSize", "id".
	Field string
	// Reason says what is wrong with it: "is empty", "is 0: it must be
	// between 1 and 1000".
	Reason string
}

// NewInputError returns an *InputError for op and field, its reason
// formatted as by fmt.Sprintf.
func NewInputError(op, field, format string, args ...any) *InputError {
	return &InputError{Op: op, Field: field, Reason: fmt.Sprintf(format, args...)}
}

// Error returns "op: field reason", such as
// "sales: Leads.Create: lead.LastName is empty".
func (e *InputError) Error() string {
	s := e.Field
	if e.Reason != "" {
		if s != "" {
			s += " "
		}
		s += e.Reason
	}
	if e.Op != "" {
		s = e.Op + ": " + s
	}
	return s
}

// Is reports whether target is [ErrInvalidInput].
func (e *InputError) Is(target error) bool { return target == ErrInvalidInput }
