package vcr

import "testing"

func TestSameBody(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		same bool
	}{
		{`{"a":1,"b":[true,null]}`, "{\n  \"b\": [true, null],\n  \"a\": 1\n}", true},
		{`{"x":12345678901234.5678}`, `{"x":12345678901234.568}`, false},
		{`{"x":4990.0000000000}`, `{"x":4990.0000000000}`, true},
		{`{"x":1}`, `{"x":"1"}`, false},
		{"", "  ", true},
		{"--batch_1\r\n", "--batch_1", true},
		{`{"a":1}{"b":2}`, `{"a":1}`, false},
	} {
		if got := SameBody([]byte(tc.a), []byte(tc.b)); got != tc.same {
			t.Errorf("SameBody(%q, %q) = %v, want %v", tc.a, tc.b, got, tc.same)
		}
	}
}

func TestRedact(t *testing.T) {
	in := "Authorization: Bearer eyJ0eXAiOiJKV1QifQ.eyJhdWQiOiJ4In0.c2ln and eyJhbGciOiJub25lIn0.eyJzdWIiOiIxIn0."
	want := "Authorization: Bearer REDACTED and REDACTED"
	if got := Redact(in); got != want {
		t.Errorf("Redact = %q, want %q", got, want)
	}
}
