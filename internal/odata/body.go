package odata

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"

	"github.com/b2bflow/d365"
)

// maxErrorBody is how much of an error response's body is read: enough for
// any OData error, and a bound on what a hostile or broken server can make
// the client hold.
const maxErrorBody = 64 << 10

// tooLargeError reports a response body above ClientOptions.MaxResponseBytes.
type tooLargeError struct {
	limit int64
	size  int64 // the announced Content-Length, or -1
}

func (e *tooLargeError) Error() string {
	if e.size >= 0 {
		return fmt.Sprintf("the response body (%d bytes) is larger than ClientOptions.MaxResponseBytes (%d bytes): ask for less (smaller pages, fewer columns) or raise the limit", e.size, e.limit)
	}
	return fmt.Sprintf("the response body is larger than ClientOptions.MaxResponseBytes (%d bytes): ask for less (smaller pages, fewer columns) or raise the limit", e.limit)
}

// Is makes the error match d365.ErrResponseTooLarge.
func (e *tooLargeError) Is(target error) bool { return target == d365.ErrResponseTooLarge }

// readBody reads a success body whole, holding at most limit bytes of it.
// With a Content-Length the buffer is allocated once at its size (a larger
// announced body fails before anything is read); without one it grows by
// doubling along sizes chosen so that the last step lands on limit: at most
// 1.5 × limit is live at once, and less than 2 × limit is allocated in all.
// A body longer than limit fails with a
// *tooLargeError: it is never truncated silently.
func readBody(resp *http.Response, limit int64) ([]byte, error) {
	if n := resp.ContentLength; n >= 0 {
		if n > limit {
			return nil, &tooLargeError{limit: limit, size: n}
		}
		buf := make([]byte, n)
		if _, err := io.ReadFull(resp.Body, buf); err != nil {
			return nil, err
		}
		return buf, nil
	}
	// The first size: limit halved until it is small, so that doubling
	// from it reaches limit exactly.
	size := limit
	for size > 32<<10 {
		size = (size + 1) / 2
	}
	buf := make([]byte, 0, size)
	for {
		n, err := resp.Body.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return nil, err
		}
		if len(buf) < cap(buf) {
			continue
		}
		if int64(len(buf)) >= limit {
			// Full: the body must end here.
			var one [1]byte
			for {
				n, err := resp.Body.Read(one[:])
				if n > 0 {
					return nil, &tooLargeError{limit: limit, size: -1}
				}
				if err == io.EOF {
					return buf, nil
				}
				if err != nil {
					return nil, err
				}
			}
		}
		next := make([]byte, len(buf), min(2*int64(cap(buf)), limit))
		copy(next, buf)
		buf = next
	}
}

// readErrorBody reads the first maxErrorBody bytes of an error response.
// A read error keeps what came: an error body cut short is still worth
// reporting.
func readErrorBody(resp *http.Response) []byte {
	b, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	return b
}

// marshalBody encodes a request body. A map[string]any, what Members
// builds, is written directly, byte for byte as encoding/json writes it
// (keys sorted, the same escapes), without json.Marshal's reflection over
// the map; any other value goes through json.Marshal.
func marshalBody(v any) ([]byte, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return json.Marshal(v)
	}
	keys := make([]string, 0, len(m))
	size := 2
	for k, x := range m {
		keys = append(keys, k)
		size += len(k) + 4
		if s, ok := x.(string); ok {
			size += len(s) + 2
		} else {
			size += 8
		}
	}
	slices.Sort(keys)
	buf := make([]byte, 0, size)
	buf = append(buf, '{')
	for i, k := range keys {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = appendJSONString(buf, k)
		buf = append(buf, ':')
		switch x := m[k].(type) {
		case string:
			buf = appendJSONString(buf, x)
		case bool:
			buf = strconv.AppendBool(buf, x)
		case int:
			buf = strconv.AppendInt(buf, int64(x), 10)
		case nil:
			buf = append(buf, "null"...)
		default:
			b, err := json.Marshal(x)
			if err != nil {
				return nil, err
			}
			buf = append(buf, b...)
		}
	}
	return append(buf, '}'), nil
}

// appendJSONString appends s as encoding/json encodes a string: when it
// holds only printable ASCII that needs no escape, as it is; otherwise
// through json.Marshal, whose escapes (HTML characters, control
// characters, invalid UTF-8, U+2028) are the reference.
func appendJSONString(buf []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			b, _ := json.Marshal(s)
			return append(buf, b...)
		}
	}
	buf = append(buf, '"')
	buf = append(buf, s...)
	return append(buf, '"')
}
