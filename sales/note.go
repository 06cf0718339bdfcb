package sales

import (
	"context"
	"iter"
	"time"

	"github.com/b2bflow/d365"
	"github.com/b2bflow/d365/internal/odata"
	"github.com/google/uuid"
)

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

	// Custom holds the columns the struct has no field for, by logical
	// name, such as a custom column new_vatnumber. Read: every other
	// column the service returned, kept as received until read
	// (Custom.Get, Custom.Map: numbers as json.Number, in the exact text
	// received; lookups as _<name>_value). Create sends them as they are
	// (empty: none; build them with d365.NewColumns or Custom.Set); a name
	// the struct has a field for is refused. See Example_customColumn.
	Custom d365.Columns `json:"-" d365:"custom"`
}

type noteJSON Note

// UnmarshalJSON decodes a note record with its annotations.
func (n *Note) UnmarshalJSON(b []byte) error {
	*n = Note{}
	return odata.DecodeRecord(b, (*noteJSON)(n), &n.Annotations)
}

// write returns what Create sends: the writable fields of n that are set.
func (n *Note) write() (*noteWrite, error) {
	w := convert[noteWrite](n)
	if n.ObjectID == uuid.Nil {
		return w, nil
	}
	switch n.ObjectType {
	case "lead":
		w.Lead = n.ObjectID
	case "opportunity":
		w.Opportunity = n.ObjectID
	case "account":
		w.Account = n.ObjectID
	case "contact":
		w.Contact = n.ObjectID
	default:
		return nil, d365.NewInputError("", "Note.ObjectType ("+odata.Column[Note]("ObjectType")+")",
			"is %q: give \"lead\", \"opportunity\", \"account\" or \"contact\"", n.ObjectType)
	}
	return w, nil
}

// noteWrite is the body of Notes.Create. The record the note is attached
// to is bound through the navigation property of its table.
type noteWrite struct {
	ID          uuid.UUID `json:"annotationid"`
	Subject     string    `json:"subject" d365:"max=500"`
	Text        string    `json:"notetext"`
	Lead        uuid.UUID `json:"objectid_lead@odata.bind" d365:"bind=leads"`
	Opportunity uuid.UUID `json:"objectid_opportunity@odata.bind" d365:"bind=opportunities"`
	Account     uuid.UUID `json:"objectid_account@odata.bind" d365:"bind=accounts"`
	Contact     uuid.UUID `json:"objectid_contact@odata.bind" d365:"bind=contacts"`

	Custom map[string]any `json:"-" d365:"custom"` // the read type's Custom
}

// NoteService reads and creates timeline notes. Get it from Client.Notes.
type NoteService struct{ entitySet }

// Create creates a note and returns its id. To attach it to a record, set
// ObjectID and ObjectType (such as "lead"): it is bound with
// objectid_lead@odata.bind.
func (s *NoteService) Create(ctx context.Context, n *Note) (uuid.UUID, error) {
	if n == nil {
		return uuid.Nil, d365.NewInputError(s.op("Create"), "note", "is nil")
	}
	w, err := n.write()
	if err != nil {
		return uuid.Nil, s.input("Create", err)
	}
	body, err := odata.Members(w, "Note", true)
	if err != nil {
		return uuid.Nil, s.input("Create", err)
	}
	return s.create(ctx, "Create", n.ID, body)
}

// Get reads the note with the given id, with its annotations and the
// columns o selects (nil: every column).
func (s *NoteService) Get(ctx context.Context, id uuid.UUID, o *d365.GetOptions) (*Note, error) {
	return get[Note](ctx, s.entitySet, id, o)
}

// List streams the notes o selects (nil: all of them).
func (s *NoteService) List(ctx context.Context, o *ListOptions) iter.Seq2[*Note, error] {
	return list[Note](ctx, s.entitySet, o)
}

// Pages streams the notes o selects a page at a time (see
// LeadService.Pages).
func (s *NoteService) Pages(ctx context.Context, o *ListOptions) iter.Seq2[*d365.Page[Note], error] {
	return pages[Note](ctx, s.entitySet, o)
}

// ForLead streams the lead's timeline notes, oldest first, such as the note
// dual-write writes on the leads it creates.
func (s *NoteService) ForLead(ctx context.Context, leadID uuid.UUID) iter.Seq2[*Note, error] {
	if leadID == uuid.Nil {
		return odata.Fail[*Note](d365.NewInputError(s.op("ForLead"), "leadID", "is empty (uuid.Nil)"))
	}
	return s.List(ctx, &ListOptions{Query: d365.Query{
		Filter:  d365.Filterf("_objectid_value eq %v", leadID),
		OrderBy: []string{"createdon asc"},
	}})
}
