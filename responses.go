package d365

import "context"

// Response describes one answered call, after its retries: what a hook set
// with WithResponseHook receives.
type Response struct {
	// Method is the HTTP method of the call.
	Method string
	// StatusCode is the status of the last answer.
	StatusCode int
	// RequestID is the service's id for the last attempt: Dataverse's
	// x-ms-service-request-id, or the request id header of Finance and
	// Operations; empty when the answer had none.
	RequestID string
	// Attempts is how many times the request was sent.
	Attempts int
}

type responseHooksKey struct{}

// WithResponseHook returns a context whose calls (of packages sales and
// commerce) report each answer to hook, errors included, once per call
// after its retries; a call that got no answer at all (a broken
// connection, a cancelled context) is not reported. The hooks of ctx are
// kept: each answer goes to them too. A hook is called from the goroutine
// making the call, so calls made concurrently under one context call it
// concurrently.
func WithResponseHook(ctx context.Context, hook func(Response)) context.Context {
	if hook == nil {
		return ctx
	}
	prev := ResponseHooks(ctx)
	hooks := make([]func(Response), 0, len(prev)+1)
	hooks = append(append(hooks, prev...), hook)
	return context.WithValue(ctx, responseHooksKey{}, hooks)
}

// ResponseHooks returns the hooks of ctx, set with WithResponseHook, in
// the order they were added.
func ResponseHooks(ctx context.Context) []func(Response) {
	h, _ := ctx.Value(responseHooksKey{}).([]func(Response))
	return h
}
