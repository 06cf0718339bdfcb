// Package query is the query language of the emulator's Dataverse Web API:
// $filter (with lambda operators, navigation paths and the
// Microsoft.Dynamics.CRM query functions), $select, $orderby, $top, $count,
// $expand with nested options, $apply, and FetchXML.
//
// It is testable alone: it reads tables through two small interfaces the
// caller implements, Schema (which tables, columns and navigation
// properties exist) and Data (the rows of a table), and it takes its clock
// and the calling user from an Env. It imports neither the emulator's store
// nor its schema package.
//
// # Use
//
//	env := &query.Env{Schema: s, Data: d, Now: clock, UserID: me, BaseURL: base, Render: render}
//	vals, err := query.ParseRawQuery(r.URL.RawQuery) // keeps ';' (url.Query drops those parameters)
//	q, err := env.ParseQuery("account", vals)         // checks every name and type
//	if q.Apply != nil { rows, err := env.RunApply("account", q) ... }
//	rows, err := env.Match("account", q)              // filter, order, top
//	page := rows[from:to]                             // the handler pages (odata.maxpagesize, $skiptoken)
//	out, err := env.Project("account", q, page)       // $select and $expand
//	ctx := "$metadata#accounts" + q.Context()
//
//	f, err := query.ParseFetchXML(fetchXML)           // the fetchXml parameter, URL-decoded
//	res, err := env.RunFetch(f)                       // rows, morerecords, paging cookie
//
// Every failure is an *Error carrying the HTTP status and the Dataverse
// error code to send: 400 for what Dataverse refuses, 501 (errors.Is
// ErrNotImplemented) for what Dataverse accepts but this package does not
// evaluate. Nothing is silently ignored.
//
// # What is supported
//
//	$filter      eq ne gt ge lt le, and or not, ( ), null, true/false, numbers
//	             (1, 1.5, 1.5m, 1e3), GUIDs (bare, or quoted against a GUID
//	             property), dates and date-times, Namespace.Type'Member' enum
//	             literals (eq/ne only); contains/startswith/endswith with the
//	             % _ [] [^] wildcards; _x_value lookup properties;
//	             nav/prop paths through single-valued navigation properties
//	             (any depth); nav/any(x:...), nav/any(), nav/all(x:...)
//	             nested, over one-to-many and (with AssociatedData)
//	             many-to-many properties; parameter aliases @p1; column
//	             comparison (firstname eq lastname); operand type checks
//	             (Edm types) with ODL's messages.
//	functions    Microsoft.Dynamics.CRM.In NotIn Between NotBetween Today
//	             Yesterday Tomorrow Last7Days Next7Days Last/This/NextWeek
//	             Last/This/NextMonth Last/This/NextYear LastX/NextX Hours Days
//	             Weeks Months Years, OlderThanX Minutes Hours Days Weeks Months
//	             Years, On OnOrBefore OnOrAfter, EqualUserId NotEqualUserId
//	             EqualBusinessId NotEqualBusinessId, ContainValues
//	             DoesNotContainValues, Above AboveOrEqual Under UnderOrEqual
//	             NotUnder (with a HierarchySchema) (Env.Now and Env.Location are the clock
//	             and the user's time zone; weeks start on Sunday).
//	$select      columns and _x_value lookups; adds the primary key and, for a
//	             money column, _transactioncurrencyid_value.
//	$orderby     several, asc/desc; nulls first ascending, last descending;
//	             lookups sort by the target's primary name; choices by value.
//	$top, $count parsed; Match applies $top (nil it when paging).
//	$expand      single-valued (object or null; its ETag only with
//	             Env.LookupETags) and collection-valued
//	             (array, with the relating _x_value and <nav>@odata.nextLink)
//	             with $select;$filter;$orderby;$top;$expand, nav/$ref, up to
//	             15 expansions; Dataverse's refusals ($ref on a collection,
//	             $top/$orderby on a lookup or with a nested $expand, $skip,
//	             $count, $search, $levels inside $expand).
//	$apply       filter(...)/groupby((a,nav/b),aggregate(x with sum|average|
//	             min|max|countdistinct as y, $count as z)), aggregate(...);
//	             nav/col groups are named <target>_<col>; null group values are
//	             left out; $orderby on an aggregate is refused as Dataverse does.
//	FetchXML     fetch top/count/page/paging-cookie/aggregate/distinct/
//	             returntotalrecordcount/aggregatelimit; entity, attribute
//	             (alias), all-attributes, order (attribute, alias, descending,
//	             entityname), filter and/or nested, condition with every
//	             non-fiscal, non-hierarchy operator (eq ne neq gt ge lt le like
//	             not-like begins-with ends-with and their negations, in not-in
//	             between not-between null not-null, the date operators, eq-userid
//	             ne-userid eq-businessid ne-businessid, contain-values, above
//	             eq-or-above under eq-or-under not-under), value
//	             elements, valueof, entityname; link-entity inner/outer/any/
//	             not any/exists/in with from, to, alias (else <name><n>), nested;
//	             aggregates count countcolumn (distinct) sum avg min max,
//	             groupby, dategrouping day/week/month/quarter/year; paging with
//	             @Microsoft.Dynamics.CRM.morerecords and the documented
//	             fetchxmlpagingcookie (order attributes then the primary key,
//	             URL-encoded twice).
//
// # What is refused with 501
//
// OData functions other than contains/startswith/endswith (tolower, toupper,
// length, year...), the in/has/arithmetic operators, fiscal-period, team and
// user-hierarchy functions and operators,
// EqualUserLanguage, link-type all/not all/matchfirstrowusingcrossapply,
// rowaggregate, fiscal dategrouping, $orderby through a navigation property,
// selecting a navigation property, $expand=*, $apply transformations other
// than filter/groupby/aggregate.
package query
