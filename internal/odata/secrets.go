package odata

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strings"

	"github.com/b2bflow/d365"
)

// minSecret is the shortest secret scrubbed by its exact value: shorter
// ones (never real tokens) would blank ordinary words of the messages.
const minSecret = 8

// scrubber replaces the secrets a request used (its access tokens) by
// "[REDACTED]" in any text, in their raw, JSON-escaped and URL-escaped
// forms, and everything JWT-shaped as ScrubTokens does.
type scrubber struct {
	r *strings.Replacer // nil: only the JWT pattern
}

// newScrubber returns a scrubber of the given secrets.
func newScrubber(secrets ...string) scrubber {
	seen := map[string]bool{}
	var forms []string
	for _, s := range secrets {
		if len(s) < minSecret {
			continue
		}
		for _, f := range secretForms(s) {
			if !seen[f] {
				seen[f] = true
				forms = append(forms, f)
			}
		}
	}
	if len(forms) == 0 {
		return scrubber{}
	}
	// At one position the replacer tries its pairs in order: the longest
	// form first, so that an escaped form is not cut at a raw prefix.
	sort.Slice(forms, func(i, j int) bool { return len(forms[i]) > len(forms[j]) })
	pairs := make([]string, 0, 2*len(forms))
	for _, f := range forms {
		pairs = append(pairs, f, "[REDACTED]")
	}
	return scrubber{r: strings.NewReplacer(pairs...)}
}

// secretForms returns the ways s may be written back by a server: as it
// is, JSON-escaped (with and without HTML escaping, and with "\/"), and
// URL-escaped (query and path escaping, upper- and lower-case hex).
func secretForms(s string) []string {
	forms := []string{s}
	add := func(f string) {
		forms = append(forms, f, strings.ReplaceAll(f, "/", `\/`))
	}
	if b, err := json.Marshal(s); err == nil {
		add(string(b[1 : len(b)-1]))
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if enc.Encode(s) == nil {
		b := bytes.TrimSpace(buf.Bytes())
		add(string(b[1 : len(b)-1]))
	}
	for _, f := range []string{url.QueryEscape(s), url.PathEscape(s)} {
		forms = append(forms, f, lowerHex(f))
	}
	return forms
}

// lowerHex lower-cases the hex digits of the percent escapes of s.
func lowerHex(s string) string {
	b := []byte(s)
	for i := 0; i+2 < len(b); i++ {
		if b[i] == '%' {
			for j := i + 1; j <= i+2; j++ {
				if b[j] >= 'A' && b[j] <= 'F' {
					b[j] += 'a' - 'A'
				}
			}
		}
	}
	return string(b)
}

// text scrubs a string.
func (s scrubber) text(v string) string {
	if s.r != nil {
		v = s.r.Replace(v)
	}
	return ScrubTokens(v)
}

// dirty reports whether v holds something the scrubber removes.
func (s scrubber) dirty(v string) bool { return s.text(v) != v }

// error scrubs every text of a service error.
func (s scrubber) error(e *d365.Error) {
	e.Code = s.text(e.Code)
	e.Message = s.text(e.Message)
	e.RequestID = s.text(e.RequestID)
	e.URL = s.text(e.URL)
	for k, v := range e.Details {
		e.Details[k] = s.text(v)
	}
	for in := e.Inner; in != nil; in = in.Inner {
		in.Message = s.text(in.Message)
		in.Type = s.text(in.Type)
		in.StackTrace = s.text(in.StackTrace)
	}
}

// err returns err with its texts scrubbed. A *url.Error is rebuilt with
// its URL redacted (RedactURL: no user information, no secret query
// parameter) and scrubbed. An error whose text holds a secret is replaced
// by a *scrubbedError, which still matches what err matched through
// errors.Is but does not hand the original out. Errors with nothing to
// scrub are returned as they are.
func (s scrubber) err(err error) error {
	if err == nil {
		return nil
	}
	if ue, ok := err.(*url.Error); ok {
		c := *ue
		if u, perr := url.Parse(ue.URL); perr == nil {
			c.URL = RedactURL(u)
		} else {
			c.URL = "[unparsable URL]"
		}
		c.URL = s.text(c.URL)
		c.Err = s.err(ue.Err)
		return &c
	}
	if msg := err.Error(); s.dirty(msg) {
		return &scrubbedError{msg: s.text(msg), orig: err}
	}
	return err
}

// scrubbedError is an error whose text held a secret.
type scrubbedError struct {
	msg  string
	orig error
}

func (e *scrubbedError) Error() string { return e.msg }

// GoString keeps %#v from printing the original error.
func (e *scrubbedError) GoString() string { return fmt.Sprintf("&odata.scrubbedError{msg:%q}", e.msg) }

// Is matches what the original error matched (context.DeadlineExceeded,
// io.ErrUnexpectedEOF, d365.ErrTimeout, ...).
func (e *scrubbedError) Is(target error) bool { return errors.Is(e.orig, target) }

// Timeout reports whether the original error was a timeout.
func (e *scrubbedError) Timeout() bool {
	var t interface{ Timeout() bool }
	return errors.As(e.orig, &t) && t.Timeout()
}
