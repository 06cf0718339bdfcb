package webhook

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
)

// The headers Dataverse sends with a webhook request ("Use webhooks to
// create external handlers for server events", Header Data).
const (
	HeaderOrganization   = "x-ms-dynamics-organization"
	HeaderEntityName     = "x-ms-dynamics-entity-name"
	HeaderRequestName    = "x-ms-dynamics-request-name"
	HeaderCorrelationID  = "x-ms-correlation-request-id"
	HeaderMsgSizeExceeds = "x-ms-dynamics-msg-size-exceeded"
)

// Event is one webhook delivery, decoded.
type Event struct {
	// Context is the RemoteExecutionContext of the body.
	Context *Context
	// Organization, EntityName, RequestName and CorrelationRequestID are
	// the x-ms-dynamics-organization, x-ms-dynamics-entity-name,
	// x-ms-dynamics-request-name and x-ms-correlation-request-id headers.
	Organization, EntityName, RequestName, CorrelationRequestID string
	// SizeExceeded is set when Dataverse sent
	// x-ms-dynamics-msg-size-exceeded: the payload was over 256 KB, so
	// ParentContext, InputParameters and the images were removed. The
	// consumer must read the record (Context.PrimaryEntityId) itself.
	SizeExceeded bool
	// Key is the de-duplication key of the delivery (see DeliveryKey).
	Key string
	// Received is when the handler accepted the delivery.
	Received time.Time
}

// DeliveryKey is the key under which a delivery is de-duplicated: the
// documented ids of the operation (OperationId, RequestId, CorrelationId),
// the message, the primary record, the stage and the step
// (OwningExtension), so that a retry or a replay of one delivery has the
// key of the first.
func DeliveryKey(c *Context) string {
	step := uuid.Nil
	if c.OwningExtension != nil {
		step = c.OwningExtension.ID
	}
	return fmt.Sprintf("op=%s;req=%s;corr=%s;msg=%s;entity=%s(%s);stage=%d;depth=%d;step=%s",
		c.OperationID, c.RequestID, c.CorrelationID, strings.ToLower(c.MessageName),
		strings.ToLower(c.PrimaryEntityName), c.PrimaryEntityID, c.Stage, c.Depth, step)
}

// Auth is what a call must carry, as the webhook was registered
// ("Register a webhook", Authentication options). Every value set must be
// present and equal; they are compared in constant time.
type Auth struct {
	// Headers is the HttpHeader option: header names and values.
	Headers map[string]string
	// Code is the WebhookKey option: the value of the "code" query
	// parameter.
	Code string
	// Query is the HttpQueryString option: query parameters and values.
	Query map[string]string
}

func (a Auth) empty() bool { return len(a.Headers) == 0 && a.Code == "" && len(a.Query) == 0 }

// Options configures a Handler.
type Options struct {
	// Auth is required unless Unauthenticated is set.
	Auth Auth
	// Unauthenticated accepts calls without checking them (tests, or an
	// endpoint behind an authenticating proxy).
	Unauthenticated bool
	// Store remembers the deliveries seen; nil is an in-memory store of
	// 100000 keys kept 24 hours (NewMemoryStore).
	Store Store
	// QueueSize is how many accepted events may wait for Workers; zero
	// means 64. When the queue is full the handler answers 503 so that
	// Dataverse tries again.
	QueueSize int
	// Workers is how many events are handled at once; zero means 1.
	Workers int
	// MaxBody is the largest body accepted, in bytes; zero means 4 MiB.
	MaxBody int64
	// OnError is called with the error of a handler function, after the
	// delivery's key is forgotten (so that a replay is handled again).
	OnError func(*Event, error)
	// Now is the clock; nil is time.Now.
	Now func() time.Time
}

// Func handles one event. It runs on a worker goroutine, after Dataverse
// has been answered; ctx ends when the Handler is closed.
//
// The hand-off is at most once: Dataverse has its 2xx before Func runs, so
// an event queued when the process stops is not sent again. A consumer
// whose work must not be lost also reconciles from the records (for
// onboarding, Service.Process finishes what is left Pending).
type Func func(ctx context.Context, e *Event) error

// Handler is an http.Handler receiving Dataverse webhooks. Create it with
// NewHandler and Close it when done.
type Handler struct {
	fn     Func
	o      Options
	queue  chan *Event
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu     sync.RWMutex
	closed bool
}

// NewHandler returns a Handler handing each new delivery to fn. It starts
// the workers.
func NewHandler(fn Func, o *Options) (*Handler, error) {
	if fn == nil {
		return nil, errors.New("webhook: NewHandler: fn is nil")
	}
	var opt Options
	if o != nil {
		opt = *o
	}
	if opt.Auth.empty() && !opt.Unauthenticated {
		return nil, errors.New("webhook: NewHandler: Options.Auth is empty: set Headers, Code or Query, or Unauthenticated")
	}
	for k, v := range opt.Auth.Headers {
		if k == "" || v == "" {
			return nil, fmt.Errorf("webhook: NewHandler: Options.Auth.Headers[%q] has an empty name or value", k)
		}
	}
	for k, v := range opt.Auth.Query {
		if k == "" || v == "" {
			return nil, fmt.Errorf("webhook: NewHandler: Options.Auth.Query[%q] has an empty name or value", k)
		}
	}
	if opt.QueueSize < 0 || opt.Workers < 0 || opt.MaxBody < 0 {
		return nil, errors.New("webhook: NewHandler: Options.QueueSize, Workers and MaxBody must not be negative")
	}
	if opt.QueueSize == 0 {
		opt.QueueSize = 64
	}
	if opt.Workers == 0 {
		opt.Workers = 1
	}
	if opt.MaxBody == 0 {
		opt.MaxBody = 4 << 20
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Store == nil {
		opt.Store = NewMemoryStore(100000, 24*time.Hour)
	}
	h := &Handler{fn: fn, o: opt, queue: make(chan *Event, opt.QueueSize)}
	h.ctx, h.cancel = context.WithCancel(context.Background())
	for range opt.Workers {
		h.wg.Add(1)
		go h.work()
	}
	return h, nil
}

// Close stops accepting deliveries (they get 503), lets the workers finish
// the queued events and waits for them. Cancel ctx to stop waiting; the
// workers' context is then cancelled.
func (h *Handler) Close(ctx context.Context) error {
	h.mu.Lock()
	if !h.closed {
		h.closed = true
		close(h.queue)
	}
	h.mu.Unlock()
	done := make(chan struct{})
	go func() { h.wg.Wait(); close(done) }()
	select {
	case <-done:
		h.cancel()
		return nil
	case <-ctx.Done():
		h.cancel()
		<-done
		return ctx.Err()
	}
}

func (h *Handler) work() {
	defer h.wg.Done()
	for e := range h.queue {
		if err := h.call(e); err != nil {
			_ = h.o.Store.Forget(h.ctx, e.Key)
			if h.o.OnError != nil {
				h.o.OnError(e, err)
			}
		}
	}
}

func (h *Handler) call(e *Event) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("webhook: handler panicked: %v", r)
		}
	}()
	return h.fn(h.ctx, e)
}

// ServeHTTP authenticates, decodes and queues a delivery. It answers 202
// when the event was queued, 200 for a delivery already seen, 401 without
// credentials, 403 with wrong ones, 405 for a method other than POST, 413
// for a body over MaxBody, 415 for a body that is not JSON, 400 for a
// payload that is not a RemoteExecutionContext and 503 (with Retry-After)
// when the queue is full or the handler is closed. Error bodies are
// text/plain and say why.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		reply(w, http.StatusMethodNotAllowed, "a webhook is a POST")
		return
	}
	if status, why := h.authenticate(r); status != 0 {
		reply(w, status, why)
		return
	}
	if ct := r.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(strings.ToLower(ct), "application/json") {
		reply(w, http.StatusUnsupportedMediaType, "the body must be application/json, not "+ct)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, h.o.MaxBody))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			reply(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("the body is over %d bytes", h.o.MaxBody))
			return
		}
		reply(w, http.StatusBadRequest, "reading the body: "+err.Error())
		return
	}
	c, err := DecodeContext(body)
	if err != nil {
		reply(w, http.StatusBadRequest, err.Error())
		return
	}
	if c.MessageName == "" {
		reply(w, http.StatusBadRequest, "webhook: MessageName is missing")
		return
	}
	if c.PrimaryEntityName == "" {
		reply(w, http.StatusBadRequest, "webhook: PrimaryEntityName is missing")
		return
	}
	e := &Event{
		Context:              c,
		Organization:         r.Header.Get(HeaderOrganization),
		EntityName:           r.Header.Get(HeaderEntityName),
		RequestName:          r.Header.Get(HeaderRequestName),
		CorrelationRequestID: r.Header.Get(HeaderCorrelationID),
		SizeExceeded:         r.Header.Get(HeaderMsgSizeExceeds) != "",
		Key:                  DeliveryKey(c),
		Received:             h.o.Now(),
	}
	fresh, err := h.o.Store.Add(r.Context(), e.Key, e.Received)
	if err != nil {
		w.Header().Set("Retry-After", "1")
		reply(w, http.StatusServiceUnavailable, "webhook: the delivery store failed: "+err.Error())
		return
	}
	if !fresh {
		reply(w, http.StatusOK, "duplicate delivery ignored")
		return
	}
	h.mu.RLock()
	queued := false
	if !h.closed {
		select {
		case h.queue <- e:
			queued = true
		default:
		}
	}
	h.mu.RUnlock()
	if !queued {
		_ = h.o.Store.Forget(r.Context(), e.Key)
		w.Header().Set("Retry-After", "1")
		reply(w, http.StatusServiceUnavailable, "webhook: the queue is full or the receiver is closing; try again")
		return
	}
	reply(w, http.StatusAccepted, "accepted")
}

func reply(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	io.WriteString(w, msg+"\n")
}

// authenticate returns 0 when the call carries every configured value,
// 401 when one is missing and 403 when one differs.
func (h *Handler) authenticate(r *http.Request) (int, string) {
	a := h.o.Auth
	if h.o.Unauthenticated && a.empty() {
		return 0, ""
	}
	q := r.URL.Query()
	missing, wrong := "", ""
	check := func(what string, got []string, want string) {
		if len(got) == 0 || got[0] == "" {
			if missing == "" {
				missing = what
			}
			return
		}
		ok := equal(got[0], want) && len(got) == 1
		if !ok && wrong == "" {
			wrong = what
		}
	}
	for k, v := range a.Headers {
		check("header "+k, r.Header.Values(k), v)
	}
	if a.Code != "" {
		check("query parameter code", q["code"], a.Code)
	}
	for k, v := range a.Query {
		check("query parameter "+k, q[k], v)
	}
	switch {
	case missing != "":
		return http.StatusUnauthorized, "webhook: unauthenticated: the " + missing + " is missing"
	case wrong != "":
		return http.StatusForbidden, "webhook: forbidden: the " + wrong + " does not match"
	}
	return 0, ""
}

// equal compares in constant time, whatever the lengths.
func equal(a, b string) bool {
	ha, hb := sha256.Sum256([]byte(a)), sha256.Sum256([]byte(b))
	return subtle.ConstantTimeCompare(ha[:], hb[:]) == 1
}
