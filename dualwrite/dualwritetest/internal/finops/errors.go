package finops

import (
	"net/http"

	"github.com/b2bflow/d365/dualwrite/dualwritetest/internal/wire"
)

// Finance and Operations answers every error with the OData error object of
// ASP.NET Web API OData, on which its OData service is built:
//
//	{"error":{"code":"","message":"...","innererror":{"message":"...","type":"...","stacktrace":"..."}}}
//
// The code is always empty. What differs is the message and the innererror:
//
//   - A write that the application refuses (a duplicate key, a validation
//     failure, an error raised while saving) is 500 Internal Server Error
//     with the message "An error has occurred." and the real cause in
//     innererror: its message ("Write failed for table row of type
//     '<table entity>'. Infolog: ..."), the type
//     Microsoft.Dynamics.Platform.Integration.Services.OData.AxODataWriteException
//     and a .NET stack trace. Seen in a live $batch answer (the blog post
//     "D365fo Rest Api Smart Talks", 2020, a change set inserting an
//     existing customer group) and in the error bodies recorded by public
//     F&O client tests (CustCustomerV3Entity write failures).
//   - A request the OData layer refuses (an unknown property, a key that
//     does not name every key field, a malformed $filter) is 400 with
//     ODataLib's message, prefixed "The query specified in the URI is not
//     valid. " for a query option as ASP.NET Web API OData does, and the
//     same message in innererror with the type Microsoft.OData.ODataException.
//   - What the emulator does not implement is 501 with a message naming it.
//
// Microsoft does not document these bodies; the type names and the outer
// message are copied from the captures above, the stack traces are short
// stand-ins of the same form.

// Exception types F&O names in innererror.type.
const (
	typeWrite = "Microsoft.Dynamics.Platform.Integration.Services.OData.AxODataWriteException"
	typeOData = "Microsoft.OData.ODataException"
	typeAx    = "Microsoft.Dynamics.Platform.Integration.Services.OData.AxODataException"
)

// outerMessage is the message of every 500 F&O answers.
const outerMessage = "An error has occurred."

// Stack traces of the form F&O sends (the frames of the captured write
// failures, shortened).
const (
	stackCreate = "   at Microsoft.Dynamics.Platform.Integration.Services.OData.Update.UpdateProcessor.CreateEntity_Save(ChangeOperationContext context, ChangeInfo changeInfo)\r\n" +
		"   at Microsoft.Dynamics.Platform.Integration.Services.OData.Update.ChangeInfo.ExecuteActionsInCompanyContext(IEnumerable`1 actionList, ChangeOperationContext operationContext)\r\n" +
		"   at Microsoft.Dynamics.Platform.Integration.Services.OData.Update.ChangeInfo.TrySave(ChangeOperationContext operationContext)\r\n" +
		"   at Microsoft.Dynamics.Platform.Integration.Services.OData.Update.UpdateManager.SaveChanges()"
	stackUpdate = "   at Microsoft.Dynamics.Platform.Integration.Services.OData.Update.UpdateProcessor.UpdateEntity_Save(ChangeOperationContext context, ChangeInfo changeInfo)\r\n" +
		"   at Microsoft.Dynamics.Platform.Integration.Services.OData.Update.ChangeInfo.ExecuteActionsInCompanyContext(IEnumerable`1 actionList, ChangeOperationContext operationContext)\r\n" +
		"   at Microsoft.Dynamics.Platform.Integration.Services.OData.Update.ChangeInfo.TrySave(ChangeOperationContext operationContext)\r\n" +
		"   at Microsoft.Dynamics.Platform.Integration.Services.OData.Update.UpdateManager.SaveChanges()"
	stackDelete = "   at Microsoft.Dynamics.Platform.Integration.Services.OData.Update.UpdateProcessor.DeleteEntity_Delete(ChangeOperationContext context, ChangeInfo changeInfo)\r\n" +
		"   at Microsoft.Dynamics.Platform.Integration.Services.OData.Update.ChangeInfo.ExecuteActionsInCompanyContext(IEnumerable`1 actionList, ChangeOperationContext operationContext)\r\n" +
		"   at Microsoft.Dynamics.Platform.Integration.Services.OData.Update.UpdateManager.SaveChanges()"
	stackQuery = "   at Microsoft.OData.UriParser.MetadataBindingUtils.ConvertToTypeIfNeeded(SingleValueNode source, IEdmTypeReference targetTypeReference)\r\n" +
		"   at Microsoft.AspNet.OData.Query.FilterQueryOption.get_FilterClause()"
)

// WriteError answers with Finance and Operations' error shape for errors
// raised outside the handlers (authentication, faults, limits): the code
// is empty, and the message is repeated in innererror. A status of 500 or
// more gets F&O's outer message "An error has occurred.". The code
// parameter is ignored (it is there to match dataverse.WriteError).
func WriteError(w http.ResponseWriter, _ *http.Request, status int, _ string, msg string) {
	outer := msg
	if status >= 500 && status != http.StatusNotImplemented && status != http.StatusServiceUnavailable {
		outer = outerMessage
	}
	writeBody(w, status, outer, msg, typeAx, "")
}

func writeBody(w http.ResponseWriter, status int, outer, inner, typ, stack string) {
	wire.WriteJSON(w, status, map[string]any{"error": map[string]any{
		"code": "", "message": outer,
		"innererror": map[string]any{"message": inner, "type": typ, "stacktrace": stack},
	}})
}

// foError is a refusal a handler answers: its status, the inner message
// and the exception type (typeOData, typeWrite...). The outer message is
// the inner one, or "An error has occurred." for a write failure.
type foError struct {
	status int
	msg    string
	typ    string
	stack  string
}

func (e *foError) Error() string { return e.msg }

// badRequest is ODataLib's refusal of a request.
func badRequest(msg string) *foError {
	return &foError{status: http.StatusBadRequest, msg: msg, typ: typeOData}
}

// badQuery is ODataLib's refusal of a query option, with ASP.NET Web API
// OData's prefix.
func badQuery(msg string) *foError {
	return &foError{status: http.StatusBadRequest, msg: "The query specified in the URI is not valid. " + msg, typ: typeOData, stack: stackQuery}
}

// notImplemented names what the emulator does not implement.
func notImplemented(what string) *foError {
	return &foError{status: http.StatusNotImplemented, msg: "The emulator does not implement " + what + ".", typ: typeAx}
}

// writeFailed is F&O's answer to a write the application refuses: 500,
// "An error has occurred.", the cause in innererror.
func writeFailed(stack, msg string) *foError {
	return &foError{status: http.StatusInternalServerError, msg: msg, typ: typeWrite, stack: stack}
}

// fail answers a foError (or any other error, as a 500 write failure).
func (d *request) fail(err error) {
	e, ok := err.(*foError)
	if !ok {
		if we, ok := err.(*wire.Error); ok && we.Status < 500 {
			e = &foError{status: we.Status, msg: we.Msg, typ: typeAx}
		} else {
			e = writeFailed(stackCreate, err.Error())
		}
	}
	outer := e.msg
	if e.typ == typeWrite {
		outer = outerMessage
	}
	writeBody(d.w, e.status, outer, e.msg, e.typ, e.stack)
}
