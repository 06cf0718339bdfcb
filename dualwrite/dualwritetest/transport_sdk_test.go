package dualwritetest_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/b2bflow/d365"
	"github.com/b2bflow/d365/commerce"
	"github.com/b2bflow/d365/dualwrite/dualwritetest"
	"github.com/b2bflow/d365/onboarding"
	"github.com/b2bflow/d365/sales"
	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"
)

// The SDK's own clients against the emulator over HTTP and in memory
// (Server.Client): the same scenario must give the same results, the same
// errors, the same request log and the same records, ids and times aside.

// sdkEnv is an emulator with the SDK's clients over one transport.
type sdkEnv struct {
	srv *dualwritetest.Server
	sc  *sales.Client
	cc  *commerce.Client
}

func noWait(ctx context.Context, _ time.Duration) error { return ctx.Err() }

func newSDKEnv(t *testing.T, transport string, o *dualwritetest.Options, maxRetries int) *sdkEnv {
	t.Helper()
	srv := dualwritetest.NewServer(o)
	t.Cleanup(srv.Close)
	opts := d365.ClientOptions{Retry: d365.RetryOptions{Sleep: noWait, MaxRetries: maxRetries}}
	if transport == "memory" {
		opts.HTTPClient = srv.Client()
	}
	sc, err := sales.NewClient(srv.SalesURL, srv.Credential(), &sales.Options{ClientOptions: opts})
	if err != nil {
		t.Fatal(err)
	}
	cc, err := commerce.NewClient(srv.CommerceURL, srv.Credential(), &commerce.Options{ClientOptions: opts, Company: srv.Company()})
	if err != nil {
		t.Fatal(err)
	}
	return &sdkEnv{srv: srv, sc: sc, cc: cc}
}

var (
	guidRE = regexp.MustCompile(`[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}`)
	timeRE = regexp.MustCompile(`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)?`)
	urlRE  = regexp.MustCompile(`http://127\.0\.0\.1:\d+`)
	nsRE   = regexp.MustCompile(`"(\w+Ns)": \d+`) // the durations the ledger notes
)

// scrub replaces ids, times and the emulator's addresses in a text.
func scrub(s string) string {
	s = guidRE.ReplaceAllString(s, "<id>")
	s = timeRE.ReplaceAllString(s, "<time>")
	s = nsRE.ReplaceAllString(s, `"$1": <ns>`)
	return urlRE.ReplaceAllString(s, "<emulator>")
}

// scrubValue scrubs the strings of a record value, and times.
func scrubValue(v any) any {
	switch x := v.(type) {
	case string:
		return scrub(x)
	case time.Time:
		return "<time>"
	case uuid.UUID:
		return "<id>"
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = scrubValue(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = scrubValue(e)
		}
		return out
	}
	return fmt.Sprint(v)
}

// classify names an error the way a caller tells errors apart.
func classify(err error) string {
	var de *d365.Error
	switch {
	case err == nil:
		return "ok"
	case errors.As(err, &de):
		s := fmt.Sprintf("d365 %d %s %q retry-after=%s", de.StatusCode, de.Code, scrub(de.Message), de.RetryAfter)
		if errors.Is(err, d365.ErrThrottled) {
			s += " throttled"
		}
		return s
	case errors.Is(err, d365.ErrOutcomeUnknown):
		return "outcome unknown: " + scrub(err.Error())
	case errors.Is(err, io.EOF):
		return "EOF: " + scrub(err.Error())
	}
	return "other: " + scrub(err.Error())
}

// snapshot is what a scenario leaves behind, scrubbed.
type snapshot struct {
	Results []string
	Log     []dualwritetest.Request
	Rows    map[string][]any
}

// tables are the records compared after each scenario.
var tables = []string{"leads", "accounts", "contacts", "opportunities", "annotations", "Prospects", "CustomersV3", "CustomerHiearchies", "CustomerHierarchyNodes"}

func (e *sdkEnv) snapshot(results []string) snapshot {
	out := snapshot{Results: results, Rows: map[string][]any{}}
	for _, r := range e.srv.Requests() {
		r.Path = scrub(r.Path)
		for k, vs := range r.Header {
			for i := range vs {
				vs[i] = scrub(vs[i])
			}
			r.Header[k] = vs
		}
		out.Log = append(out.Log, r)
	}
	for _, tb := range tables {
		for _, row := range e.srv.Rows(tb) {
			out.Rows[tb] = append(out.Rows[tb], scrubValue(row))
		}
	}
	return out
}

// transportScenarios are suites of SDK calls, each returning the results
// of its calls as text.
var transportScenarios = []struct {
	name       string
	opts       *dualwritetest.Options
	maxRetries int
	run        func(t *testing.T, e *sdkEnv) []string
}{
	{
		name: "onboarding end to end", maxRetries: 12,
		run: func(t *testing.T, e *sdkEnv) []string {
			ctx := context.Background()
			svc := onboarding.New(e.sc, e.cc, nil)
			var res []string
			for i, company := range []string{"Contoso Bikes", "Fabrikam Retail"} {
				sub, err := e.srv.SubmitOnboardingRequest(dualwritetest.OnboardingRequest{
					FirstName: "Ana", LastName: fmt.Sprint("Silva ", i), Company: company,
					Email: fmt.Sprintf("ana%d@partner.example", i), Phone: "+1 425 555 0100",
				})
				if err != nil {
					t.Fatal(err)
				}
				var out *onboarding.Outcome
				if i == 0 {
					out, err = svc.Approve(ctx, sub.LeadID, nil)
				} else {
					out, err = svc.Reject(ctx, sub.LeadID, nil)
				}
				res = append(res, classify(err))
				for _, st := range out.Steps {
					res = append(res, fmt.Sprintf("%s: %s %s", st.Name, st.Status, scrub(st.Err)))
				}
				p, err := e.cc.Prospects.Get(ctx, sub.Company, sub.ProspectID, nil)
				res = append(res, classify(err))
				if p != nil {
					res = append(res, fmt.Sprint("prospect ", p.B2BProspectStatus))
				}
			}
			// Qualify again through the SDK: refused as Dataverse refuses it.
			for l, err := range e.sc.Leads.List(ctx, nil) {
				if err != nil {
					t.Fatal(err)
				}
				_, err = e.sc.Leads.Qualify(ctx, l.ID, nil)
				res = append(res, classify(err))
			}
			return res
		},
	},
	{
		name: "batch with a change set", maxRetries: 12,
		run: func(t *testing.T, e *sdkEnv) []string {
			ctx := context.Background()
			b := &d365.Batch{ContinueOnError: true, Parts: []d365.BatchPart{
				{ChangeSet: []*d365.BatchRequest{
					{Method: "POST", Path: "accounts", Body: map[string]any{"name": "Contoso"}, ContentID: "1"},
					{Method: "POST", Path: "contacts", Body: map[string]any{"lastname": "Silva", "parentcustomerid_account@odata.bind": "$1"}},
				}},
				{Request: &d365.BatchRequest{Method: "GET", Path: "accounts", Query: "$select=name"}},
				{Request: &d365.BatchRequest{Method: "POST", Path: "leads", Body: map[string]any{"lastname": "X", "new_nosuchcolumn": 1}}},
				{ChangeSet: []*d365.BatchRequest{
					{Method: "POST", Path: "accounts", Body: map[string]any{"name": "Rolled back"}},
					{Method: "PATCH", Path: "contacts(00000000-0000-0000-0000-000000000001)", Body: map[string]any{"lastname": "Nobody"}},
				}},
			}}
			results, err := e.sc.Batch(ctx, b)
			res := []string{classify(err)}
			for _, r := range results {
				res = append(res, fmt.Sprintf("%d %s %s %s", r.StatusCode, r.ContentID, classify(r.Err), scrub(string(r.Body))))
			}
			return res
		},
	},
	{
		name: "service protection limits", maxRetries: 2,
		opts: &dualwritetest.Options{Limits: &dualwritetest.Limits{Requests: 4}},
		run: func(t *testing.T, e *sdkEnv) []string {
			ctx := context.Background()
			var res []string
			for i := 0; i < 6; i++ {
				_, err := e.sc.Leads.Create(ctx, &sales.Lead{Subject: "Limits", LastName: fmt.Sprint("L", i)})
				res = append(res, classify(err))
			}
			return res
		},
	},
	{
		name: "random faults", maxRetries: 12,
		opts: &dualwritetest.Options{Faults: &dualwritetest.Faults{Throttle: 0.1, Unavailable: 0.05, Drop: 0.05, LoseResponse: 0.05, Seed: 7}},
		run: func(t *testing.T, e *sdkEnv) []string {
			ctx := context.Background()
			var res []string
			var ids []uuid.UUID
			for i := 0; i < 40; i++ {
				id, err := e.sc.Leads.Create(ctx, &sales.Lead{Subject: "Faults", LastName: fmt.Sprint("F", i)})
				res = append(res, "create "+classify(err))
				if err == nil {
					ids = append(ids, id)
				}
			}
			for _, id := range ids {
				l, err := e.sc.Leads.Get(ctx, id, nil)
				res = append(res, "get "+classify(err))
				if err == nil {
					res = append(res, l.LastName)
				}
			}
			return res
		},
	},
	{
		name: "armed faults and a write under an ETag", maxRetries: 12,
		run: func(t *testing.T, e *sdkEnv) []string {
			ctx := context.Background()
			var res []string
			e.srv.InjectFault("POST", "leads", dualwritetest.FaultDrop)
			_, err := e.sc.Leads.Create(ctx, &sales.Lead{Subject: "Dropped", LastName: "D"})
			res = append(res, "dropped create "+classify(err))
			e.srv.InjectFault("POST", "leads", dualwritetest.FaultLoseResponse)
			_, err = e.sc.Leads.Create(ctx, &sales.Lead{Subject: "Lost", LastName: "L"})
			res = append(res, "lost create "+classify(err))
			// A create with its own id is safe to send again: it is retried.
			id := uuid.MustParse("6f9619ff-8b86-d011-b42d-00c04fc964ff")
			e.srv.InjectFault("POST", "leads", dualwritetest.FaultLoseResponse)
			_, err = e.sc.Leads.Create(ctx, &sales.Lead{ID: id, Subject: "Chosen id", LastName: "C"})
			res = append(res, "create with an id "+classify(err))
			l, err := e.sc.Leads.Get(ctx, id, nil)
			if err != nil {
				t.Fatal(err)
			}
			// A read dropped: retried.
			e.srv.InjectFault("GET", "leads(", dualwritetest.FaultDrop)
			_, err = e.sc.Leads.Get(ctx, id, nil)
			res = append(res, "dropped read "+classify(err))
			// An update under an ETag whose answer is lost is not sent
			// again.
			name := "Changed"
			e.srv.InjectFault("PATCH", "leads(", dualwritetest.FaultLoseResponse)
			err = e.sc.Leads.Update(ctx, id, &sales.LeadChanges{LastName: &name}, &d365.UpdateOptions{IfMatch: l.ETag})
			res = append(res, "update under an ETag "+classify(err))
			e.srv.FailNext("GET", "leads(", http.StatusServiceUnavailable)
			l, err = e.sc.Leads.Get(ctx, id, nil)
			res = append(res, "read after a 503 "+classify(err)+" "+l.LastName)
			return res
		},
	},
	{
		name: "impersonation and the logged headers", maxRetries: 12,
		run: func(t *testing.T, e *sdkEnv) []string {
			const reviewer = "1b0e7c4a-2f3d-4e5f-8a9b-0c1d2e3f4a5b"
			if _, err := e.srv.AddUser("Riley Reviewer", reviewer); err != nil {
				t.Fatal(err)
			}
			var res []string
			// Duplicate detection is refused loudly (501), not ignored.
			dup := d365.WithCallOptions(context.Background(), d365.CallOptions{DetectDuplicates: true})
			_, err := e.sc.Leads.Create(dup, &sales.Lead{Subject: "Duplicates", LastName: "D"})
			res = append(res, classify(err))
			ctx := d365.WithCallOptions(context.Background(), d365.CallOptions{CallerObjectID: reviewer, BypassCustomPluginExecution: true})
			id, err := e.sc.Leads.Create(ctx, &sales.Lead{Subject: "On behalf", LastName: "Okafor"})
			res = append(res, classify(err))
			if err == nil {
				l, err := e.sc.Leads.Get(ctx, id, nil)
				res = append(res, classify(err))
				if err == nil {
					res = append(res, l.FormattedValue("_createdby_value"))
				}
			}
			unknown := d365.WithCallOptions(context.Background(), d365.CallOptions{CallerObjectID: "00000000-0000-0000-0000-0000000000aa"})
			_, err = e.sc.Leads.Create(unknown, &sales.Lead{Subject: "Nobody", LastName: "X"})
			return append(res, classify(err))
		},
	},
	{
		name: "strict refusals", maxRetries: 12,
		run: func(t *testing.T, e *sdkEnv) []string {
			ctx := context.Background()
			var res []string
			_, err := e.sc.Table("leads").Create(ctx, map[string]any{"lastname": "X", "new_nosuchcolumn": 1})
			res = append(res, classify(err))
			_, err = e.sc.Table("leads").Create(ctx, map[string]any{"lastname": strings.Repeat("x", 60)})
			res = append(res, classify(err))
			_, err = e.sc.Table("nosuchtable").Create(ctx, map[string]any{"name": "X"})
			res = append(res, classify(err))
			_, err = e.sc.Leads.Get(ctx, uuid.MustParse("00000000-0000-0000-0000-000000000001"), nil)
			res = append(res, classify(err))
			_, err = e.cc.Prospects.Get(ctx, e.srv.Company(), "P-NOSUCH", nil)
			res = append(res, classify(err))
			return res
		},
	},
	{
		name: "streamed pages", maxRetries: 12,
		run: func(t *testing.T, e *sdkEnv) []string {
			ctx := context.Background()
			for i := 0; i < 23; i++ {
				if _, err := e.sc.Leads.Create(ctx, &sales.Lead{Subject: "Paged", LastName: fmt.Sprintf("P%02d", i)}); err != nil {
					t.Fatal(err)
				}
			}
			var res []string
			q := &sales.ListOptions{Query: d365.Query{PageSize: 5, OrderBy: []string{"lastname"}}}
			for p, err := range e.sc.Leads.Pages(ctx, q) {
				if err != nil {
					t.Fatal(err)
				}
				var names []string
				for _, l := range p.Records {
					names = append(names, l.LastName)
				}
				res = append(res, strings.Join(names, ","))
			}
			n := 0
			for _, err := range e.sc.Leads.List(ctx, q) {
				if err != nil {
					t.Fatal(err)
				}
				n++
			}
			return append(res, fmt.Sprint(n, " listed"))
		},
	},
}

// TestTransportsGiveTheSameResults runs each scenario over HTTP and in
// memory and compares what the SDK got, the emulator's request log and
// the records.
func TestTransportsGiveTheSameResults(t *testing.T) {
	for _, sc := range transportScenarios {
		t.Run(sc.name, func(t *testing.T) {
			var got [2]snapshot
			for i, tr := range []string{"http", "memory"} {
				e := newSDKEnv(t, tr, sc.opts, sc.maxRetries)
				got[i] = e.snapshot(sc.run(t, e))
			}
			if len(got[0].Log) == 0 {
				t.Fatal("nothing logged over HTTP")
			}
			if diff := cmp.Diff(got[0], got[1]); diff != "" {
				t.Errorf("(-over HTTP +in memory):\n%s", diff)
			}
			if testing.Verbose() {
				keys := make([]string, 0, len(got[1].Rows))
				for k, v := range got[1].Rows {
					keys = append(keys, fmt.Sprint(k, ":", len(v)))
				}
				sort.Strings(keys)
				t.Logf("%d requests, rows %v, results:\n%s", len(got[1].Log), keys, strings.Join(got[1].Results, "\n"))
			}
		})
	}
}
