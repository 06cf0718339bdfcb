package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/b2bflow/d365/dualwrite/dualwritetest"
)

func TestTelemetryPrintsSpansAndMetrics(t *testing.T) {
	t.Setenv("D365_SALES_URL", "")
	var out bytes.Buffer
	if err := run(context.Background(), &out); err != nil {
		t.Fatalf("run: %v\n%s", err, &out)
	}
	s := out.String()
	for _, want := range []string{
		`"Name": "onboarding approve"`,
		`"Name": "onboarding step qualify lead"`,
		`"Name": "POST leads/QualifyLead"`,
		`"Name": "POST WinOpportunity"`,
		`"Key": "d365.retry.wait"`,
		"Approved in 3 steps.",
		"d365.client.retries {d365.entity_set=WinOpportunity d365.retry.reason=429 http.request.method=POST} = 1",
		"d365.client.throttle.waits {d365.entity_set=WinOpportunity d365.wait.cause=retry http.request.method=POST} = 1, 1s in all",
		"d365.onboarding.decisions {d365.onboarding.decision=approve d365.onboarding.outcome=done} = 1",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	if n := strings.Count(s, `"Name": "POST WinOpportunity"`); n != 2 {
		t.Errorf("%d WinOpportunity attempts, want 2", n)
	}
	for _, secret := range []string{dualwritetest.Token, "mia.chen", "Fabrikam"} {
		if strings.Contains(s, secret) {
			t.Errorf("output contains %q", secret)
		}
	}
	if t.Failed() {
		t.Logf("output:\n%s", s)
	}
}
