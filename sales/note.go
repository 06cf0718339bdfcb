package sales

import (
	"context"
	"fmt"
	"iter"
	"time"

	"github.com/b2bflow/d365"
	"github.com/b2bflow/d365/internal/odata"
	"github.com/google/uuid"
)

// noteTables maps the tables a note can be attached to (objecttypecode) to
// their entity sets.
var noteTables = map[string]string{
	"lead":        "leads",
	"opportunity": "opportunities",
	"account":     "accounts",
	"contact":     "contacts",
}

// Note is a timeline note: a record of the annotations table.
type Note struct {
	// Annotations holds the ETag, the formatted values and the lookups'
	// tables. (OData annotations, not to be confused with the note.)
	d365.Annotations

	// ID is annotationid. Set it before Create to choose the id yourself.
	ID      uuid.UUID `json:"annotationid,omitzero"`
	Subject string    `json:"subject,omitempty"`
	// Text is notetext, the note's body.
	Text string `json:"notetext,omitempty"`
	// ObjectID is the record the note is attached to (objectid).
	ObjectID uuid.UUID `json:"_objectid_value,omitzero"`
	// ObjectType is that record's table (objecttypecode), such as "lead".
	ObjectType string `json:"objecttypecode,omitempty"`
	// FileName, MimeType and IsDocument describe an attached file.
	FileName   string `json:"filename,omitempty"`
	MimeType   string `json:"mimetype,omitempty"`
	IsDocument *bool  `json:"isdocument,omitempty"`

	CreatedOn  time.Time `json:"createdon,omitzero"`  // read-only
	ModifiedOn time.Time `json:"modifiedon,omitzero"` // read-only
}

type noteJSON Note

// UnmarshalJSON decodes a note record with its annotations.
func (n *Note) UnmarshalJSON(b []byte) error {
	*n = Note{}
	return odata.DecodeRecord(b, (*noteJSON)(n), &n.Annotations)
}

func (n *Note) createFields() *fields {
	f := newFields()
	f.maxLen("Note.Subject", "subject", n.Subject, 500)
	set(f, "subject", n.Subject)
	set(f, "notetext", n.Text)
	if n.ObjectID != uuid.Nil {
		es, ok := noteTables[n.ObjectType]
		if !ok {
			f.fail("Note.ObjectType (objecttypecode) is %q: give \"lead\", \"opportunity\", \"account\" or \"contact\"", n.ObjectType)
		}
		f.bind("objectid_"+n.ObjectType, es, n.ObjectID)
	}
	return f
}

// NoteService reads and creates timeline notes. Get it from Client.Notes.
type NoteService struct {
	r records[Note]
}

// Create creates a note and returns its id. To attach it to a record, set
// ObjectID and ObjectType (such as "lead"): it is bound with
// objectid_lead@odata.bind.
func (s *NoteService) Create(ctx context.Context, n *Note) (uuid.UUID, error) {
	if n == nil {
		return uuid.Nil, fmt.Errorf("sales: Notes.Create: the note is nil")
	}
	return s.r.create(ctx, "annotationid", n.ID, n.createFields())
}

// Get reads the note with the given id.
func (s *NoteService) Get(ctx context.Context, id uuid.UUID) (*Note, error) {
	return s.r.get(ctx, id)
}

// List streams the notes the query selects (nil: all of them).
func (s *NoteService) List(ctx context.Context, q *d365.Query) iter.Seq2[*Note, error] {
	return s.r.list(ctx, q)
}

// ForLead streams the lead's timeline notes, oldest first, such as the note
// dual-write writes on the leads it creates.
func (s *NoteService) ForLead(ctx context.Context, leadID uuid.UUID) iter.Seq2[*Note, error] {
	if leadID == uuid.Nil {
		return func(yield func(*Note, error) bool) {
			yield(nil, fmt.Errorf("sales: Notes.ForLead: leadID is empty (uuid.Nil)"))
		}
	}
	return s.r.list(ctx, &d365.Query{
		Filter:  d365.Filterf("_objectid_value eq %v", leadID),
		OrderBy: []string{"createdon asc"},
	})
}
