package query

import (
	"strings"
	"testing"
)

func TestLike(t *testing.T) {
	// "Use wildcard characters in conditions for string values": % _ [] [^].
	for _, tc := range []struct {
		s, p string
		want bool
	}{
		{"Fourth Coffee (sample)", "%(sample)%", true},
		{"Fourth Coffee (sample)", "%(SAMPLE)", true},
		{"Fourth Coffee", "%(sample)%", false},
		{"abc", "a_c", true},
		{"abbc", "a_c", false},
		{"Blue", "[A-C]%", true},
		{"Dallas", "[A-C]%", false},
		{"Dallas", "[^A-C]%", true},
		{"a[b", "a[b", true},
		{"", "%", true},
		{"", "_", false},
		{"x", "", false},
		{strings.Repeat("a", 2000), strings.Repeat("%a", 200) + "%b", false},
	} {
		if got := like(tc.s, tc.p); got != tc.want {
			t.Errorf("like(%q, %q) = %v, want %v", tc.s[:min(len(tc.s), 20)], tc.p[:min(len(tc.p), 20)], got, tc.want)
		}
	}
}
