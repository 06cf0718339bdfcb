package odata

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/b2bflow/d365"
	"github.com/b2bflow/d365/internal/syntax"
)

// Actions and functions: the operations of the Web API beyond records.
// An action is a POST of its parameters as a JSON object; a function is a
// GET whose parameters are function parameter aliases
// (Fn(P1=@p1)?@p1=<literal>). Either is bound (to a record or an entity
// set, named with its namespace) or unbound (named alone).

// Namespace is the namespace of Dataverse's actions and functions, which a
// bound operation is named with.
const Namespace = "Microsoft.Dynamics.CRM."

// OperationPath returns the path of the action or function name, bound to
// the record or entity set at bound ("" for unbound). A bound operation is
// named with the namespace (added when missing); an unbound one without it
// (removed when present). op names the call in input errors.
func OperationPath(op, name, bound string) (string, error) {
	short := strings.TrimPrefix(name, Namespace)
	if short == "" || !syntax.IsName(short) || strings.Contains(short, ".") {
		return "", d365.NewInputError(op, "name", "%q is not an operation name (letters, digits and '_', optionally after %s)", name, Namespace)
	}
	if bound == "" {
		return short, nil
	}
	return bound + "/" + Namespace + short, nil
}

// FunctionQuery returns the parameter list of a function call and its
// query: "(A=@p1,B=@p2)" and "@p1=<literal>&@p2=<literal>", the parameters
// in name order and each value an OData literal (d365.FormatLiteral). A
// value that is a json.RawMessage is sent as it is (a JSON array or
// object, for collection and complex parameters). op names the call in
// input errors.
func FunctionQuery(op string, params map[string]any) (list, query string, err error) {
	names := make([]string, 0, len(params))
	for k := range params {
		names = append(names, k)
	}
	slices.Sort(names)
	var l, q strings.Builder
	l.WriteByte('(')
	for i, k := range names {
		if !syntax.IsName(k) || strings.Contains(k, ".") {
			return "", "", d365.NewInputError(op, "parameter name", "%q may hold only letters, digits and '_'", k)
		}
		var lit string
		switch v := params[k].(type) {
		case json.RawMessage:
			if !json.Valid(v) {
				return "", "", d365.NewInputError(op, "parameter "+k, "is not valid JSON")
			}
			lit = string(v)
		default:
			if lit, err = d365.FormatLiteral(v); err != nil {
				return "", "", d365.NewInputError(op, "parameter "+k, "%v", strings.TrimPrefix(err.Error(), "d365: "))
			}
		}
		alias := "@p" + strconv.Itoa(i+1)
		if i > 0 {
			l.WriteByte(',')
			q.WriteByte('&')
		}
		l.WriteString(k + "=" + alias)
		q.WriteString(alias + "=" + syntax.EscapeQueryValue(lit))
	}
	l.WriteByte(')')
	return l.String(), q.String(), nil
}

// Invoke sends the action at path with body (nil sends "{}") and returns
// the response. An action is retried after an answer that says the service
// did not act (429, 503) or a connection that could not be opened, but
// after a lost answer (a dropped connection, 502, 504) only when
// idempotent is set: the caller knows that running it twice is safe.
func Invoke(ctx context.Context, c *Client, path string, body any, idempotent bool) (*Response, error) {
	if body == nil {
		body = json.RawMessage("{}")
	}
	return c.Do(ctx, &Request{Method: http.MethodPost, Path: path, Body: body, Idempotent: idempotent})
}

// DecodeResult unmarshals an operation's answer into v: nothing for an
// answer with no body (204), which leaves v as it is. op names the call in
// errors.
func DecodeResult(op string, resp *Response, v any) error {
	if resp == nil || resp.StatusCode == http.StatusNoContent || len(strings.TrimSpace(string(resp.Body))) == 0 {
		return nil
	}
	if err := unmarshal(resp.Body, v); err != nil {
		return fmt.Errorf("%s: decoding the result: %w", op, err)
	}
	return nil
}
