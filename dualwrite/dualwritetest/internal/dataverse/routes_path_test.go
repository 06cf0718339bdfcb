package dataverse

import (
	"slices"
	"testing"
)

// TestSplitAPIPathIsTheRegexp checks splitAPIPath against apiPathRE.
func TestSplitAPIPathIsTheRegexp(t *testing.T) {
	for _, p := range []string{
		"/api/data/v9.2/leads", "/api/data/v9.2/", "/api/data/v9.2", "/api/data/v9.0//x", "/api/data/v9.x/leads",
		"/api/data/v9./", "/api/data/v9", "/api/data/v10.0/leads", "/api/data/v9.2leads", "/api/data/v9.22/leads",
		"/api/data/v9.2/a\nb", "/api/data/v9.2/\xff", "", "/", "/api/data/V9.2/leads", "x/api/data/v9.2/leads",
		"/api/data/v9.2/leads(1)/$ref?x", "/api/data/v9.1/\n",
	} {
		want := apiPathRE.FindStringSubmatch(p)
		if got := splitAPIPath(p); !slices.Equal(got, want) {
			t.Errorf("%q: %q, want %q", p, got, want)
		}
	}
}

// FuzzSplitAPIPath checks splitAPIPath against apiPathRE on any path.
func FuzzSplitAPIPath(f *testing.F) {
	f.Add("/api/data/v9.2/leads")
	f.Add("/api/data/v9.1//\n")
	f.Fuzz(func(t *testing.T, p string) {
		if got, want := splitAPIPath(p), apiPathRE.FindStringSubmatch(p); !slices.Equal(got, want) {
			t.Fatalf("%q: %q, want %q", p, got, want)
		}
	})
}
