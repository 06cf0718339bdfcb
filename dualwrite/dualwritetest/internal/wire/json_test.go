package wire

import (
	"bytes"
	"encoding/json"
	"math"
	"testing"
	"time"
)

// stdJSON is what WriteJSON wrote before AppendJSON: encoding/json with
// HTML characters left as they are, without the newline.
func stdJSON(t testing.TB, v any) ([]byte, error) {
	t.Helper()
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

func TestAppendJSONIsEncodingJSON(t *testing.T) {
	var nilMap map[string]any
	var nilSlice []any
	values := []any{
		nil, true, false, 0, -12, int64(math.MaxInt64), int32(-7), 1.5, 1e21, float64(3), float32(0.1),
		"", "plain", `quote " and \ backslash`, "tab\tnew\nline\r\b\f\x00\x1f", "<html> & 'apos'",
		"café ünïcödé 漢字 😀", "\u2028\u2029", "bad \xff utf-8", string([]byte{0xe2, 0x82}),
		json.Number("12"), json.Number("-0"), json.Number("0"), json.Number("012"), json.Number("1.50"), json.Number("1e3"), json.Number(""),
		nilMap, nilSlice, map[string]any{}, []any{},
		map[string]any{"b": 1, "a": "x", "@odata.etag": `W/"1"`, "_x_value@Microsoft.Dynamics.CRM.lookuplogicalname": "account", "Z": nil, "é": true},
		[]any{1, "two", nil, map[string]any{"k": []any{json.Number("3")}}},
		map[string]any{"value": []map[string]any{{"b": 2, "a": 1}}, "t": time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC), "raw": json.RawMessage(` { "x" : 1 } `)},
		map[string]string{"b": "2", "a": "1"},
	}
	for _, v := range values {
		want, werr := stdJSON(t, v)
		got, gerr := AppendJSON([]byte("prefix"), v)
		if (werr != nil) != (gerr != nil) {
			t.Errorf("%#v: error %v, encoding/json's %v", v, gerr, werr)
			continue
		}
		if werr == nil && string(got) != "prefix"+string(want) {
			t.Errorf("%#v:\n got %s\nwant prefix%s", v, got, want)
		}
	}
	for _, v := range []any{math.NaN(), math.Inf(1), json.Number("x1"), map[string]any{"a": math.Inf(-1)}, []any{1, make(chan int)}} {
		if _, err := AppendJSON(nil, v); err == nil {
			t.Errorf("%#v: no error, encoding/json fails", v)
		}
	}
}

// FuzzAppendJSON checks AppendJSON against encoding/json on any JSON
// document decoded with and without UseNumber, and on any string.
func FuzzAppendJSON(f *testing.F) {
	for _, s := range []string{`{"a":1,"b":[true,null,"x\u2028"],"c":{"d":-1.5e3}}`, `"\u00e9\ud800"`, `[0,-0,12345678901234567890]`, "\"<&>\"", `{"":{"":[]}}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, useNumber := range []bool{false, true} {
			dec := json.NewDecoder(bytes.NewReader(data))
			if useNumber {
				dec.UseNumber()
			}
			var v any
			if dec.Decode(&v) != nil {
				v = string(data)
			}
			want, werr := stdJSON(t, v)
			got, gerr := AppendJSON(nil, v)
			if (werr != nil) != (gerr != nil) || !bytes.Equal(got, want) && werr == nil {
				t.Fatalf("%q (UseNumber %v): got %s (%v), want %s (%v)", data, useNumber, got, gerr, want, werr)
			}
		}
	})
}

func TestAppendMembersIsTheMap(t *testing.T) {
	ms := []Member{
		{"b", 1}, {"@odata.etag", `W/"7"`}, {"a", "first"}, {"c@OData.Community.Display.V1.FormattedValue", "x"},
		{"a", "last"}, {"c", nil}, {"é", []any{true}}, {"b", json.Number("2")},
	}
	m := map[string]any{}
	for _, x := range ms {
		m[x.Name] = x.Value
	}
	want, err := AppendJSON(nil, m)
	if err != nil {
		t.Fatal(err)
	}
	got, err := AppendMembers(nil, ms)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != string(want) {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	if got, err := AppendMembers(nil, nil); err != nil || string(got) != "{}" {
		t.Errorf("no members: %s, %v; want {}", got, err)
	}
	if _, err := AppendMembers(nil, []Member{{"x", math.NaN()}}); err == nil {
		t.Error("NaN: no error")
	}
}
