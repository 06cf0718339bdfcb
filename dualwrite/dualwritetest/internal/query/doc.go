// Package query is the query language of the emulator's Dataverse Web API:
// $filter (with lambda operators, navigation paths and the
// Microsoft.Dynamics.CRM query functions), $select, $orderby, $top, $count,
// $expand with nested options, $apply, and FetchXML.
//
// It is testable alone: it reads tables through two small interfaces the
// caller implements, Schema (which columns and navigation properties a table
// has) and Data (the rows of a table), and it takes its clock and the calling
// user from an Env. It never imports the emulator's store or schema packages.
//
// Each language has a Parse function returning an AST (ParseFilter,
// ParseQuery, ParseApply, ParseFetchXML) and an evaluator on Env (Match,
// Project, RunFetch). Every failure is an *Error carrying the HTTP status and
// the Dataverse error code to send: 400 for what Dataverse refuses, 501 for
// what Dataverse accepts but this package does not implement. Nothing is
// silently ignored.
package query
