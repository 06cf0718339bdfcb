// Package wire holds the HTTP and OData JSON conventions the emulated
// services share: JSON answers, request bodies, resource paths, $select
// and query strings, and an error that carries the status and code to
// answer.
package wire

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
)

// Error is an error with the status and code (Dataverse's hexadecimal
// code; "" for Finance and Operations) to answer.
type Error struct {
	Status int
	Code   string
	Msg    string
}

// Error returns the message.
func (e *Error) Error() string { return e.Msg }

// Errorf returns an *Error whose message is formatted.
func Errorf(status int, code, format string, args ...any) *Error {
	return &Error{Status: status, Code: code, Msg: fmt.Sprintf(format, args...)}
}

// BadRequest returns a 400 *Error.
func BadRequest(code, format string, args ...any) *Error {
	return Errorf(http.StatusBadRequest, code, format, args...)
}

// WriteJSON answers status with v as JSON (HTML characters left as they
// are) and the OData headers.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	writeJSON(w, status, func(buf []byte) ([]byte, error) { return AppendJSON(buf, v) })
}

// WriteMembers answers status with the JSON object of ms, as WriteJSON
// answers the map holding them (see AppendMembers).
func WriteMembers(w http.ResponseWriter, status int, ms []Member) {
	writeJSON(w, status, func(buf []byte) ([]byte, error) { return AppendMembers(buf, ms) })
}

func writeJSON(w http.ResponseWriter, status int, enc func([]byte) ([]byte, error)) {
	bp := bufPool.Get().(*[]byte)
	buf, err := enc((*bp)[:0])
	if err != nil {
		status = http.StatusInternalServerError
		buf = fmt.Appendf(buf[:0], `{"error":{"code":"0x80040216","message":%q}}`, err.Error())
	} else {
		buf = append(buf, '\n')
	}
	h := w.Header()
	h[odataVersionKey] = []string{"4.0"}
	h["Content-Type"] = []string{"application/json; odata.metadata=minimal"}
	w.WriteHeader(status)
	w.Write(buf)
	if cap(buf) <= 1<<20 { // keep no page-sized buffers
		*bp = buf[:0]
		bufPool.Put(bp)
	}
}

// odataVersionKey is "OData-Version" as http.Header.Set files it.
var odataVersionKey = http.CanonicalHeaderKey("OData-Version")

// bufPool holds the buffers WriteJSON encodes into.
var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 16<<10); return &b }}

// NoContent answers 204 with the OData headers.
func NoContent(w http.ResponseWriter) {
	w.Header()[odataVersionKey] = []string{"4.0"}
	w.WriteHeader(http.StatusNoContent)
}

// SplitSegment splits "leads(<key>)/tail" into its parts. The key ends at
// the parenthesis that closes the first one, outside quoted strings, so
// that a tail may hold parentheses of its own
// ("accounts(1)/nav(2)/$ref").
func SplitSegment(p string) (seg, key, tail string) {
	i := strings.IndexByte(p, '(')
	if s, t, ok := strings.Cut(p, "/"); ok && (i < 0 || len(s) < i) {
		return s, "", t
	}
	if i < 0 {
		return p, "", ""
	}
	depth, quoted := 0, false
	for j := i; j < len(p); j++ {
		switch c := p[j]; {
		case c == '\'':
			quoted = !quoted // a doubled quote toggles twice
		case quoted:
		case c == '(':
			depth++
		case c == ')':
			depth--
			if depth == 0 {
				return p[:i], p[i+1 : j], strings.TrimPrefix(p[j+1:], "/")
			}
		}
	}
	return p, "", ""
}

// SelectList splits a $select value into its columns.
func SelectList(s string) []string {
	var out []string
	for _, c := range strings.Split(s, ",") {
		if c = strings.TrimSpace(c); c != "" {
			out = append(out, c)
		}
	}
	return out
}

// SelectContext is the part of an @odata.context that names the selected
// columns: "(a,b)", or "" without $select.
func SelectContext(sel []string) string {
	if len(sel) == 0 {
		return ""
	}
	return "(" + strings.Join(sel, ",") + ")"
}

// EncodeQuery writes query parameters with "$" left readable, as the
// services do.
func EncodeQuery(q url.Values) string {
	return strings.ReplaceAll(q.Encode(), "%24", "$")
}

var maxPageRE = regexp.MustCompile(`odata\.maxpagesize=(\d+)`)

// MaxPageSize returns the odata.maxpagesize of Prefer header values, as
// strconv.Atoi reads it (the largest int when it overflows), and whether
// there is one.
func MaxPageSize(prefer string) (int, bool) {
	m := maxPageRE.FindStringSubmatch(prefer)
	if m == nil {
		return 0, false
	}
	n, _ := strconv.Atoi(m[1])
	return n, true
}
