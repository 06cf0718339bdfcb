package sales

import (
	"cmp"
	"context"
	"fmt"
	"net/http"
	"reflect"

	"github.com/b2bflow/d365"
	"github.com/b2bflow/d365/internal/odata"
	"github.com/google/uuid"
)

// DefaultChunkSize is how many records one CreateMultiple or UpdateMultiple
// request carries unless BulkOptions says otherwise. Microsoft advises
// batches of 100 to 1,000 records for standard tables.
const DefaultChunkSize = 100

// leadType is the type of the targets of the bulk messages on leads.
const leadType = "Microsoft.Dynamics.CRM.lead"

// maxChunkSize is the most records one bulk message may carry.
const maxChunkSize = 1000

// BulkOptions tunes CreateMultiple and UpdateMultiple.
type BulkOptions struct {
	// ChunkSize is how many records each request carries: zero means
	// DefaultChunkSize; at most 1,000.
	ChunkSize int
}

func (o *BulkOptions) chunk() (int, error) {
	if o == nil || o.ChunkSize == 0 {
		return DefaultChunkSize, nil
	}
	if o.ChunkSize < 0 || o.ChunkSize > maxChunkSize {
		return 0, fmt.Errorf("sales: BulkOptions.ChunkSize is %d: it must be between 1 and %d", o.ChunkSize, maxChunkSize)
	}
	return o.ChunkSize, nil
}

// Batch sends a $batch: up to 1,000 requests (single requests and atomic
// change sets) in one HTTP request. Paths are relative to the Web API root,
// such as "leads" or "leads(<id>)". The results come one per request, in
// order; the error is non-nil only when the batch as a whole failed. A
// request whose fate the answer does not state (an answer that does not
// line up with the batch) has an error matching d365.ErrOutcomeUnknown:
// read the data back before sending it again.
func (c *Client) Batch(ctx context.Context, b *d365.Batch) ([]*d365.BatchResult, error) {
	return c.od.Batch(ctx, b)
}

// CreateMultiple creates the leads with the CreateMultiple message, in
// chunks of BulkOptions.ChunkSize leads per request, and returns their ids
// in the order of leads.
//
// A lead without an ID gets one chosen by the client before sending, so that
// a chunk whose answer was lost can be sent again without creating the
// leads twice (a retry that finds them created counts as success). Each
// chunk is atomic: it is created whole or not at all. When a chunk fails,
// the ids of the chunks created before it are returned with the error.
func (s *LeadService) CreateMultiple(ctx context.Context, leads []*Lead, o *BulkOptions) ([]uuid.UUID, error) {
	size, err := o.chunk()
	if err != nil {
		return nil, err
	}
	targets := make([]map[string]any, len(leads))
	ids := make([]uuid.UUID, len(leads))
	for i, l := range leads {
		if l == nil {
			return nil, fmt.Errorf("sales: Leads.CreateMultiple: lead %d is nil", i)
		}
		w := l.write()
		w.ID, w.Type = cmp.Or(l.ID, uuid.New()), leadType
		ids[i] = w.ID
		if targets[i], err = w.body("Lead", true); err != nil {
			return nil, fmt.Errorf("sales: Leads.CreateMultiple: lead %d: %w", i, err)
		}
	}
	for start := 0; start < len(targets); start += size {
		end := min(start+size, len(targets))
		if err := s.createMultiple(ctx, targets[start:end], ids[start:end]); err != nil {
			return ids[:start], fmt.Errorf("sales: Leads.CreateMultiple: leads %d to %d: %w", start, end-1, err)
		}
	}
	return ids, nil
}

// LeadUpdate is one lead of UpdateMultiple: its id and the columns to
// change.
type LeadUpdate struct {
	ID      uuid.UUID
	Changes *LeadChanges
}

// UpdateMultiple changes the leads with the UpdateMultiple message, in chunks
// of BulkOptions.ChunkSize leads per request. Each chunk is atomic. Sending
// the same changes twice is harmless, so chunks are retried after a lost
// connection. Columns listed in LeadChanges.Clear are set to null.
func (s *LeadService) UpdateMultiple(ctx context.Context, updates []LeadUpdate, o *BulkOptions) error {
	size, err := o.chunk()
	if err != nil {
		return err
	}
	targets := make([]map[string]any, len(updates))
	for i, u := range updates {
		if u.ID == uuid.Nil {
			return fmt.Errorf("sales: Leads.UpdateMultiple: update %d has no lead id", i)
		}
		if u.Changes == nil || reflect.ValueOf(*u.Changes).IsZero() {
			return fmt.Errorf("sales: Leads.UpdateMultiple: update %d changes no column", i)
		}
		w := &leadWrite{Type: leadType, leadCreate: leadCreate{ID: u.ID, LeadChanges: *u.Changes}}
		if targets[i], err = w.body("LeadChanges", false); err != nil {
			return fmt.Errorf("sales: Leads.UpdateMultiple: update %d: %w", i, err)
		}
	}
	for start := 0; start < len(targets); start += size {
		end := min(start+size, len(targets))
		_, err := s.c.od.Do(ctx, &odata.Request{
			Method:     http.MethodPost,
			Path:       s.name + "/Microsoft.Dynamics.CRM.UpdateMultiple",
			Body:       map[string]any{"Targets": targets[start:end]},
			Idempotent: true,
		})
		if err != nil {
			return fmt.Errorf("sales: Leads.UpdateMultiple: leads %d to %d: %w", start, end-1, err)
		}
	}
	return nil
}

// createMultiple sends one CreateMultiple chunk whose targets carry the
// client-chosen ids want, and checks the ids the service returns.
func (s entitySet) createMultiple(ctx context.Context, targets []map[string]any, want []uuid.UUID) error {
	resp, err := odata.Create(ctx, s.c.od, &odata.Request{
		Path:       s.name + "/Microsoft.Dynamics.CRM.CreateMultiple",
		Body:       map[string]any{"Targets": targets},
		Idempotent: true,
	})
	if err != nil || resp == nil { // nil: a retry found the chunk created
		return err
	}
	var out struct {
		IDs []uuid.UUID `json:"Ids"`
	}
	if err := resp.Decode(&out); err != nil {
		return err
	}
	if len(out.IDs) != len(want) {
		return fmt.Errorf("the service returned %d ids for %d records", len(out.IDs), len(want))
	}
	for i, id := range out.IDs {
		if id != want[i] {
			return fmt.Errorf("the service returned id %s for record %d, which was sent with id %s", id, i, want[i])
		}
	}
	return nil
}
