package dataverse

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/b2bflow/d365/dualwrite/dualwritetest/internal/wire"
)

// CustomAPIFunc answers a custom API a test registered: set and id name
// the record (or, id empty, the entity set) it is bound to, both empty
// when unbound; function is true for a GET (a function), false for a POST
// (an action). It returns the response properties (nil: 204) or an error,
// answered 400 as a plug-in's InvalidPluginExecutionException is.
type CustomAPIFunc func(name, set, id string, function bool, params map[string]any) (map[string]any, error)

// customAPI answers op (the last path segment, such as "new_Echo" or
// "Microsoft.Dynamics.CRM.new_Fn(A=@p1)") when it names a registered
// custom API, and reports whether it did. tb is the table it is bound to
// (nil: unbound), id the record (empty: the entity set), found whether
// that record exists.
func (s *Service) customAPI(d *request, op string, tb *table, id string, found bool) bool {
	if len(s.CustomAPIs) == 0 {
		return false
	}
	var set string
	if tb != nil {
		set = tb.Name
	}
	if tb != nil && !strings.HasPrefix(op, "Microsoft.Dynamics.CRM.") {
		return false
	}
	name, args, hasArgs := strings.Cut(strings.TrimPrefix(op, "Microsoft.Dynamics.CRM."), "(")
	fn, ok := s.CustomAPIs[name]
	if !ok {
		return false
	}
	if tb != nil && id != "" && !found {
		d.notFound(tb, id)
		return true
	}
	var params map[string]any
	switch d.r.Method {
	case http.MethodPost:
		if hasArgs && args != ")" {
			d.badBody("An action takes its parameters in the body, not in the URL.")
			return true
		}
		body, err := wire.ReadBody(d.r)
		if err != nil {
			d.badBody(err.Error())
			return true
		}
		params = body
	case http.MethodGet:
		if !hasArgs || !strings.HasSuffix(args, ")") {
			d.writeError(http.StatusBadRequest, "0x80060888", "A function call needs its parameter list: "+name+"(...).")
			return true
		}
		p, err := functionParams(strings.TrimSuffix(args, ")"), d.r.URL.Query())
		if err != nil {
			d.writeError(http.StatusBadRequest, "0x80060888", "Calling "+name+": "+err.Error()+".")
			return true
		}
		params = p
	default:
		d.writeError(http.StatusMethodNotAllowed, "0x80060888", "The HTTP method '"+d.r.Method+"' is not allowed on "+name+".")
		return true
	}
	out, err := fn(name, set, id, d.r.Method == http.MethodGet, params)
	if err != nil {
		d.writeError(http.StatusBadRequest, "0x80040265", err.Error())
		return true
	}
	if out == nil {
		d.w.Header().Set("OData-Version", "4.0")
		d.w.WriteHeader(http.StatusNoContent)
		return true
	}
	res := map[string]any{"@odata.context": d.base + "$metadata#Microsoft.Dynamics.CRM." + name + "Response"}
	for k, v := range out {
		res[k] = v
	}
	wire.WriteJSON(d.w, http.StatusOK, res)
	return true
}

// functionParams parses a function's parameter list, "A=@p1,B='x'", each
// value a literal or an alias resolved from the query.
func functionParams(list string, q url.Values) (map[string]any, error) {
	params := map[string]any{}
	if strings.TrimSpace(list) == "" {
		return params, nil
	}
	for _, part := range splitParams(list) {
		k, v, ok := strings.Cut(part, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("the function parameter %q is not Name=value", part)
		}
		if strings.HasPrefix(v, "@") {
			vs, ok := q[v]
			if !ok || len(vs) != 1 {
				return nil, fmt.Errorf("the parameter alias %s of %s is not given once in the query", v, k)
			}
			v = vs[0]
		}
		lit, err := parseLiteral(v)
		if err != nil {
			return nil, fmt.Errorf("the value of the function parameter %s: %v", k, err)
		}
		params[k] = lit
	}
	return params, nil
}

// splitParams splits a parameter list at the commas outside quotes.
func splitParams(s string) []string {
	var parts []string
	quoted, start := false, 0
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] == '\'':
			quoted = !quoted
		case s[i] == ',' && !quoted:
			parts = append(parts, s[start:i])
			start = i + 1
		}
	}
	return append(parts, s[start:])
}

// parseLiteral reads an OData literal: a quoted string, null, true,
// false, a number (json.Number, as bodies are read), a GUID (as a string)
// or a JSON array or object.
func parseLiteral(v string) (any, error) {
	switch {
	case v == "null":
		return nil, nil
	case v == "true", v == "false":
		return v == "true", nil
	case strings.HasPrefix(v, "'"):
		if len(v) < 2 || !strings.HasSuffix(v, "'") {
			return nil, fmt.Errorf("the string %s is not closed", v)
		}
		inner := v[1 : len(v)-1]
		if strings.Count(inner, "'")%2 != 0 {
			return nil, fmt.Errorf("the string %s has an unescaped quote", v)
		}
		return strings.ReplaceAll(inner, "''", "'"), nil
	case strings.HasPrefix(v, "[") || strings.HasPrefix(v, "{"):
		dec := json.NewDecoder(bytes.NewReader([]byte(v)))
		dec.UseNumber()
		var x any
		if err := dec.Decode(&x); err != nil {
			return nil, fmt.Errorf("%s is not JSON: %v", v, err)
		}
		return x, nil
	}
	var n json.Number
	if err := json.Unmarshal([]byte(v), &n); err == nil {
		return n, nil
	}
	if len(v) == 36 && strings.Count(v, "-") == 4 {
		return strings.ToLower(v), nil
	}
	return nil, fmt.Errorf("%s is not a literal the emulator reads (strings, numbers, booleans, null, GUIDs, JSON)", v)
}
