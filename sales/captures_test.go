package sales

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// capturesDir holds records captured from live Dataverse organizations
// (see its README.md), beside the repository.
var capturesDir = filepath.Join("..", "..", "shared", "reference", "dataverse-captures")

// TestCapturesDecodeWithoutLoss decodes real records into the typed structs
// and checks that every known column re-encodes to the source's value, with
// numbers compared as text (4990.0000000000 stays 4990.0000000000), and that
// no column absent or null in the source is invented.
func TestCapturesDecodeWithoutLoss(t *testing.T) {
	if _, err := os.Stat(capturesDir); err != nil {
		t.Skipf("captures not available: %v", err)
	}
	for _, c := range []struct {
		file   string
		decode func([]byte) (any, string, error)
	}{
		{"deskpro-leads-collection-v9.2.json", decodeAs[Lead]},
		{"deskpro-lead-by-id-collection-v9.2.json", decodeAs[Lead]},
		{"deskpro-opportunities-collection-v9.2.json", decodeAs[Opportunity]},
		{"deskpro-contacts-collection-v9.2.json", decodeAs[Contact]},
		{"nucleus-opportunity-single-v9.2.json", decodeAs[Opportunity]},
	} {
		t.Run(c.file, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join(capturesDir, c.file))
			if err != nil {
				t.Fatal(err)
			}
			var doc struct {
				Value []json.RawMessage `json:"value"`
			}
			if err := json.Unmarshal(data, &doc); err != nil {
				t.Fatal(err)
			}
			recs := doc.Value
			if recs == nil {
				recs = []json.RawMessage{data} // a single record
			}
			for i, raw := range recs {
				v, etag, err := c.decode(raw)
				if err != nil {
					t.Fatalf("record %d: %v", i, err)
				}
				compareColumns(t, raw, v, etag)
			}
		})
	}
}

// decodeAs decodes one record into a T and returns it with its ETag.
func decodeAs[T any](raw []byte) (any, string, error) {
	v := new(T)
	if err := json.Unmarshal(raw, v); err != nil {
		return nil, "", err
	}
	etag := reflect.ValueOf(v).Elem().FieldByName("ETag").String()
	return v, etag, nil
}

// compareColumns compares the known columns of the re-encoded record v with
// the source record.
func compareColumns(t *testing.T, src []byte, v any, etag string) {
	t.Helper()
	var in, out map[string]json.RawMessage
	if err := json.Unmarshal(src, &in); err != nil {
		t.Fatal(err)
	}
	enc, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(enc, &out); err != nil {
		t.Fatal(err)
	}
	var wantETag string
	_ = json.Unmarshal(in["@odata.etag"], &wantETag)
	if etag != wantETag {
		t.Errorf("ETag = %q, want %q", etag, wantETag)
	}
	checked := 0
	for _, col := range columns(reflect.TypeOf(v).Elem()) {
		s, inSrc := in[col]
		g, inOut := out[col]
		if !inSrc || string(s) == "null" {
			if inOut {
				t.Errorf("%s: re-encoded as %s, but the source has %s", col, g, orAbsent(s))
			}
			continue
		}
		if !inOut {
			t.Errorf("%s: lost (source %s)", col, s)
			continue
		}
		if !sameJSON(s, g) {
			t.Errorf("%s: re-encoded as %s, source %s", col, g, s)
		}
		checked++
	}
	if checked < 5 {
		t.Errorf("only %d columns compared", checked)
	}
}

// columns returns the JSON names of the struct's own fields.
func columns(typ reflect.Type) []string {
	var cols []string
	for i := range typ.NumField() {
		f := typ.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if f.Anonymous || name == "" || name == "-" {
			continue
		}
		cols = append(cols, name)
	}
	return cols
}

// sameJSON compares strings by value and everything else (numbers
// included) by exact text.
func sameJSON(a, b json.RawMessage) bool {
	if len(a) > 0 && a[0] == '"' {
		var sa, sb string
		return json.Unmarshal(a, &sa) == nil && json.Unmarshal(b, &sb) == nil && sa == sb
	}
	var ca, cb bytes.Buffer
	if json.Compact(&ca, a) != nil || json.Compact(&cb, b) != nil {
		return false
	}
	return bytes.Equal(ca.Bytes(), cb.Bytes())
}

func orAbsent(r json.RawMessage) string {
	if r == nil {
		return "no such column"
	}
	return string(r)
}
