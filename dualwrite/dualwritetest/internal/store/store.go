// Package store holds the emulator's data: the Dataverse tables and the
// Commerce entities, their records with creation order and row versions,
// transactions that undo a request's writes, and snapshots that undo a
// change set's.
//
// The store does no locking: the emulator serialises every request (see
// the dualwritetest package), and everything here runs under that lock.
// Entries are never changed in place: a write stores a new [Entry], so a
// snapshot need only copy the row maps. (An entry stored compactly builds
// its map on first read and keeps it: a cache of what it holds, not a
// change.)
package store

import (
	"fmt"
	"iter"
	"maps"
	"sort"
	"strings"
	"sync/atomic"
	"time"
)

// Record is a row: column (or field) names to values. Dataverse lookups are
// stored as _<name>_value columns with their annotations.
type Record = map[string]any

// Entry is a stored record.
//
// A record stored with [Tx.PutCopy] is kept compactly: its values in a
// slice indexed by the column positions of its table (a [layout] the
// table's records share), one allocation of 16 bytes a column, where a
// map of 32 columns is a 64-slot table of 32 bytes a slot. The map
// [Entry.Rec] returns is built from it on first use and kept;
// [Entry.Get], [Entry.Lookup] and [Entry.Columns] read the compact form
// without building it.
type Entry struct {
	// Seq is the creation order, kept across updates.
	Seq int64
	// Version is the row version (the ETag), new on every write.
	Version int64

	vals []any                  // by column position; nil when stored as a map
	lay  *layout                // the positions of vals
	n    int                    // the columns vals has (not absent)
	rec  atomic.Pointer[Record] // the record as a map, once built
}

// layout gives the columns of a table's compact records their positions.
// It only grows: a record made before a column was added has a shorter
// slice of values.
type layout struct {
	names []string
	pos   map[string]int
}

// absent marks a position of a compact record the record has no column
// at (a column set to null holds nil).
type absent struct{}

// Rec returns the record. Do not change it: write a new one.
func (e *Entry) Rec() Record {
	if p := e.rec.Load(); p != nil {
		return *p
	}
	m := make(Record, e.n)
	for i, v := range e.vals {
		if _, ok := v.(absent); !ok {
			m[e.lay.names[i]] = v
		}
	}
	// Readers run under the emulator's lock; should two ever build the
	// map at once, both answer with the one kept.
	e.rec.CompareAndSwap(nil, &m)
	return *e.rec.Load()
}

// Get returns the value of a column, nil when the record has none.
func (e *Entry) Get(col string) any {
	v, _ := e.Lookup(col)
	return v
}

// Lookup returns the value of a column and whether the record has it.
func (e *Entry) Lookup(col string) (any, bool) {
	if e.vals == nil {
		v, ok := e.Rec()[col]
		return v, ok
	}
	i, ok := e.lay.pos[col]
	if !ok || i >= len(e.vals) {
		return nil, false
	}
	v := e.vals[i]
	if _, ok := v.(absent); ok {
		return nil, false
	}
	return v, true
}

// Len returns the number of columns of the record.
func (e *Entry) Len() int {
	if e.vals == nil {
		return len(e.Rec())
	}
	return e.n
}

// AppendNames appends the names of the record's columns to dst, in no
// particular order.
func (e *Entry) AppendNames(dst []string) []string {
	if e.vals == nil {
		for k := range e.Rec() {
			dst = append(dst, k)
		}
		return dst
	}
	for i, v := range e.vals {
		if _, ok := v.(absent); !ok {
			dst = append(dst, e.lay.names[i])
		}
	}
	return dst
}

// Columns yields the columns of the record, in no particular order.
func (e *Entry) Columns() iter.Seq2[string, any] {
	if e.vals == nil {
		return maps.All(e.Rec())
	}
	return func(yield func(string, any) bool) {
		for i, v := range e.vals {
			if _, ok := v.(absent); ok {
				continue
			}
			if !yield(e.lay.names[i], v) {
				return
			}
		}
	}
}

// Table holds the rows of a Dataverse table or a Commerce entity.
type Table struct {
	// Name is the entity set (Dataverse) or the entity name (Commerce).
	Name string
	// Logical is the Dataverse logical name; "" for Commerce.
	Logical string
	// Key is the Dataverse primary key column.
	Key string
	// Keys are the Commerce key fields.
	Keys []string
	// Company tells, for Commerce, that rows belong to a company
	// (dataAreaId).
	Company bool

	rows   map[string]*Entry
	layout *layout // the column positions of its compact records
}

// Get returns the entry stored under id, nil when none.
func (t *Table) Get(id string) *Entry { return t.rows[id] }

// Len returns the number of rows.
func (t *Table) Len() int { return len(t.rows) }

// All yields the rows by id, in no particular order.
func (t *Table) All() iter.Seq2[string, *Entry] { return maps.All(t.rows) }

// Sorted returns the rows in creation order.
func (t *Table) Sorted() []*Entry {
	out := make([]*Entry, 0, len(t.rows))
	for _, e := range t.rows {
		out = append(out, e)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Seq < out[j].Seq })
	return out
}

// Store is what the protocol handlers and the dual-write engine use of the
// data. Writes go through a [Tx].
type Store interface {
	// Dataverse finds a Dataverse table by entity set or logical name, in
	// any case; nil when there is none.
	Dataverse(name string) *Table
	// EnsureDataverse is Dataverse, creating any msdyn_ table (by entity
	// set or logical name) on first use.
	EnsureDataverse(name string) *Table
	// AddDataverse returns the Dataverse table of a logical name, adding
	// it (with its entity set and primary key) when the store has none: a
	// table the schema declares, custom tables included.
	AddDataverse(set, logical, key string) *Table
	// DataverseTables lists the Dataverse tables by entity set name.
	DataverseTables() []*Table
	// FinOps finds a Commerce entity by name, in any case; nil when there
	// is none.
	FinOps(name string) *Table
	// FinOpsTables lists the Commerce entities by name.
	FinOpsTables() []*Table
	// Begin starts a transaction stamped with the current time.
	Begin() *Tx
	// Snapshot remembers the whole store; Restore puts it back.
	Snapshot() *Snapshot
	// Restore puts the store back as it was at the snapshot.
	Restore(*Snapshot)
	// Version is the newest row version the store has given (a write or
	// a delete), the starting point of change tracking.
	Version() int64
	// Changes returns the changes to the Dataverse table (logical name)
	// with a version above since, oldest first, one per record: its last
	// write or its delete.
	Changes(logical string, since int64) []Change
	// Deleted returns the last entry of a record deleted from the
	// Dataverse table (logical name), nil when none was: what paging needs
	// to resume after a row that is gone.
	Deleted(logical, id string) *Entry
}

// Change is an entry of the change log change tracking reads: a record
// written (Deleted false) or deleted, with the row version of that change.
type Change struct {
	Table   string // the Dataverse logical name, or the Commerce entity name
	ID      string
	Version int64
	Deleted bool
}

type memory struct {
	dv       map[string]*Table // by logical name
	sets     map[string]*Table // by lower-case entity set
	fo       map[string]*Table // by lower-case entity name
	seq      int64
	version  int64
	counters map[string]int
	changes  []Change          // the change log, oldest first
	deleted  map[string]*Entry // "<table>/<id>" -> the entry a delete removed
}

// New returns a store holding the tables and entities of the emulator,
// empty.
func New() Store {
	st := &memory{dv: map[string]*Table{}, sets: map[string]*Table{}, fo: map[string]*Table{}, counters: map[string]int{}, version: 1000000}
	for _, t := range [][3]string{
		{"leads", "lead", "leadid"},
		{"opportunities", "opportunity", "opportunityid"},
		{"accounts", "account", "accountid"},
		{"contacts", "contact", "contactid"},
		{"annotations", "annotation", "annotationid"},
		{"transactioncurrencies", "transactioncurrency", "transactioncurrencyid"},
		{"savedqueries", "savedquery", "savedqueryid"},
		{"userqueries", "userquery", "userqueryid"},
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
		st.fo[strings.ToLower(t.name)] = &Table{Name: t.name, Keys: t.keys, Company: t.company, rows: map[string]*Entry{}}
	}
	return st
}

func (st *memory) addDV(set, logical, key string) *Table {
	t := &Table{Name: set, Logical: logical, Key: key, rows: map[string]*Entry{}}
	st.dv[logical] = t
	st.sets[strings.ToLower(set)] = t
	return t
}

func (st *memory) Dataverse(name string) *Table {
	n := strings.ToLower(name)
	if t := st.sets[n]; t != nil {
		return t
	}
	return st.dv[n]
}

func (st *memory) EnsureDataverse(set string) *Table {
	if t := st.Dataverse(set); t != nil {
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

func (st *memory) AddDataverse(set, logical, key string) *Table {
	if t := st.dv[logical]; t != nil {
		return t
	}
	return st.addDV(set, logical, key)
}

func (st *memory) DataverseTables() []*Table { return byName(st.sets) }

func (st *memory) FinOps(name string) *Table { return st.fo[strings.ToLower(name)] }

func (st *memory) FinOpsTables() []*Table { return byName(st.fo) }

func byName(m map[string]*Table) []*Table {
	out := make([]*Table, 0, len(m))
	for _, t := range m {
		out = append(out, t)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

func (st *memory) Begin() *Tx {
	return &Tx{st: st, Now: time.Now().UTC(), undo: make([]undoOp, 0, 4)}
}

// Tx collects the writes of one request so that a failure anywhere (the
// other side of dual-write included) undoes them all.
type Tx struct {
	st   *memory
	undo []undoOp
	// Now is the time the transaction started, in UTC: the createdon and
	// modifiedon of what it writes.
	Now time.Time
}

// Store returns the store the transaction writes to.
func (t *Tx) Store() Store { return t.st }

// Rollback undoes the writes of the transaction, newest first. Numbers
// taken with Next are not given back.
func (t *Tx) Rollback() {
	for i := len(t.undo) - 1; i >= 0; i-- {
		switch op := t.undo[i]; {
		case op.tb == nil:
			t.st.changes = t.st.changes[:op.n]
		case op.prev == nil:
			delete(op.tb.rows, op.id)
		default:
			op.tb.rows[op.id] = op.prev
		}
	}
	t.undo = nil
}

// undoOp is one write a rollback takes back: the row id of tb set back to
// prev (removed when prev is nil), or, when tb is nil, the change log cut
// back to n entries. (Values, not closures: a request's writes allocate
// nothing to be undone.)
type undoOp struct {
	tb   *Table
	id   string
	prev *Entry
	n    int
}

// Put stores rec under id with a new row version, remembering what was
// there.
func (t *Tx) Put(tb *Table, id string, rec Record) *Entry {
	prev := tb.rows[id]
	t.undo = append(t.undo, undoOp{tb: tb, id: id, prev: prev})
	t.st.version++
	e := &Entry{Version: t.st.version}
	e.rec.Store(&rec)
	t.put(tb, id, prev, e)
	return e
}

// PutCopy stores a copy of rec under id with a new row version, as Put
// does, kept compactly (see [Entry]); when versionColumn is not "", the row
// version is also set in rec under that column before the copy. The
// caller may reuse rec once PutCopy returns.
func (t *Tx) PutCopy(tb *Table, id string, rec Record, versionColumn string) *Entry {
	prev := tb.rows[id]
	t.undo = append(t.undo, undoOp{tb: tb, id: id, prev: prev})
	t.st.version++
	if versionColumn != "" {
		rec[versionColumn] = t.st.version
	}
	lay := tb.layout
	if lay == nil {
		lay = &layout{pos: make(map[string]int, len(rec))}
		tb.layout = lay
	}
	if len(lay.names) > 2*len(rec)+16 {
		// a record of few of the table's many columns: a map is smaller
		m := maps.Clone(rec)
		e := &Entry{Version: t.st.version}
		e.rec.Store(&m)
		t.put(tb, id, prev, e)
		return e
	}
	// a value at each position of the layout, absent where the record
	// has no column; a column new to the table is added to the layout
	vals := make([]any, len(lay.names))
	for i := range vals {
		vals[i] = absent{}
	}
	for k, v := range rec {
		i, ok := lay.pos[k]
		if !ok {
			i = len(lay.names)
			lay.pos[k] = i
			lay.names = append(lay.names, k)
		}
		for i >= len(vals) {
			vals = append(vals, absent{})
		}
		vals[i] = v
	}
	e := &Entry{Version: t.st.version, vals: vals, lay: lay, n: len(rec)}
	t.put(tb, id, prev, e)
	return e
}

// put files e, just made, under id in place of prev.
func (t *Tx) put(tb *Table, id string, prev, e *Entry) {
	if prev != nil {
		e.Seq = prev.Seq
	} else {
		t.st.seq++
		e.Seq = t.st.seq
	}
	tb.rows[id] = e
	t.logChange(Change{Table: tb.changeName(), ID: id, Version: e.Version})
}

// changeName is the name the change log files a table under.
func (tb *Table) changeName() string {
	if tb.Logical != "" {
		return tb.Logical
	}
	return tb.Name
}

// logChange appends to the change log, taking it back on rollback.
func (t *Tx) logChange(c Change) {
	n := len(t.st.changes)
	t.st.changes = append(t.st.changes, c)
	t.undo = append(t.undo, undoOp{n: n})
}

// Delete removes the row id, remembering it.
func (t *Tx) Delete(tb *Table, id string) {
	prev := tb.rows[id]
	if prev == nil {
		return
	}
	t.undo = append(t.undo, undoOp{tb: tb, id: id, prev: prev})
	delete(tb.rows, id)
	t.st.version++
	t.logChange(Change{Table: tb.changeName(), ID: id, Version: t.st.version, Deleted: true})
	if t.st.deleted == nil {
		t.st.deleted = map[string]*Entry{}
	}
	t.st.deleted[tb.changeName()+"/"+id] = prev
}

func (st *memory) Deleted(logical, id string) *Entry { return st.deleted[logical+"/"+id] }

func (st *memory) Version() int64 { return st.version }

func (st *memory) Changes(logical string, since int64) []Change {
	last := map[string]int{} // id -> index in out
	var out []Change
	for _, c := range st.changes {
		if c.Table != logical || c.Version <= since {
			continue
		}
		if i, ok := last[c.ID]; ok {
			out[i].Version = -1 // superseded
		}
		last[c.ID] = len(out)
		out = append(out, c)
	}
	kept := out[:0]
	for _, c := range out {
		if c.Version >= 0 {
			kept = append(kept, c)
		}
	}
	return kept
}

// Next allocates the next number of a named sequence (prospect, customer,
// party...), starting at 1.
func (t *Tx) Next(seq string) int {
	t.st.counters[seq]++
	return t.st.counters[seq]
}

// Snapshot is the state of the store at a point in time.
type Snapshot struct {
	rows         map[*Table]map[string]*Entry
	dv, sets, fo map[string]*Table
	seq, version int64
	counters     map[string]int
	changes      int // length of the change log
}

func (st *memory) Snapshot() *Snapshot {
	sn := &Snapshot{
		rows: map[*Table]map[string]*Entry{},
		dv:   maps.Clone(st.dv), sets: maps.Clone(st.sets), fo: maps.Clone(st.fo),
		seq: st.seq, version: st.version, counters: maps.Clone(st.counters),
		changes: len(st.changes),
	}
	for _, m := range []map[string]*Table{st.dv, st.fo} {
		for _, t := range m {
			sn.rows[t] = maps.Clone(t.rows)
		}
	}
	return sn
}

func (st *memory) Restore(sn *Snapshot) {
	for t, rows := range sn.rows {
		clear(t.rows)
		maps.Copy(t.rows, rows)
	}
	st.dv, st.sets, st.fo = sn.dv, sn.sets, sn.fo
	st.seq, st.version, st.counters = sn.seq, sn.version, sn.counters
	st.changes = st.changes[:min(sn.changes, len(st.changes))]
}

// Clone returns a shallow copy of a record.
func Clone(r Record) Record {
	if r == nil {
		return Record{}
	}
	return maps.Clone(r)
}

// Text returns a value as text: a string as it is, nil as "", anything
// else formatted with fmt.
func Text(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	if v == nil {
		return ""
	}
	return fmt.Sprint(v)
}

// Stamp writes a time as Dataverse and Finance and Operations do.
func Stamp(t time.Time) string { return t.Format(time.RFC3339) }
