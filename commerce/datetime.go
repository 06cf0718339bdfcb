package commerce

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"
)

// noDate is how Finance and Operations writes an empty date and time field.
var noDate = time.Date(1900, time.January, 1, 0, 0, 0, 0, time.UTC)

// DateTime is a Finance and Operations date and time field. The service has
// no null dates: it writes "no date" as 1900-01-01T00:00:00Z. DateTime
// decodes that value (and null) to the zero time, so IsZero tells "no date",
// and encodes the zero time back as 1900-01-01T00:00:00Z. Other values are
// kept in UTC.
type DateTime struct {
	time.Time
}

// MarshalJSON encodes the time in UTC, or 1900-01-01T00:00:00Z when zero.
func (t DateTime) MarshalJSON() ([]byte, error) {
	v := t.Time
	if v.IsZero() {
		v = noDate
	}
	return json.Marshal(v.UTC().Format(time.RFC3339Nano))
}

// UnmarshalJSON decodes an ISO 8601 time, with 1900-01-01T00:00:00Z and
// null meaning "no date" (the zero time).
func (t *DateTime) UnmarshalJSON(b []byte) error {
	t.Time = time.Time{}
	if bytes.Equal(bytes.TrimSpace(b), []byte("null")) {
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("commerce: date and time: %w", err)
	}
	v, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return fmt.Errorf("commerce: %q is not a date and time", s)
	}
	if v.Equal(noDate) {
		t.Time = time.Time{}
		return nil
	}
	t.Time = v.UTC()
	return nil
}
