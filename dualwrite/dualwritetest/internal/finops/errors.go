package finops

import (
	"net/http"

	"github.com/b2bflow/d365/dualwrite/dualwritetest/internal/wire"
)

// WriteError answers with Finance and Operations' error shape: an empty
// code, the message, and the message again in innererror. The code
// parameter is ignored (it is there to match dataverse.WriteError).
func WriteError(w http.ResponseWriter, _ *http.Request, status int, _ string, msg string) {
	wire.WriteJSON(w, status, map[string]any{"error": map[string]any{
		"code": "", "message": msg,
		"innererror": map[string]any{"message": msg, "type": "Microsoft.Dynamics.Platform.Integration.Services.OData.AxODataException", "stacktrace": ""},
	}})
}
