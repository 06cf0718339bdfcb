package d365

import (
	"errors"
	"net/http"
)

// MaxBatchRequests is the most requests one $batch may hold.
const MaxBatchRequests = 1000

// BatchRequest is one request inside a $batch.
type BatchRequest struct {
	// Method is the HTTP method; empty means GET.
	Method string
	// Path is relative to the service root (such as "leads" or
	// "leads(00000000-0000-0000-0000-000000000001)", with ids formatted as
	// the clients do), or a reference to an earlier request of the same change set by its
	// Content-ID, such as "$1" or "$1/lastname".
	Path string
	// Query is the encoded query string, without '?'.
	Query string
	// Body is sent as JSON: []byte and json.RawMessage as they are, any
	// other value through encoding/json.
	Body any
	// Header holds extra headers of the request.
	Header http.Header
	// IfMatch sets the If-Match header.
	IfMatch string
	// ContentID names the request inside its change set, so that later
	// requests can refer to it as "$<ContentID>" (in a Path, or in an
	// "@odata.bind" value). Empty means its 1-based position in the change
	// set. Ignored outside change sets.
	ContentID string
}

// BatchPart is one part of a batch: a single request, or a change set whose
// requests succeed or fail together. Exactly one of the fields is set.
type BatchPart struct {
	Request   *BatchRequest
	ChangeSet []*BatchRequest
}

// Batch is a $batch request: up to MaxBatchRequests requests sent in one
// HTTP request, in parts that are single requests or change sets (atomic
// groups of changes). Send it with the Batch method of the sales or
// commerce client.
type Batch struct {
	Parts []BatchPart
	// ContinueOnError asks the service to go on after a failed part
	// (Prefer: odata.continue-on-error); otherwise the first failure ends
	// the batch.
	ContinueOnError bool
}

// BatchResult is the answer to one request of a batch.
type BatchResult struct {
	// StatusCode is the request's status; 0 when the answer holds none for
	// it (Err is then ErrNotRun or matches ErrOutcomeUnknown).
	StatusCode int
	Header     http.Header
	Body       []byte
	// ContentID is the request's Content-ID inside its change set.
	ContentID string
	// Err is the request's failure: a *d365.Error for a status of 400 or
	// more, including a change set that failed as a whole (each of its
	// requests carries the change set's error: none of them was applied);
	// ErrNotRun; or an error matching ErrOutcomeUnknown (use errors.Is)
	// when the answer does not state the request's fate, because it does
	// not line up with the batch: the request may or may not have been
	// applied, so read the data back before sending it again.
	Err error
}

// ErrNotRun is the error of a batch request that the service did not run
// because the batch stopped at an earlier failure: only without
// ContinueOnError, for the requests after the failure that ended the batch
// (Dataverse then answers 400 with the parts up to that failure). Such a
// request can be sent again.
var ErrNotRun = errors.New("d365: not run: the batch stopped at an earlier failure")
