package odata

import (
	"context"
	"net/http"
	"net/url"
	"strings"

	"github.com/b2bflow/d365"
	"github.com/google/uuid"
)

// callOptions returns the headers and query parameter the d365.CallOptions
// of ctx ask for (nil when ctx has none), checked before any request is
// sent.
func callOptions(ctx context.Context) (*appliedOptions, error) {
	o, ok := d365.CallOptionsFrom(ctx)
	if !ok {
		return nil, nil
	}
	a := &appliedOptions{header: http.Header{}}
	if o.CallerObjectID != "" {
		id, err := uuid.Parse(strings.TrimSpace(o.CallerObjectID))
		if err != nil || strings.ContainsAny(o.CallerObjectID, "{}:") {
			return nil, d365.NewInputError("d365", "CallOptions.CallerObjectID", "%q is not a GUID: give the Microsoft Entra ID object id of the user to act for", o.CallerObjectID)
		}
		a.caller = id.String()
	}
	if o.BypassCustomPluginExecution {
		a.header["MSCRM.BypassCustomPluginExecution"] = []string{"true"}
	}
	var logic []string
	if o.BypassCustomSync {
		logic = append(logic, "CustomSync")
	}
	if o.BypassCustomAsync {
		logic = append(logic, "CustomAsync")
	}
	if len(logic) > 0 {
		a.header["MSCRM.BypassBusinessLogicExecution"] = []string{strings.Join(logic, ",")}
	}
	if o.DetectDuplicates {
		a.header["MSCRM.SuppressDuplicateDetection"] = []string{"false"}
	}
	if o.Tag != "" {
		if strings.ContainsAny(o.Tag, "\x00\r\n") {
			return nil, d365.NewInputError("d365", "CallOptions.Tag", "must not contain line breaks or NUL")
		}
		a.tag = o.Tag
	}
	return a, nil
}

// appliedOptions are the checked d365.CallOptions of a request.
type appliedOptions struct {
	caller string
	header http.Header // set as they are: the documented spelling
	tag    string
}

// url returns u with the tag query parameter added (u itself when there is
// no tag).
func (a *appliedOptions) url(u *url.URL) *url.URL {
	if a == nil || a.tag == "" || u.Query().Has("tag") {
		return u // a next link keeps the tag of its first request
	}
	v := *u
	q := "tag=" + url.QueryEscape(a.tag)
	if v.RawQuery != "" {
		v.RawQuery += "&" + q
	} else {
		v.RawQuery = q
	}
	return &v
}

// set adds the headers to hd.
func (a *appliedOptions) set(hd http.Header) {
	if a == nil {
		return
	}
	for k, vs := range a.header {
		hd[k] = vs
	}
	if a.caller != "" {
		hd.Set("CallerObjectId", a.caller)
	}
}
