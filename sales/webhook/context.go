// Package webhook receives Dataverse webhooks: an [http.Handler] that
// authenticates the call the ways a Dataverse webhook registration offers
// (HttpHeader, WebhookKey, HttpQueryString), decodes the
// RemoteExecutionContext JSON of the request body into a [Context], drops
// repeated deliveries and hands each new [Event] to a function of the
// caller through a bounded queue, answering Dataverse at once.
//
// The payload and headers follow Microsoft's "Use webhooks to create
// external handlers for server events" and "Register a webhook"
// (learn.microsoft.com/power-apps/developer/data-platform/use-webhooks and
// register-web-hook).
package webhook

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
)

// Context is a RemoteExecutionContext: what Dataverse tells about the
// operation that fired the step. Ids that are null in the payload are
// uuid.Nil.
type Context struct {
	BusinessUnitID   uuid.UUID
	CorrelationID    uuid.UUID
	Depth            int
	InitiatingUserID uuid.UUID
	// InitiatingUserAzureActiveDirectoryObjectID and
	// UserAzureActiveDirectoryObjectID are the Microsoft Entra object ids
	// of the users, when the payload carries them.
	InitiatingUserAzureActiveDirectoryObjectID uuid.UUID
	UserAzureActiveDirectoryObjectID           uuid.UUID
	InputParameters                            Parameters
	OutputParameters                           Parameters
	SharedVariables                            Parameters
	IsExecutingOffline                         bool
	IsInTransaction                            bool
	IsOfflinePlayback                          bool
	IsolationMode                              int
	// MessageName is the message, such as "Create", "Update" or "Win".
	MessageName string
	// Mode is 0 for a synchronous step, 1 for an asynchronous one.
	Mode               int
	OperationCreatedOn time.Time
	OperationID        uuid.UUID
	OrganizationID     uuid.UUID
	OrganizationName   string
	// OwningExtension is the sdkmessageprocessingstep that sent the call.
	OwningExtension *EntityReference
	ParentContext   *Context
	// PreEntityImages and PostEntityImages are the images registered on
	// the step, by name.
	PreEntityImages   map[string]*Entity
	PostEntityImages  map[string]*Entity
	PrimaryEntityID   uuid.UUID
	PrimaryEntityName string
	RequestID         uuid.UUID
	// SecondaryEntityName is "none" when there is none.
	SecondaryEntityName string
	// Stage is 10 (pre-validation), 20 (pre-operation), 40
	// (post-operation) or 30 (the main operation, in parent contexts).
	Stage  int
	UserID uuid.UUID
}

// Target returns the Entity of the "Target" input parameter (the record
// created or updated), nil when there is none.
func (c *Context) Target() *Entity {
	e, _ := c.InputParameters["Target"].(*Entity)
	return e
}

// Parameters is a collection of named values (InputParameters,
// OutputParameters, SharedVariables). A value is nil, bool, string,
// int64, float64, time.Time, *Entity, *EntityReference, OptionSetValue,
// Money, *EntityCollection, []any, KeyValue, or map[string]any for an
// object of a type this package does not know.
type Parameters map[string]any

// KeyValue is a key/value pair inside a list value (such as the
// KeyValuePairOfstringstring entries of SharedVariables).
type KeyValue struct {
	Key   string
	Value any
}

// Entity is a record: an Entity value, a Target, an image.
type Entity struct {
	LogicalName string
	ID          uuid.UUID
	// Attributes holds the columns present, by logical name, with values
	// as in Parameters.
	Attributes Parameters
	// FormattedValues holds the formatted values, by logical name.
	FormattedValues map[string]string
}

// Has reports whether the record has the column (even null).
func (e *Entity) Has(name string) bool {
	if e == nil {
		return false
	}
	_, ok := e.Attributes[name]
	return ok
}

// OptionSet returns the value of a choice column and whether it holds one.
func (e *Entity) OptionSet(name string) (int, bool) {
	if e == nil {
		return 0, false
	}
	switch v := e.Attributes[name].(type) {
	case OptionSetValue:
		return v.Value, true
	case int64:
		return int(v), true
	}
	return 0, false
}

// Bool returns the value of a Yes/No column and whether it holds one.
func (e *Entity) Bool(name string) (bool, bool) {
	if e == nil {
		return false, false
	}
	b, ok := e.Attributes[name].(bool)
	return b, ok
}

// String returns a text column, "" when it holds no text.
func (e *Entity) String(name string) string {
	if e == nil {
		return ""
	}
	s, _ := e.Attributes[name].(string)
	return s
}

// EntityReference points to a record.
type EntityReference struct {
	LogicalName string
	ID          uuid.UUID
	Name        string
}

// OptionSetValue is the value of a choice column.
type OptionSetValue struct{ Value int }

// Money is the value of a currency column.
type Money struct{ Value float64 }

// EntityCollection is a list of records.
type EntityCollection struct {
	EntityName string
	Entities   []*Entity
}

// DecodeError is a payload that is not a RemoteExecutionContext; Field
// names where, such as "InputParameters[0].value.Attributes[2]".
type DecodeError struct {
	Field  string
	Reason string
}

// Error names the field and what is wrong with it.
func (e *DecodeError) Error() string {
	if e.Field == "" {
		return "webhook: " + e.Reason
	}
	return "webhook: " + e.Field + ": " + e.Reason
}

// maxDepth bounds the nesting of values and parent contexts.
const maxDepth = 32

// DecodeContext decodes a RemoteExecutionContext as Dataverse serializes
// it to JSON (the body of a webhook request). It never panics; a payload
// that is not one returns a *DecodeError.
func DecodeContext(data []byte) (*Context, error) {
	v, err := parseJSON(data)
	if err != nil {
		return nil, &DecodeError{Reason: "the body is not JSON: " + err.Error()}
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, &DecodeError{Reason: "the body is not a JSON object"}
	}
	d := decoder{}
	c := d.context("", obj, 0)
	if d.err != nil {
		return nil, d.err
	}
	return c, nil
}

func parseJSON(data []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, errors.New("data after the JSON value")
	}
	return v, nil
}

type decoder struct{ err *DecodeError }

func (d *decoder) fail(field, format string, args ...any) {
	if d.err == nil {
		d.err = &DecodeError{Field: field, Reason: fmt.Sprintf(format, args...)}
	}
}

func join(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

func (d *decoder) context(path string, o map[string]any, depth int) *Context {
	if depth > maxDepth {
		d.fail(path, "contexts nested deeper than %d", maxDepth)
		return nil
	}
	c := &Context{
		BusinessUnitID:   d.guid(join(path, "BusinessUnitId"), o["BusinessUnitId"]),
		CorrelationID:    d.guid(join(path, "CorrelationId"), o["CorrelationId"]),
		Depth:            d.int(join(path, "Depth"), o["Depth"]),
		InitiatingUserID: d.guid(join(path, "InitiatingUserId"), o["InitiatingUserId"]),
		InitiatingUserAzureActiveDirectoryObjectID: d.guid(join(path, "InitiatingUserAzureActiveDirectoryObjectId"), o["InitiatingUserAzureActiveDirectoryObjectId"]),
		UserAzureActiveDirectoryObjectID:           d.guid(join(path, "UserAzureActiveDirectoryObjectId"), o["UserAzureActiveDirectoryObjectId"]),
		InputParameters:                            d.params(join(path, "InputParameters"), o["InputParameters"], depth),
		OutputParameters:                           d.params(join(path, "OutputParameters"), o["OutputParameters"], depth),
		SharedVariables:                            d.params(join(path, "SharedVariables"), o["SharedVariables"], depth),
		IsExecutingOffline:                         d.bool(join(path, "IsExecutingOffline"), o["IsExecutingOffline"]),
		IsInTransaction:                            d.bool(join(path, "IsInTransaction"), o["IsInTransaction"]),
		IsOfflinePlayback:                          d.bool(join(path, "IsOfflinePlayback"), o["IsOfflinePlayback"]),
		IsolationMode:                              d.int(join(path, "IsolationMode"), o["IsolationMode"]),
		MessageName:                                d.string(join(path, "MessageName"), o["MessageName"]),
		Mode:                                       d.int(join(path, "Mode"), o["Mode"]),
		OperationCreatedOn:                         d.date(join(path, "OperationCreatedOn"), o["OperationCreatedOn"]),
		OperationID:                                d.guid(join(path, "OperationId"), o["OperationId"]),
		OrganizationID:                             d.guid(join(path, "OrganizationId"), o["OrganizationId"]),
		OrganizationName:                           d.string(join(path, "OrganizationName"), o["OrganizationName"]),
		PreEntityImages:                            d.images(join(path, "PreEntityImages"), o["PreEntityImages"], depth),
		PostEntityImages:                           d.images(join(path, "PostEntityImages"), o["PostEntityImages"], depth),
		PrimaryEntityID:                            d.guid(join(path, "PrimaryEntityId"), o["PrimaryEntityId"]),
		PrimaryEntityName:                          d.string(join(path, "PrimaryEntityName"), o["PrimaryEntityName"]),
		RequestID:                                  d.guid(join(path, "RequestId"), o["RequestId"]),
		SecondaryEntityName:                        d.string(join(path, "SecondaryEntityName"), o["SecondaryEntityName"]),
		Stage:                                      d.int(join(path, "Stage"), o["Stage"]),
		UserID:                                     d.guid(join(path, "UserId"), o["UserId"]),
	}
	if v := o["OwningExtension"]; v != nil {
		m, ok := v.(map[string]any)
		if !ok {
			d.fail(join(path, "OwningExtension"), "not an EntityReference")
		} else {
			c.OwningExtension = d.reference(join(path, "OwningExtension"), m)
		}
	}
	if v := o["ParentContext"]; v != nil {
		m, ok := v.(map[string]any)
		if !ok {
			d.fail(join(path, "ParentContext"), "not a context object")
		} else {
			c.ParentContext = d.context(join(path, "ParentContext"), m, depth+1)
		}
	}
	return c
}

func (d *decoder) guid(field string, v any) uuid.UUID {
	switch s := v.(type) {
	case nil:
		return uuid.Nil
	case string:
		if s == "" {
			return uuid.Nil
		}
		id, err := uuid.Parse(s)
		if err != nil {
			d.fail(field, "%q is not a GUID", s)
		}
		return id
	}
	d.fail(field, "not a GUID string")
	return uuid.Nil
}

func (d *decoder) int(field string, v any) int {
	switch n := v.(type) {
	case nil:
		return 0
	case json.Number:
		i, err := strconv.ParseInt(string(n), 10, 32)
		if err != nil {
			d.fail(field, "%s is not a whole number", n)
		}
		return int(i)
	}
	d.fail(field, "not a number")
	return 0
}

func (d *decoder) bool(field string, v any) bool {
	switch b := v.(type) {
	case nil:
		return false
	case bool:
		return b
	}
	d.fail(field, "not true or false")
	return false
}

func (d *decoder) string(field string, v any) string {
	switch s := v.(type) {
	case nil:
		return ""
	case string:
		return s
	}
	d.fail(field, "not a string")
	return ""
}

func (d *decoder) date(field string, v any) time.Time {
	switch s := v.(type) {
	case nil:
		return time.Time{}
	case string:
		t, ok := parseDate(s)
		if !ok {
			d.fail(field, "%q is not a /Date(milliseconds)/ date", s)
		}
		return t
	}
	d.fail(field, "not a date string")
	return time.Time{}
}

var dateRE = regexp.MustCompile(`^/Date\((-?[0-9]{1,15})([+-][0-9]{4})?\)/$`)

// parseDate reads the WCF JSON date form "/Date(1506384247000)/" or
// "/Date(1506409448000-0700)/": milliseconds since 1970-01-01 UTC; the
// offset, when present, does not change the instant. The time is in UTC.
func parseDate(s string) (time.Time, bool) {
	m := dateRE.FindStringSubmatch(s)
	if m == nil {
		return time.Time{}, false
	}
	ms, err := strconv.ParseInt(m[1], 10, 64)
	if err != nil {
		return time.Time{}, false
	}
	return time.UnixMilli(ms).UTC(), true
}

// kvList reads the DataContract form of a collection: an array of
// {"key": name, "value": v}.
func (d *decoder) kvList(field string, v any, each func(field, key string, value any)) {
	if v == nil {
		return
	}
	arr, ok := v.([]any)
	if !ok {
		d.fail(field, "not an array of key/value pairs")
		return
	}
	for i, it := range arr {
		f := fmt.Sprintf("%s[%d]", field, i)
		m, ok := it.(map[string]any)
		if !ok {
			d.fail(f, "not a key/value pair")
			return
		}
		k, ok := m["key"].(string)
		if !ok {
			d.fail(f, "the key is missing or not a string")
			return
		}
		each(f, k, m["value"])
		if d.err != nil {
			return
		}
	}
}

func (d *decoder) params(field string, v any, depth int) Parameters {
	p := Parameters{}
	d.kvList(field, v, func(f, k string, val any) {
		p[k] = d.value(f+".value", val, depth+1)
	})
	return p
}

func (d *decoder) images(field string, v any, depth int) map[string]*Entity {
	imgs := map[string]*Entity{}
	d.kvList(field, v, func(f, k string, val any) {
		m, ok := val.(map[string]any)
		if !ok {
			d.fail(f+".value", "not an Entity")
			return
		}
		imgs[k] = d.entity(f+".value", m, depth+1)
	})
	return imgs
}

// typeName is the name of a "__type" tag: "Entity" for
// "Entity:http://schemas.microsoft.com/xrm/2011/Contracts".
func typeName(m map[string]any) string {
	t, _ := m["__type"].(string)
	name, _, _ := strings.Cut(t, ":")
	return name
}

func (d *decoder) value(field string, v any, depth int) any {
	if depth > maxDepth {
		d.fail(field, "values nested deeper than %d", maxDepth)
		return nil
	}
	switch x := v.(type) {
	case nil, bool:
		return x
	case string:
		if t, ok := parseDate(x); ok {
			return t
		}
		return x
	case json.Number:
		if i, err := strconv.ParseInt(string(x), 10, 64); err == nil {
			return i
		}
		f, err := strconv.ParseFloat(string(x), 64)
		if err != nil || math.IsInf(f, 0) {
			d.fail(field, "%s is not a number", x)
		}
		return f
	case []any:
		out := make([]any, len(x))
		for i, it := range x {
			out[i] = d.value(fmt.Sprintf("%s[%d]", field, i), it, depth+1)
		}
		return out
	case map[string]any:
		return d.object(field, x, depth)
	}
	d.fail(field, "unexpected JSON value")
	return nil
}

func (d *decoder) object(field string, m map[string]any, depth int) any {
	name := typeName(m)
	switch {
	case name == "Entity" || (name == "" && m["LogicalName"] != nil && m["Attributes"] != nil):
		return d.entity(field, m, depth)
	case name == "EntityReference" || (name == "" && m["LogicalName"] != nil && m["Id"] != nil):
		return d.reference(field, m)
	case name == "OptionSetValue":
		n, ok := m["Value"].(json.Number)
		i, err := strconv.ParseInt(string(n), 10, 32)
		if !ok || err != nil {
			d.fail(field+".Value", "an OptionSetValue needs a whole number")
		}
		return OptionSetValue{Value: int(i)}
	case name == "Money":
		n, ok := m["Value"].(json.Number)
		f, err := strconv.ParseFloat(string(n), 64)
		if !ok || err != nil || math.IsInf(f, 0) {
			d.fail(field+".Value", "Money needs a number")
		}
		return Money{Value: f}
	case name == "EntityCollection":
		ec := &EntityCollection{EntityName: d.string(field+".EntityName", m["EntityName"])}
		if v := m["Entities"]; v != nil {
			arr, ok := v.([]any)
			if !ok {
				d.fail(field+".Entities", "not an array")
				return ec
			}
			for i, it := range arr {
				em, ok := it.(map[string]any)
				if !ok {
					d.fail(fmt.Sprintf("%s.Entities[%d]", field, i), "not an Entity")
					return ec
				}
				ec.Entities = append(ec.Entities, d.entity(fmt.Sprintf("%s.Entities[%d]", field, i), em, depth+1))
			}
		}
		return ec
	case strings.HasPrefix(name, "KeyValuePairOf"):
		k, _ := m["key"].(string)
		return KeyValue{Key: k, Value: d.value(field+".value", m["value"], depth+1)}
	}
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = d.value(field+"."+k, v, depth+1)
	}
	return out
}

func (d *decoder) entity(field string, m map[string]any, depth int) *Entity {
	if depth > maxDepth {
		d.fail(field, "values nested deeper than %d", maxDepth)
		return nil
	}
	e := &Entity{
		LogicalName:     d.string(field+".LogicalName", m["LogicalName"]),
		ID:              d.guid(field+".Id", m["Id"]),
		Attributes:      d.params(field+".Attributes", m["Attributes"], depth),
		FormattedValues: map[string]string{},
	}
	d.kvList(field+".FormattedValues", m["FormattedValues"], func(f, k string, v any) {
		e.FormattedValues[k] = d.string(f+".value", v)
	})
	return e
}

func (d *decoder) reference(field string, m map[string]any) *EntityReference {
	return &EntityReference{
		LogicalName: d.string(field+".LogicalName", m["LogicalName"]),
		ID:          d.guid(field+".Id", m["Id"]),
		Name:        d.string(field+".Name", m["Name"]),
	}
}
