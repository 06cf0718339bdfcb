package dualwritetest

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/b2bflow/d365/dualwrite/dualwritetest/internal/dataverse"
)

func TestRequestLimit(t *testing.T) {
	s := NewServer(&Options{Limits: &Limits{Requests: 3, Window: 90 * time.Second}})
	defer s.Close()
	if _, err := s.AddUser("Other User", "00000000-0000-0000-0000-00000000beef"); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		r := call(t, "GET", api(s)+"leads", nil).want(t, 200)
		if got, want := r.header.Get("x-ms-ratelimit-burst-remaining-xrm-requests"), fmt.Sprint(2-i); got != want {
			t.Errorf("remaining = %q, want %q", got, want)
		}
		if r.header.Get("x-ms-ratelimit-time-remaining-xrm-requests") == "" {
			t.Error("no time-remaining header")
		}
	}
	r := call(t, "GET", api(s)+"leads", nil).want(t, 429)
	if r.errorCode() != "0x80072322" || !strings.Contains(r.raw, "Number of requests exceeded the limit of 3 over time window of 90 seconds.") {
		t.Errorf("body %s", r.raw)
	}
	if ra := r.header.Get("Retry-After"); ra != "90" && ra != "89" {
		t.Errorf("Retry-After %q", ra)
	}
	// Commerce is not subject to the Dataverse limits.
	call(t, "GET", data(s)+"Prospects", nil).want(t, 200)
	// Another user (impersonation) has its own budget.
	call(t, "GET", api(s)+"leads", nil, "CallerObjectId", "00000000-0000-0000-0000-00000000beef").want(t, 200)
}

// TestConcurrencyLimit drives the limiter directly: holding a request in
// flight over HTTP would need the test to block the server, which races
// with the server's own locking.
func TestConcurrencyLimit(t *testing.T) {
	lm := newLimiter(Limits{Concurrent: 2})
	req := httptest.NewRequest("GET", "/api/data/v9.2/leads", nil)
	req.Header.Set("Authorization", "Bearer "+Token)
	other := req.Clone(req.Context())
	other.Header.Set("CallerObjectId", "00000000-0000-0000-0000-00000000beef")

	var releases []func()
	for i := 0; i < 2; i++ {
		release, status, _, _, _ := lm.acquire(req, http.Header{})
		if status != 0 {
			t.Fatalf("request %d refused with %d under a limit of 2", i+1, status)
		}
		releases = append(releases, release)
	}
	_, status, code, msg, retry := lm.acquire(req, http.Header{})
	if status != 429 || code != "0x80072326" || retry != time.Second || !strings.Contains(msg, "concurrent requests exceeded the limit of 2") {
		t.Errorf("third concurrent request: %d %s %q retry %s", status, code, msg, retry)
	}
	if _, status, _, _, _ := lm.acquire(other, http.Header{}); status != 0 {
		t.Errorf("another user was refused (%d): the limit is per user", status)
	}
	releases[0]()
	if _, status, _, _, _ := lm.acquire(req, http.Header{}); status != 0 {
		t.Errorf("refused (%d) after a request finished", status)
	}
}

func TestInjectedFaults(t *testing.T) {
	s := NewServer(nil)
	defer s.Close()
	sub := submit(t, s, "Trey Research")

	s.InjectFault("GET", "leads", FaultThrottle)
	r := call(t, "GET", api(s)+"leads", nil).want(t, 429)
	if r.header.Get("Retry-After") != "1" || r.errorCode() != "0x80072322" {
		t.Errorf("throttle: %v %s", r.header, r.raw)
	}
	s.InjectFault("", "Prospects", FaultUnavailable)
	call(t, "GET", data(s)+"Prospects", nil).want(t, 503)

	// A dropped connection: nothing happens.
	s.InjectFault("POST", "QualifyLead", FaultDrop)
	if _, err := rawPost(s, api(s)+"leads("+sub.LeadID.String()+")/Microsoft.Dynamics.CRM.QualifyLead", `{"CreateAccount":false,"CreateContact":false,"CreateOpportunity":true,"Status":3}`); err == nil {
		t.Fatal("dropped request answered")
	}
	if n := s.Count("opportunities"); n != 0 {
		t.Fatalf("a dropped request acted: %d opportunities", n)
	}
	// Qualify done, then the win fails.
	q := call(t, "POST", api(s)+"leads("+sub.LeadID.String()+")/Microsoft.Dynamics.CRM.QualifyLead", map[string]any{"CreateAccount": true, "CreateContact": true, "CreateOpportunity": true, "Status": 3}).want(t, 200)
	oppID := q.values()[2]["opportunityid"].(string)
	win := map[string]any{"Status": 3, "OpportunityClose": map[string]any{"subject": "Won", "opportunityid@odata.bind": "opportunities(" + oppID + ")"}}
	s.FailNext("POST", "WinOpportunity", 503)
	call(t, "POST", api(s)+"WinOpportunity", win).want(t, 503)
	if p := prospect(t, s, sub); p["B2BProspectStatus"] != "Pending" {
		t.Fatalf("failed win acted: %v", p)
	}
	// Win done, response lost: the work is committed.
	s.InjectFault("POST", "WinOpportunity", FaultLoseResponse)
	if _, err := rawPost(s, api(s)+"WinOpportunity", mustJSON(win)); err == nil {
		t.Fatal("lost response arrived")
	}
	if p := prospect(t, s, sub); p["B2BProspectStatus"] != "Approved" {
		t.Fatalf("lost response did not commit: %v", p)
	}
	log := s.Requests()
	var faults []string
	for _, r := range log {
		if r.Fault != "" {
			faults = append(faults, r.Fault)
		}
	}
	if got := strings.Join(faults, ","); got != "throttle,unavailable,drop,fail,lose-response" {
		t.Errorf("faults in the log: %s", got)
	}
	s.ResetRequests()
	if len(s.Requests()) != 0 {
		t.Error("ResetRequests kept requests")
	}
}

func rawPost(s *Server, url, body string) (*http.Response, error) {
	req, _ := http.NewRequest("POST", url, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+Token)
	req.Header.Set("Content-Type", "application/json")
	c := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	res, err := c.Do(req)
	if err == nil {
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
	}
	return res, err
}

func TestRandomFaultsRepeat(t *testing.T) {
	run := func() []string {
		s := NewServer(&Options{Faults: &Faults{Throttle: 0.2, Unavailable: 0.2, Drop: 0.1, LoseResponse: 0.1, Seed: 7}})
		defer s.Close()
		var out []string
		for i := 0; i < 40; i++ {
			res, err := rawPost(s, api(s)+"accounts", `{"name":"x"}`)
			switch {
			case err != nil:
				out = append(out, "closed")
			default:
				out = append(out, fmt.Sprint(res.StatusCode))
			}
		}
		// Accounts exist for the 204s and for the lost responses only.
		created := 0
		for _, r := range s.Requests() {
			if r.Fault == "lose-response" || r.Status == 204 {
				created++
			}
		}
		if s.Count("accounts") != created {
			t.Errorf("%d accounts, want %d", s.Count("accounts"), created)
		}
		return out
	}
	a, b := run(), run()
	if strings.Join(a, " ") != strings.Join(b, " ") {
		t.Fatalf("runs differ:\n%v\n%v", a, b)
	}
	for _, want := range []string{"204", "429", "503", "closed"} {
		if !strings.Contains(strings.Join(a, " "), want) {
			t.Errorf("no %s in %v", want, a)
		}
	}
}

func TestConcurrentClients(t *testing.T) {
	s := NewServer(nil)
	defer s.Close()
	var wg sync.WaitGroup
	errs := make(chan error, 50)
	for i := 0; i < 50; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			sub, err := s.SubmitOnboardingRequest(OnboardingRequest{LastName: fmt.Sprint("L", i), Company: fmt.Sprint("Company ", i), Email: fmt.Sprintf("c%d@x.example", i)})
			if err != nil {
				errs <- err
				return
			}
			q := call(t, "POST", api(s)+"leads("+sub.LeadID.String()+")/Microsoft.Dynamics.CRM.QualifyLead", map[string]any{"CreateAccount": true, "CreateContact": true, "CreateOpportunity": true, "Status": 3})
			if q.status != 200 {
				errs <- fmt.Errorf("qualify %d: %s", q.status, q.raw)
				return
			}
			opp := q.values()[2]["opportunityid"].(string)
			if i%2 == 0 {
				call(t, "POST", api(s)+"WinOpportunity", map[string]any{"Status": 3, "OpportunityClose": map[string]any{"subject": "Won", "opportunityid@odata.bind": "opportunities(" + opp + ")"}})
			} else {
				call(t, "PATCH", data(s)+fmt.Sprintf("Prospects(dataAreaId='usrt',ProspectId='%s')", sub.ProspectID), map[string]any{"Note": "checked"})
			}
			call(t, "GET", api(s)+"leads?$filter=msdyn_b2bcommerceprospect%20eq%20true", nil, "Prefer", "odata.maxpagesize=7")
		}(i)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if s.Count("leads") != 50 || s.Count("CustomersV3") != 100 || s.Count("CustomerHiearchies") != 25 {
		t.Fatalf("leads %d customers %d hierarchies %d", s.Count("leads"), s.Count("CustomersV3"), s.Count("CustomerHiearchies"))
	}
}

// TestCapsAreTheHandlersCaps checks that the documented caps are the ones
// the Dataverse handlers enforce.
func TestCapsAreTheHandlersCaps(t *testing.T) {
	if MaxBatchRequests != dataverse.MaxBatchRequests || MaxBulkTargets != dataverse.MaxBulkTargets {
		t.Errorf("MaxBatchRequests %d, MaxBulkTargets %d; the handlers enforce %d and %d",
			MaxBatchRequests, MaxBulkTargets, dataverse.MaxBatchRequests, dataverse.MaxBulkTargets)
	}
}
