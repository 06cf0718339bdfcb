package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

func TestOnboardOnTheEmulator(t *testing.T) {
	t.Setenv("D365_SALES_URL", "")
	var out bytes.Buffer
	if err := run(context.Background(), &out, false); err != nil {
		t.Fatalf("run: %v\n%s", err, &out)
	}
	s := out.String()
	if !strings.HasPrefix(s, "D365_SALES_URL is not set: running on the in-process emulator") {
		t.Errorf("the first line does not say the emulator runs:\n%s", s)
	}
	for _, want := range []string{
		"3 approved, 2 rejected, 1 skipped, 0 failed.",
		"Fabrikam Retail       Qualified       Won          Approved",
		"Tailspin Toys         Cannot Contact  -            Rejected",
		"Proseware, Inc.       New             -            Pending",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("output lacks %q:\n%s", want, s)
		}
	}
}
