package d365

// UpsertOptions tunes an upsert, in every service of the SDK. The zero
// value (or nil) updates the record when it exists and creates it
// otherwise.
type UpsertOptions struct {
	// CreateOnly sends "If-None-Match: *": the record is created, and an
	// existing one is left alone; the call then fails with an error
	// matching ErrPreconditionFailed (code 0x80040237).
	CreateOnly bool
	// UpdateOnly sends "If-Match: *": an existing record is updated, and a
	// missing one is not created; the call then fails with an error
	// matching ErrNotFound.
	UpdateOnly bool
}
