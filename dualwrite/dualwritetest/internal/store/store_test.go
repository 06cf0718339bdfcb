package store

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func ids(t *Table) []string {
	var out []string
	for _, e := range t.Sorted() {
		out = append(out, Text(e.Rec["id"]))
	}
	return out
}

func TestTxRollback(t *testing.T) {
	st := New()
	leads := st.Dataverse("Leads")
	if leads == nil || leads != st.Dataverse("lead") {
		t.Fatal("leads is not found by entity set and logical name")
	}
	tx := st.Begin()
	a := tx.Put(leads, "a", Record{"id": "a"})
	tx.Put(leads, "b", Record{"id": "b"})
	tx2 := st.Begin()
	a2 := tx2.Put(leads, "a", Record{"id": "a", "v": 2})
	tx2.Delete(leads, "b")
	if a2.Seq != a.Seq || a2.Version <= a.Version {
		t.Errorf("update: seq %d version %d, want seq %d and a version above %d", a2.Seq, a2.Version, a.Seq, a.Version)
	}
	if diff := cmp.Diff([]string{"a"}, ids(leads)); diff != "" {
		t.Errorf("after tx2 (-want +got):\n%s", diff)
	}
	tx2.Rollback()
	if got := leads.Get("a"); got != a {
		t.Errorf("a is %v after rollback, want the first version", got)
	}
	if diff := cmp.Diff([]string{"a", "b"}, ids(leads)); diff != "" {
		t.Errorf("after rollback (-want +got):\n%s", diff)
	}
}

func TestSnapshotRestore(t *testing.T) {
	st := New()
	p := st.FinOps("prospects")
	tx := st.Begin()
	tx.Put(p, "1", Record{"id": "1"})
	n := tx.Next("prospect")
	sn := st.Snapshot()
	tx.Put(p, "2", Record{"id": "2"})
	custom := st.EnsureDataverse("msdyn_parties")
	if custom == nil || custom.Logical != "msdyn_party" || custom.Key != "msdyn_partyid" {
		t.Fatalf("msdyn_parties: %+v", custom)
	}
	tx.Next("prospect")
	st.Restore(sn)
	if diff := cmp.Diff([]string{"1"}, ids(p)); diff != "" {
		t.Errorf("after restore (-want +got):\n%s", diff)
	}
	if st.Dataverse("msdyn_parties") != nil {
		t.Error("a table created after the snapshot survived the restore")
	}
	if got := st.Begin().Next("prospect"); got != n+1 {
		t.Errorf("next number %d after restore, want %d", got, n+1)
	}
}
