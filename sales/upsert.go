package sales

import (
	"cmp"
	"context"
	"fmt"

	"github.com/b2bflow/d365"
	"github.com/b2bflow/d365/internal/odata"
	"github.com/google/uuid"
)

// RecordKey names the record an upsert writes: by its id (ByID) or by the
// values of an alternate key's columns (ByAlternateKey). The zero value
// names nothing and is refused.
type RecordKey struct {
	id      uuid.UUID
	columns map[string]any
}

// ByID names the record with the given id.
func ByID(id uuid.UUID) RecordKey { return RecordKey{id: id} }

// ByAlternateKey names the record whose alternate key columns hold the
// given values, such as {"accountnumber": "ABC-1"} or, for a key of
// several columns, {"new_code": "C-1", "new_region": "EU"}. The values are sent as key literals, quoted and escaped
// (a string "O'Neil/1" becomes 'O”Neil%2F1'). The key must be declared on
// the table in the organization.
func ByAlternateKey(columns map[string]any) RecordKey { return RecordKey{columns: columns} }

// path returns the path of the record k names in s.
func (k RecordKey) path(s entitySet, method string) (string, error) {
	if err := s.checkName(method); err != nil {
		return "", err
	}
	switch {
	case k.columns != nil && k.id != uuid.Nil:
		return "", d365.NewInputError(s.op(method), "key", "names both an id and an alternate key")
	case k.columns != nil:
		p, err := odata.AlternateKeyPath(s.op(method), s.name, k.columns)
		if err != nil {
			return "", s.input(method, err)
		}
		return p, nil
	}
	return s.path(method, k.id)
}

// UpsertTarget is one record of an UpsertMultiple: the record's key and
// the columns to write (for Leads a LeadChanges, for Accounts an Account,
// for a Table a map of columns).
type UpsertTarget[T any] struct {
	Key    RecordKey
	Record T
}

// upsert sends the upsert of body to the record key names.
func (s entitySet) upsert(ctx context.Context, key RecordKey, body map[string]any, o *d365.UpsertOptions) error {
	p, err := key.path(s, "Upsert")
	if err != nil {
		return err
	}
	if len(body) == 0 {
		return d365.NewInputError(s.op("Upsert"), "record", "holds no column to write")
	}
	return odata.UpsertWith(ctx, s.c.od, s.op("Upsert"), p, body, o)
}

// upsertMultiple sends UpsertMultiple of the records of the table logical
// (such as "lead") whose primary key column is pk, each body built by body.
func upsertMultiple[T any](ctx context.Context, s entitySet, logical, pk string, targets []UpsertTarget[T], body func(*T) (map[string]any, error), o *BulkOptions) error {
	size, err := o.chunk()
	if err != nil {
		return err
	}
	out := make([]odata.UpsertTarget, len(targets))
	for i := range targets {
		p, err := targets[i].Key.path(s, "UpsertMultiple")
		if err != nil {
			return fmt.Errorf("%s: target %d: %w", s.op("UpsertMultiple"), i, err)
		}
		b, err := body(&targets[i].Record)
		if err != nil {
			return fmt.Errorf("%s: target %d: %w", s.op("UpsertMultiple"), i, s.input("UpsertMultiple", err))
		}
		delete(b, pk) // the key names the record
		if len(b) == 0 {
			return d365.NewInputError(s.op("UpsertMultiple"), fmt.Sprintf("target %d", i), "holds no column to write")
		}
		out[i] = odata.UpsertTarget{Path: p, Body: b}
	}
	return odata.UpsertMultiple(ctx, s.c.od, s.op("UpsertMultiple"), s.name, logical, out, size)
}

// leadUpsertBody is the body of a lead upsert.
func leadUpsertBody(ch *LeadChanges) (map[string]any, error) {
	return (&leadWrite{leadCreate: leadCreate{LeadChanges: *ch}}).body("LeadChanges", false)
}

// Upsert writes the columns set in changes to the lead key names,
// creating the lead when it does not exist (a create through an alternate
// key also writes the key's columns). o.CreateOnly and o.UpdateOnly
// restrict it to one of the two. A plain or update-only upsert is retried
// after a lost connection; a create-only one is not.
func (s *LeadService) Upsert(ctx context.Context, key RecordKey, changes *LeadChanges, o *d365.UpsertOptions) error {
	body, err := leadUpsertBody(cmp.Or(changes, &LeadChanges{}))
	if err != nil {
		return s.input("Upsert", err)
	}
	return s.upsert(ctx, key, body, o)
}

// UpsertMultiple creates or updates the leads with the UpsertMultiple
// message, in chunks of BulkOptions.ChunkSize leads per request. Each
// chunk is atomic and retried after a lost connection (an upsert sent
// twice has the same effect).
func (s *LeadService) UpsertMultiple(ctx context.Context, targets []UpsertTarget[LeadChanges], o *BulkOptions) error {
	return upsertMultiple(ctx, s.entitySet, "lead", odata.Column[Lead]("ID"), targets, leadUpsertBody, o)
}

// accountUpsertBody is the body of an account upsert.
func accountUpsertBody(a *Account) (map[string]any, error) {
	b, err := odata.Members(convert[accountWrite](a), "Account", false)
	delete(b, odata.Column[Account]("ID"))
	return b, err
}

// Upsert writes the columns of a that are set to the account key names,
// creating it when it does not exist (see LeadService.Upsert). a.ID is
// not sent: the key names the record.
func (s *AccountService) Upsert(ctx context.Context, key RecordKey, a *Account, o *d365.UpsertOptions) error {
	body, err := accountUpsertBody(cmp.Or(a, &Account{}))
	if err != nil {
		return s.input("Upsert", err)
	}
	return s.upsert(ctx, key, body, o)
}

// UpsertMultiple creates or updates the accounts with the UpsertMultiple
// message (see LeadService.UpsertMultiple).
func (s *AccountService) UpsertMultiple(ctx context.Context, targets []UpsertTarget[Account], o *BulkOptions) error {
	return upsertMultiple(ctx, s.entitySet, "account", odata.Column[Account]("ID"), targets, accountUpsertBody, o)
}

// contactUpsertBody is the body of a contact upsert.
func contactUpsertBody(c *Contact) (map[string]any, error) {
	b, err := odata.Members(c.write(), "Contact", false)
	delete(b, odata.Column[Contact]("ID"))
	return b, err
}

// Upsert writes the columns of c that are set to the contact key names,
// creating it when it does not exist (see LeadService.Upsert).
func (s *ContactService) Upsert(ctx context.Context, key RecordKey, c *Contact, o *d365.UpsertOptions) error {
	body, err := contactUpsertBody(cmp.Or(c, &Contact{}))
	if err != nil {
		return s.input("Upsert", err)
	}
	return s.upsert(ctx, key, body, o)
}

// UpsertMultiple creates or updates the contacts with the UpsertMultiple
// message (see LeadService.UpsertMultiple).
func (s *ContactService) UpsertMultiple(ctx context.Context, targets []UpsertTarget[Contact], o *BulkOptions) error {
	return upsertMultiple(ctx, s.entitySet, "contact", odata.Column[Contact]("ID"), targets, contactUpsertBody, o)
}

// opportunityUpsertBody is the body of an opportunity upsert.
func opportunityUpsertBody(op *Opportunity) (map[string]any, error) {
	b, err := odata.Members(op.write(), "Opportunity", false)
	delete(b, odata.Column[Opportunity]("ID"))
	return b, err
}

// Upsert writes the columns of op that are set to the opportunity key
// names, creating it when it does not exist (see LeadService.Upsert).
func (s *OpportunityService) Upsert(ctx context.Context, key RecordKey, op *Opportunity, o *d365.UpsertOptions) error {
	body, err := opportunityUpsertBody(cmp.Or(op, &Opportunity{}))
	if err != nil {
		return s.input("Upsert", err)
	}
	return s.upsert(ctx, key, body, o)
}

// UpsertMultiple creates or updates the opportunities with the
// UpsertMultiple message (see LeadService.UpsertMultiple).
func (s *OpportunityService) UpsertMultiple(ctx context.Context, targets []UpsertTarget[Opportunity], o *BulkOptions) error {
	return upsertMultiple(ctx, s.entitySet, "opportunity", odata.Column[Opportunity]("ID"), targets, opportunityUpsertBody, o)
}

// noteUpsertBody is the body of a note upsert.
func noteUpsertBody(n *Note) (map[string]any, error) {
	w, err := n.write()
	if err != nil {
		return nil, err
	}
	b, err := odata.Members(w, "Note", false)
	delete(b, odata.Column[Note]("ID"))
	return b, err
}

// Upsert writes the columns of n that are set to the note key names,
// creating it when it does not exist (see LeadService.Upsert).
func (s *NoteService) Upsert(ctx context.Context, key RecordKey, n *Note, o *d365.UpsertOptions) error {
	body, err := noteUpsertBody(cmp.Or(n, &Note{}))
	if err != nil {
		return s.input("Upsert", err)
	}
	return s.upsert(ctx, key, body, o)
}

// UpsertMultiple creates or updates the notes with the UpsertMultiple
// message (see LeadService.UpsertMultiple).
func (s *NoteService) UpsertMultiple(ctx context.Context, targets []UpsertTarget[Note], o *BulkOptions) error {
	return upsertMultiple(ctx, s.entitySet, "annotation", odata.Column[Note]("ID"), targets, noteUpsertBody, o)
}

// Upsert writes columns to the record key names, creating it when it does
// not exist (see LeadService.Upsert). Values are encoded as for Create.
func (t *Table) Upsert(ctx context.Context, key RecordKey, columns map[string]any, o *d365.UpsertOptions) error {
	body, err := tableBody(columns)
	if err != nil {
		return err
	}
	return t.upsert(ctx, key, body, o)
}

// UpsertMultiple creates or updates records of the table with the
// UpsertMultiple message (see LeadService.UpsertMultiple). logical is the
// table's logical name, which the message's targets carry in
// "@odata.type", such as "msdyn_customerhierarchy" for the entity set
// msdyn_customerhierarchies.
func (t *Table) UpsertMultiple(ctx context.Context, logical string, targets []UpsertTarget[map[string]any], o *BulkOptions) error {
	return upsertMultiple(ctx, t.entitySet, logical, "", targets, func(m *map[string]any) (map[string]any, error) { return tableBody(*m) }, o)
}
