package dualwritetest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/b2bflow/d365/dualwrite/dualwritetest/internal/dataverse"
	"github.com/b2bflow/d365/dualwrite/dualwritetest/internal/schema"
	"github.com/b2bflow/d365/dualwrite/dualwritetest/internal/store"
	"github.com/google/uuid"
)

// Webhook registers a webhook on the emulator, as a serviceendpoint
// (contract 8) with its sdkmessageprocessingstep records would in
// Dataverse: asynchronous post-operation steps. After a write commits, the
// emulator POSTs the RemoteExecutionContext JSON Microsoft documents ("Use
// webhooks to create external handlers for server events") to URL, with
// the x-ms-dynamics-* headers, and tries once more on 502, 503 or 504 as
// the documentation says Dataverse does.
type Webhook struct {
	// URL is the endpoint.
	URL string
	// Headers is the HttpHeader authentication: headers sent with each
	// call.
	Headers map[string]string
	// Code is the WebhookKey authentication: the "code" query parameter.
	Code string
	// Query is the HttpQueryString authentication: query parameters.
	Query map[string]string
	// Messages are the messages the steps are registered for: "Create",
	// "Update", "Win", "Lose"; empty means all four.
	Messages []string
	// Entities are the primary tables: "lead", "opportunity"; empty
	// means both. Win and Lose are on opportunity.
	Entities []string
	// MaxPayload is the size in bytes above which the body is sent in the
	// size-exceeded form (x-ms-dynamics-msg-size-exceeded, without
	// InputParameters and the images); zero means 256 KB, as documented.
	MaxPayload int
}

// WebhookDelivery is one webhook call the emulator made (with its retry).
type WebhookDelivery struct {
	// URL is where it was sent, with the authentication query string.
	URL string
	// Message, Entity and EntityID tell the event.
	Message, Entity, EntityID string
	// Attempts is 1, or 2 when the first answer was 502, 503 or 504.
	Attempts int
	// Status is the last status answered, 0 when the call failed; Err
	// says why.
	Status int
	Err    string
	// SizeExceeded is set when the body was sent in the size-exceeded
	// form.
	SizeExceeded bool
	// Header and Body are what was sent.
	Header http.Header
	Body   []byte
}

// webhookTables are the tables the emulator sends events for.
var webhookTables = []string{"lead", "opportunity"}

type seenRow struct {
	version int64
	rec     store.Record
}

// webhooks is the webhook state of a Server.
type webhooks struct {
	hooks  []Webhook
	client *http.Client
	org    string

	// seen is guarded by the Server's mu: the rows of webhookTables as
	// the last scan saw them.
	seen map[string]map[string]seenRow

	mu       sync.Mutex
	cond     *sync.Cond
	queue    []*webhookEvent
	busy     bool
	closed   bool
	log      []WebhookDelivery
	cancel   context.CancelFunc
	sendCtx  context.Context
	sendDone sync.WaitGroup
}

type webhookEvent struct {
	message, entity, id string
	correlation         string
	body                map[string]any
}

// initWebhooks starts the sender and takes the records as they are as the
// baseline (the seeded records fire nothing). The caller holds no lock.
func (s *Server) initWebhooks(hooks []Webhook) {
	if len(hooks) == 0 {
		return
	}
	u, _ := url.Parse(s.SalesURL)
	w := &webhooks{hooks: slices.Clone(hooks), client: &http.Client{Timeout: 60 * time.Second},
		org: u.Host, seen: map[string]map[string]seenRow{}}
	w.cond = sync.NewCond(&w.mu)
	w.sendCtx, w.cancel = context.WithCancel(context.Background())
	s.wh = w
	s.mu.Lock()
	s.scan(true)
	s.mu.Unlock()
	w.sendDone.Add(1)
	go w.send()
}

func (s *Server) closeWebhooks() {
	w := s.wh
	if w == nil {
		return
	}
	w.mu.Lock()
	w.closed = true
	w.cond.Broadcast()
	w.mu.Unlock()
	w.cancel()
	w.sendDone.Wait()
}

// scanWebhooks compares the lead and opportunity rows with what the last
// scan saw and queues the events of what changed: a new row is a Create,
// a changed one an Update, an opportunity leaving the Open state a Win or
// a Lose. The caller holds s.mu; only committed rows are in the store
// then, so a rolled back write fires nothing.
func (s *Server) scanWebhooks() {
	if s.wh != nil {
		s.scan(false)
	}
}

// scan is scanWebhooks; baseline only records the rows.
func (s *Server) scan(baseline bool) {
	w := s.wh
	var events []*webhookEvent
	for _, logical := range webhookTables {
		tb := s.store.Dataverse(logical)
		if tb == nil {
			continue
		}
		seen := w.seen[logical]
		if seen == nil {
			seen = map[string]seenRow{}
			w.seen[logical] = seen
		}
		now := make(map[string]bool, tb.Len())
		var changed []*store.Entry
		for _, e := range tb.All() {
			id := store.Text(e.Get(logical + "id"))
			if id == "" {
				continue
			}
			now[id] = true
			if prev, ok := seen[id]; !ok || prev.version != e.Version {
				changed = append(changed, e)
			}
		}
		// The events go out in the order of the writes.
		sort.Slice(changed, func(i, j int) bool { return changed[i].Version < changed[j].Version })
		for _, e := range changed {
			id := store.Text(e.Get(logical + "id"))
			prev, ok := seen[id]
			rec := store.Clone(e.Rec())
			seen[id] = seenRow{version: e.Version, rec: rec}
			if baseline {
				continue
			}
			switch {
			case !ok:
				events = append(events, s.webhookEvent("Create", logical, id, rec, nil, rec))
			case logical == "opportunity" && dataverse.IntOf(prev.rec["statecode"]) == 0 && dataverse.IntOf(rec["statecode"]) != 0:
				msg := "Win"
				if dataverse.IntOf(rec["statecode"]) == 2 {
					msg = "Lose"
				}
				events = append(events, s.webhookEvent(msg, logical, id, rec, prev.rec, rec))
			default:
				diff := store.Record{logical + "id": id}
				for k, v := range rec {
					if pv, had := prev.rec[k]; !had || fmt.Sprint(pv) != fmt.Sprint(v) {
						diff[k] = v
					}
				}
				events = append(events, s.webhookEvent("Update", logical, id, diff, prev.rec, rec))
			}
		}
		for id := range seen {
			if !now[id] {
				delete(seen, id)
			}
		}
	}
	if len(events) == 0 {
		return
	}
	w.mu.Lock()
	w.queue = append(w.queue, events...)
	w.cond.Broadcast()
	w.mu.Unlock()
}

const xrmContracts = ":http://schemas.microsoft.com/xrm/2011/Contracts"

// webhookEvent builds the RemoteExecutionContext of an event, as in the
// documented sample: key/value arrays, __type tags, /Date(ms)/ dates.
func (s *Server) webhookEvent(msg, logical, id string, target, pre, post store.Record) *webhookEvent {
	corr := uuid.NewString()
	input := []any{}
	output := []any{}
	switch msg {
	case "Create":
		input = append(input, kv("Target", entityJSON(logical, id, target)))
		output = append(output, kv("id", id))
	case "Update":
		input = append(input, kv("Target", entityJSON(logical, id, target)))
	case "Win", "Lose":
		if oc, ocID := s.latestClose(id); oc != nil {
			input = append(input, kv("OpportunityClose", entityJSON("opportunityclose", ocID, oc)))
		}
		input = append(input, kv("Status", map[string]any{"__type": "OptionSetValue" + xrmContracts, "Value": dataverse.IntOf(post["statuscode"])}))
	}
	images := func(name string, rec store.Record) []any {
		if rec == nil {
			return []any{}
		}
		return []any{kv(name, entityJSON(logical, id, rec))}
	}
	ref := func(logical, id string) map[string]any {
		return map[string]any{"Id": id, "KeyAttributes": []any{}, "LogicalName": logical, "Name": nil, "RowVersion": nil}
	}
	body := map[string]any{
		"BusinessUnitId": businessUnitID, "CorrelationId": corr, "Depth": 1,
		"InitiatingUserId": systemUserID, "InputParameters": input,
		"IsExecutingOffline": false, "IsInTransaction": false, "IsOfflinePlayback": false,
		"IsolationMode": 1, "MessageName": msg, "Mode": 1,
		"OperationCreatedOn": wcfDate(time.Now()), "OperationId": uuid.NewString(),
		"OrganizationId": organizationID, "OrganizationName": "dualwritetest",
		"OutputParameters": output,
		"OwningExtension":  ref("sdkmessageprocessingstep", uuid.NewSHA1(uuid.NameSpaceURL, []byte("dualwritetest/step/"+msg+"/"+logical)).String()),
		"ParentContext":    nil,
		"PostEntityImages": images("PostImage", post), "PreEntityImages": images("PreImage", pre),
		"PrimaryEntityId": id, "PrimaryEntityName": logical, "RequestId": uuid.NewString(),
		"SecondaryEntityName": "none", "SharedVariables": []any{}, "Stage": 40, "UserId": systemUserID,
	}
	return &webhookEvent{message: msg, entity: logical, id: id, correlation: corr, body: body}
}

// latestClose returns the newest opportunityclose of an opportunity.
func (s *Server) latestClose(oppID string) (store.Record, string) {
	tb := s.store.Dataverse("opportunityclose")
	if tb == nil {
		return nil, ""
	}
	var best *store.Entry
	for _, e := range tb.Sorted() {
		if store.Text(e.Get("_opportunityid_value")) == oppID {
			best = e
		}
	}
	if best == nil {
		return nil, ""
	}
	return store.Clone(best.Rec()), store.Text(best.Get("activityid"))
}

func kv(k string, v any) map[string]any { return map[string]any{"key": k, "value": v} }

func wcfDate(t time.Time) string { return fmt.Sprintf("/Date(%d)/", t.UnixMilli()) }

var webhookSchema = sync.OnceValue(schema.MustLoad)

// entityJSON is the DataContract JSON of an Entity: lookups become
// EntityReferences, choices OptionSetValues, currency columns Money and
// dates /Date(ms)/, by the column types of the schema.
func entityJSON(logical, id string, rec store.Record) map[string]any {
	tbl, _ := webhookSchema().Table(logical)
	keys := make([]string, 0, len(rec))
	for k := range rec {
		if !strings.Contains(k, "@") {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	attrs := []any{}
	for _, k := range keys {
		v := rec[k]
		if strings.HasPrefix(k, "_") && strings.HasSuffix(k, "_value") {
			name := strings.TrimSuffix(strings.TrimPrefix(k, "_"), "_value")
			if v == nil || v == "" {
				attrs = append(attrs, kv(name, nil))
				continue
			}
			target, _ := rec[k+"@Microsoft.Dynamics.CRM.lookuplogicalname"].(string)
			attrs = append(attrs, kv(name, map[string]any{"__type": "EntityReference" + xrmContracts,
				"Id": v, "KeyAttributes": []any{}, "LogicalName": target, "Name": nil, "RowVersion": nil}))
			continue
		}
		if v != nil && tbl != nil {
			if col, ok := tbl.Column(k); ok {
				switch {
				case col.Type.IsChoice() && col.Type != schema.MultiSelect:
					v = map[string]any{"__type": "OptionSetValue" + xrmContracts, "Value": dataverse.IntOf(v)}
				case col.Type == schema.Money:
					v = map[string]any{"__type": "Money" + xrmContracts, "Value": v}
				case col.Type == schema.DateTime:
					if s, ok := v.(string); ok {
						if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
							v = wcfDate(t)
						} else if t, err := time.Parse("2006-01-02", s); err == nil {
							v = wcfDate(t)
						}
					}
				}
			}
		}
		attrs = append(attrs, kv(k, v))
	}
	return map[string]any{"__type": "Entity" + xrmContracts, "Attributes": attrs, "EntityState": nil,
		"FormattedValues": []any{}, "Id": id, "KeyAttributes": []any{}, "LogicalName": logical,
		"RelatedEntities": []any{}, "RowVersion": nil}
}

// send delivers the queued events in order, one at a time.
func (w *webhooks) send() {
	defer w.sendDone.Done()
	for {
		w.mu.Lock()
		for len(w.queue) == 0 && !w.closed {
			w.cond.Wait()
		}
		if w.closed {
			w.mu.Unlock()
			return
		}
		ev := w.queue[0]
		w.queue = w.queue[1:]
		w.busy = true
		w.mu.Unlock()
		for _, h := range w.hooks {
			if matches(h.Messages, ev.message) && matches(h.Entities, ev.entity) {
				d := w.deliver(h, ev)
				w.mu.Lock()
				w.log = append(w.log, d)
				w.mu.Unlock()
			}
		}
		w.mu.Lock()
		w.busy = false
		w.cond.Broadcast()
		w.mu.Unlock()
	}
}

func matches(list []string, v string) bool {
	if len(list) == 0 {
		return true
	}
	for _, x := range list {
		if strings.EqualFold(x, v) {
			return true
		}
	}
	return false
}

func (w *webhooks) deliver(h Webhook, ev *webhookEvent) WebhookDelivery {
	d := WebhookDelivery{Message: ev.message, Entity: ev.entity, EntityID: ev.id}
	body, _ := json.Marshal(ev.body)
	max := h.MaxPayload
	if max <= 0 {
		max = 256 << 10
	}
	if len(body) > max {
		trimmed := map[string]any{}
		for k, v := range ev.body {
			switch k {
			case "ParentContext", "InputParameters", "PreEntityImages", "PostEntityImages":
			default:
				trimmed[k] = v
			}
		}
		body, _ = json.Marshal(trimmed)
		d.SizeExceeded = true
	}
	u, err := url.Parse(h.URL)
	if err != nil {
		d.Err = err.Error()
		return d
	}
	q := u.Query()
	if h.Code != "" {
		q.Set("code", h.Code)
	}
	for k, v := range h.Query {
		q.Set(k, v)
	}
	u.RawQuery = q.Encode()
	d.URL = u.String()
	hdr := http.Header{}
	hdr.Set("Content-Type", "application/json")
	for k, v := range h.Headers {
		hdr.Set(k, v)
	}
	hdr.Set("x-ms-dynamics-organization", w.org)
	hdr.Set("x-ms-dynamics-entity-name", ev.entity)
	hdr.Set("x-ms-dynamics-request-name", ev.message)
	hdr.Set("x-ms-correlation-request-id", ev.correlation)
	if d.SizeExceeded {
		hdr.Set("x-ms-dynamics-msg-size-exceeded", "true")
	}
	d.Header, d.Body = hdr, body
	for d.Attempts < 2 {
		d.Attempts++
		d.Status, d.Err = w.post(d.URL, hdr, body)
		if d.Status != http.StatusBadGateway && d.Status != http.StatusServiceUnavailable && d.Status != http.StatusGatewayTimeout {
			break
		}
	}
	return d
}

func (w *webhooks) post(u string, hdr http.Header, body []byte) (int, string) {
	req, err := http.NewRequestWithContext(w.sendCtx, http.MethodPost, u, bytes.NewReader(body))
	if err != nil {
		return 0, err.Error()
	}
	req.Header = hdr.Clone()
	resp, err := w.client.Do(req)
	if err != nil {
		return 0, err.Error()
	}
	resp.Body.Close()
	return resp.StatusCode, ""
}

// WebhookDeliveries returns the webhook calls made so far, oldest first.
func (s *Server) WebhookDeliveries() []WebhookDelivery {
	if s.wh == nil {
		return nil
	}
	s.wh.mu.Lock()
	defer s.wh.mu.Unlock()
	return slices.Clone(s.wh.log)
}

// WaitWebhooks waits until every event of the writes so far has been
// delivered, or ctx ends.
func (s *Server) WaitWebhooks(ctx context.Context) error {
	w := s.wh
	if w == nil {
		return nil
	}
	stop := context.AfterFunc(ctx, func() {
		w.mu.Lock()
		w.cond.Broadcast()
		w.mu.Unlock()
	})
	defer stop()
	w.mu.Lock()
	defer w.mu.Unlock()
	for (len(w.queue) > 0 || w.busy) && !w.closed {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		w.cond.Wait()
	}
	return ctx.Err()
}

// RedeliverWebhook sends delivery i of WebhookDeliveries again, with the
// same headers and body (a replay), and returns the status answered.
func (s *Server) RedeliverWebhook(ctx context.Context, i int) (int, error) {
	ds := s.WebhookDeliveries()
	if i < 0 || i >= len(ds) {
		return 0, fmt.Errorf("dualwritetest: RedeliverWebhook: no delivery %d (there are %d)", i, len(ds))
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, ds[i].URL, bytes.NewReader(ds[i].Body))
	if err != nil {
		return 0, err
	}
	req.Header = ds[i].Header.Clone()
	resp, err := s.wh.client.Do(req)
	if err != nil {
		return 0, err
	}
	resp.Body.Close()
	return resp.StatusCode, nil
}
