package dataverse

import (
	"maps"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/b2bflow/d365/dualwrite"
	"github.com/b2bflow/d365/dualwrite/dualwritetest/internal/schema"
	"github.com/b2bflow/d365/dualwrite/dualwritetest/internal/store"
	"github.com/b2bflow/d365/dualwrite/dualwritetest/internal/wire"
	"github.com/google/uuid"
)

// This file holds how Dataverse records are written (binds, defaults,
// state rules, computed columns) and read (annotations).

// stateRules lists the valid statuscode values of each statecode.
var stateRules = map[string]map[int][]int{
	"lead":        {0: {1, 2}, 1: {3}, 2: {4, 5, 6, 7}},
	"opportunity": {0: {1, 2}, 1: {3}, 2: {4, 5}},
	"account":     {0: {1}, 1: {2}},
	"contact":     {0: {1}, 1: {2}},
}

var labels = map[string]map[string]map[int]string{
	"lead": {
		"statecode":               {0: "Open", 1: "Qualified", 2: "Disqualified"},
		"statuscode":              {1: "New", 2: "Contacted", 3: "Qualified", 4: "Lost", 5: "Cannot Contact", 6: "No Longer Interested", 7: "Canceled"},
		"msdyn_b2bprospectstatus": {dualwrite.DataversePending: "Pending", dualwrite.DataverseApproved: "Approved", dualwrite.DataverseRejected: "Rejected"},
	},
	"opportunity": {
		"statecode":  {0: "Open", 1: "Won", 2: "Lost"},
		"statuscode": {1: "In Progress", 2: "On Hold", 3: "Won", 4: "Canceled", 5: "Out-Sold"},
	},
	"account": {
		"statecode":        {0: "Active", 1: "Inactive"},
		"statuscode":       {1: "Active", 2: "Inactive"},
		"customertypecode": {1: "Competitor", 3: "Customer", 11: "Prospect"},
	},
	"contact": {
		"statecode":  {0: "Active", 1: "Inactive"},
		"statuscode": {1: "Active", 2: "Inactive"},
	},
}

// Apply writes body onto the record (a copy of prev, or a new record) and
// stores it. It returns the record as stored: the map it was built in, of
// which the store keeps a compact copy (store.Tx.PutCopy); changing it
// changes nothing stored.
func (s *Service) Apply(t *store.Tx, tb *table, id string, prev record, body map[string]any) (record, error) {
	// The record is built in a scratch map: the store keeps a compact copy
	// (PutCopy), and write gives the map back once it has answered.
	rec := scratchRecord()
	maps.Copy(rec, prev)
	st := s.schemaTable(tb)
	for k, v := range body {
		switch {
		case strings.HasSuffix(k, "@odata.bind"):
			nav := strings.TrimSuffix(k, "@odata.bind")
			var n *schema.Navigation
			if st != nil {
				n, _ = st.Navigation(nav)
			}
			if v == nil {
				attr := navAttribute(nav, "")
				if n != nil {
					attr = n.Column
				}
				col := "_" + attr + "_value"
				for _, c := range []string{col, col + "@Microsoft.Dynamics.CRM.lookuplogicalname", col + "@Microsoft.Dynamics.CRM.associatednavigationproperty"} {
					delete(rec, c)
				}
				continue
			}
			target, tid, err := s.parseBind(v)
			if err != nil {
				return nil, err
			}
			if n != nil {
				if err := checkBindTarget(st, nav, target); err != nil {
					return nil, err
				}
				setLookup(rec, n.Column, nav, target.Logical, tid)
				continue
			}
			setLookup(rec, navAttribute(nav, target.Logical), nav, target.Logical, tid)
		case strings.Contains(k, "@"):
			// other annotations (@odata.type ...) are ignored
		case strings.HasPrefix(k, "_") && strings.HasSuffix(k, "_value"):
			return nil, wire.BadRequest("0x80060888", "Invalid property '%s' was found in entity 'Microsoft.Dynamics.CRM.%s'. Set lookups with %s@odata.bind.", k, tb.Logical, strings.TrimSuffix(strings.TrimPrefix(k, "_"), "_value"))
		case k == "fullname" && (tb.Logical == "lead" || tb.Logical == "contact"):
			// read-only: computed from firstname and lastname
		case strings.Contains(k, "."):
			if err := s.resolveDotted(t, rec, k, v); err != nil {
				return nil, err
			}
		default:
			switch v.(type) {
			case map[string]any, []any:
				return nil, wire.BadRequest("0x80048d19", "Deep insert of '%s' is not supported by the emulator.", k)
			}
			if k == tb.Key {
				continue
			}
			rec[k] = v
		}
	}
	rec[tb.Key] = id
	if prev == nil {
		rec["createdon"] = store.Stamp(t.Now)
		s.systemColumns(st, rec)
		if _, ok := stateRules[tb.Logical]; ok {
			if _, ok := rec["statecode"]; !ok {
				rec["statecode"] = 0
			}
			if _, ok := rec["statuscode"]; !ok {
				rec["statuscode"] = stateRules[tb.Logical][IntOf(rec["statecode"])][0]
			}
		}
		switch tb.Logical {
		case "opportunity", "lead", "account", "contact":
			// Dataverse gives records of tables with money columns the
			// base currency (a contact's annualincome:
			// web-api-basic-operations-sample-006).
			if _, ok := rec["_transactioncurrencyid_value"]; !ok {
				setLookup(rec, "transactioncurrencyid", "transactioncurrencyid", "transactioncurrency", s.BaseCurrencyID)
			}
		}
		if tb.Logical == "contact" {
			if _, ok := rec["msdyn_sellable"]; !ok {
				rec["msdyn_sellable"] = true
			}
		}
	}
	rec["modifiedon"] = store.Stamp(t.Now)
	if st != nil {
		if _, ok := st.Column("modifiedby"); ok {
			setLookup(rec, "modifiedby", "modifiedby", "systemuser", s.actingUser())
		}
		if _, ok := st.Column("modifiedonbehalfby"); ok {
			if caller := s.onBehalf(); caller != "" {
				setLookup(rec, "modifiedonbehalfby", "modifiedonbehalfby", "systemuser", caller)
			} else {
				delete(rec, "_modifiedonbehalfby_value")
				delete(rec, "_modifiedonbehalfby_value@Microsoft.Dynamics.CRM.lookuplogicalname")
				delete(rec, "_modifiedonbehalfby_value@Microsoft.Dynamics.CRM.associatednavigationproperty")
			}
		}
	}
	if tb.Logical == "lead" || tb.Logical == "contact" {
		rec["fullname"] = strings.TrimSpace(str(rec["firstname"]) + " " + str(rec["lastname"]))
	}
	if err := checkState(tb, rec, prev); err != nil {
		return nil, err
	}
	t.PutCopy(tb, id, rec, "versionnumber")
	return rec, nil
}

// scratchRecords holds the maps Apply builds records in.
var scratchRecords = sync.Pool{New: func() any {
	// room for the columns, system columns and lookups of a new record
	return make(record, 48)
}}

// scratchRecord returns an empty map to build a record in.
func scratchRecord() record { return scratchRecords.Get().(record) }

// releaseRecord gives back a map that scratchRecord returned and Apply
// built a record in, once nothing uses it: the store holds its own copy.
func releaseRecord(rec record) {
	if rec == nil || len(rec) > 256 {
		return
	}
	clear(rec)
	scratchRecords.Put(rec)
}

func checkState(tb *table, rec, prev record) error {
	rules, ok := stateRules[tb.Logical]
	if !ok {
		return nil
	}
	state, ok1 := toInt(rec["statecode"])
	status, ok2 := toInt(rec["statuscode"])
	if !ok1 || !ok2 {
		return wire.BadRequest("0x80040203", "statecode and statuscode of %s must be whole numbers", tb.Logical)
	}
	valid, ok := rules[state]
	if !ok {
		return wire.BadRequest("0x80040203", "%d is not a valid state code on %s.", state, tb.Logical)
	}
	for _, v := range valid {
		if v == status {
			return nil
		}
	}
	return wire.BadRequest("0x8004431a", "%d is not a valid status code for state code %s.%s on %s.",
		status, strings.ToUpper(tb.Logical[:1])+tb.Logical[1:]+"State", labels[tb.Logical]["statecode"][state], tb.Logical)
}

// IntOf returns the whole number a value holds, 0 when it holds none.
func IntOf(v any) int { n, _ := toInt(v); return n }

func str(v any) string { return store.Text(v) }

// sync runs dual-write for a record just written, when there is a Syncer.
func (s *Service) sync(t *store.Tx, tb *table, id string, prev, rec record) error {
	if s.Sync == nil {
		return nil
	}
	return s.Sync.AfterDataverseWrite(t, tb, id, prev, rec)
}

// lookupTables maps the dotted lookup names of the maps to their tables.
var lookupTables = func() map[string]string {
	m := map[string]string{}
	for _, mp := range dualwrite.Required() {
		for _, f := range mp.Fields {
			if f.IsLookup() {
				m[f.Dataverse] = f.LookupTable
			}
		}
	}
	return m
}()

// navAttribute turns a navigation property into its lookup attribute:
// "objectid_lead" bound to a lead is "objectid".
func navAttribute(nav, targetLogical string) string {
	if i := strings.LastIndexByte(nav, '_'); i > 0 && targetLogical != "" && nav[i+1:] == targetLogical {
		return nav[:i]
	}
	return nav
}

func setLookup(rec record, attr, nav, logical, id string) {
	n := lookupNames(attr)
	rec[n.value] = id
	rec[n.logicalName] = logical
	rec[n.navigation] = nav
}

// lookupNames returns the names of the lookup property of a lookup column
// (attr "parentaccountid": "_parentaccountid_value") and of its
// annotations, cached as annotationNames caches them.
func lookupNames(attr string) *annotated {
	if n, ok := lookupAttrNames.Load(attr); ok {
		return n.(*annotated)
	}
	n := annotationNames("_" + attr + "_value")
	if annotatedNamesCount.Load() < maxAnnotatedNames {
		if _, loaded := lookupAttrNames.LoadOrStore(attr, n); !loaded {
			annotatedNamesCount.Add(1)
		}
	}
	return n
}

// resolveDotted sets a lookup from a dual-write dotted name such as
// "msdyn_partyid.msdyn_partynumber": it points the lookup to the record of
// the target table whose column has the value, creating reference records
// (parties, groups, channels) that do not exist yet. Currencies must exist.
func (s *Service) resolveDotted(t *store.Tx, rec record, dotted string, v any) error {
	nav, col, _ := strings.Cut(dotted, ".")
	if v == nil || v == "" {
		delete(rec, "_"+nav+"_value")
		return nil
	}
	logical := lookupTables[dotted]
	if logical == "" {
		return wire.BadRequest("0x80060888", "The property '%s' is not known.", dotted)
	}
	tb := s.Store.EnsureDataverse(logical)
	for id, e := range tb.All() {
		if c, ok := compareValues(e.Get(col), v); ok && c == 0 {
			setLookup(rec, nav, nav, tb.Logical, id)
			return nil
		}
	}
	if logical == "transactioncurrency" {
		return wire.BadRequest("0x80040217", "No transactioncurrency with isocurrencycode '%v' exists.", v)
	}
	id := uuid.NewString()
	if _, err := s.Apply(t, tb, id, nil, map[string]any{col: v}); err != nil {
		return err
	}
	setLookup(rec, nav, nav, tb.Logical, id)
	return nil
}

// Dotted returns the value behind a dotted lookup name for a record.
func (s *Service) Dotted(rec record, dotted string) any {
	nav, col, _ := strings.Cut(dotted, ".")
	id, _ := rec["_"+nav+"_value"].(string)
	if id == "" {
		return nil
	}
	tb := s.Store.EnsureDataverse(lookupTables[dotted])
	if tb == nil {
		return nil
	}
	if e := tb.Get(id); e != nil {
		return e.Get(col)
	}
	return nil
}

// out renders a record as the Web API returns it: the selected columns
// (with the primary key, and the currency of a money column), or without
// $select the record's columns and the table's system columns (null when
// unset); with annotations, the lookup annotations and the formatted
// values (format.go).
func (s *Service) out(tb *table, e *entry, sel []string, annotations bool) map[string]any {
	ms := s.members(nil, tb, e, sel, annotations)
	out := make(map[string]any, len(ms)+1) // and the context the caller adds
	for _, m := range ms {
		out[m.Name] = m.Value
	}
	return out
}

// writeRecord answers status with the record e as the request's $select
// and Prefer ask, with its @odata.context: the map out renders, written
// without building it.
func (s *Service) writeRecord(d *request, tb *table, e *entry, status int) {
	sel := wire.SelectList(d.r.URL.Query().Get("$select"))
	mp := membersPool.Get().(*[]wire.Member)
	ms := d.filterMembers(s.members((*mp)[:0], tb, e, sel, d.annotations()))
	ms = append(ms, wire.Member{Name: "@odata.context", Value: d.base + "$metadata#" + tb.Name + wire.SelectContext(sel) + "/$entity"})
	wire.WriteMembers(d.w, status, ms)
	clear(ms)
	*mp = ms[:0]
	membersPool.Put(mp)
}

// membersPool holds the slices writeRecord renders records in.
var membersPool = sync.Pool{New: func() any { ms := make([]wire.Member, 0, 512); return &ms }}

// members appends to dst the members out renders, in the order out sets
// them (a later one of the same name replaces an earlier one).
func (s *Service) members(dst []wire.Member, tb *table, e *entry, sel []string, annotations bool) []wire.Member {
	st := s.schemaTable(tb)
	cols := sel
	if len(cols) == 0 {
		cols = e.AppendNames(make([]string, 0, e.Len()+16))
		cols = slices.DeleteFunc(cols, func(k string) bool { return strings.Contains(k, "@") })
		if st != nil {
			for _, c := range st.SystemColumns() {
				if _, ok := e.Lookup(c.Property()); !ok {
					cols = append(cols, c.Property())
				}
			}
		}
	} else {
		cols = append(cols[:len(cols):len(cols)], tb.Key)
		for _, c := range sel {
			if isMoney(st, c) && e.Get("_transactioncurrencyid_value") != nil {
				cols = append(cols, "_transactioncurrencyid_value")
				break
			}
		}
	}
	dst = slices.Grow(dst, 2*len(cols)+2)
	dst = append(dst, wire.Member{Name: "@odata.etag", Value: etagOf(e)})
	for _, c := range cols {
		v := e.Get(c)
		dst = append(dst, wire.Member{Name: c, Value: v})
		if !annotations || v == nil {
			continue
		}
		n := annotationNames(c)
		if strings.HasPrefix(c, "_") && strings.HasSuffix(c, "_value") {
			for _, name := range [2]string{n.logicalName, n.navigation} {
				if a, ok := e.Lookup(name); ok {
					dst = append(dst, wire.Member{Name: name, Value: a})
				}
			}
			if name := s.primaryName(str(e.Get(n.logicalName)), str(v)); name != "" {
				dst = append(dst, wire.Member{Name: n.formatted, Value: name})
			}
			continue
		}
		if f, ok := s.formatted(tb, st, e, c, v); ok {
			dst = append(dst, wire.Member{Name: n.formatted, Value: f})
		}
	}
	return dst
}

// annotated holds the names of a column's annotations.
type annotated struct {
	value, formatted, logicalName, navigation string
}

// annotatedNames caches annotated by column name, up to
// maxAnnotatedNames of them: the names are built once per column, not once
// per record read.
var (
	annotatedNames, lookupAttrNames sync.Map
	annotatedNamesCount             atomic.Int64
)

const maxAnnotatedNames = 20000

func annotationNames(col string) *annotated {
	if n, ok := annotatedNames.Load(col); ok {
		return n.(*annotated)
	}
	n := &annotated{
		value:       col,
		formatted:   col + formattedValue,
		logicalName: col + "@Microsoft.Dynamics.CRM.lookuplogicalname",
		navigation:  col + "@Microsoft.Dynamics.CRM.associatednavigationproperty",
	}
	if annotatedNamesCount.Load() < maxAnnotatedNames {
		if _, loaded := annotatedNames.LoadOrStore(col, n); !loaded {
			annotatedNamesCount.Add(1)
		}
	}
	return n
}

func (s *Service) primaryName(logical, id string) string {
	tb := s.Store.Dataverse(logical)
	if tb == nil || tb.Get(id) == nil {
		return ""
	}
	r := tb.Get(id).Rec()
	for _, c := range []string{"name", "fullname", "subject", "currencyname", "msdyn_name", "msdyn_partynumber"} {
		if v, ok := r[c].(string); ok && v != "" {
			return v
		}
	}
	return ""
}

// moneyColumns are money columns of tables the schema does not describe;
// selecting one brings the record's currency along, as in Dataverse.
var moneyColumns = map[string]bool{"revenue": true, "creditlimit": true, "estimatedvalue": true, "actualvalue": true, "actualrevenue": true, "budgetamount": true}

func isMoney(st *schema.Table, col string) bool {
	if st != nil {
		if c, ok := st.Column(col); ok {
			return c.Type == schema.Money
		}
	}
	return moneyColumns[col]
}
