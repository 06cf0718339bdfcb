package commerce

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// Decoding into a value that already holds a record must leave nothing of
// the old record behind: not a column the new one omits, not its ETag.
func TestUnmarshalJSONResetsTheReceiver(t *testing.T) {
	old := []byte(`{"@odata.etag":"W/\"1\"","dataAreaId":"usrt","ProspectId":"P-1","CustomerAccount":"C-1","CustomerHierarchyId":"H-1","NodePartyNumber":"N-1","ProjectName":"p","Name":"n"}`)
	fresh := []byte(`{}`)
	for _, tc := range []struct {
		name string
		v    json.Unmarshaler
		zero any
	}{
		{"Prospect", &Prospect{}, &Prospect{}},
		{"Customer", &Customer{}, &Customer{}},
		{"Hierarchy", &Hierarchy{}, &Hierarchy{}},
		{"HierarchyNode", &HierarchyNode{}, &HierarchyNode{}},
		{"DualWriteConfiguration", &DualWriteConfiguration{}, &DualWriteConfiguration{}},
	} {
		if err := tc.v.UnmarshalJSON(old); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if cmp.Equal(tc.v, tc.zero) {
			t.Fatalf("%s: the first record decoded to nothing", tc.name)
		}
		if err := tc.v.UnmarshalJSON(fresh); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if diff := cmp.Diff(tc.zero, tc.v); diff != "" {
			t.Errorf("%s: left over from the first record (-want +got):\n%s", tc.name, diff)
		}
	}
	d := DateTime{Time: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	if err := d.UnmarshalJSON([]byte(`"not a time"`)); err == nil || !d.IsZero() {
		t.Errorf("DateTime after a bad value: %v, err %v; want the zero time and an error", d.Time, err)
	}
}
