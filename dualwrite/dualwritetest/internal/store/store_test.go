package store

import (
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func ids(t *Table) []string {
	var out []string
	for _, e := range t.Sorted() {
		out = append(out, Text(e.Rec()["id"]))
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

func TestChangeLog(t *testing.T) {
	st := New()
	accounts := st.Dataverse("accounts")
	tx := st.Begin()
	tx.Put(accounts, "a", Record{"id": "a"})
	tx.Put(accounts, "b", Record{"id": "b"})
	tx.Put(st.Dataverse("leads"), "l", Record{"id": "l"})
	since := st.Version()
	tx.Put(accounts, "a", Record{"id": "a", "v": 2})
	tx.Put(accounts, "c", Record{"id": "c"})
	tx.Delete(accounts, "b")
	tx.Put(accounts, "c", Record{"id": "c", "v": 2})
	got := st.Changes("account", since)
	var summary []string
	for i, c := range got {
		if c.Version <= since || (i > 0 && c.Version <= got[i-1].Version) {
			t.Errorf("change %v: versions must rise above %d", c, since)
		}
		summary = append(summary, fmt.Sprintf("%s deleted=%v", c.ID, c.Deleted))
	}
	// One entry per record, its last change, oldest first.
	if diff := cmp.Diff([]string{"a deleted=false", "b deleted=true", "c deleted=false"}, summary); diff != "" {
		t.Errorf("changes (-want +got):\n%s", diff)
	}
	if e := st.Deleted("account", "b"); e == nil || e.Rec()["id"] != "b" {
		t.Errorf("Deleted(b) = %v", e)
	}
	if len(st.Changes("lead", since)) != 0 {
		t.Error("a lead change before since is listed")
	}

	// A rollback takes its changes back; a Restore those after the snapshot.
	tx2 := st.Begin()
	tx2.Put(accounts, "d", Record{"id": "d"})
	tx2.Rollback()
	sn := st.Snapshot()
	v := st.Version()
	tx3 := st.Begin()
	tx3.Delete(accounts, "a")
	st.Restore(sn)
	if c := st.Changes("account", v); len(c) != 0 {
		t.Errorf("changes after rollback and restore: %v", c)
	}
	if len(st.Changes("account", since)) != 3 {
		t.Errorf("the committed changes are gone: %v", st.Changes("account", since))
	}
}
