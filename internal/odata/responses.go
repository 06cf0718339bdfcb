package odata

import (
	"context"
	"net/http"

	"github.com/b2bflow/d365"
)

// reportResponse hands the answer of a call to the hooks of ctx
// (d365.WithResponseHook).
func reportResponse(ctx context.Context, st *call, resp *http.Response) {
	hooks := d365.ResponseHooks(ctx)
	if len(hooks) == 0 || resp == nil {
		return
	}
	r := d365.Response{Method: st.method, StatusCode: resp.StatusCode, RequestID: requestID(resp.Header), Attempts: st.attempts}
	for _, h := range hooks {
		h(r)
	}
}
