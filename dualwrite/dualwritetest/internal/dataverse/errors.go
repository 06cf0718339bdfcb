package dataverse

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/b2bflow/d365/dualwrite/dualwritetest/internal/schema"
	"github.com/b2bflow/d365/dualwrite/dualwritetest/internal/wire"
)

// WriteError answers with Dataverse's error shape
// ({"error":{"code":...,"message":...}}), plus the annotation members when
// the request asked for annotations.
func WriteError(w http.ResponseWriter, r *http.Request, status int, code, msg string) {
	body := map[string]any{"code": code, "message": msg}
	if strings.Contains(strings.Join(r.Header.Values("Prefer"), ","), "odata.include-annotations") {
		body["@Microsoft.PowerApps.CDS.ErrorDetails.HttpStatusCode"] = fmt.Sprint(status)
		body["@Microsoft.PowerApps.CDS.HelpLink"] = "http://go.microsoft.com/fwlink/?LinkID=398563&error=Microsoft.Crm.CrmException%3a" + strings.TrimPrefix(code, "0x") + "&client=platform"
		body["@Microsoft.PowerApps.CDS.TraceText"] = "[dualwritetest] " + msg
		body["@Microsoft.PowerApps.CDS.InnerError.Message"] = msg
	}
	wire.WriteJSON(w, status, map[string]any{"error": body})
}

// writeError answers the request with Dataverse's error shape.
func (d *request) writeError(status int, code, msg string) { WriteError(d.w, d.r, status, code, msg) }

// fail answers an error from a write: a *wire.Error as it is, anything
// else as 400 0x80040203.
func (d *request) fail(err error) {
	if ae, ok := err.(*wire.Error); ok {
		d.writeError(ae.Status, ae.Code, ae.Msg)
		return
	}
	if se, ok := err.(*schema.Error); ok {
		d.writeError(se.Status, se.Code, se.Message)
		return
	}
	d.writeError(http.StatusBadRequest, "0x80040203", err.Error())
}

// badBody answers a body that is not what the request needs (400
// 0x80048d19).
func (d *request) badBody(msg string) { d.writeError(http.StatusBadRequest, "0x80048d19", msg) }

// notFound answers a missing record: by id, or by alternate key when id
// is "".
func (d *request) notFound(tb *table, id string) {
	if id == "" {
		d.writeError(http.StatusNotFound, "0x80060891", fmt.Sprintf("A record with the specified key values does not exist in %s entity", tb.Logical))
		return
	}
	d.writeError(http.StatusNotFound, "0x80040217", fmt.Sprintf("%s With Id = %s Does Not Exist", tb.Logical, id))
}

// noSegment answers a path segment the service does not know.
func (d *request) noSegment(seg string) {
	d.writeError(http.StatusNotFound, "0x8006088a", fmt.Sprintf("Resource not found for the segment '%s'.", seg))
}
