package dualwritetest

import (
	"sort"
	"strings"
	"time"
)

type record = map[string]any

type entry struct {
	seq     int64 // creation order
	version int64 // row version (ETag)
	rec     record
}

// table holds the rows of a Dataverse table or a Commerce entity.
type table struct {
	name    string   // entity set (Dataverse) or entity name (Commerce)
	logical string   // Dataverse logical name
	key     string   // Dataverse primary key column
	keys    []string // Commerce key fields
	company bool     // Commerce: rows belong to a company (dataAreaId)
	rows    map[string]*entry
}

func (t *table) sorted() []*entry {
	out := make([]*entry, 0, len(t.rows))
	for _, e := range t.rows {
		out = append(out, e)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].seq < out[j].seq })
	return out
}

type store struct {
	dv       map[string]*table // by logical name
	sets     map[string]*table // by lower-case entity set
	fo       map[string]*table // by lower-case entity name
	seq      int64
	version  int64
	counters map[string]int
}

func newStore() *store {
	st := &store{dv: map[string]*table{}, sets: map[string]*table{}, fo: map[string]*table{}, counters: map[string]int{}, version: 1000000}
	for _, t := range [][3]string{
		{"leads", "lead", "leadid"},
		{"opportunities", "opportunity", "opportunityid"},
		{"accounts", "account", "accountid"},
		{"contacts", "contact", "contactid"},
		{"annotations", "annotation", "annotationid"},
		{"transactioncurrencies", "transactioncurrency", "transactioncurrencyid"},
		{"savedqueries", "savedquery", "savedqueryid"},
		{"systemusers", "systemuser", "systemuserid"},
		{"opportunitycloses", "opportunityclose", "activityid"},
	} {
		st.addDV(t[0], t[1], t[2])
	}
	for _, t := range []struct {
		name    string
		company bool
		keys    []string
	}{
		{"Prospects", true, []string{"dataAreaId", "ProspectId"}},
		{"CustomersV3", true, []string{"dataAreaId", "CustomerAccount"}},
		{"CustomerHiearchies", false, []string{"CustomerHierarchyId"}},
		{"CustomerHierarchyNodes", false, []string{"CustomerHierarchyId", "NodePartyNumber"}},
		{"DualWriteProjectConfigurations", false, []string{"ProjectName"}},
	} {
		st.fo[strings.ToLower(t.name)] = &table{name: t.name, keys: t.keys, company: t.company, rows: map[string]*entry{}}
	}
	return st
}

func (st *store) addDV(set, logical, key string) *table {
	t := &table{name: set, logical: logical, key: key, rows: map[string]*entry{}}
	st.dv[logical] = t
	st.sets[strings.ToLower(set)] = t
	return t
}

// dvTable finds a Dataverse table by entity set or logical name.
func (st *store) dvTable(name string) *table {
	n := strings.ToLower(name)
	if t := st.sets[n]; t != nil {
		return t
	}
	return st.dv[n]
}

// dvEnsure finds a table, creating any msdyn_ table on first use.
func (st *store) dvEnsure(set string) *table {
	if t := st.dvTable(set); t != nil {
		return t
	}
	n := strings.ToLower(set)
	if !strings.HasPrefix(n, "msdyn_") {
		return nil
	}
	var logical string
	switch {
	case strings.HasSuffix(n, "ies"):
		logical = strings.TrimSuffix(n, "ies") + "y"
	case strings.HasSuffix(n, "s"):
		logical = strings.TrimSuffix(n, "s")
	default: // a logical name
		logical = n
		if strings.HasSuffix(n, "y") {
			n = strings.TrimSuffix(n, "y") + "ies"
		} else {
			n += "s"
		}
	}
	return st.addDV(n, logical, logical+"id")
}

// next allocates the next number of a sequence.
func (st *store) next(name string) int {
	st.counters[name]++
	return st.counters[name]
}

// tx collects the writes of one request so that a failure anywhere (the
// other side of dual-write included) undoes them all.
type tx struct {
	s    *Server
	st   *store
	undo []func()
	now  time.Time
}

func (s *Server) begin() *tx { return &tx{s: s, st: s.store, now: time.Now().UTC()} }

func (t *tx) rollback() {
	for i := len(t.undo) - 1; i >= 0; i-- {
		t.undo[i]()
	}
	t.undo = nil
}

// put stores rec under id, remembering what was there.
func (t *tx) put(tb *table, id string, rec record) *entry {
	prev := tb.rows[id]
	t.undo = append(t.undo, func() {
		if prev == nil {
			delete(tb.rows, id)
		} else {
			tb.rows[id] = prev
		}
	})
	t.st.version++
	e := &entry{version: t.st.version, rec: rec}
	if prev != nil {
		e.seq = prev.seq
	} else {
		t.st.seq++
		e.seq = t.st.seq
	}
	tb.rows[id] = e
	return e
}

func (t *tx) del(tb *table, id string) {
	prev := tb.rows[id]
	if prev == nil {
		return
	}
	t.undo = append(t.undo, func() { tb.rows[id] = prev })
	delete(tb.rows, id)
}

func cloneRecord(r record) record {
	c := make(record, len(r))
	for k, v := range r {
		c[k] = v
	}
	return c
}

func stamp(t time.Time) string { return t.Format(time.RFC3339) }
