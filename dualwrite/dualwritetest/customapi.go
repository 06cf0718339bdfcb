package dualwritetest

import "github.com/b2bflow/d365/dualwrite/dualwritetest/internal/dataverse"

// CustomAPIRequest is a call of a custom API registered in
// Options.CustomAPIs.
type CustomAPIRequest struct {
	// Name is the custom API's unique name, such as "new_CheckCredit".
	Name string
	// Function is true for a function (GET, parameters as aliases), false
	// for an action (POST, parameters in the body).
	Function bool
	// Set and ID name what a bound call is bound to: the entity set and
	// the record's id (ID empty for an entity set); both empty when
	// unbound.
	Set, ID string
	// Params are the request parameters: JSON values as decoded with
	// UseNumber (numbers are json.Number), GUIDs as strings.
	Params map[string]any
}

// CustomAPI answers a custom API: the response properties (nil answers
// 204 No Content) or an error, answered 400 with code 0x80040265 and the
// error's text, as Dataverse answers a plug-in that throws
// InvalidPluginExecutionException. It runs under the emulator's lock: it
// must not call the emulator.
type CustomAPI func(req CustomAPIRequest) (map[string]any, error)

// customAPIs adapts the registered handlers to the Web API's.
func (s *Server) customAPIs(apis map[string]CustomAPI) {
	if len(apis) == 0 {
		return
	}
	s.dv.CustomAPIs = make(map[string]dataverse.CustomAPIFunc, len(apis))
	for name, fn := range apis {
		s.dv.CustomAPIs[name] = func(name, set, id string, function bool, params map[string]any) (map[string]any, error) {
			return fn(CustomAPIRequest{Name: name, Function: function, Set: set, ID: id, Params: params})
		}
	}
}
