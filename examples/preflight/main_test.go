package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

func TestPreflightPassesOnTheEmulator(t *testing.T) {
	t.Setenv("D365_SALES_URL", "")
	var out bytes.Buffer
	ok, err := run(context.Background(), &out)
	if err != nil || !ok {
		t.Fatalf("run = %v, %v:\n%s", ok, err, &out)
	}
	if strings.Contains(out.String(), "FAIL") || !strings.Contains(out.String(), "All checks passed") {
		t.Errorf("output:\n%s", &out)
	}
	if n := strings.Count(out.String(), "\nok    dual-write map "); n != 5 {
		t.Errorf("%d dual-write maps checked, want 5:\n%s", n, &out)
	}
}
