package main

import (
	"net/http/httptest"
	"testing"

	"github.com/b2bflow/d365/dualwrite/dualwritetest"
)

// TestD365Workloads runs the d365 side of every workload but the limits one
// (which waits for a window to pass) at a small size, against the servers
// the benchmark uses, and checks that every call succeeded and that the
// emulator holds the leads created.
func TestD365Workloads(t *testing.T) {
	emu := dualwritetest.NewServer(nil)
	defer emu.Close()
	fixed := httptest.NewUnstartedServer(nil)
	fixed.Config.Handler = fixedHandler("http://" + fixed.Listener.Addr().String())
	fixed.Start()
	defer fixed.Close()
	created := 0
	for _, w := range workloads(0.001, 300) {
		if w.chunk > 1 {
			w.n, w.chunk = 40, 20 // two bulk requests of 20
		}
		url := emu.SalesURL
		switch w.server {
		case "fixed":
			url = fixed.URL
		case "limits":
			continue
		}
		res, err := runD365(w, url)
		if err != nil {
			t.Fatalf("%s: %v", w.name, err)
		}
		if res.OK != w.n || res.Failed != 0 || res.Seconds <= 0 {
			t.Errorf("%s: %+v, want %d done and none failed", w.name, res, w.n)
		}
		if w.server == "emulator" {
			switch w.name {
			case "get-seq":
				created++ // the lead it reads
			case "batch-1000", "createmultiple-1000":
				created += w.n + w.chunk // and the warm-up's
			default:
				created += w.n + warmUp
			}
		}
	}
	if n := emu.Count("leads"); n != created {
		t.Errorf("the emulator holds %d leads, want %d", n, created)
	}
}

func TestMedian(t *testing.T) {
	for _, c := range []struct {
		in   []float64
		want float64
	}{{nil, 0}, {[]float64{3}, 3}, {[]float64{5, 1, 3}, 3}, {[]float64{4, 1, 3, 2}, 2.5}} {
		if got := median(c.in); got != c.want {
			t.Errorf("median(%v) = %v, want %v", c.in, got, c.want)
		}
	}
}
