// Command preflight checks that a Dynamics 365 setup can run the B2B
// partner onboarding: signing in to Sales and to Commerce, reading both
// services, the dual-write maps the process needs present and running, and
// the "All commerce B2B leads" view present. It prints one line per check
// and exits 1 when one fails.
//
//	go run ./examples/preflight
//
// With no configuration it checks the in-process emulator (and says so);
// see examples/internal/setup for the environment variables of a real
// setup.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/b2bflow/d365"
	"github.com/b2bflow/d365/dualwrite"
	"github.com/b2bflow/d365/examples/internal/setup"
	"github.com/b2bflow/d365/sales"
)

// b2bView is the name of the Sales view that lists the onboarding requests.
const b2bView = "All commerce B2B leads"

func main() {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	ok, err := run(ctx, os.Stdout)
	if err != nil {
		fmt.Fprintln(os.Stderr, "preflight:", err)
		os.Exit(2)
	}
	if !ok {
		os.Exit(1)
	}
}

// checker prints the result of each check and remembers whether all passed.
type checker struct {
	w  io.Writer
	ok bool
}

func (c *checker) check(name string, err error, detail string) {
	if err != nil {
		c.ok = false
		fmt.Fprintf(c.w, "FAIL  %s: %v\n", name, err)
		return
	}
	if detail != "" {
		detail = ": " + detail
	}
	fmt.Fprintf(c.w, "ok    %s%s\n", name, detail)
}

func run(ctx context.Context, w io.Writer) (bool, error) {
	// No retries: a preflight should say at once what is wrong.
	env, err := setup.Connect(w, &d365.ClientOptions{Retry: d365.RetryOptions{MaxRetries: -1}})
	if err != nil {
		return false, err
	}
	defer env.Close()
	c := &checker{w: w, ok: true}

	salesURL := env.Sales.OrgURL()
	_, err = env.Credential.Token(ctx, salesURL)
	c.check("sign in to Sales ("+salesURL+")", err, "")

	err = nil
	for _, err = range env.Sales.Leads.List(ctx, &sales.ListOptions{Query: d365.Query{Select: []string{"leadid"}, Top: 1}}) {
		if err != nil {
			break
		}
	}
	c.check("read leads in Sales", err, "")

	view, err := findView(ctx, env.Sales)
	c.check("the \""+b2bView+"\" view", err, view)

	if env.Commerce == nil {
		c.check("Commerce headquarters", fmt.Errorf("D365_COMMERCE_URL is not set: approvals cannot be confirmed in Commerce"), "")
		return c.ok, nil
	}
	commerceURL := env.Commerce.EnvURL()
	_, err = env.Credential.Token(ctx, commerceURL)
	c.check("sign in to Commerce ("+commerceURL+")", err, "")

	rows, err := env.Commerce.DualWrite.Configurations(ctx)
	c.check("read the dual-write configurations", err, fmt.Sprintf("%d maps", len(rows)))
	if err == nil {
		configs := make([]dualwrite.MapConfig, 0, len(rows))
		for _, r := range rows {
			st, perr := dualwrite.ParseMapStatus(string(r.Status))
			if perr != nil {
				st = dualwrite.MapStatus(-1)
			}
			configs = append(configs, dualwrite.MapConfig{ProjectName: r.ProjectName, InternalEntityName: r.InternalEntityName, ExternalEntityName: r.ExternalEntityName, Status: st})
		}
		h := dualwrite.CheckMaps(configs)
		for _, m := range h.Maps {
			var merr error
			if m.Problem != "" {
				merr = fmt.Errorf("%s", m.Problem)
			}
			c.check("dual-write map "+m.Map, merr, m.Status.String())
		}
	}
	if c.ok {
		fmt.Fprintln(w, "All checks passed: this setup can run the onboarding.")
	}
	return c.ok, nil
}

// findView looks the B2B leads view up among the system views.
func findView(ctx context.Context, s *sales.Client) (string, error) {
	q := &sales.ListOptions{Query: d365.Query{
		Select: []string{"savedqueryid", "name"},
		Filter: d365.Filterf("name eq %v and returnedtypecode eq %v", b2bView, "lead"),
		Top:    1,
	}}
	for r, err := range s.Table("savedqueries").List(ctx, q) {
		if err != nil {
			return "", err
		}
		return fmt.Sprint(r.Columns["savedqueryid"]), nil
	}
	return "", fmt.Errorf("no view named %q on leads: is the \"Dual-write Commerce solutions\" package installed?", b2bView)
}
