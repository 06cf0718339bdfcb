package schema

import "fmt"

// Error is a refusal as the service sends it: the HTTP status, the error
// code of the JSON error body (Dataverse's hexadecimal code; empty for
// Finance and Operations, whose errors carry a message only) and the
// message.
type Error struct {
	Status  int
	Code    string
	Message string
	// Property is the property, column, field or navigation property the
	// error is about, when there is one.
	Property string
}

// Error returns the code and the message.
func (e *Error) Error() string {
	if e.Code == "" {
		return e.Message
	}
	return e.Code + ": " + e.Message
}

// Dataverse error codes. Each comment gives the source of the code and of
// the message the Check functions use; "not documented" says that no
// Microsoft page gives the code for that case and why this one was chosen.
const (
	// CodeResourceNotFound: 404 "Resource not found for the segment
	// 'Account'." for an entity set (or function, action) name that is
	// wrong, names being case-sensitive. Source: MicrosoftDocs/
	// SupportArticles-docs support/power-platform/power-apps/dataverse/
	// web-api-client-errors.md ("Resource not found for the segment").
	CodeResourceNotFound = "0x8006088a"

	// CodePropertyNotFound: 400 "Could not find a property named 'Name' on
	// type 'Microsoft.Dynamics.CRM.account'." for a name in $select,
	// $filter, $orderby or $expand that is no property. Source of the
	// message: web-api-client-errors.md (above), whose 2022 example body
	// prints the code "0x0"; current services answer 0x80060888 for it
	// (seen in third-party clients and live probes), which is the code used
	// here. 0x80060888 is not in Microsoft's error code list.
	CodePropertyNotFound = "0x80060888"

	// CodeInvalidProperty: 400 "An error occurred while validating input
	// parameters: Microsoft.Crm.CrmException: Invalid property 'Name' was
	// found in entity 'Microsoft.Dynamics.CRM.account'. --->
	// Microsoft.OData.ODataException: Does not support untyped value in
	// non-open type." for an unknown property in a request body. Source:
	// web-api-client-errors.md ("Invalid property {property name} was found
	// in entity"), which prints the code "0x0".
	CodeInvalidProperty = "0x0"

	// CodePayload: 400 "Error identified in Payload provided by the user for
	// Entity :'contacts'  ---->  InnerException :
	// Microsoft.OData.ODataException: An undeclared property
	// 'parentcustomerid' which only has property annotations in the payload
	// but no property value was found in the payload. In OData, only
	// declared navigation properties and declared named streams can be
	// represented as properties without values." for @odata.bind on a name
	// that is no single-valued navigation property. Source:
	// web-api-client-errors.md ("Error identified in Payload provided by the
	// user for Entity"). The same code and prefix are used for the other
	// payload errors ODataLib raises while reading a body (a value of the
	// wrong type, a primitive value given to a navigation property); those
	// inner messages are ODataLib's and are not in Microsoft's pages.
	CodePayload = "0x80048d19"

	// CodeStringTooLong: 400 "A validation error occurred.  The length of
	// the 'subject' attribute of the 'task' entity exceeded the maximum
	// allowed length of '200'." (two spaces after the first sentence, as
	// printed). Source: MicrosoftDocs/powerapps-docs
	// powerapps-docs/developer/data-platform/webapi/
	// execute-batch-operations-using-web-api.md (the continue-on-error
	// example). The same code is used for a number outside the column's
	// range; that message is not documented.
	CodeStringTooLong = "0x80044331"

	// CodeValueOutOfRange is CodeStringTooLong's code for a number outside
	// the column's documented minimum and maximum (not documented).
	CodeValueOutOfRange = "0x80044331"

	// CodePicklistOutOfRange: 0x8004431A PicklistValueOutOfRange "The
	// picklist value is out of the range." for a choice value the column
	// does not have, and for a statuscode that does not belong to the
	// statecode. Source: MicrosoftDocs/powerapps-docs
	// powerapps-docs/developer/data-platform/includes/
	// data-service-error-codes.md (the Web service error codes list).
	CodePicklistOutOfRange = "0x8004431a"

	// CodeInvalidArgument: 0x80040203 InvalidArgument, for a write to a
	// column not valid for create (POST) or update (PATCH) and for a
	// statecode the table does not have. Not documented for these cases:
	// the error list gives the name and the service's answer to a read-only
	// column is not documented; the message names the column and the
	// operation.
	CodeInvalidArgument = "0x80040203"

	// CodeEntityKeyNotDefined: 0x80060890 EntityKeyNotDefined "The
	// specified key attributes are not a defined key for the account
	// entity" for an alternate key the table does not declare. Source: the
	// Web service error codes list (data-service-error-codes.md).
	CodeEntityKeyNotDefined = "0x80060890"

	// CodeRecordNotFoundByKey: 0x80060891 RecordNotFoundByEntityKey "A
	// record with the specified key values does not exist in account
	// entity" for a declared alternate key that matches no record. Source:
	// the Web service error codes list (data-service-error-codes.md).
	CodeRecordNotFoundByKey = "0x80060891"
)

func errResourceNotFound(segment string) *Error {
	return &Error{Status: 404, Code: CodeResourceNotFound, Property: segment,
		Message: fmt.Sprintf("Resource not found for the segment '%s'.", segment)}
}

func errPropertyNotFound(table, name string) *Error {
	return &Error{Status: 400, Code: CodePropertyNotFound, Property: name,
		Message: fmt.Sprintf("Could not find a property named '%s' on type 'Microsoft.Dynamics.CRM.%s'.", name, table)}
}

func errInvalidProperty(table, name string) *Error {
	return &Error{Status: 400, Code: CodeInvalidProperty, Property: name,
		Message: fmt.Sprintf("An error occurred while validating input parameters: Microsoft.Crm.CrmException: Invalid property '%s' was found in entity 'Microsoft.Dynamics.CRM.%s'. ---> Microsoft.OData.ODataException: Does not support untyped value in non-open type.", name, table)}
}

func errPayload(set, name, inner string) *Error {
	return &Error{Status: 400, Code: CodePayload, Property: name,
		Message: fmt.Sprintf("Error identified in Payload provided by the user for Entity :'%s'  ---->  InnerException : Microsoft.OData.ODataException: %s", set, inner)}
}

func errUndeclaredNavigation(set, name string) *Error {
	return errPayload(set, name, fmt.Sprintf("An undeclared property '%s' which only has property annotations in the payload but no property value was found in the payload. In OData, only declared navigation properties and declared named streams can be represented as properties without values.", name))
}

func errTypeMismatch(set, name, edm string) *Error {
	return errPayload(set, name, fmt.Sprintf("Cannot convert a primitive value to the expected type '%s'. See the inner exception for more details.", edm))
}
