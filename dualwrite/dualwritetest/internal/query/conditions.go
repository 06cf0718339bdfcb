package query

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// webAPIFunctions maps the Microsoft.Dynamics.CRM query functions to the
// FetchXML condition operator they stand for ("Web API Query Function
// Reference"; the FetchXML condition operators). Arity: 0 takes only
// PropertyName, 1 PropertyValue, 2 PropertyValues.
var webAPIFunctions = map[string]struct {
	op    string
	arity int
}{
	"In": {"in", 2}, "NotIn": {"not-in", 2}, "Between": {"between", 2}, "NotBetween": {"not-between", 2},
	"Today": {"today", 0}, "Yesterday": {"yesterday", 0}, "Tomorrow": {"tomorrow", 0},
	"Last7Days": {"last-seven-days", 0}, "Next7Days": {"next-seven-days", 0},
	"LastWeek": {"last-week", 0}, "ThisWeek": {"this-week", 0}, "NextWeek": {"next-week", 0},
	"LastMonth": {"last-month", 0}, "ThisMonth": {"this-month", 0}, "NextMonth": {"next-month", 0},
	"LastYear": {"last-year", 0}, "ThisYear": {"this-year", 0}, "NextYear": {"next-year", 0},
	"LastXHours": {"last-x-hours", 1}, "NextXHours": {"next-x-hours", 1},
	"LastXDays": {"last-x-days", 1}, "NextXDays": {"next-x-days", 1},
	"LastXWeeks": {"last-x-weeks", 1}, "NextXWeeks": {"next-x-weeks", 1},
	"LastXMonths": {"last-x-months", 1}, "NextXMonths": {"next-x-months", 1},
	"LastXYears": {"last-x-years", 1}, "NextXYears": {"next-x-years", 1},
	"OlderThanXMinutes": {"olderthan-x-minutes", 1}, "OlderThanXHours": {"olderthan-x-hours", 1},
	"OlderThanXDays": {"olderthan-x-days", 1}, "OlderThanXWeeks": {"olderthan-x-weeks", 1},
	"OlderThanXMonths": {"olderthan-x-months", 1}, "OlderThanXYears": {"olderthan-x-years", 1},
	"On": {"on", 1}, "OnOrBefore": {"on-or-before", 1}, "OnOrAfter": {"on-or-after", 1},
	"EqualUserId": {"eq-userid", 0}, "NotEqualUserId": {"ne-userid", 0},
	"EqualBusinessId": {"eq-businessid", 0}, "NotEqualBusinessId": {"ne-businessid", 0},
	"ContainValues": {"contain-values", 2}, "DoesNotContainValues": {"not-contain-values", 2},
	"Above": {"above", 1}, "AboveOrEqual": {"eq-or-above", 1}, "Under": {"under", 1},
	"UnderOrEqual": {"eq-or-under", 1}, "NotUnder": {"not-under", 1},
}

// notImplementedFunctions are documented query functions this package
// does not evaluate (fiscal calendars, hierarchies, teams, languages,
// full-text search).
var notImplementedFunctions = map[string]bool{
	"InFiscalPeriod": true, "InFiscalPeriodAndYear": true, "InFiscalYear": true, "InOrAfterFiscalPeriodAndYear": true,
	"InOrBeforeFiscalPeriodAndYear": true, "LastFiscalPeriod": true, "LastFiscalYear": true, "LastXFiscalPeriods": true,
	"LastXFiscalYears": true, "NextFiscalPeriod": true, "NextFiscalYear": true, "NextXFiscalPeriods": true,
	"NextXFiscalYears": true, "ThisFiscalPeriod": true, "ThisFiscalYear": true, "EqualUserOrUserHierarchy": true,
	"EqualUserOrUserHierarchyAndTeams": true, "EqualUserOrUserTeams": true, "EqualUserTeams": true,
	"EqualUserLanguage": true, "Contains": true, "DoesNotContain": true,
}

// fetchOperators are the FetchXML condition operators this package
// evaluates, with the number of values they take: 0 none, 1 one, 2 two
// (between), -1 one or more.
var fetchOperators = map[string]int{
	"eq": 1, "ne": 1, "neq": 1, "gt": 1, "ge": 1, "lt": 1, "le": 1,
	"like": 1, "not-like": 1, "begins-with": 1, "not-begin-with": 1, "ends-with": 1, "not-end-with": 1,
	"in": -1, "not-in": -1, "between": 2, "not-between": 2, "null": 0, "not-null": 0,
	"today": 0, "yesterday": 0, "tomorrow": 0, "last-seven-days": 0, "next-seven-days": 0,
	"last-week": 0, "this-week": 0, "next-week": 0, "last-month": 0, "this-month": 0, "next-month": 0,
	"last-year": 0, "this-year": 0, "next-year": 0,
	"last-x-hours": 1, "next-x-hours": 1, "last-x-days": 1, "next-x-days": 1, "last-x-weeks": 1, "next-x-weeks": 1,
	"last-x-months": 1, "next-x-months": 1, "last-x-years": 1, "next-x-years": 1,
	"olderthan-x-minutes": 1, "olderthan-x-hours": 1, "olderthan-x-days": 1, "olderthan-x-weeks": 1,
	"olderthan-x-months": 1, "olderthan-x-years": 1,
	"on": 1, "on-or-before": 1, "on-or-after": 1,
	"eq-userid": 0, "ne-userid": 0, "eq-businessid": 0, "ne-businessid": 0,
	"contain-values": -1, "not-contain-values": -1,
	"above": 1, "eq-or-above": 1, "under": 1, "eq-or-under": 1, "not-under": 1,
}

// notImplementedOperators are documented FetchXML operators this package
// does not evaluate.
var notImplementedOperators = map[string]bool{
	"eq-useroruserhierarchy": true, "eq-useroruserhierarchyandteams": true, "eq-useroruserteams": true,
	"eq-userteams": true, "eq-userlanguage": true, "in-fiscal-period": true, "in-fiscal-period-and-year": true,
	"in-fiscal-year": true, "in-or-after-fiscal-period-and-year": true, "in-or-before-fiscal-period-and-year": true,
	"last-fiscal-period": true, "last-fiscal-year": true, "last-x-fiscal-periods": true, "last-x-fiscal-years": true,
	"next-fiscal-period": true, "next-fiscal-year": true, "next-x-fiscal-periods": true, "next-x-fiscal-years": true,
	"this-fiscal-period": true, "this-fiscal-year": true,
}

func isDateOperator(op string) bool {
	switch op {
	case "today", "yesterday", "tomorrow", "on", "on-or-before", "on-or-after":
		return true
	}
	return strings.Contains(op, "-x-") || strings.HasSuffix(op, "-week") || strings.HasSuffix(op, "-month") ||
		strings.HasSuffix(op, "-year") || strings.HasSuffix(op, "-seven-days")
}

// functionProperty resolves a query function's PropertyName: a column's
// logical name (lookups included) or a lookup property _x_value.
func (e *Env) functionProperty(table, name string) (property, error) {
	if e.Schema == nil {
		return property{name: name}, nil
	}
	if col, ok := e.Schema.Column(table, name); ok {
		if col.IsLookup() {
			return property{name: "_" + name + "_value", col: col}, nil
		}
		return property{name: name, col: col}, nil
	}
	return e.resolveProperty(table, name, CodeQuery)
}

func (e *Env) checkFunction(table string, f Function, sc *scope) error {
	if notImplementedFunctions[f.Name] {
		return notImplemented("the query function Microsoft.Dynamics.CRM.%s", f.Name)
	}
	spec, ok := webAPIFunctions[f.Name]
	if !ok {
		return syntaxError("An unknown function with name 'Microsoft.Dynamics.CRM.%s' was found. This may also be a function import or a key lookup on a navigation property, which is not allowed.", f.Name)
	}
	name, ok := f.Params["PropertyName"].(string)
	if !ok {
		return syntaxError("The function 'Microsoft.Dynamics.CRM.%s' requires the parameter 'PropertyName' (a quoted column name).", f.Name)
	}
	pr, err := e.functionProperty(table, name)
	if err != nil {
		return err
	}
	for k := range f.Params {
		valid := k == "PropertyName" || spec.arity == 1 && k == "PropertyValue" || spec.arity == 2 && k == "PropertyValues"
		if !valid {
			return syntaxError("The function 'Microsoft.Dynamics.CRM.%s' has no parameter named '%s'.", f.Name, k)
		}
	}
	switch spec.arity {
	case 1:
		if _, ok := f.Params["PropertyValue"]; !ok {
			return syntaxError("The function 'Microsoft.Dynamics.CRM.%s' requires the parameter 'PropertyValue'.", f.Name)
		}
	case 2:
		vals, ok := f.Params["PropertyValues"].([]any)
		if !ok || len(vals) == 0 {
			return syntaxError("The function 'Microsoft.Dynamics.CRM.%s' requires the parameter 'PropertyValues' (a JSON array).", f.Name)
		}
		if strings.Contains(spec.op, "between") && len(vals) != 2 {
			return syntaxError("The function 'Microsoft.Dynamics.CRM.%s' requires exactly two PropertyValues.", f.Name)
		}
	}
	return e.checkOperator(spec.op, pr.col, table, f.Params["PropertyValue"])
}

// checkOperator validates an operator against its column's type.
func (e *Env) checkOperator(op string, col Column, table string, value any) error {
	if col.Type == "" {
		return nil
	}
	if isDateOperator(op) && col.Type != TypeDateTime {
		return badRequest(CodeQuery, "The operator '%s' is only valid on date and time columns; '%s' of table '%s' is %s.", op, col.Name, table, col.Type)
	}
	if isHierarchyOperator(op) {
		tb, _ := e.table(table)
		if col.Name != tb.PrimaryKey && !col.IsLookup() {
			return badRequest(CodeQuery, "The operator '%s' is only valid on the primary key or a lookup; '%s' of table '%s' is %s.", op, col.Name, table, col.Type)
		}
		if _, err := e.hierarchyColumn(table); err != nil {
			return err
		}
	}
	switch op {
	case "eq-userid", "ne-userid", "eq-businessid", "ne-businessid":
		if !col.IsLookup() && col.Type != TypeUniqueidentifier {
			return badRequest(CodeQuery, "The operator '%s' is only valid on lookup columns; '%s' of table '%s' is %s.", op, col.Name, table, col.Type)
		}
	case "like", "not-like", "begins-with", "not-begin-with", "ends-with", "not-end-with":
		if col.Type != TypeString && col.Type != TypeMemo && col.Type != TypeEntityName {
			return badRequest(CodeQuery, "The operator '%s' is only valid on string columns; '%s' of table '%s' is %s.", op, col.Name, table, col.Type)
		}
	case "contain-values", "not-contain-values":
		if col.Type != TypeMultiSelect {
			return badRequest(CodeQuery, "The operator '%s' is only valid on choices columns; '%s' of table '%s' is %s.", op, col.Name, table, col.Type)
		}
	}
	if strings.Contains(op, "-x-") {
		if _, err := intParam(value); err != nil {
			return badRequest(CodeQuery, "The operator '%s' needs a whole number of units, not '%v'.", op, value)
		}
	}
	return nil
}

func intParam(v any) (int, error) {
	switch x := v.(type) {
	case string:
		return strconv.Atoi(strings.TrimSpace(x))
	case int64:
		return int(x), nil
	case float64:
		if x == float64(int(x)) {
			return int(x), nil
		}
	case int:
		return x, nil
	}
	return 0, fmt.Errorf("not a whole number: %v", v)
}

func (e *Env) function(table string, f Function, row Row, sc *scope) (any, error) {
	spec := webAPIFunctions[f.Name]
	name, _ := f.Params["PropertyName"].(string)
	pr, err := e.functionProperty(table, name)
	if err != nil {
		return nil, err
	}
	var vals []any
	switch spec.arity {
	case 1:
		vals = []any{f.Params["PropertyValue"]}
	case 2:
		vals, _ = f.Params["PropertyValues"].([]any)
	}
	if isHierarchyOperator(spec.op) {
		return e.testHierarchy(table, spec.op, row[pr.name], vals[0])
	}
	return e.test(spec.op, row[pr.name], vals)
}

// dayStart is midnight of t's day in t's location.
func dayStart(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, t.Location())
}

// test evaluates a condition operator on a column value v.
func (e *Env) test(op string, v any, vals []any) (bool, error) {
	arg := func(i int) any {
		if i < len(vals) {
			return vals[i]
		}
		return nil
	}
	switch op {
	case "null":
		return v == nil, nil
	case "not-null":
		return v != nil, nil
	case "eq":
		return equal(v, arg(0)), nil
	case "ne", "neq":
		return !equal(v, arg(0)), nil
	case "gt", "ge", "lt", "le":
		c, ok := compare(v, arg(0))
		if !ok {
			return false, nil
		}
		return map[string]bool{"gt": c > 0, "ge": c >= 0, "lt": c < 0, "le": c <= 0}[op], nil
	case "like", "not-like", "begins-with", "not-begin-with", "ends-with", "not-end-with":
		s, ok := v.(string)
		if !ok {
			return strings.HasPrefix(op, "not-"), nil
		}
		p := fmt.Sprint(arg(0))
		switch op {
		case "begins-with", "not-begin-with":
			p += "%"
		case "ends-with", "not-end-with":
			p = "%" + p
		}
		return like(s, p) != strings.HasPrefix(op, "not-"), nil
	case "in", "not-in":
		if v == nil {
			return false, nil
		}
		for _, x := range vals {
			if equal(v, x) {
				return op == "in", nil
			}
		}
		return op == "not-in", nil
	case "between", "not-between":
		if v == nil {
			return false, nil
		}
		lo, ok1 := compare(v, arg(0))
		hi, ok2 := compare(v, arg(1))
		in := ok1 && ok2 && lo >= 0 && hi <= 0
		return in == (op == "between"), nil
	case "eq-userid", "ne-userid", "eq-businessid", "ne-businessid":
		want := e.UserID
		if strings.Contains(op, "business") {
			want = e.BusinessUnitID
		}
		eq := v != nil && want != "" && strings.EqualFold(fmt.Sprint(v), want)
		return eq == strings.HasPrefix(op, "eq-"), nil
	case "contain-values", "not-contain-values":
		set := map[string]bool{}
		switch x := v.(type) {
		case string:
			for _, p := range strings.Split(x, ",") {
				set[strings.TrimSpace(p)] = true
			}
		case []any:
			for _, p := range x {
				set[fmt.Sprint(p)] = true
			}
		case nil:
		default:
			set[fmt.Sprint(x)] = true
		}
		hit := false
		for _, w := range vals {
			if set[fmt.Sprint(w)] {
				hit = true
			}
		}
		return hit == (op == "contain-values"), nil
	}
	if isDateOperator(op) {
		return e.testDate(op, v, arg(0))
	}
	return false, notImplemented("the condition operator '%s'", op)
}

// testDate evaluates the date operators relative to the Env clock, in the
// Env's time zone. Ranges are half-open [from, to).
func (e *Env) testDate(op string, v, param any) (bool, error) {
	t, ok := timeOf(v)
	if !ok {
		return false, nil
	}
	now := e.now()
	loc := now.Location()
	t = t.In(loc)
	if s, isStr := v.(string); isStr && len(s) == 10 { // a date-only column: that day in the user's zone
		d, _ := time.ParseInLocation(time.DateOnly, s, loc)
		t = d
	}
	d0 := dayStart(now)
	x := 0
	if strings.Contains(op, "-x-") {
		var err error
		if x, err = intParam(param); err != nil {
			return false, badRequest(CodeQuery, "The operator '%s' needs a whole number of units, not '%v'.", op, param)
		}
	}
	in := func(from, to time.Time) bool { return !t.Before(from) && t.Before(to) }
	weekStart := d0.AddDate(0, 0, -int(d0.Weekday())) // Sunday, the en-US first day of the week
	monthStart := time.Date(d0.Year(), d0.Month(), 1, 0, 0, 0, 0, loc)
	yearStart := time.Date(d0.Year(), 1, 1, 0, 0, 0, 0, loc)
	switch op {
	case "today":
		return in(d0, d0.AddDate(0, 0, 1)), nil
	case "yesterday":
		return in(d0.AddDate(0, 0, -1), d0), nil
	case "tomorrow":
		return in(d0.AddDate(0, 0, 1), d0.AddDate(0, 0, 2)), nil
	case "last-seven-days":
		return in(d0.AddDate(0, 0, -7), now.Add(time.Nanosecond)), nil
	case "next-seven-days":
		return in(now, d0.AddDate(0, 0, 8)), nil
	case "this-week":
		return in(weekStart, weekStart.AddDate(0, 0, 7)), nil
	case "last-week":
		return in(weekStart.AddDate(0, 0, -7), weekStart), nil
	case "next-week":
		return in(weekStart.AddDate(0, 0, 7), weekStart.AddDate(0, 0, 14)), nil
	case "this-month":
		return in(monthStart, monthStart.AddDate(0, 1, 0)), nil
	case "last-month":
		return in(monthStart.AddDate(0, -1, 0), monthStart), nil
	case "next-month":
		return in(monthStart.AddDate(0, 1, 0), monthStart.AddDate(0, 2, 0)), nil
	case "this-year":
		return in(yearStart, yearStart.AddDate(1, 0, 0)), nil
	case "last-year":
		return in(yearStart.AddDate(-1, 0, 0), yearStart), nil
	case "next-year":
		return in(yearStart.AddDate(1, 0, 0), yearStart.AddDate(2, 0, 0)), nil
	case "last-x-hours":
		return in(now.Add(-time.Duration(x)*time.Hour), now.Add(time.Nanosecond)), nil
	case "next-x-hours":
		return in(now, now.Add(time.Duration(x)*time.Hour)), nil
	case "last-x-days":
		return in(d0.AddDate(0, 0, -x), now.Add(time.Nanosecond)), nil
	case "next-x-days":
		return in(now, d0.AddDate(0, 0, x+1)), nil
	case "last-x-weeks":
		return in(d0.AddDate(0, 0, -7*x), now.Add(time.Nanosecond)), nil
	case "next-x-weeks":
		return in(now, d0.AddDate(0, 0, 7*x+1)), nil
	case "last-x-months":
		return in(d0.AddDate(0, -x, 0), now.Add(time.Nanosecond)), nil
	case "next-x-months":
		return in(now, d0.AddDate(0, x, 1)), nil
	case "last-x-years":
		return in(d0.AddDate(-x, 0, 0), now.Add(time.Nanosecond)), nil
	case "next-x-years":
		return in(now, d0.AddDate(x, 0, 1)), nil
	case "olderthan-x-minutes":
		return t.Before(now.Add(-time.Duration(x) * time.Minute)), nil
	case "olderthan-x-hours":
		return t.Before(now.Add(-time.Duration(x) * time.Hour)), nil
	case "olderthan-x-days":
		return t.Before(now.AddDate(0, 0, -x)), nil
	case "olderthan-x-weeks":
		return t.Before(now.AddDate(0, 0, -7*x)), nil
	case "olderthan-x-months":
		return t.Before(now.AddDate(0, -x, 0)), nil
	case "olderthan-x-years":
		return t.Before(now.AddDate(-x, 0, 0)), nil
	case "on", "on-or-before", "on-or-after":
		s := fmt.Sprint(param)
		d, err := time.ParseInLocation(time.DateOnly, s[:min(len(s), 10)], loc)
		if err != nil {
			return false, badRequest(CodeQuery, "The operator '%s' needs a date (yyyy-mm-dd), not '%v'.", op, param)
		}
		switch op {
		case "on":
			return in(d, d.AddDate(0, 0, 1)), nil
		case "on-or-before":
			return t.Before(d.AddDate(0, 0, 1)), nil
		}
		return !t.Before(d), nil
	}
	return false, notImplemented("the condition operator '%s'", op)
}
