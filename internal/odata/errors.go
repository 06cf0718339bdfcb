package odata

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html"
	"math"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/b2bflow/d365"
)

// cdsAnnotationPrefix starts the names of the detail members Dataverse adds
// to an error when annotations are requested.
const cdsAnnotationPrefix = "@Microsoft.PowerApps.CDS."

// requestIDHeaders are the headers in which the services name a request, in
// order of preference.
var requestIDHeaders = []string{"x-ms-service-request-id", "REQ_ID", "x-ms-request-id", "request-id", "ms-cv"}

// maxMessage caps the length of a message taken from an unreadable body.
const maxMessage = 300

// DecodeError builds the *d365.Error for a response with an error status,
// whatever its body holds: a Dataverse or Finance and Operations OData error,
// an OAuth error, an HTML page, nothing, or a truncated document. now is used
// to read a Retry-After given as an HTTP date.
func DecodeError(status int, header http.Header, body []byte, now time.Time) *d365.Error {
	e := &d365.Error{StatusCode: status}
	for _, h := range requestIDHeaders {
		if v := header.Get(h); v != "" {
			e.RequestID = v
			break
		}
	}
	if d, ok := RetryAfter(header, now); ok {
		e.RetryAfter = d
	}
	trimmed := bytes.TrimSpace(body)
	switch {
	case len(trimmed) == 0:
		e.Message = "the response had no body"
	case isHTML(header, trimmed):
		e.Message = "the service answered with an HTML page instead of an OData error"
		if t := htmlTitle(trimmed); t != "" {
			e.Message += ": " + strconv.Quote(t)
		}
	default:
		if !decodeJSONError(e, trimmed) {
			e.Message = fmt.Sprintf("the error body could not be read as JSON (%d bytes, Content-Type %q): %s",
				len(body), header.Get("Content-Type"), strconv.Quote(prefix(trimmed)))
		}
	}
	scrubError(e)
	return e
}

// scrubError replaces anything that looks like a bearer token in every text
// of the error: a proxy or a service may echo the Authorization header in
// any member of its error body.
func scrubError(e *d365.Error) {
	e.Code = ScrubTokens(e.Code)
	e.Message = ScrubTokens(e.Message)
	for k, v := range e.Details {
		e.Details[k] = ScrubTokens(v)
	}
	for in := e.Inner; in != nil; in = in.Inner {
		in.Message = ScrubTokens(in.Message)
		in.Type = ScrubTokens(in.Type)
		in.StackTrace = ScrubTokens(in.StackTrace)
	}
}

// decodeJSONError fills e from a JSON error document and reports whether the
// body was one.
func decodeJSONError(e *d365.Error, body []byte) bool {
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(body, &doc); err != nil {
		return false
	}
	raw, ok := doc["error"]
	if !ok {
		// An ASP.NET style {"Message": "..."} or {"message": "..."}.
		for _, k := range []string{"message", "Message"} {
			if s := jsonString(doc[k]); s != "" {
				e.Message = s
				return true
			}
		}
		return false
	}
	// OAuth endpoints answer {"error":"invalid_token","error_description":"..."}.
	if s := jsonString(raw); s != "" {
		e.Code = s
		e.Message = jsonString(doc["error_description"])
		return true
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(raw, &obj); err != nil {
		return false
	}
	e.Code = jsonString(obj["code"])
	e.Message = jsonString(obj["message"])
	if in, ok := obj["innererror"]; ok {
		var inner d365.InnerError
		if json.Unmarshal(in, &inner) == nil && inner != (d365.InnerError{}) {
			e.Inner = &inner
		}
	}
	for k, v := range obj {
		if !strings.HasPrefix(k, cdsAnnotationPrefix) {
			continue
		}
		if e.Details == nil {
			e.Details = make(map[string]string)
		}
		s := jsonString(v)
		if s == "" {
			s = string(v)
		}
		e.Details[strings.TrimPrefix(k, cdsAnnotationPrefix)] = s
	}
	if e.Message == "" && e.Inner != nil {
		e.Message = e.Inner.Message
	}
	if e.Message == "" {
		if m := e.Details["InnerError.Message"]; m != "" {
			e.Message = m
		}
	}
	return true
}

// jsonString returns raw decoded as a JSON string, or "" if it is not one.
func jsonString(raw json.RawMessage) string {
	if len(raw) == 0 || raw[0] != '"' {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) != nil {
		return ""
	}
	return s
}

func isHTML(header http.Header, body []byte) bool {
	ct := strings.ToLower(header.Get("Content-Type"))
	if strings.Contains(ct, "html") {
		return true
	}
	return body[0] == '<'
}

var titleRE = regexp.MustCompile(`(?is)<title[^>]*>(.*?)</title>`)
var tagRE = regexp.MustCompile(`(?s)<[^>]*>`)

// htmlTitle returns the page's title, or failing that the start of its text.
func htmlTitle(body []byte) string {
	var text string
	if len(body) > maxErrorBody {
		body = body[:maxErrorBody]
	}
	if m := titleRE.FindSubmatch(body); m != nil {
		text = string(m[1])
	} else {
		text = tagRE.ReplaceAllString(string(body), " ")
	}
	text = strings.Join(strings.Fields(html.UnescapeString(text)), " ")
	return truncate(text, maxMessage)
}

// prefix returns the start of an unreadable body as valid UTF-8, without
// converting more of the body than it keeps.
func prefix(body []byte) string {
	if len(body) > maxMessage+utf8.UTFMax {
		body = body[:maxMessage+utf8.UTFMax]
	}
	return truncate(strings.ToValidUTF8(string(body), "\uFFFD"), maxMessage)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

// jwtRE matches what looks like a JSON Web Token.
var jwtRE = regexp.MustCompile(`eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*`)

// ScrubTokens replaces anything in s that looks like a bearer token (a JWT)
// by "[REDACTED]", so that an echo of the token by a proxy never reaches an
// error string or a log.
func ScrubTokens(s string) string {
	if !strings.Contains(s, "eyJ") {
		return s
	}
	return jwtRE.ReplaceAllString(s, "[REDACTED]")
}

// RetryAfter reads the Retry-After header, given in seconds or as an HTTP
// date (relative to now). A date in the past means no wait.
func RetryAfter(header http.Header, now time.Time) (time.Duration, bool) {
	v := strings.TrimSpace(header.Get("Retry-After"))
	if v == "" {
		return 0, false
	}
	if secs, err := strconv.ParseFloat(v, 64); err == nil {
		if secs < 0 || secs != secs {
			return 0, false
		}
		if secs >= float64(math.MaxInt64)/float64(time.Second) {
			return time.Duration(math.MaxInt64), true
		}
		return time.Duration(secs * float64(time.Second)), true
	}
	if t, err := http.ParseTime(v); err == nil {
		d := t.Sub(now)
		if d < 0 {
			d = 0
		}
		return d, true
	}
	return 0, false
}
