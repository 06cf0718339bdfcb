package sales

import (
	"context"
	"encoding/json"
	"net/http"

	"github.com/b2bflow/d365"
	"github.com/b2bflow/d365/internal/odata"
	"github.com/google/uuid"
)

// Binding is what a bound action or function is bound to: the record with
// ID in the entity set Set (such as "leads"), or the entity set itself
// when ID is uuid.Nil (as CreateMultiple is).
type Binding struct {
	// Set is the entity set name, such as "leads" or "new_projects".
	Set string
	// ID is the record's id; uuid.Nil binds to the entity set.
	ID uuid.UUID
}

// path returns the path of the bound record or entity set.
func (b *Binding) path(op string) (string, error) {
	if b == nil {
		return "", nil
	}
	if err := odata.CheckName("entity set", b.Set); err != nil {
		return "", d365.NewInputError(op, "Binding.Set", "%q may hold only letters, digits, '_' and '.'", b.Set)
	}
	if b.ID == uuid.Nil {
		return b.Set, nil
	}
	return odata.EntityPath(b.Set, odata.KeyPart{Value: b.ID})
}

// ActionOptions tunes CallAction. The zero value (or nil) is the safe
// default.
type ActionOptions struct {
	// Idempotent says that running the action twice has the same effect
	// as once, so that it is retried after a lost answer (a dropped
	// connection, 502, 504), which may hide an action that ran. Without
	// it an action is retried only when the service says it did not act
	// (429, 503) or the connection could not be opened. Set it only for
	// an action you know to be safe, such as one that reads or one keyed
	// by a value the caller chose.
	Idempotent bool
}

// CallAction calls the Dataverse action name (POST) with the parameters in
// req and returns its result decoded into a Res: the standard actions
// (WinOpportunity), the bound ones (QualifyLead on a lead) and the custom
// APIs of the organization (new_CheckCredit) alike.
//
// req is encoded as JSON: a struct with json tags, a map[string]any, or
// nil (struct{}{}) for an action without parameters. A record parameter is
// an object with "@odata.type" (such as
// {"@odata.type":"Microsoft.Dynamics.CRM.account","accountid":id}).
//
// Res receives the response's properties, the action's output parameters
// (such as a struct with json tags, or map[string]any); an action answered
// with 204 (no result) leaves it at its zero value. Use struct{} for an
// action that returns nothing.
//
// bound nil calls an unbound action (named without the namespace); a
// bound action is sent as <set>(<id>)/Microsoft.Dynamics.CRM.<name>.
// An action is not retried after a lost answer unless o.Idempotent.
func CallAction[Req, Res any](ctx context.Context, c *Client, name string, bound *Binding, req Req, o *ActionOptions) (Res, error) {
	var res Res
	const op = "sales: CallAction"
	if c == nil {
		return res, d365.NewInputError(op, "c", "is nil")
	}
	path, err := operationPath(op, name, bound)
	if err != nil {
		return res, err
	}
	if o == nil {
		o = &ActionOptions{}
	}
	body, err := json.Marshal(req)
	if err != nil {
		return res, d365.NewInputError(op, "req", "cannot be encoded as JSON: %v", err)
	}
	if string(body) == "null" {
		body = []byte("{}")
	}
	resp, err := odata.Invoke(ctx, c.od, path, json.RawMessage(body), o.Idempotent)
	if err != nil {
		return res, err
	}
	return res, odata.DecodeResult(op+" "+name, resp, &res)
}

// CallFunction calls the Dataverse function name (GET) with params as
// function parameter aliases, Name(A=@p1,B=@p2)?@p1=<literal>&@p2=...,
// and returns its result decoded into a Res. Each value is written as an
// OData literal (d365.FormatLiteral: strings quoted, GUIDs, numbers,
// d365.Enum for enumeration values); a json.RawMessage is sent as it is,
// for collection and complex parameters. bound nil calls an unbound
// function (WhoAmI). A function only reads, so it is retried as any read.
func CallFunction[Res any](ctx context.Context, c *Client, name string, bound *Binding, params map[string]any) (Res, error) {
	var res Res
	const op = "sales: CallFunction"
	if c == nil {
		return res, d365.NewInputError(op, "c", "is nil")
	}
	path, err := operationPath(op, name, bound)
	if err != nil {
		return res, err
	}
	list, query, err := odata.FunctionQuery(op, params)
	if err != nil {
		return res, err
	}
	resp, err := c.od.Do(ctx, &odata.Request{Method: http.MethodGet, Path: path + list, Query: query})
	if err != nil {
		return res, err
	}
	return res, odata.DecodeResult(op+" "+name, resp, &res)
}

// operationPath returns the path of an operation, bound or not.
func operationPath(op, name string, bound *Binding) (string, error) {
	b, err := bound.path(op)
	if err != nil {
		return "", err
	}
	return odata.OperationPath(op, name, b)
}
