package d365

import "context"

// CallOptions are options of the requests made under one context, set with
// WithCallOptions: every Dataverse request (every call of package sales)
// given the context, or a context derived from it, sends them. They let
// one shared client act for many people, or bypass custom logic for a bulk
// load, without a client per case. Package commerce (Finance and
// Operations, which does not know them) ignores them.
type CallOptions struct {
	// CallerObjectID, when set, makes Dataverse run the requests on behalf
	// of the Microsoft Entra ID user with this object id (a GUID), sent as
	// the CallerObjectId header. It replaces ClientOptions.CallerObjectID
	// for these requests. The application user needs the
	// prvActOnBehalfOfAnotherUser privilege.
	CallerObjectID string

	// BypassCustomPluginExecution sends "MSCRM.BypassCustomPluginExecution:
	// true": synchronous custom plug-ins and workflows do not run. The
	// caller needs the prvBypassCustomPlugins privilege.
	BypassCustomPluginExecution bool

	// BypassCustomSync and BypassCustomAsync send
	// MSCRM.BypassBusinessLogicExecution with "CustomSync", "CustomAsync"
	// or "CustomSync,CustomAsync": the synchronous and/or asynchronous
	// custom logic does not run. The caller needs the
	// prvBypassCustomBusinessLogic privilege.
	BypassCustomSync, BypassCustomAsync bool

	// DetectDuplicates sends "MSCRM.SuppressDuplicateDetection: false": a
	// create or update that a duplicate detection rule matches fails (with
	// code 0x80040333) instead of being made. The Web API does not detect
	// duplicates unless asked.
	DetectDuplicates bool

	// Tag, when set, is sent as the tag query parameter: plug-ins read it
	// in their execution context's SharedVariables["tag"].
	Tag string
}

type callOptionsKey struct{}

// WithCallOptions returns a context whose requests send o (replacing any
// CallOptions of ctx). The options are checked when a request is built: a
// CallerObjectID that is not a GUID fails the call with an *InputError
// before anything is sent.
func WithCallOptions(ctx context.Context, o CallOptions) context.Context {
	return context.WithValue(ctx, callOptionsKey{}, o)
}

// CallOptionsFrom returns the CallOptions of ctx, set with WithCallOptions,
// and whether there are any.
func CallOptionsFrom(ctx context.Context) (CallOptions, bool) {
	o, ok := ctx.Value(callOptionsKey{}).(CallOptions)
	return o, ok
}
