package sales_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/b2bflow/d365"
	"github.com/b2bflow/d365/sales"
	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"
)

// readChanges reads every change of the leads, returning the subjects of
// the new and changed rows (sorted), the deleted ids and the delta link.
func readChanges(t *testing.T, c *sales.Client, o *sales.ChangesOptions) (subjects []string, deleted []uuid.UUID, delta string) {
	t.Helper()
	ch := c.Leads.Changes(context.Background(), o)
	for row, err := range ch.All() {
		if err != nil {
			t.Fatal(err)
		}
		if row.Record != nil {
			subjects = append(subjects, row.Record.Subject)
		} else {
			deleted = append(deleted, row.Deleted)
		}
	}
	slices.Sort(subjects)
	if ch.DeltaLink() == "" {
		t.Fatal("DeltaLink() is empty after a full read")
	}
	return subjects, deleted, ch.DeltaLink()
}

func TestLeadsChangesNewChangedDeletedAndResume(t *testing.T) {
	c := emulated(t, 0)
	ctx := context.Background()
	var ids []uuid.UUID
	for _, s := range []string{"Alpha", "Bravo", "Charlie"} {
		id, err := c.Leads.Create(ctx, &sales.Lead{Subject: s, LastName: "Changes"})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	// The first read yields every row, a page of two at a time.
	subjects, deleted, delta := readChanges(t, c, &sales.ChangesOptions{Select: []string{"subject"}, PageSize: 2})
	if diff := cmp.Diff([]string{"Alpha", "Bravo", "Charlie"}, subjects); diff != "" || len(deleted) != 0 {
		t.Fatalf("first read (-want +got):\n%s deleted %v", diff, deleted)
	}

	// Then only what changed since.
	if err := c.Leads.Update(ctx, ids[0], &sales.LeadChanges{Subject: sales.Ptr("Alpha 2")}, nil); err != nil {
		t.Fatal(err)
	}
	if err := c.Leads.Delete(ctx, ids[1]); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Leads.Create(ctx, &sales.Lead{Subject: "Delta", LastName: "Changes"}); err != nil {
		t.Fatal(err)
	}
	subjects, deleted, delta2 := readChanges(t, c, &sales.ChangesOptions{DeltaLink: delta})
	if diff := cmp.Diff([]string{"Alpha 2", "Delta"}, subjects); diff != "" {
		t.Errorf("changed rows (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]uuid.UUID{ids[1]}, deleted); diff != "" {
		t.Errorf("deleted rows (-want +got):\n%s", diff)
	}
	if delta2 == delta {
		t.Errorf("the delta link did not move on: %s", delta2)
	}

	// Nothing changed since: nothing is yielded.
	subjects, deleted, _ = readChanges(t, c, &sales.ChangesOptions{DeltaLink: delta2})
	if len(subjects)+len(deleted) != 0 {
		t.Errorf("no change expected, got %v and %v", subjects, deleted)
	}
}

func TestChangesInputErrors(t *testing.T) {
	c := emulated(t, 0)
	for name, o := range map[string]*sales.ChangesOptions{
		"ChangesOptions.PageSize":  {PageSize: -1},
		"ChangesOptions.DeltaLink": {DeltaLink: "https://elsewhere.example.net/api/data/v9.2/leads?$deltatoken=1"},
	} {
		for _, err := range c.Leads.Changes(context.Background(), o).All() {
			var ie *d365.InputError
			if !errors.As(err, &ie) || ie.Field != name || ie.Op != "sales: Leads.Changes" {
				t.Errorf("%s: err = %v, want an input error naming it", name, err)
			}
			break
		}
	}
}
