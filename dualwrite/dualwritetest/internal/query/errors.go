package query

import (
	"errors"
	"fmt"
)

// Dataverse error codes used by this package.
const (
	// CodeQuery is the code Dataverse sends for a malformed or invalid OData
	// query option (for example "Expand with $ref is only supported on lookup
	// type navigation property.").
	CodeQuery = "0x80060888"
	// CodeSelectProperty is the code Dataverse sends for an unknown property
	// in $select ("Troubleshoot Dataverse Web API client errors": 0x0).
	CodeSelectProperty = "0x0"
	// CodeFetchXML is the code Dataverse sends for an invalid FetchXML
	// document or an unknown attribute in it (QueryBuilderNoAttribute is
	// 0x80041103; invalid XML is 0x80040203, "Invalid Argument").
	CodeFetchXML = "0x80040203"
	// CodeFetchNoAttribute is QueryBuilderNoAttribute: a FetchXML attribute
	// the table does not have.
	CodeFetchNoAttribute = "0x80041103"
	// CodeFetchNoEntity is QueryBuilderNoEntity: a FetchXML entity or
	// link-entity name that is not a table (0x80041102).
	CodeFetchNoEntity = "0x80041102"
	// CodeAggregateLimit is AggregateQueryRecordLimit exceeded.
	CodeAggregateLimit = "0x8004E023"
)

// ErrNotImplemented is wrapped by every *Error whose Status is 501: the
// syntax is valid Dataverse but this package does not evaluate it.
var ErrNotImplemented = errors.New("not implemented by the emulator")

// Error is a refusal to send as a Dataverse error body:
// {"error":{"code":Code,"message":Message}} with HTTP status Status.
type Error struct {
	Status  int    // 400 (Dataverse refuses) or 501 (the emulator does not implement it)
	Code    string // Dataverse error code, such as "0x80060888"
	Message string // Dataverse's message, or for 501 one naming the feature
}

// Error returns the message.
func (e *Error) Error() string { return e.Message }

// Unwrap makes errors.Is(err, ErrNotImplemented) true for 501 errors.
func (e *Error) Unwrap() error {
	if e.Status == 501 {
		return ErrNotImplemented
	}
	return nil
}

func badRequest(code, format string, args ...any) *Error {
	return &Error{Status: 400, Code: code, Message: fmt.Sprintf(format, args...)}
}

// notImplemented names a valid feature the emulator does not evaluate.
func notImplemented(format string, args ...any) *Error {
	return &Error{Status: 501, Code: CodeQuery, Message: "The emulator does not implement " + fmt.Sprintf(format, args...) + "."}
}

// unknownProperty is Dataverse's message for a name that is not a property
// of the table's entity type.
func unknownProperty(code, name, table string) *Error {
	return badRequest(code, "Could not find a property named '%s' on type 'Microsoft.Dynamics.CRM.%s'.", name, table)
}

func syntaxError(format string, args ...any) *Error {
	return badRequest(CodeQuery, format, args...)
}
