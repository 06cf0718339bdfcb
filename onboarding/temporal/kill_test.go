package temporal

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/b2bflow/d365/dualwrite/dualwritetest"
	"github.com/b2bflow/d365/onboarding"
	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/server/temporaltest"
)

var (
	killSeed     = flag.Uint64("kill.seed", 1, "seed of TestEngineWorkerSIGKILLedMidApproval's kill moments")
	killRequests = flag.Int("kill.requests", 3, "onboarding requests per scenario of TestEngineWorkerSIGKILLedMidApproval")
)

// requestHook is an slog.Handler for the emulator's Options.Logger: it
// calls fn with each request the emulator logs. The emulator logs a
// request once it has acted on it and committed, before its answer
// leaves, so fn runs while the client still waits for the answer.
type requestHook struct {
	fn func(service, method, path string, status int)
}

func (h *requestHook) Enabled(context.Context, slog.Level) bool { return true }
func (h *requestHook) WithAttrs([]slog.Attr) slog.Handler       { return h }
func (h *requestHook) WithGroup(string) slog.Handler            { return h }

func (h *requestHook) Handle(_ context.Context, r slog.Record) error {
	var service, method, path string
	var status int
	r.Attrs(func(a slog.Attr) bool {
		switch a.Key {
		case "service":
			service = a.Value.String()
		case "method":
			method = a.Value.String()
		case "path":
			path = a.Value.String()
		case "status":
			status = int(a.Value.Int64())
		}
		return true
	})
	h.fn(service, method, path, status)
	return nil
}

// buildWorker builds ./cmd/worker into dir.
func buildWorker(t *testing.T, goTool, dir string) string {
	t.Helper()
	bin := filepath.Join(dir, "worker")
	out, err := exec.Command(goTool, "build", "-o", bin, "./cmd/worker").CombinedOutput()
	if err != nil {
		t.Fatalf("go build ./cmd/worker: %v\n%s", err, out)
	}
	return bin
}

// countingTransport counts the requests a worker sends, and the
// WinOpportunity requests among them.
type countingTransport struct {
	all, wins atomic.Int32
}

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	c.all.Add(1)
	if strings.HasSuffix(r.URL.Path, "/WinOpportunity") {
		c.wins.Add(1)
	}
	return http.DefaultTransport.RoundTrip(r)
}

// TestEngineWorkerSIGKILLedMidApproval builds cmd/worker, runs it as a
// process against a Temporal server and the emulator in the test process,
// and kills it with SIGKILL mid-approval: the moment the emulator has
// qualified the k-th lead (before the worker has the answer), or has
// served the first Commerce read of that lead's prospect (the
// confirmation, once the opportunity is won). A second worker then finishes every request, each
// approved exactly once on both sides.
//
//	go test -run TestEngineWorkerSIGKILLedMidApproval -count=1 -v . -kill.seed=7 -kill.requests=5
func TestEngineWorkerSIGKILLedMidApproval(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("needs SIGKILL")
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command to build cmd/worker with")
	}
	bin := buildWorker(t, goTool, t.TempDir())
	n := max(1, *killRequests)
	for i, sc := range []struct {
		name string
		// commerceRead kills at the first Commerce read of the prospect
		// of the k-th lead qualified, instead of at its QualifyLead.
		commerceRead bool
		// want are the steps of the killed request's attempt that
		// finished.
		want []string
	}{
		{"after QualifyLead", false, []string{"read lead:done", "qualify lead:already done", "read opportunity:done", "win opportunity:done", "confirm in Commerce:done"}},
		{"after the first Commerce read", true, []string{"read lead:done", "qualify lead:already done", "read opportunity:done", "win opportunity:already done", "confirm in Commerce:done"}},
	} {
		t.Run(sc.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(*killSeed, uint64(i)))
			k := 1 + rng.IntN(n) // kill at the k-th QualifyLead
			t.Logf("%d requests, kill after QualifyLead %d (seed %d)", n, k, *killSeed)
			killSIGKILLMidApproval(t, bin, n, k, sc.commerceRead, sc.want)
		})
	}
}

func killSIGKILLMidApproval(t *testing.T, bin string, n, k int, commerceRead bool, want []string) {
	log := quietLogger(t)
	var (
		mu         sync.Mutex
		proc       *os.Process // the first worker, once started
		qualified  int
		killedLead uuid.UUID // the lead qualified at the k-th QualifyLead
		sent       bool      // the SIGKILL was sent
		killed     = make(chan struct{})
		prospects  = map[uuid.UUID]string{} // of the leads, set before the first worker starts
	)
	kill := func() {
		if !sent && proc != nil {
			sent = true
			proc.Signal(syscall.SIGKILL)
			close(killed)
		}
	}
	hook := func(service, method, path string, status int) {
		mu.Lock()
		defer mu.Unlock()
		switch {
		case sent || status >= 300:
		case method == http.MethodPost && strings.HasSuffix(path, "QualifyLead"):
			qualified++
			if qualified == k {
				killedLead = leadOfPath(path)
				if !commerceRead {
					kill()
				}
			}
		case commerceRead && killedLead != uuid.Nil && service == "commerce" && method == http.MethodGet &&
			strings.Contains(path, "ProspectId='"+prospects[killedLead]+"'"):
			kill()
		}
	}
	srv := dualwritetest.NewServer(&dualwritetest.Options{Logger: slog.New(&requestHook{fn: hook})})
	t.Cleanup(srv.Close)
	emu := &emulator{srv: srv}
	emu.sales, emu.commerce = emu.clients(t, nil, 0)
	ts := temporaltest.NewServer(temporaltest.WithT(t), temporaltest.WithBaseClientOptions(client.Options{Logger: log}))
	c := ts.NewClientWithOptions(client.Options{Logger: log})

	ids := make([]uuid.UUID, n)
	for i := range ids {
		ids[i] = emu.submit(t)
		l, err := emu.sales.Leads.Get(bounded(t), ids[i], nil)
		if err != nil {
			t.Fatal(err)
		}
		if l.ProspectID == "" {
			t.Fatalf("lead %s has no prospect id", ids[i])
		}
		mu.Lock()
		prospects[ids[i]] = l.ProspectID
		mu.Unlock()
	}

	// The first worker, a process.
	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(),
		"D365_SALES_URL="+srv.SalesURL, "D365_COMMERCE_URL="+srv.CommerceURL,
		"D365_COMPANY="+srv.Company(), "D365_ACCESS_TOKEN="+dualwritetest.Token,
		"TEMPORAL_ADDRESS="+ts.GetFrontendHostPort(), "TEMPORAL_NAMESPACE="+ts.GetDefaultNamespace(),
		"TEMPORAL_TASK_QUEUE="+taskQueue, "TEMPORAL_API_KEY=", "TEMPORAL_TLS=")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr lockedBuffer // read while the process writes it
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	waited := make(chan error, 1)
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-waited
	})
	ready := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if strings.HasPrefix(sc.Text(), "worker: task queue") {
				close(ready)
			}
		}
		waited <- cmd.Wait()
	}()
	ctx := bounded(t)
	select {
	case <-ready:
	case err := <-waited:
		waited <- err
		t.Fatalf("the worker ended before it started: %v\n%s", err, stderr.String())
	case <-ctx.Done():
		t.Fatalf("the worker did not start\n%s", stderr.String())
	}
	mu.Lock()
	proc = cmd.Process
	mu.Unlock()

	// Every request is started and approved, the first worker runs them.
	runs := make([]client.WorkflowRun, n)
	for i, id := range ids {
		req := Request{LeadID: id, Approve: &onboarding.ApproveOptions{Confirm: &onboarding.ConfirmOptions{}}, Activity: fastActivities(2 * time.Second)}
		if runs[i], _, err = Start(ctx, c, fast, req); err != nil {
			t.Fatal(err)
		}
		if err := Decide(ctx, c, id, DecisionSignal{Decision: DecisionApprove, Reviewer: "dana"}); err != nil {
			t.Fatal(err)
		}
	}
	select {
	case <-killed:
	case err := <-waited:
		waited <- err
		t.Fatalf("the worker ended before its kill: %v\n%s", err, stderr.String())
	case <-ctx.Done():
		t.Fatalf("the approvals did not reach the kill moment\n%s", stderr.String())
	}
	select {
	case err = <-waited:
		waited <- err
	case <-ctx.Done():
		t.Fatalf("the first worker did not end after its kill\n%s", stderr.String())
	}
	var ee *exec.ExitError
	if ws, ok := exitStatus(err, &ee); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Fatalf("the first worker ended with %v, want killed by SIGKILL\n%s", err, stderr.String())
	}

	// The second worker, in process, finishes the requests.
	var seen countingTransport
	sb, cb := emu.clients(t, &seen, 0)
	w := worker.New(c, taskQueue, worker.Options{})
	Register(w, &Activities{Service: onboarding.New(sb, cb, nil), Sales: sb})
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.Stop)

	for i, run := range runs {
		r := waitResult(t, run)
		if r.Decision != DecisionApprove || r.DecidedBy != "dana" || r.Outcome == nil || r.Outcome.Commerce == nil || r.Outcome.Commerce.HierarchyID == "" {
			t.Errorf("request %d: result = %+v", i, r)
		}
		if ids[i] == killedLead {
			if diff := cmp.Diff(want, steps(r.Outcome)); diff != "" {
				t.Errorf("steps of the killed request's attempt that finished (-want +got):\n%s", diff)
			}
		}
		emu.checkApproved(t, ids[i])
	}
	if killedLead == uuid.Nil || !slices.Contains(ids, killedLead) {
		t.Errorf("the killed lead %s is none of the requests", killedLead)
	}
	if got := emu.counts(); got != [3]int{n, n, n} {
		t.Errorf("accounts, contacts, opportunities = %v, want %d each", got, n)
	}
	wins := 0
	for _, r := range srv.Requests() {
		if r.Method == http.MethodPost && strings.HasSuffix(r.Path, "/WinOpportunity") && r.Status < 300 {
			wins++
		}
	}
	if wins != n {
		t.Errorf("%d opportunities won, want %d", wins, n)
	}
	if seen.all.Load() == 0 || (!commerceRead && seen.wins.Load() == 0) {
		t.Errorf("the second worker sent %d requests (%d wins): it did not finish the killed approval", seen.all.Load(), seen.wins.Load())
	}
}

// lockedBuffer is a strings.Builder safe for concurrent use.
type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// exitStatus returns the wait status of a process's error.
func exitStatus(err error, ee **exec.ExitError) (syscall.WaitStatus, bool) {
	if !errors.As(err, ee) {
		return 0, false
	}
	ws, ok := (*ee).Sys().(syscall.WaitStatus)
	return ws, ok
}

// leadOfPath returns the lead id of a path such as
// /api/data/v9.2/leads(<id>)/Microsoft.Dynamics.CRM.QualifyLead.
func leadOfPath(path string) uuid.UUID {
	_, rest, ok := strings.Cut(path, "leads(")
	if !ok {
		return uuid.Nil
	}
	id, _, _ := strings.Cut(rest, ")")
	u, _ := uuid.Parse(id)
	return u
}
