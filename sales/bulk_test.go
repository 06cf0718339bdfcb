package sales_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/b2bflow/d365"
	"github.com/b2bflow/d365/sales"
	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"
)

// bulkServer answers CreateMultiple with the targets' ids, recording each
// request's targets; lose makes it drop the answer of the given call
// (after "creating" the chunk) and answer the retry with Dataverse's
// duplicate-key error.
type bulkServer struct {
	mu      sync.Mutex
	calls   [][]map[string]any
	paths   []string
	lose    int
	created map[string]bool
}

func (b *bulkServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Targets []map[string]any `json:"Targets"`
	}
	data, _ := io.ReadAll(r.Body)
	json.Unmarshal(data, &body)
	b.mu.Lock()
	b.calls = append(b.calls, body.Targets)
	b.paths = append(b.paths, r.URL.Path)
	n := len(b.calls)
	var ids []string
	dup := false
	for _, t := range body.Targets {
		id := fmt.Sprint(t["leadid"])
		ids = append(ids, id)
		dup = dup || b.created[id]
		b.created[id] = true
	}
	b.mu.Unlock()
	switch {
	case strings.HasSuffix(r.URL.Path, "UpdateMultiple"):
		w.WriteHeader(http.StatusNoContent)
	case n == b.lose:
		conn, _, _ := w.(http.Hijacker).Hijack()
		conn.Close()
	case dup:
		w.WriteHeader(http.StatusPreconditionFailed)
		io.WriteString(w, `{"error":{"code":"0x80040237","message":"Cannot insert duplicate key."}}`)
	default:
		json.NewEncoder(w).Encode(map[string]any{"@odata.context": "x", "Ids": ids})
	}
}

func bulkClient(t *testing.T, h http.Handler) *sales.Client {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	c, err := sales.NewClient(srv.URL, d365.StaticTokenCredential("test-token"), &sales.Options{ClientOptions: d365.ClientOptions{
		Retry: d365.RetryOptions{Sleep: func(ctx context.Context, d time.Duration) error { return ctx.Err() }},
	}})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestCreateMultipleChunksAndKeepsTheOrder(t *testing.T) {
	b := &bulkServer{created: map[string]bool{}}
	c := bulkClient(t, b)
	leads := make([]*sales.Lead, 250)
	for i := range leads {
		leads[i] = &sales.Lead{Subject: fmt.Sprintf("Bulk lead %d", i), LastName: "Doe", CompanyName: fmt.Sprintf("Company %d", i)}
	}
	chosen := uuid.MustParse("00000000-0000-0000-0000-0000000000c7")
	leads[7].ID = chosen
	ids, err := c.Leads.CreateMultiple(context.Background(), leads, &sales.BulkOptions{ChunkSize: 100})
	if err != nil {
		t.Fatal(err)
	}
	if len(b.calls) != 3 || len(b.calls[0]) != 100 || len(b.calls[2]) != 50 {
		t.Fatalf("chunks = %d (%d, ..., %d targets), want 3 of 100, 100, 50", len(b.calls), len(b.calls[0]), len(b.calls[len(b.calls)-1]))
	}
	if b.paths[0] != "/api/data/v9.2/leads/Microsoft.Dynamics.CRM.CreateMultiple" {
		t.Errorf("path = %s", b.paths[0])
	}
	first := b.calls[0][0]
	if first["@odata.type"] != "Microsoft.Dynamics.CRM.lead" || first["subject"] != "Bulk lead 0" || first["leadid"] != ids[0].String() {
		t.Errorf("first target = %v", first)
	}
	if ids[7] != chosen {
		t.Errorf("the chosen id was replaced: %s", ids[7])
	}
	var sent []string
	for _, call := range b.calls {
		for _, target := range call {
			sent = append(sent, fmt.Sprint(target["leadid"]))
		}
	}
	var got []string
	for _, id := range ids {
		got = append(got, id.String())
	}
	if diff := cmp.Diff(sent, got); diff != "" {
		t.Errorf("ids not in the order sent (-sent +returned):\n%s", diff)
	}
}

func TestCreateMultipleLostAnswerIsNotADuplicate(t *testing.T) {
	b := &bulkServer{created: map[string]bool{}, lose: 2}
	c := bulkClient(t, b)
	leads := make([]*sales.Lead, 4)
	for i := range leads {
		leads[i] = &sales.Lead{Subject: fmt.Sprintf("Lead %d", i)}
	}
	ids, err := c.Leads.CreateMultiple(context.Background(), leads, &sales.BulkOptions{ChunkSize: 2})
	if err != nil {
		t.Fatal(err)
	}
	// Chunk 2 was created, its answer lost, and sent again: the retry's
	// duplicate-key answer proves it exists.
	if len(b.calls) != 3 || len(ids) != 4 || len(b.created) != 4 {
		t.Errorf("calls = %d, ids = %d, records = %d; want 3 calls, 4 ids, 4 records", len(b.calls), len(ids), len(b.created))
	}
}

func TestBulkValidationBeforeAnyRequest(t *testing.T) {
	c := bulkClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { t.Errorf("request sent: %s", r.URL) }))
	ctx := context.Background()
	_, err := c.Leads.CreateMultiple(ctx, []*sales.Lead{{Subject: "ok"}, {Subject: ""}}, nil)
	if err == nil || !strings.Contains(err.Error(), "lead 1") || !strings.Contains(err.Error(), "Subject") {
		t.Errorf("missing subject: %v", err)
	}
	if _, err := c.Leads.CreateMultiple(ctx, []*sales.Lead{{Subject: "ok"}}, &sales.BulkOptions{ChunkSize: 1001}); err == nil {
		t.Error("a chunk of 1001 was accepted")
	}
	if err := c.Leads.UpdateMultiple(ctx, []sales.LeadUpdate{{Changes: &sales.LeadChanges{Phone: sales.Ptr("1")}}}, nil); err == nil {
		t.Error("an update without an id was accepted")
	}
	if err := c.Leads.UpdateMultiple(ctx, []sales.LeadUpdate{{ID: uuid.New()}}, nil); err == nil {
		t.Error("an update without changes was accepted")
	}
}

func TestUpdateMultiple(t *testing.T) {
	b := &bulkServer{created: map[string]bool{}}
	c := bulkClient(t, b)
	id := uuid.MustParse("00000000-0000-0000-0000-000000000001")
	err := c.Leads.UpdateMultiple(context.Background(), []sales.LeadUpdate{
		{ID: id, Changes: &sales.LeadChanges{Phone: sales.Ptr("+1 425 555 0100")}},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []map[string]any{{"@odata.type": "Microsoft.Dynamics.CRM.lead", "leadid": id.String(), "telephone1": "+1 425 555 0100"}}
	if diff := cmp.Diff(want, b.calls[0]); diff != "" || b.paths[0] != "/api/data/v9.2/leads/Microsoft.Dynamics.CRM.UpdateMultiple" {
		t.Errorf("sent %s (-want +got):\n%s", b.paths[0], diff)
	}
}
