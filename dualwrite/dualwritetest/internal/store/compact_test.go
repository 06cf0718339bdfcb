package store

import (
	"maps"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// readBack returns what each way of reading an entry gives: the map Rec
// builds, the columns Columns yields, the names AppendNames appends, and
// Lookup of every name of want and of a name no record has.
func readBack(t *testing.T, e *Entry, want Record) {
	t.Helper()
	if diff := cmp.Diff(want, e.Rec()); diff != "" {
		t.Errorf("Rec (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(want, maps.Collect(e.Columns())); diff != "" {
		t.Errorf("Columns (-want +got):\n%s", diff)
	}
	names := e.AppendNames(nil)
	slices.Sort(names)
	if diff := cmp.Diff(slices.Sorted(maps.Keys(want)), names); diff != "" {
		t.Errorf("AppendNames (-want +got):\n%s", diff)
	}
	if e.Len() != len(want) {
		t.Errorf("Len = %d, want %d", e.Len(), len(want))
	}
	for k, v := range want {
		got, ok := e.Lookup(k)
		if !ok || !cmp.Equal(got, v) {
			t.Errorf("Lookup(%q) = %v, %v; want %v, true", k, got, ok, v)
		}
		if !cmp.Equal(e.Get(k), v) {
			t.Errorf("Get(%q) = %v, want %v", k, e.Get(k), v)
		}
	}
	if v, ok := e.Lookup("nosuchcolumn"); ok || v != nil {
		t.Errorf("Lookup(nosuchcolumn) = %v, %v; want nil, false", v, ok)
	}
}

func TestPutCopyKeepsTheRecord(t *testing.T) {
	st := New()
	leads := st.Dataverse("leads")
	tx := st.Begin()
	rec := Record{"leadid": "a", "firstname": "Ana", "telephone1": nil, "statecode": 0}
	e := tx.PutCopy(leads, "a", rec, "versionnumber")
	if e.vals == nil {
		t.Fatal("PutCopy stored a map, not the compact form")
	}
	want := Record{"leadid": "a", "firstname": "Ana", "telephone1": nil, "statecode": 0, "versionnumber": e.Version}
	if diff := cmp.Diff(want, rec); diff != "" {
		t.Errorf("rec after PutCopy, the row version set (-want +got):\n%s", diff)
	}
	// the caller reuses its map: the stored record does not change
	clear(rec)
	rec["leadid"] = "x"
	readBack(t, leads.Get("a"), want)

	// A later record with a column new to the table, and without some
	// of the first record's: the layout grows, the first record reads
	// the same, the second has none of the columns it was not given (a
	// null column is not a missing one).
	b := Record{"leadid": "b", "lastname": "Silva", "telephone1": "+1 555"}
	tx.PutCopy(leads, "b", b, "")
	readBack(t, leads.Get("b"), Record{"leadid": "b", "lastname": "Silva", "telephone1": "+1 555"})
	readBack(t, leads.Get("a"), want)
	if v, ok := leads.Get("b").Lookup("firstname"); ok || v != nil {
		t.Errorf("b: Lookup(firstname), a column of the table b lacks = %v, %v; want nil, false", v, ok)
	}

	// An update replaces the entry: the old one reads as it was.
	old := leads.Get("a")
	up := maps.Clone(old.Rec())
	up["firstname"] = "Bia"
	ne := tx.PutCopy(leads, "a", up, "versionnumber")
	if ne.Seq != old.Seq || ne.Version <= old.Version {
		t.Errorf("update: seq %d version %d, was seq %d version %d", ne.Seq, ne.Version, old.Seq, old.Version)
	}
	readBack(t, old, want)
	if got := leads.Get("a").Get("firstname"); got != "Bia" {
		t.Errorf("firstname after the update = %v, want Bia", got)
	}

	// A rollback takes all of it back.
	tx.Rollback()
	if leads.Len() != 0 {
		t.Errorf("%d rows after the rollback, want 0", leads.Len())
	}
}

// A record of few of the columns a table has seen is stored as a map,
// not as a slice the width of every column.
func TestPutCopySparseRecordIsAMap(t *testing.T) {
	st := New()
	notes := st.Dataverse("annotations")
	tx := st.Begin()
	wide := Record{"annotationid": "w"}
	for _, c := range []string{"a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l", "m", "n", "o", "p", "q", "r", "s", "t"} {
		wide[c] = c
	}
	tx.PutCopy(notes, "w", wide, "")
	e := tx.PutCopy(notes, "n", Record{"annotationid": "n", "subject": "hi"}, "")
	if e.vals != nil {
		t.Errorf("a record of 2 of %d columns was stored in a slice of %d", len(notes.layout.names), len(e.vals))
	}
	readBack(t, e, Record{"annotationid": "n", "subject": "hi"})
	readBack(t, notes.Get("w"), wide)
}

// A snapshot taken before compact writes restores without them.
func TestPutCopySnapshot(t *testing.T) {
	st := New()
	leads := st.Dataverse("leads")
	st.Begin().PutCopy(leads, "a", Record{"leadid": "a"}, "")
	sn := st.Snapshot()
	tx := st.Begin()
	tx.PutCopy(leads, "b", Record{"leadid": "b", "subject": "new"}, "")
	tx.PutCopy(leads, "a", Record{"leadid": "a", "subject": "changed"}, "")
	st.Restore(sn)
	if leads.Len() != 1 || leads.Get("b") != nil {
		t.Fatalf("%d rows after the restore, want a only", leads.Len())
	}
	readBack(t, leads.Get("a"), Record{"leadid": "a"})
}
