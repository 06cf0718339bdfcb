package main

// TestKillAndRerun builds this program and examples/emulator, starts the
// emulator as a process holding generated onboarding requests, runs
// "onboard -apply" against it and kills it with SIGKILL at random moments,
// then runs it again until it succeeds and counts every record over HTTP.
// The short form (3 kills per scenario, 200 requests) runs in go test
// ./...; the full size is
//
//	go test -run TestKillAndRerun -count=1 -v ./examples/onboard -kill.n=50 -kill.requests=1000
//
// (-kill.seed changes the kill moments and the emulator's faults.)

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/b2bflow/d365"
	"github.com/b2bflow/d365/commerce"
	"github.com/b2bflow/d365/dualwrite/dualwritetest"
	"github.com/b2bflow/d365/onboarding"
	"github.com/b2bflow/d365/sales"
	"github.com/google/uuid"
)

var (
	killN        = flag.Int("kill.n", 3, "SIGKILLs per scenario of TestKillAndRerun (50 for the full size)")
	killRequests = flag.Int("kill.requests", 200, "onboarding requests the emulator holds in TestKillAndRerun (1000 for the full size)")
	killSeed     = flag.Int64("kill.seed", 1, "seed of TestKillAndRerun's kill moments and of the emulator's faults")
)

func TestKillAndRerun(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("needs SIGKILL")
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command to build the programs with")
	}
	dir := t.TempDir()
	bin := map[string]string{}
	for _, name := range []string{"onboard", "emulator"} {
		bin[name] = filepath.Join(dir, name)
		out, err := exec.Command(goTool, "build", "-o", bin[name], "github.com/b2bflow/d365/examples/"+name).CombinedOutput()
		if err != nil {
			t.Fatalf("go build %s: %v\n%s", name, err, out)
		}
	}
	for i, sc := range []struct {
		name   string
		faults []string
	}{
		{"no faults", nil},
		{"faults", []string{"-fault-unavailable=0.01", "-fault-drop=0.01", "-fault-lose-response=0.02", "-fault-throttle=0.002"}},
	} {
		t.Run(sc.name, func(t *testing.T) {
			start := time.Now()
			h := startEmulator(t, bin["emulator"], *killRequests, *killSeed+int64(i), sc.faults)
			h.onboard = bin["onboard"]
			rng := rand.New(rand.NewPCG(uint64(*killSeed), uint64(i)))
			kills, halfDone, runs := 0, 0, 0
			for kills < *killN {
				work, approvals, half := h.pendingWork(t)
				halfDone += half
				if work == 0 {
					break
				}
				left := *killN - kills
				budget := max(1, work/(left+1))
				killed, out, _ := h.run(t, rng, budget, approvals)
				runs++
				checkListsUnfinished(t, half, out)
				if !killed {
					t.Logf("run %d finished before its kill:\n%s", runs, tail(out))
					continue
				}
				kills++
			}
			_, _, half := h.pendingWork(t)
			halfDone += half
			// Then to completion: a run with faults may leave a
			// decision failed, and says to run again.
			var last error
			for try := range 5 {
				runs++
				var out string
				_, out, last = h.run(t, nil, 0, 0)
				if try == 0 {
					checkListsUnfinished(t, half, out)
				}
				if last == nil {
					break
				}
				t.Logf("run %d to completion: %v\n%s", runs, last, tail(out))
			}
			if last != nil {
				t.Fatalf("onboard still fails after 5 runs to completion: %v", last)
			}
			approved, rejected, skipped := h.verify(t)
			t.Logf("%d requests (%d approved, %d rejected, %d left for a person), %d kills, %d runs, %d half-done requests found after the kills, in %s",
				*killRequests, approved, rejected, skipped, kills, runs, halfDone, time.Since(start).Round(time.Millisecond))
			if kills < *killN {
				t.Errorf("only %d of %d kills happened: the work ran out", kills, *killN)
			}
		})
	}
}

// harness is a running emulator process and clients of it.
type harness struct {
	onboard               string
	salesURL, commerceURL string
	sc                    *sales.Client
	cc                    *commerce.Client
	// onQualify, when set, is called for each QualifyLead request the
	// emulator logs.
	onQualify atomic.Pointer[func()]
}

func startEmulator(t *testing.T, path string, requests int, seed int64, faults []string) *harness {
	t.Helper()
	args := append([]string{"-requests", strconv.Itoa(requests), "-fault-seed", strconv.FormatInt(seed, 10), "-v"}, faults...)
	cmd := exec.Command(path, args...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	h := &harness{}
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if strings.Contains(sc.Text(), "QualifyLead") {
				if f := h.onQualify.Load(); f != nil {
					(*f)()
				}
			}
		}
	}()
	lines := bufio.NewScanner(stdout)
	for lines.Scan() {
		l := lines.Text()
		if v, ok := strings.CutPrefix(l, "Sales org URL:"); ok {
			h.salesURL = strings.Fields(v)[0]
		}
		if v, ok := strings.CutPrefix(l, "Commerce env URL:"); ok {
			h.commerceURL = strings.Fields(v)[0]
		}
		if l == "Press Ctrl-C to stop." {
			break
		}
	}
	if h.salesURL == "" || h.commerceURL == "" {
		t.Fatalf("the emulator did not print its URLs (%v)", lines.Err())
	}
	go io.Copy(io.Discard, stdout)
	cred := d365.StaticTokenCredential(dualwritetest.Token)
	if h.sc, err = sales.NewClient(h.salesURL, cred, nil); err != nil {
		t.Fatal(err)
	}
	if h.cc, err = commerce.NewClient(h.commerceURL, cred, &commerce.Options{Company: dualwritetest.DefaultCompany}); err != nil {
		t.Fatal(err)
	}
	return h
}

// run runs "onboard -apply". With rng it kills the program at a random
// moment: after a random number (below 2*budget) of decisions were
// reported, or right after the emulator received a random one (below
// 2*budget, and at most the approvals to come) of its QualifyLead
// requests. It returns whether the kill happened, the
// program's output, and its error when it was not killed.
func (h *harness) run(t *testing.T, rng *rand.Rand, budget, approvals int) (killed bool, out string, err error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, h.onboard, "-apply")
	cmd.Env = append(os.Environ(),
		"D365_SALES_URL="+h.salesURL, "D365_COMMERCE_URL="+h.commerceURL,
		"D365_COMPANY="+dualwritetest.DefaultCompany, "D365_ACCESS_TOKEN="+dualwritetest.Token)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	var sent atomic.Bool
	var once sync.Once
	kill := func() {
		once.Do(func() {
			sent.Store(true)
			cmd.Process.Signal(syscall.SIGKILL)
		})
	}
	afterLines, afterQualify := -1, -1
	var pause time.Duration
	if rng != nil {
		if rng.IntN(2) == 0 || approvals == 0 {
			afterLines = rng.IntN(2 * budget)
			pause = time.Duration(rng.IntN(2000)) * time.Microsecond
		} else {
			afterQualify = 1 + rng.IntN(min(2*budget, approvals))
		}
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	if afterQualify > 0 {
		var n atomic.Int64
		f := func() {
			if n.Add(1) == int64(afterQualify) {
				kill()
			}
		}
		h.onQualify.Store(&f)
		defer h.onQualify.Store(nil)
	}
	var output strings.Builder
	sc := bufio.NewScanner(stdout)
	applying, decided := false, 0
	for sc.Scan() {
		l := sc.Text()
		output.WriteString(l + "\n")
		switch {
		case l == "Applying the decisions:":
			applying = true
		case applying && strings.HasPrefix(l, "  "):
			decided++
		default:
			continue
		}
		if afterLines >= 0 && decided == afterLines {
			time.Sleep(pause)
			kill()
		}
	}
	err = cmd.Wait()
	var ee *exec.ExitError
	if sent.Load() && errors.As(err, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL {
			return true, output.String(), nil
		}
	}
	if err != nil {
		err = fmt.Errorf("%w: %s", err, strings.TrimSpace(stderr.String()))
	}
	return false, output.String(), err
}

// pendingWork counts, over HTTP, the requests a run would decide (open
// leads the policy does not leave alone, and decisions left half done),
// the open leads among them that the policy approves, and the half-done
// ones.
func (h *harness) pendingWork(t *testing.T) (work, approvals, halfDone int) {
	t.Helper()
	for l, err := range h.sc.Leads.List(context.Background(), &sales.ListOptions{Query: d365.Query{
		Filter: d365.Filterf("msdyn_b2bcommerceprospect eq %v and msdyn_b2bprospectstatus eq %v", true, int(sales.B2BProspectStatusPending)),
	}}) {
		if err != nil {
			t.Fatal(err)
		}
		if *l.State != sales.LeadStateOpen {
			halfDone++
			work++
		} else if v, _ := policy(&onboarding.Request{Lead: l}); v.Decision != onboarding.Skip {
			work++
			if v.Decision == onboarding.Approve {
				approvals++
			}
		}
	}
	return work, approvals, halfDone
}

// verify reads every record of both services and checks that each request
// carries the decision of the policy, applied exactly once and entirely.
func (h *harness) verify(t *testing.T) (approved, rejected, skipped int) {
	t.Helper()
	ctx := context.Background()
	leads := map[uuid.UUID]*sales.Lead{}
	decision := map[uuid.UUID]onboarding.Decision{}
	for l, err := range h.sc.Leads.List(ctx, &sales.ListOptions{Query: d365.Query{Filter: d365.Filterf("msdyn_b2bcommerceprospect eq %v", true)}}) {
		if err != nil {
			t.Fatal(err)
		}
		leads[l.ID] = l
		v, _ := policy(&onboarding.Request{Lead: l})
		decision[l.ID] = v.Decision
	}
	if len(leads) != *killRequests {
		t.Errorf("%d B2B leads, want %d", len(leads), *killRequests)
	}
	prospects := map[string]commerce.ProspectStatus{}
	for p, err := range h.cc.Prospects.List(ctx, nil) {
		if err != nil {
			t.Fatal(err)
		}
		if _, dup := prospects[p.ProspectID]; dup {
			t.Errorf("prospect %s listed twice", p.ProspectID)
		}
		prospects[p.ProspectID] = p.B2BProspectStatus
	}
	if len(prospects) != *killRequests {
		t.Errorf("%d prospects, want %d", len(prospects), *killRequests)
	}
	opps := map[uuid.UUID][]*sales.Opportunity{}
	nOpps := 0
	for o, err := range h.sc.Opportunities.List(ctx, nil) {
		if err != nil {
			t.Fatal(err)
		}
		opps[o.OriginatingLeadID] = append(opps[o.OriginatingLeadID], o)
		nOpps++
	}
	companies := map[string]bool{}
	for id, l := range leads {
		type state struct {
			Lead     sales.LeadState
			Status   sales.B2BProspectStatus
			Prospect commerce.ProspectStatus
			Opps     int
		}
		got := state{*l.State, l.B2BProspectStatus, prospects[l.ProspectID], len(opps[id])}
		var want state
		switch decision[id] {
		case onboarding.Approve:
			approved++
			companies[l.CompanyName] = true
			want = state{sales.LeadStateQualified, sales.B2BProspectStatusApproved, commerce.ProspectApproved, 1}
			if len(opps[id]) == 1 && *opps[id][0].State != sales.OpportunityStateWon {
				t.Errorf("lead %s (%s): its opportunity is %v, want won", id, l.CompanyName, *opps[id][0].State)
			}
		case onboarding.Reject:
			rejected++
			want = state{sales.LeadStateDisqualified, sales.B2BProspectStatusRejected, commerce.ProspectRejected, 0}
			if l.Status != sales.LeadStatusCannotContact {
				t.Errorf("lead %s (%s): status reason %v, want Cannot Contact", id, l.CompanyName, l.Status)
			}
		default:
			skipped++
			want = state{sales.LeadStateOpen, sales.B2BProspectStatusPending, commerce.ProspectPending, 0}
		}
		if got != want {
			t.Errorf("lead %s (%s, %s): %+v, want %+v", id, l.CompanyName, decision[id], got, want)
		}
	}
	if nOpps != approved {
		t.Errorf("%d opportunities, want %d (one per approval)", nOpps, approved)
	}

	// One account, one contact, one Organization and one Person customer
	// and one hierarchy per approval, none twice.
	accounts := map[string]int{}
	for a, err := range h.sc.Accounts.List(ctx, nil) {
		if err != nil {
			t.Fatal(err)
		}
		accounts[a.Name]++
	}
	contacts := map[string]int{}
	for c, err := range h.sc.Contacts.List(ctx, nil) {
		if err != nil {
			t.Fatal(err)
		}
		contacts[c.Email]++
	}
	orgs, persons := map[string]int{}, map[string]int{}
	orgParty := map[string]bool{}
	personParty := map[string]bool{}
	for c, err := range h.cc.Customers.List(ctx, nil) {
		if err != nil {
			t.Fatal(err)
		}
		switch c.PartyType {
		case commerce.PartyOrganization:
			orgs[c.OrganizationName]++
			orgParty[c.PartyNumber] = true
		case commerce.PartyPerson:
			persons[c.PrimaryContactEmail]++
			personParty[c.PartyNumber] = true
		}
	}
	hierarchies := map[string]int{}
	for hr, err := range h.cc.Hierarchies.List(ctx, nil) {
		if err != nil {
			t.Fatal(err)
		}
		hierarchies[hr.OrganizationPartyNumber]++
		if !orgParty[hr.OrganizationPartyNumber] {
			t.Errorf("hierarchy %s belongs to party %s, no Organization customer", hr.CustomerHierarchyID, hr.OrganizationPartyNumber)
		}
		admins := 0
		for n, err := range h.cc.Hierarchies.Nodes(ctx, hr.CustomerHierarchyID) {
			if err != nil {
				t.Fatal(err)
			}
			if n.Role == commerce.RoleAdmin && personParty[n.NodePartyNumber] {
				admins++
			}
		}
		if admins != 1 {
			t.Errorf("hierarchy %s has %d Admin nodes that are Person customers, want 1", hr.CustomerHierarchyID, admins)
		}
	}
	for what, m := range map[string]map[string]int{"accounts": accounts, "contacts": contacts, "Organization customers": orgs, "Person customers": persons, "hierarchies": hierarchies} {
		total := 0
		for k, n := range m {
			total += n
			if n > 1 {
				t.Errorf("%s: %q %d times", what, k, n)
			}
		}
		if total != approved {
			t.Errorf("%d %s, want %d (one per approval)", total, what, approved)
		}
	}
	for name := range companies {
		if accounts[name] != 1 || orgs[name] != 1 {
			t.Errorf("approved company %q: %d accounts, %d Organization customers; want 1 each", name, accounts[name], orgs[name])
		}
	}
	return approved, rejected, skipped
}

// checkListsUnfinished checks that a run started with half-done requests
// listed them as such before it applied anything. (The count may differ
// by a request the emulator was still finishing when the last run was
// killed.)
func checkListsUnfinished(t *testing.T, halfDone int, out string) {
	t.Helper()
	if halfDone > 0 && strings.Contains(out, "Applying the decisions:") && !strings.Contains(out, "(unfinished)") {
		t.Errorf("a run started with %d half-done requests and listed none as unfinished:\n%s", halfDone, tail(out))
	}
}

// tail returns the last lines of a program's output.
func tail(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > 8 {
		lines = lines[len(lines)-8:]
	}
	return strings.Join(lines, "\n")
}
