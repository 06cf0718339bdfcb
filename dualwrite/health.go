package dualwrite

import (
	"fmt"
	"strconv"
	"strings"
)

// MapStatus is the state of a dual-write map, as DualWriteProjectConfigurations
// reports it.
type MapStatus int

// The states of a map. Only Enabled maps copy data; a Queueing map holds
// changes back until it runs again.
const (
	Enabled  MapStatus = 0
	Disabled MapStatus = 1
	Queueing MapStatus = 4
)

// String returns the state's name as it appears on the wire: "Enabled",
// "Disabled", "Queueing", or the number for another value.
func (s MapStatus) String() string {
	switch s {
	case Enabled:
		return "Enabled"
	case Disabled:
		return "Disabled"
	case Queueing:
		return "Queueing"
	}
	return strconv.Itoa(int(s))
}

// ParseMapStatus reads a state from its name or its number.
func ParseMapStatus(s string) (MapStatus, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "enabled", "running":
		return Enabled, nil
	case "disabled", "notrunning", "stopped":
		return Disabled, nil
	case "queueing", "paused":
		return Queueing, nil
	}
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil {
		return 0, fmt.Errorf("dualwrite: %q is not a map status (want Enabled, Disabled or Queueing)", s)
	}
	return MapStatus(n), nil
}

// MarshalText writes the state's name.
func (s MapStatus) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText reads a state's name or number.
func (s *MapStatus) UnmarshalText(b []byte) error {
	v, err := ParseMapStatus(string(b))
	if err != nil {
		return err
	}
	*s = v
	return nil
}

// MapConfig is one DualWriteProjectConfigurations row of Finance and
// Operations: a dual-write map and its state.
type MapConfig struct {
	ProjectName        string    `json:"ProjectName"`
	InternalEntityName string    `json:"InternalEntityName"`
	ExternalEntityName string    `json:"ExternalEntityName"`
	Status             MapStatus `json:"Status"`
}

// Health is the verdict of CheckMaps.
type Health struct {
	// OK is true when every required map was found and is Enabled.
	OK bool
	// Maps has one entry per required map, in the order of Required.
	Maps []MapHealth
}

// MapHealth is the state of one required map.
type MapHealth struct {
	// Map is the required map's name.
	Map string
	// Found says whether a configuration row matched the map.
	Found bool
	// Status is the matched row's state (meaningless when not Found).
	Status MapStatus
	// Problem says what is wrong, "" when the map is running.
	Problem string
}

// String lists the maps one per line with their state, and what to do
// about the ones that are not running.
func (h *Health) String() string {
	var b strings.Builder
	if h.OK {
		b.WriteString("dual-write: all required maps are running")
	} else {
		n := 0
		for _, m := range h.Maps {
			if m.Problem != "" {
				n++
			}
		}
		fmt.Fprintf(&b, "dual-write: %d of %d required maps are not running", n, len(h.Maps))
	}
	for _, m := range h.Maps {
		if m.Problem == "" {
			fmt.Fprintf(&b, "\n  ok    %s: %s", m.Map, m.Status)
		} else {
			fmt.Fprintf(&b, "\n  FAIL  %s: %s", m.Map, m.Problem)
		}
	}
	return b.String()
}

// Matches reports whether a configuration row describes the map: its
// ProjectName is the map's Name, or its InternalEntityName is the map's
// FinOpsEntity and its ExternalEntityName is the map's Dataverse table
// (logical name or entity set), all without regard to case.
func (m Map) Matches(c MapConfig) bool {
	if strings.EqualFold(strings.TrimSpace(c.ProjectName), m.Name) {
		return true
	}
	ext := strings.TrimSpace(c.ExternalEntityName)
	return strings.EqualFold(strings.TrimSpace(c.InternalEntityName), m.FinOpsEntity) &&
		(strings.EqualFold(ext, m.DataverseTable) || strings.EqualFold(ext, m.DataverseEntitySet))
}

// CheckMaps tells which of the Required maps are missing from configs or
// not running. When several rows match a map, an Enabled one wins.
func CheckMaps(configs []MapConfig) *Health {
	h := &Health{OK: true}
	for _, m := range Required() {
		mh := MapHealth{Map: m.Name}
		for _, c := range configs {
			if !m.Matches(c) {
				continue
			}
			if !mh.Found || c.Status == Enabled {
				mh.Found, mh.Status = true, c.Status
			}
		}
		switch {
		case !mh.Found:
			mh.Problem = fmt.Sprintf("not found (no map between %s and %s)", m.FinOpsEntity, m.DataverseTable)
		case mh.Status == Disabled:
			mh.Problem = "Disabled: the map is stopped, changes are not copied; run it in the dual-write workspace"
		case mh.Status == Queueing:
			mh.Problem = "Queueing: the map is paused, changes wait in a queue until it runs again"
		case mh.Status != Enabled:
			mh.Problem = fmt.Sprintf("status %s: not running", mh.Status)
		}
		if mh.Problem != "" {
			h.OK = false
		}
		h.Maps = append(h.Maps, mh)
	}
	return h
}
