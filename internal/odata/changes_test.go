package odata

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

type deltaAccount struct {
	ID   string `json:"accountid"`
	Name string `json:"name"`
}

// deltaServer answers as "Use change tracking to synchronize data with
// external systems" documents: the first page of the delta with a next
// link, the last one with the $deletedEntity rows and, before its value,
// the @odata.deltaLink.
func deltaServer(t *testing.T, last string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if got := r.Header.Get("Prefer"); got != "odata.track-changes,odata.maxpagesize=2" {
			t.Errorf("Prefer = %q", got)
		}
		base := "http://" + r.Host + "/api/data/v9.2/"
		w.Header().Set("Preference-Applied", "odata.track-changes")
		if r.URL.Query().Get("$skiptoken") == "" {
			w.Write([]byte(`{"@odata.context":"` + base + `$metadata#accounts(name)/$delta","value":[
				{"@odata.etag":"W/\"915244\"","name":"Monte Orton","accountid":"60c4e274-0d87-e711-80e5-00155db19e6d"},
				{"@odata.etag":"W/\"915245\"","name":"Sample","accountid":"70c4e274-0d87-e711-80e5-00155db19e6d"}],
				"@odata.nextLink":"` + base + `accounts?$select=name&$skiptoken=2"}`))
			return
		}
		w.Write([]byte(`{"@odata.context":"` + base + `$metadata#accounts(name)/$delta",` + last + `"value":[
			{"@odata.etag":"W/\"915246\"","name":"Changed","accountid":"80c4e274-0d87-e711-80e5-00155db19e6d"},
			{"@odata.context":"` + base + `$metadata#accounts/$deletedEntity","id":"90c4e274-0d87-e711-80e5-00155db19e6d","reason":"deleted"}]}`))
	}
}

func TestChangesYieldsRowsAndDeletionsAndKeepsTheDeltaLink(t *testing.T) {
	c, _, _, _ := testClient(t, deltaServer(t, `"@odata.deltaLink":"/api/data/v9.2/accounts?$select=name&$deltatoken=919042%2108%2f22%2f2017%2008%3a10%3a44",`), nil)
	var delta string
	var got []string
	for ch, err := range Changes[deltaAccount](context.Background(), c, &Request{Path: "accounts", Query: "$select=name", Header: TrackChanges(Prefer{MaxPageSize: 2})}, &delta) {
		if err != nil {
			t.Fatal(err)
		}
		if ch.Record != nil {
			got = append(got, "changed "+ch.Record.Name)
		} else {
			got = append(got, "deleted "+ch.Deleted)
		}
	}
	want := []string{"changed Monte Orton", "changed Sample", "changed Changed", "deleted 90c4e274-0d87-e711-80e5-00155db19e6d"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("changes (-want +got):\n%s", diff)
	}
	if !strings.HasSuffix(delta, "$deltatoken=919042%2108%2f22%2f2017%2008%3a10%3a44") {
		t.Errorf("delta link = %q", delta)
	}
}

func TestChangesWithoutDeltaLinkIsAnError(t *testing.T) {
	for name, last := range map[string]string{
		"no delta link":       ``,
		"delta link off host": `"@odata.deltaLink":"https://elsewhere.example.net/api/data/v9.2/accounts?$deltatoken=1",`,
	} {
		c, _, _, _ := testClient(t, deltaServer(t, last), nil)
		delta := "unchanged"
		var err error
		for _, e := range Changes[deltaAccount](context.Background(), c, &Request{Path: "accounts", Query: "$select=name", Header: TrackChanges(Prefer{MaxPageSize: 2})}, &delta) {
			if e != nil {
				err = e
			}
		}
		if err == nil || delta != "unchanged" {
			t.Errorf("%s: err = %v, delta = %q; want an error and no delta link", name, err, delta)
		}
	}
}

func TestDecodeChangeOfAnUndeletedRowWithAnIDColumn(t *testing.T) {
	ch, err := decodeChange[map[string]any]([]byte(`{"id":"x","@odata.context":"http://h/$metadata#things/$entity"}`))
	if err != nil || ch.Record == nil || ch.Deleted != "" {
		t.Errorf("got %+v, %v; want a record", ch, err)
	}
	if _, err := decodeChange[deltaAccount]([]byte(`{"@odata.context":"http://h/$metadata#accounts/$deletedEntity","reason":"deleted"}`)); err == nil {
		t.Error("a $deletedEntity row without id: no error")
	}
}
