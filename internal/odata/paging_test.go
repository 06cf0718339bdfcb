package odata

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"
)

type row struct {
	ID string `json:"accountid"`
}

// pagedServer serves 3 pages of 2 records, the next links carrying a
// paging cookie, and checks that every page asks for the same page size.
func pagedServer(t *testing.T, calls *atomic.Int32) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		if got := r.Header.Get("Prefer"); got != "odata.maxpagesize=2" {
			t.Errorf("page %s asked with Prefer %q", r.URL.RawQuery, got)
		}
		page := 1
		if tok := r.URL.Query().Get("$skiptoken"); tok != "" {
			fmt.Sscanf(tok, `<cookie pagenumber="%d"`, &page)
		}
		body := map[string]any{"value": []row{{fmt.Sprint(page*2 - 1)}, {fmt.Sprint(page * 2)}}}
		if page < 3 {
			body["@odata.nextLink"] = "http://" + r.Host + "/api/data/v9.2/accounts?$select=name&$skiptoken=" +
				fmt.Sprintf("%%3Ccookie%%20pagenumber=%%22%d%%22%%20istracking=%%22False%%22%%20/%%3E", page+1)
		}
		w.Header().Set("Preference-Applied", "odata.maxpagesize=2")
		json.NewEncoder(w).Encode(body)
	}
}

func collect(t *testing.T, c *Client, max int) ([]string, error) {
	var ids []string
	for r, err := range List[row](context.Background(), c, &Request{Path: "accounts", Query: "$select=name", Prefer: Prefer{MaxPageSize: 2}}, max) {
		if err != nil {
			return ids, err
		}
		ids = append(ids, r.ID)
	}
	return ids, nil
}

func TestListFollowsNextLinksOverThreePages(t *testing.T) {
	var calls atomic.Int32
	c, _, _, _ := testClient(t, pagedServer(t, &calls), nil)
	ids, err := collect(t, c, 0)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"1", "2", "3", "4", "5", "6"}, ids); diff != "" {
		t.Errorf("records (-want +got):\n%s", diff)
	}
	if calls.Load() != 3 {
		t.Errorf("pages requested = %d, want 3", calls.Load())
	}
}

func TestListStopsWhenTheConsumerBreaks(t *testing.T) {
	var calls atomic.Int32
	c, _, _, _ := testClient(t, pagedServer(t, &calls), nil)
	for r, err := range List[row](context.Background(), c, &Request{Path: "accounts", Prefer: Prefer{MaxPageSize: 2}}, 0) {
		if err != nil || r.ID != "1" {
			t.Fatalf("first record = %v, %v", r, err)
		}
		break
	}
	if calls.Load() != 1 {
		t.Errorf("pages requested after a break = %d, want 1", calls.Load())
	}
}

func TestListStopsAtMax(t *testing.T) {
	var calls atomic.Int32
	c, _, _, _ := testClient(t, pagedServer(t, &calls), nil)
	ids, err := collect(t, c, 3)
	if err != nil || len(ids) != 3 || calls.Load() != 2 {
		t.Errorf("ids = %v, err = %v, pages = %d; want 3 records from 2 pages", ids, err, calls.Load())
	}
}

func TestListFailsOnARepeatedNextLink(t *testing.T) {
	var calls atomic.Int32
	c, _, _, _ := testClient(t, func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		fmt.Fprintf(w, `{"value":[{"accountid":"x"}],"@odata.nextLink":"http://%s/api/data/v9.2/accounts?$skiptoken=same"}`, r.Host)
	}, nil)
	ids, err := collect(t, c, 0)
	if err == nil || !strings.Contains(err.Error(), "same next link twice") {
		t.Fatalf("err = %v, want a repeated next link error", err)
	}
	if len(ids) != 2 || calls.Load() != 2 {
		t.Errorf("ids = %v after %d pages; want 2 records from 2 pages", ids, calls.Load())
	}
}

func TestListRefusesANextLinkToAnotherHost(t *testing.T) {
	c, _, _, _ := testClient(t, func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`{"value":[],"@odata.nextLink":"https://evil.example/api/data/v9.2/accounts?$skiptoken=1"}`))
	}, nil)
	_, err := collect(t, c, 0)
	if err == nil || !strings.Contains(err.Error(), "leaves the service's host") {
		t.Fatalf("err = %v, want a refusal to follow the link", err)
	}
}

func TestListYieldsTheErrorOfAFailedPage(t *testing.T) {
	var calls atomic.Int32
	c, _, _, _ := testClient(t, func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 2 {
			w.WriteHeader(http.StatusNotFound)
			w.Write([]byte(`{"error":{"code":"0x80060888","message":"Resource not found"}}`))
			return
		}
		fmt.Fprintf(w, `{"value":[{"accountid":"a"}],"@odata.nextLink":"http://%s/api/data/v9.2/accounts?$skiptoken=2"}`, r.Host)
	}, nil)
	ids, err := collect(t, c, 0)
	if err == nil || len(ids) != 1 {
		t.Fatalf("ids = %v, err = %v; want one record then the error", ids, err)
	}
}
