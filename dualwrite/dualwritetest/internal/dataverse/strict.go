package dataverse

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/b2bflow/d365/dualwrite/dualwritetest/internal/schema"
	"github.com/b2bflow/d365/dualwrite/dualwritetest/internal/wire"
)

// This file holds what makes the Web API as strict as Dataverse: the
// tables, columns and navigation properties of the schema, and the loud
// refusal (501) of the headers, paths and messages the emulator does not
// implement.

// schemaOf returns the service's schema, loading the documented one when
// none was set.
func (s *Service) schemaOf() *schema.Schema {
	if s.Schema == nil {
		s.Schema = schema.MustLoad()
	}
	return s.Schema
}

// table resolves an entity set name, case-sensitively as Dataverse does:
// its schema table and its store table (added to the store on first use).
func (s *Service) table(set string) (*table, *schema.Table, bool) {
	st, ok := s.schemaOf().TableBySet(set)
	if !ok {
		return nil, nil, false
	}
	return s.Store.AddDataverse(st.EntitySet, st.LogicalName, st.PrimaryKey), st, true
}

// schemaTable returns the schema table of a store table.
func (s *Service) schemaTable(tb *table) *schema.Table {
	st, _ := s.schemaOf().Table(tb.Logical)
	return st
}

// failSchema answers a *schema.Error as it is, anything else with fail.
func (d *request) failSchema(err error) {
	var se *schema.Error
	if errors.As(err, &se) {
		d.writeError(se.Status, se.Code, se.Message)
		return
	}
	d.fail(err)
}

// unimplemented answers 501 naming what the emulator does not implement,
// with the code and wording of the query package's 501s (query.CodeQuery).
func (d *request) unimplemented(what string) {
	d.writeError(http.StatusNotImplemented, "0x80060888", "The emulator does not implement "+what+".")
}

// checkHeaders refuses, with 501 naming it, a Dataverse header the
// emulator does not implement (other headers, transport and tracing ones,
// change nothing): any MSCRM.* (or x-ms-dyn*, SolutionUniqueName) header but
// MSCRM.SuppressDuplicateDetection: true (the emulator runs no duplicate
// detection, which is what that value asks), and Prefer values other than
// return=representation, odata.include-annotations, odata.maxpagesize,
// odata.continue-on-error and odata.track-changes. CallerObjectId and
// MSCRMCallerID (impersonation) are accepted: the limits count them per
// caller, and records are still written as the emulator's one user.
func (d *request) checkHeaders() bool {
	for k, vs := range d.r.Header {
		lk := strings.ToLower(k)
		if n, ok := headerNames[lk]; ok {
			k = n
		}
		switch {
		case lk == "mscrm.suppressduplicatedetection":
			// "true" is the Web API's default. "false" asks for duplicate
			// detection, which the emulator does not run: answering 204
			// would create the duplicate a real organization refuses.
			if len(vs) == 1 && strings.EqualFold(strings.TrimSpace(vs[0]), "true") {
				continue
			}
			d.unimplemented("duplicate detection (the header " + k + ": " + strings.Join(vs, ",") + ")")
			return false
		case lk == "mscrm.bypasscustompluginexecution":
			// Accepted and logged (dualwritetest.Request.Header): the
			// emulator runs no plug-ins, so there is nothing to bypass.
			if len(vs) == 1 && (strings.EqualFold(strings.TrimSpace(vs[0]), "true") || strings.EqualFold(strings.TrimSpace(vs[0]), "false")) {
				continue
			}
			d.writeError(http.StatusBadRequest, "0x80048d19", "The value of the header "+k+" must be true or false, not "+strings.Join(vs, ",")+".")
			return false
		case lk == "mscrm.bypassbusinesslogicexecution":
			if len(vs) == 1 && bypassLogicValue(vs[0]) {
				continue
			}
			d.writeError(http.StatusBadRequest, "0x80048d19", "The value of the header "+k+" must be CustomSync, CustomAsync or CustomSync,CustomAsync, not "+strings.Join(vs, ",")+".")
			return false
		case strings.HasPrefix(lk, "mscrm.") || strings.HasPrefix(lk, "x-ms-dyn") || lk == "solutionuniquename":
			d.unimplemented("the header " + k)
			return false
		}
	}
	for _, p := range splitPrefer(d.prefer) {
		name, _, _ := strings.Cut(p, "=")
		switch strings.ToLower(strings.TrimSpace(name)) {
		case "return", "odata.include-annotations", "odata.maxpagesize", "odata.continue-on-error", "odata.track-changes", "respond-async", "":
			if strings.EqualFold(strings.TrimSpace(name), "respond-async") {
				d.unimplemented("asynchronous requests (Prefer: respond-async)")
				return false
			}
		default:
			d.unimplemented("the preference Prefer: " + p)
			return false
		}
	}
	return true
}

// headerNames spells the documented Dataverse headers as Microsoft does
// (net/http canonicalizes them to Mscrm.bypasscustompluginexecution).
var headerNames = map[string]string{
	"mscrm.bypasscustompluginexecution":             "MSCRM.BypassCustomPluginExecution",
	"mscrm.bypassbusinesslogicexecution":            "MSCRM.BypassBusinessLogicExecution",
	"mscrm.bypassbusinesslogicexecutionstepids":     "MSCRM.BypassBusinessLogicExecutionStepIds",
	"mscrm.suppressduplicatedetection":              "MSCRM.SuppressDuplicateDetection",
	"mscrm.solutionuniquename":                      "MSCRM.SolutionUniqueName",
	"mscrm.mergelabels":                             "MSCRM.MergeLabels",
	"mscrm.suppresscallbackregistrationexpanderjob": "MSCRM.SuppressCallbackRegistrationExpanderJob",
	"mscrm.bypasspowerautomateflows":                "MSCRM.BypassPowerAutomateFlows",
	"solutionuniquename":                            "SolutionUniqueName",
}

// splitPrefer splits the Prefer values at the commas outside quotes.
func splitPrefer(prefer string) []string {
	var out []string
	quoted, start := false, 0
	for i := 0; i < len(prefer); i++ {
		switch prefer[i] {
		case '"':
			quoted = !quoted
		case ',':
			if !quoted {
				out = append(out, strings.TrimSpace(prefer[start:i]))
				start = i + 1
			}
		}
	}
	if rest := strings.TrimSpace(prefer[start:]); rest != "" {
		out = append(out, rest)
	}
	return out
}

// knownMessages are documented Dataverse functions and actions the
// emulator does not implement: naming one is 501, not the 404 of a name
// Dataverse does not know.
var knownMessages = map[string]bool{
	"RetrieveVersion": true, "InitializeFrom": true, "GetTimeZoneCodeByLocalizedName": true,
	"CalculateTotalTimeIncident": true, "RetrievePrincipalAccess": true, "AddToQueue": true,
	"CreateCustomerRelationships": true, "RetrieveTotalRecordCount": true, "ExecuteWorkflow": true,
	"Merge": true, "UpsertMultiple": true, "DeleteMultiple": true, "RetrieveCurrentOrganization": true,
	"RetrieveUserPrivileges": true, "RetrieveUserQueues": true, "CalculateRollupField": true,
	"SetState": true, "Assign": true, "GrantAccess": true, "RevokeAccess": true, "ModifyAccess": true,
	"BulkDelete": true, "ExportToExcel": true, "CloseIncident": true, "CloseQuote": true, "WinQuote": true,
	"ConvertQuoteToSalesOrder": true, "GenerateQuoteFromOpportunity": true, "RetrieveDuplicates": true,
	"RetrieveAllEntities": true, "RetrieveEntity": true, "RetrieveAttribute": true, "FormatAddress": true,
	"IsValidStateTransition": true, "CalculatePrice": true, "AddMembersTeam": true, "RemoveMembersTeam": true,
	"SendEmail": true, "SendEmailFromTemplate": true, "Rollup": true, "ExecuteAsync": true,
	"RelationshipDefinitions": true, "GlobalOptionSetDefinitions": true, "ManagedPropertyDefinitions": true,
}

// messageName returns the name of a function or action segment: without
// the Microsoft.Dynamics.CRM. namespace and without its parameters.
func messageName(seg string) (name string, qualified bool) {
	name, qualified = strings.CutPrefix(seg, "Microsoft.Dynamics.CRM.")
	if i := strings.IndexByte(name, '('); i >= 0 {
		name = name[:i]
	}
	return name, qualified
}

// unknownSegment answers a path segment the route table does not serve:
// 501 for a documented or namespace-qualified function or action the
// emulator does not implement, else Dataverse's 404.
func (d *request) unknownSegment(seg string) {
	name, qualified := messageName(seg)
	if qualified || knownMessages[name] {
		d.unimplemented("the function or action '" + name + "'")
		return
	}
	d.noSegment(seg)
}

// checkWrite checks a create or update body against the schema: columns,
// types, lengths, choices, @odata.bind navigation properties, and no deep
// insert (501).
func (s *Service) checkWrite(d *request, tb *table, op schema.Op, body map[string]any) bool {
	st := s.schemaTable(tb)
	if st == nil {
		return true
	}
	if err := st.CheckBody(op, body); err != nil {
		d.failSchema(err)
		return false
	}
	for k, v := range body {
		if strings.Contains(k, "@") {
			continue
		}
		switch v.(type) {
		case map[string]any, []any:
			if _, ok := st.Navigation(k); ok {
				d.unimplemented("deep insert (the navigation property '" + k + "' given a record)")
				return false
			}
			if _, ok := st.CollectionNavigation(k); ok {
				d.unimplemented("deep insert (the navigation property '" + k + "' given records)")
				return false
			}
		}
	}
	return true
}

// bindTarget checks the table an @odata.bind URL points to against the
// navigation property: it must be the navigation's target.
func checkBindTarget(st *schema.Table, nav string, target *table) error {
	n, ok := st.Navigation(nav)
	if !ok || target == nil {
		return nil
	}
	if n.Target == target.Logical || n.Target == "owner" && (target.Logical == "systemuser" || target.Logical == "team") {
		return nil
	}
	return &schema.Error{Status: http.StatusBadRequest, Code: schema.CodePayload, Property: nav,
		Message: fmt.Sprintf("Error identified in Payload provided by the user for Entity :'%s'  ---->  InnerException : Microsoft.OData.ODataException: The navigation property '%s' points to '%s', not to '%s'.", st.EntitySet, nav, n.Target, target.Logical)}
}

// keyError answers a wire.Error or a schema.Error from resolving a key.
func (d *request) keyError(err error) {
	var we *wire.Error
	if errors.As(err, &we) {
		d.writeError(we.Status, we.Code, we.Msg)
		return
	}
	d.failSchema(err)
}

// bypassLogicValue reports whether v is a documented value of
// MSCRM.BypassBusinessLogicExecution: CustomSync and/or CustomAsync,
// separated by a comma.
func bypassLogicValue(v string) bool {
	seen := map[string]bool{}
	for _, p := range strings.Split(v, ",") {
		p = strings.TrimSpace(p)
		if (p != "CustomSync" && p != "CustomAsync") || seen[p] {
			return false
		}
		seen[p] = true
	}
	return true
}
