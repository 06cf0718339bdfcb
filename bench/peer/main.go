// Command peer measures d365 against DynamicsWebApi 2.5.0 (a Dataverse Web
// API client for Node.js) on the same emulator in the same run, and prints
// the ratios. Run it from the repository root:
//
//	bash bench/peer/run.sh            # npm ci, then go run ./bench/peer
//	go run ./bench/peer -rounds 1     # once node_modules is installed
//
// It starts the emulator of ./dualwrite/dualwritetest (the code of
// ./examples/emulator) in a process of its own, twice: one without limits
// for the throughput workloads, one with the service protection limits
// (300 requests per 10 s per user, 52 concurrent) for the last workload.
// A third process is a fixed-response server that answers every GET with
// one prepared lead (163 columns and 54 annotations, lead.json) and every
// POST with 204, so that the per-call workloads measure the clients alone.
// d365 runs in this process, DynamicsWebApi in a Node process (dwa.mjs);
// every workload runs both clients against the same server, one after the
// other, alternating which goes first from round to round, after a warm-up
// of each. The figure of each workload is the median of the rounds.
package main

import (
	"bufio"
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/b2bflow/d365"
	"github.com/b2bflow/d365/dualwrite/dualwritetest"
	"github.com/b2bflow/d365/sales"
	"github.com/google/uuid"
)

//go:embed lead.json
var leadJSON []byte

// fixedLeadID is the id of the lead in lead.json.
const fixedLeadID = "0d14e658-25fb-4ccd-a51c-6263832c72fe"

// workload is one thing both clients do.
type workload struct {
	name  string // as dwa.mjs knows it
	title string
	n     int    // records or calls
	chunk int    // records per request of a bulk workload (1,000)
	unit  string // "req/s", "records/s" or "µs/call"
	// server: "emulator", "fixed" or "limits"
	server string
}

func main() {
	var (
		serve  = flag.String("serve", "", "internal: serve the emulator, the limited emulator or the fixed server (emulator, limits, fixed) and print its URL")
		rounds = flag.Int("rounds", 3, "rounds of each workload (the median is printed)")
		scale  = flag.Float64("scale", 1, "multiply every workload's size by this (0.01 for a smoke run)")
		only   = flag.String("only", "", "run only the workloads whose name contains this")
		node   = flag.String("node", "node", "the Node.js executable")
		window = flag.Duration("limit-window", 10*time.Second, "the service protection window of the limits workload")
		limit  = flag.Int("limit-requests", 300, "requests per window of the limits workload")
		prof   = flag.String("cpuprofile", "", "write a CPU profile of this process (the d365 side) to this file")
	)
	flag.Parse()
	if *prof != "" && *serve == "" {
		f, err := os.Create(*prof)
		if err != nil {
			fmt.Fprintln(os.Stderr, "peer:", err)
			os.Exit(1)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintln(os.Stderr, "peer:", err)
			os.Exit(1)
		}
		defer f.Close()
		defer pprof.StopCPUProfile()
	}
	if *serve != "" {
		if err := serveRole(*serve, *limit, *window); err != nil {
			fmt.Fprintln(os.Stderr, "peer:", err)
			os.Exit(1)
		}
		return
	}
	if err := run(*rounds, *scale, *only, *node, *limit, *window); err != nil {
		pprof.StopCPUProfile()
		fmt.Fprintln(os.Stderr, "peer:", err)
		os.Exit(1)
	}
}

func workloads(scale float64, limit int) []workload {
	n := func(v int) int { return max(1, int(float64(v)*scale)) }
	return []workload{
		{"create-seq", "creates, one at a time", n(2000), 1, "req/s", "emulator"},
		{"get-seq", "gets of a full lead with every annotation, one at a time", n(2000), 1, "req/s", "emulator"},
		{"create-52", "creates, 52 concurrent", n(5000), 1, "req/s", "emulator"},
		{"batch-1000", "creates in $batch requests of 1,000", max(1000, n(5000)/1000*1000), 1000, "records/s", "emulator"},
		{"createmultiple-1000", "creates with CreateMultiple, 1,000 a request", max(1000, n(10000)/1000*1000), 1000, "records/s", "emulator"},
		{"fixed-get", "per-call overhead, GET of the 8.9 KB lead (fixed-response server)", n(5000), 1, "µs/call", "fixed"},
		{"fixed-create", "per-call overhead, create (fixed-response server)", n(5000), 1, "µs/call", "fixed"},
		{"limits", fmt.Sprintf("creates, 52 concurrent, at %d requests per window and 52 concurrent", limit), n(1500), 1, "completed", "limits"},
	}
}

// result is what one client did in one workload.
type result struct {
	OK      int            `json:"ok"`
	Failed  int            `json:"failed"`
	Seconds float64        `json:"seconds"`
	Errors  map[string]int `json:"errors,omitempty"`
}

// figure is the result as the workload's unit.
func figure(r result, w workload) float64 {
	switch w.unit {
	case "µs/call":
		return r.Seconds * 1e6 / float64(max(1, r.OK))
	case "completed":
		return float64(r.OK)
	}
	return float64(r.OK) / r.Seconds
}

func run(rounds int, scale float64, only, node string, limit int, window time.Duration) error {
	dir, err := benchDir()
	if err != nil {
		return err
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "dynamics-web-api")); err != nil {
		return fmt.Errorf("DynamicsWebApi is not installed: run (cd %s && npm ci) first, or bash bench/peer/run.sh", dir)
	}
	printMachine(node)
	servers := map[string]string{}
	for _, role := range []string{"emulator", "fixed", "limits"} {
		url, stop, err := startRole(role, limit, window)
		if err != nil {
			return err
		}
		defer stop()
		servers[role] = url
	}
	fmt.Printf("\n%-68s %16s %16s %10s\n", "workload (median of rounds)", "d365", "DynamicsWebApi", "d365 vs DWA")
	for _, w := range workloads(scale, limit) {
		if only != "" && !strings.Contains(w.name, only) {
			continue
		}
		url := servers[w.server]
		n := rounds
		if w.server == "limits" {
			n = 1 // each client spends the window's quota; once is enough
		}
		var mine, theirs []float64
		var lastMine, lastTheirs result
		for r := range n {
			clients := []string{"d365", "dwa"}
			if r%2 == 1 {
				slices.Reverse(clients)
			}
			for i, c := range clients {
				if w.server == "limits" && i > 0 {
					time.Sleep(window + time.Second) // let the sliding window empty
				}
				var res result
				var err error
				if c == "d365" {
					res, err = runD365(w, url)
				} else {
					res, err = runDWA(node, dir, w, url)
				}
				if err != nil {
					return fmt.Errorf("%s, %s: %w", w.name, c, err)
				}
				if w.server != "limits" && res.Failed > 0 {
					return fmt.Errorf("%s, %s: %d of %d failed: %v", w.name, c, res.Failed, w.n, res.Errors)
				}
				if c == "d365" {
					mine, lastMine = append(mine, figure(res, w)), res
				} else {
					theirs, lastTheirs = append(theirs, figure(res, w)), res
				}
			}
		}
		a, b := median(mine), median(theirs)
		switch w.unit {
		case "completed":
			fmt.Printf("%-68s %16s %16s %10s\n", fmt.Sprintf("%s (%d)", w.title, w.n),
				fmt.Sprintf("%d/%d in %.1fs", lastMine.OK, w.n, lastMine.Seconds),
				fmt.Sprintf("%d/%d in %.1fs", lastTheirs.OK, w.n, lastTheirs.Seconds),
				fmt.Sprintf("%.2f×", a/max(b, 1)))
			fmt.Printf("%-68s %16s %16s\n", "  failures", errorsOf(lastMine), errorsOf(lastTheirs))
		case "µs/call":
			fmt.Printf("%-68s %16s %16s %10s\n", fmt.Sprintf("%s (%d)", w.title, w.n),
				fmt.Sprintf("%.1f µs", a), fmt.Sprintf("%.1f µs", b), fmt.Sprintf("%.2f×", b/a))
		default:
			fmt.Printf("%-68s %16s %16s %10s\n", fmt.Sprintf("%s (%d)", w.title, w.n),
				fmt.Sprintf("%.0f %s", a, w.unit), fmt.Sprintf("%.0f %s", b, w.unit), fmt.Sprintf("%.2f×", a/b))
		}
	}
	fmt.Println("\nd365 vs DWA: how many times faster d365 is (for µs/call: DWA's time / d365's), or completes as many.")
	return nil
}

func errorsOf(r result) string {
	if r.Failed == 0 {
		return "none"
	}
	var parts []string
	for k, v := range r.Errors {
		parts = append(parts, fmt.Sprintf("%d×%s", v, k))
	}
	slices.Sort(parts)
	return strings.Join(parts, " ")
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// benchDir is the directory of this program's sources (bench/peer).
func benchDir() (string, error) {
	if _, file, _, ok := runtime.Caller(0); ok {
		if _, err := os.Stat(filepath.Join(filepath.Dir(file), "dwa.mjs")); err == nil {
			return filepath.Dir(file), nil
		}
	}
	if _, err := os.Stat(filepath.Join("bench", "peer", "dwa.mjs")); err == nil {
		return filepath.Abs(filepath.Join("bench", "peer"))
	}
	return "", errors.New("cannot find bench/peer/dwa.mjs: run from the repository root")
}

func printMachine(node string) {
	model := "unknown"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				model = strings.TrimSpace(v)
				break
			}
		}
	}
	nodeVersion := "unknown"
	if out, err := exec.Command(node, "--version").Output(); err == nil {
		nodeVersion = strings.TrimSpace(string(out))
	}
	fmt.Printf("machine: %d CPUs (runtime.NumCPU), CPU %q, %s %s/%s, Node %s, DynamicsWebApi 2.5.0\n",
		runtime.NumCPU(), model, runtime.Version(), runtime.GOOS, runtime.GOARCH, nodeVersion)
}

// startRole starts this program with -serve role and returns the URL it
// prints, and a func that stops it.
func startRole(role string, limit int, window time.Duration) (string, func(), error) {
	exe, err := os.Executable()
	if err != nil {
		return "", nil, err
	}
	cmd := exec.Command(exe, "-serve", role, "-limit-requests", strconv.Itoa(limit), "-limit-window", window.String())
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe() // the server stops when it closes
	if err != nil {
		return "", nil, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return "", nil, err
	}
	if err := cmd.Start(); err != nil {
		return "", nil, err
	}
	stop := func() {
		stdin.Close()
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			cmd.Process.Kill()
			<-done
		}
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	url, ok := strings.CutPrefix(strings.TrimSpace(line), "URL ")
	if err != nil || !ok {
		stop()
		return "", nil, fmt.Errorf("the %s server printed %q (%v), not its URL", role, line, err)
	}
	go io.Copy(io.Discard, out)
	return url, stop, nil
}

// serveRole serves one of the servers until its standard input closes or
// it is interrupted.
func serveRole(role string, limit int, window time.Duration) error {
	var url string
	switch role {
	case "emulator", "limits":
		o := &dualwritetest.Options{}
		if role == "limits" {
			o.Limits = &dualwritetest.Limits{Requests: limit, Window: window, Concurrent: 52}
		}
		s := dualwritetest.NewServer(o)
		defer s.Close()
		url = s.SalesURL
	case "fixed":
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return err
		}
		srv := &http.Server{Handler: fixedHandler("http://" + l.Addr().String())}
		go srv.Serve(l)
		defer srv.Close()
		url = "http://" + l.Addr().String()
	default:
		return fmt.Errorf("-serve %q: want emulator, limits or fixed", role)
	}
	fmt.Println("URL", url)
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, os.Interrupt, syscall.SIGTERM)
	eof := make(chan struct{})
	go func() { io.Copy(io.Discard, os.Stdin); close(eof) }()
	select {
	case <-stop:
	case <-eof:
	}
	return nil
}

// fixedHandler answers every GET with lead.json and every other request
// with 204 and the OData-EntityId of that lead, as Dataverse does.
func fixedHandler(base string) http.Handler {
	length := strconv.Itoa(len(leadJSON))
	entityID := base + "/api/data/v9.2/leads(" + fixedLeadID + ")"
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		h := w.Header()
		h.Set("OData-Version", "4.0")
		if r.Method == http.MethodGet {
			h.Set("Content-Type", "application/json; odata.metadata=minimal")
			h.Set("Content-Length", length)
			h.Set("Preference-Applied", `odata.include-annotations="*"`)
			w.Write(leadJSON)
			return
		}
		h.Set("OData-EntityId", entityID)
		w.WriteHeader(http.StatusNoContent)
	})
}

// runDWA runs a workload with DynamicsWebApi (dwa.mjs) and reads its
// result line.
func runDWA(node, dir string, w workload, url string) (result, error) {
	cmd := exec.Command(node, filepath.Join(dir, "dwa.mjs"), w.name, url, strconv.Itoa(w.n), dualwritetest.Token, fixedLeadID, strconv.Itoa(w.chunk))
	cmd.Dir = dir
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		return result{}, fmt.Errorf("dwa.mjs: %w", err)
	}
	var r result
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &r); err != nil {
		return result{}, fmt.Errorf("dwa.mjs printed %q: %w", out, err)
	}
	return r, nil
}

// benchLead is the i-th lead the workloads create: the same five columns
// in both clients.
func benchLead(i int) *sales.Lead {
	return &sales.Lead{Subject: fmt.Sprintf("Peer %d", i), FirstName: "Avery", LastName: fmt.Sprintf("Buyer %05d", i),
		CompanyName: fmt.Sprintf("Partner %05d Ltd", i), Email: fmt.Sprintf("avery%05d@partner.example", i)}
}

// warmUp is how many calls each client makes before a timed workload.
const warmUp = 100

// runD365 runs a workload with d365 in this process.
func runD365(w workload, url string) (result, error) {
	c, err := sales.NewClient(url, d365.StaticTokenCredential(dualwritetest.Token), nil)
	if err != nil {
		return result{}, err
	}
	ctx := context.Background()
	id := uuid.MustParse(fixedLeadID)
	if w.server != "fixed" && w.name == "get-seq" {
		if id, err = c.Leads.Create(ctx, benchLead(0)); err != nil {
			return result{}, err
		}
	}
	var one func(i int) error
	switch w.name {
	case "create-seq", "create-52", "limits", "fixed-create":
		one = func(i int) error { _, err := c.Leads.Create(ctx, benchLead(i)); return err }
	case "get-seq", "fixed-get":
		one = func(int) error { _, err := c.Leads.Get(ctx, id, nil); return err }
	case "batch-1000":
		one = func(i int) error { return d365Batch(ctx, c, i*w.chunk, w.chunk) }
	case "createmultiple-1000":
		one = func(i int) error {
			leads := make([]*sales.Lead, w.chunk)
			for j := range leads {
				leads[j] = benchLead(i*w.chunk + j)
			}
			_, err := c.Leads.CreateMultiple(ctx, leads, &sales.BulkOptions{ChunkSize: w.chunk})
			return err
		}
	default:
		return result{}, fmt.Errorf("unknown workload %q", w.name)
	}
	calls, per := w.n/w.chunk, w.chunk
	if w.server != "limits" {
		warm := warmUp
		if per > 1 {
			warm = 1
		}
		for i := range warm {
			if err := one(1_000_000 + i); err != nil {
				return result{}, fmt.Errorf("warm-up: %w", err)
			}
		}
	}
	workers := 1
	if w.name == "create-52" || w.name == "limits" {
		workers = 52
	}
	var (
		next, ok, failed atomic.Int64
		mu               sync.Mutex
		errs             = map[string]int{}
		wg               sync.WaitGroup
	)
	start := time.Now()
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := int(next.Add(1) - 1); i < calls; i = int(next.Add(1) - 1) {
				if err := one(i); err != nil {
					failed.Add(1)
					mu.Lock()
					errs[errorKind(err)]++
					mu.Unlock()
					continue
				}
				ok.Add(1)
			}
		}()
	}
	wg.Wait()
	secs := time.Since(start).Seconds()
	return result{OK: int(ok.Load()) * per, Failed: int(failed.Load()) * per, Seconds: secs, Errors: errs}, nil
}

// d365Batch creates n leads from the first-th in one $batch.
func d365Batch(ctx context.Context, c *sales.Client, first, n int) error {
	b := &d365.Batch{ContinueOnError: true}
	for i := first; i < first+n; i++ {
		l := benchLead(i)
		b.Parts = append(b.Parts, d365.BatchPart{Request: &d365.BatchRequest{
			Method: http.MethodPost, Path: "leads",
			Body: map[string]any{"subject": l.Subject, "firstname": l.FirstName, "lastname": l.LastName, "companyname": l.CompanyName, "emailaddress1": l.Email},
		}})
	}
	res, err := c.Batch(ctx, b)
	if err != nil {
		return err
	}
	for _, r := range res {
		if r.Err != nil {
			return r.Err
		}
	}
	return nil
}

// errorKind names an error by its status, as dwa.mjs does.
func errorKind(err error) string {
	var e *d365.Error
	if errors.As(err, &e) && e.StatusCode != 0 {
		return strconv.Itoa(e.StatusCode)
	}
	return "other"
}
