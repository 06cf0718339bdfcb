package dualwrite

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func allEnabled() []MapConfig {
	var out []MapConfig
	for _, m := range Required() {
		out = append(out, MapConfig{ProjectName: m.Name, InternalEntityName: m.FinOpsEntity, ExternalEntityName: m.DataverseEntitySet, Status: Enabled})
	}
	return out
}

func TestCheckMaps(t *testing.T) {
	h := CheckMaps(allEnabled())
	if !h.OK || len(h.Maps) != 5 || !strings.Contains(h.String(), "all required maps are running") {
		t.Fatalf("healthy: %s", h)
	}

	cfgs := allEnabled()
	cfgs[0].Status = Queueing
	cfgs[1] = MapConfig{ProjectName: "my accounts map", InternalEntityName: "customersv3", ExternalEntityName: "account", Status: Disabled}
	cfgs = cfgs[:4] // no nodes map
	cfgs = append(cfgs, MapConfig{ProjectName: "other", InternalEntityName: "Vendors", ExternalEntityName: "accounts", Status: Enabled})
	h = CheckMaps(cfgs)
	got := map[string]string{}
	for _, m := range h.Maps {
		got[m.Map] = m.Status.String()
		if !m.Found {
			got[m.Map] = "missing"
		}
	}
	want := map[string]string{
		Prospects.Name: "Queueing", CustomerAccounts.Name: "Disabled", CustomerContacts.Name: "Enabled",
		CustomerHierarchies.Name: "Enabled", CustomerHierarchyNodes.Name: "missing",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if h.OK || !strings.Contains(h.String(), "3 of 5 required maps are not running") || !strings.Contains(h.String(), "not found") {
		t.Errorf("report:\n%s", h)
	}
}

func TestMapStatusText(t *testing.T) {
	for _, c := range []struct {
		in   string
		want MapStatus
	}{{"Enabled", Enabled}, {"disabled", Disabled}, {"Queueing", Queueing}, {"4", Queueing}} {
		var s MapStatus
		if err := s.UnmarshalText([]byte(c.in)); err != nil || s != c.want {
			t.Errorf("%q: %v %v", c.in, s, err)
		}
	}
	if _, err := ParseMapStatus("sideways"); err == nil {
		t.Error("bad status accepted")
	}
}

func TestAwait(t *testing.T) {
	n := 0
	err := Await(context.Background(), func(context.Context) (bool, error) { n++; return n == 3, nil }, &AwaitOptions{Interval: time.Millisecond})
	if err != nil || n != 3 {
		t.Fatalf("err %v after %d polls", err, n)
	}
	err = Await(context.Background(), func(context.Context) (bool, error) { return false, nil }, &AwaitOptions{Interval: time.Millisecond, Timeout: 20 * time.Millisecond})
	if !errors.Is(err, ErrTimeout) || !strings.Contains(err.Error(), "timed out") {
		t.Fatalf("err = %v", err)
	}
	boom := errors.New("boom")
	if err := Await(context.Background(), func(context.Context) (bool, error) { return false, boom }, nil); err != boom {
		t.Fatalf("err = %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err = Await(ctx, func(context.Context) (bool, error) { return false, nil }, &AwaitOptions{Interval: time.Hour})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v", err)
	}
}
