// Package multipart is the codec of OData $batch bodies (multipart/mixed,
// as the Dataverse Web API uses them): [Parse] reads a request body into
// single requests and change sets, and [Writer] writes the answer.
//
// It knows nothing of the services: a request's target, headers and body
// are returned as they are, and the errors are plain errors whose text the
// caller sends (Dataverse answers them 400 with code 0x80048d19).
// Content-Transfer-Encoding other than binary is not decoded.
package multipart

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"sort"
	"strings"

	"github.com/google/uuid"
)

// Request is one application/http part of a $batch request.
type Request struct {
	// ContentID is the part's Content-ID, "" when it has none.
	ContentID string
	// Method is the request method, upper case.
	Method string
	// Target is the request target as written: absolute, relative to the
	// service root, or a $<Content-ID> reference.
	Target string
	// Header holds the request's headers.
	Header http.Header
	// Body is the request body, trailing white space removed.
	Body []byte
}

// Part is a single request or a change set.
type Part struct {
	// Request is the single request; nil for a change set.
	Request *Request
	// ChangeSet holds the requests of a change set.
	ChangeSet []*Request
}

// Parse reads a $batch body whose Content-Type is contentType. It returns
// the parts and the number of requests in all.
func Parse(contentType string, body []byte) ([]Part, int, error) {
	boundary, err := boundaryOf(contentType)
	if err != nil {
		return nil, 0, err
	}
	mr := multipart.NewReader(bytes.NewReader(body), boundary)
	var parts []Part
	n := 0
	for {
		p, err := mr.NextRawPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, 0, errorf("The $batch body is not valid multipart/mixed content: %v", err)
		}
		data, err := io.ReadAll(p)
		if err != nil {
			return nil, 0, errorf("The $batch body is not valid multipart/mixed content: %v", err)
		}
		pct := p.Header.Get("Content-Type")
		if isMultipart(pct) {
			reqs, err := parseChangeSet(pct, data, len(parts)+1)
			if err != nil {
				return nil, 0, err
			}
			n += len(reqs)
			parts = append(parts, Part{ChangeSet: reqs})
			continue
		}
		br, err := parseRequest(pct, p.Header.Get("Content-ID"), data)
		if err != nil {
			return nil, 0, errorf("Batch part %d: %v", len(parts)+1, err)
		}
		n++
		parts = append(parts, Part{Request: br})
	}
	if len(parts) == 0 {
		return nil, 0, errorf("The $batch request holds no parts (boundary %q).", boundary)
	}
	return parts, n, nil
}

func parseChangeSet(ct string, data []byte, index int) ([]*Request, error) {
	boundary, err := boundaryOf(ct)
	if err != nil {
		return nil, errorf("Batch part %d: %v", index, err)
	}
	mr := multipart.NewReader(bytes.NewReader(data), boundary)
	var reqs []*Request
	seen := map[string]bool{}
	for {
		p, err := mr.NextRawPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, errorf("Batch part %d: the change set is not valid multipart/mixed content: %v", index, err)
		}
		b, err := io.ReadAll(p)
		if err != nil {
			return nil, errorf("Batch part %d: the change set is not valid multipart/mixed content: %v", index, err)
		}
		pct := p.Header.Get("Content-Type")
		if isMultipart(pct) {
			return nil, errorf("Batch part %d: change sets cannot be nested.", index)
		}
		cid := strings.TrimSpace(p.Header.Get("Content-ID"))
		br, err := parseRequest(pct, cid, b)
		if err != nil {
			return nil, errorf("Batch part %d, change set request %d: %v", index, len(reqs)+1, err)
		}
		if br.Method == http.MethodGet {
			return nil, errorf("Batch part %d, change set request %d: a GET request is not allowed inside a change set.", index, len(reqs)+1)
		}
		if cid != "" {
			if seen[cid] {
				return nil, errorf("Batch part %d: the Content-ID '%s' is repeated in the change set.", index, cid)
			}
			seen[cid] = true
		}
		reqs = append(reqs, br)
	}
	if len(reqs) == 0 {
		return nil, errorf("Batch part %d: the change set is empty.", index)
	}
	return reqs, nil
}

func isMultipart(ct string) bool {
	return strings.HasPrefix(strings.ToLower(strings.TrimSpace(ct)), "multipart/")
}

func boundaryOf(ct string) (string, error) {
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil || mt != "multipart/mixed" || params["boundary"] == "" {
		return "", errorf("The Content-Type '%s' is not multipart/mixed with a boundary.", ct)
	}
	return params["boundary"], nil
}

// parseRequest reads an application/http part: a request line, headers
// and a body.
func parseRequest(ct, contentID string, data []byte) (*Request, error) {
	if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "application/http" {
		return nil, errorf("the part's Content-Type '%s' is not application/http.", ct)
	}
	data = bytes.TrimLeft(data, "\r\n")
	if !bytes.Contains(data, []byte("\r\n\r\n")) && !bytes.Contains(data, []byte("\n\n")) {
		// The multipart delimiter took the blank line after the headers.
		data = append(bytes.TrimRight(data, "\r\n"), "\r\n\r\n"...)
	}
	tp := textproto.NewReader(bufio.NewReader(bytes.NewReader(data)))
	line, err := tp.ReadLine()
	if err != nil {
		return nil, errorf("no request line: %v", err)
	}
	f := strings.Fields(line)
	if len(f) < 2 || len(f) > 3 || (len(f) == 3 && !strings.HasPrefix(f[2], "HTTP/")) {
		return nil, errorf("the request line '%s' is not valid.", line)
	}
	method := strings.ToUpper(f[0])
	switch method {
	case http.MethodGet, http.MethodPost, http.MethodPatch, http.MethodPut, http.MethodDelete:
	default:
		return nil, errorf("the method '%s' is not supported in a batch.", f[0])
	}
	mh, err := tp.ReadMIMEHeader()
	if err != nil && err != io.EOF {
		return nil, errorf("the request headers are not valid: %v", err)
	}
	body, _ := io.ReadAll(tp.R)
	return &Request{
		ContentID: contentID,
		Method:    method,
		Target:    f[1],
		Header:    http.Header(mh),
		Body:      bytes.TrimRight(body, "\r\n\t "),
	}, nil
}

// Response is the answer to one request of a batch.
type Response struct {
	// Status is the status code.
	Status int
	// Header holds the response headers, written in key order.
	Header http.Header
	// Body is the response body.
	Body []byte
	// ContentID is echoed as the part's Content-ID when not "".
	ContentID string
}

// Writer writes a $batch answer: parts, change sets, then Close. CRLF line
// endings throughout.
type Writer struct {
	buf      bytes.Buffer
	boundary string
}

// NewWriter starts an answer with the boundary batchresponse_<uuid>.
func NewWriter() *Writer { return &Writer{boundary: "batchresponse_" + uuid.NewString()} }

// ContentType is the Content-Type of the answer.
func (w *Writer) ContentType() string { return "multipart/mixed; boundary=" + w.boundary }

// WriteResponse writes one application/http answer part.
func (w *Writer) WriteResponse(r Response) {
	fmt.Fprintf(&w.buf, "--%s\r\n", w.boundary)
	writePart(&w.buf, r)
}

// WriteChangeSet writes the answers of a change set as one nested
// multipart/mixed part, boundary changesetresponse_<uuid>.
func (w *Writer) WriteChangeSet(rs []Response) {
	cs := "changesetresponse_" + uuid.NewString()
	fmt.Fprintf(&w.buf, "--%s\r\nContent-Type: multipart/mixed; boundary=%s\r\n\r\n", w.boundary, cs)
	for _, r := range rs {
		fmt.Fprintf(&w.buf, "--%s\r\n", cs)
		writePart(&w.buf, r)
	}
	fmt.Fprintf(&w.buf, "--%s--\r\n", cs)
}

// Close writes the closing delimiter and returns the whole answer.
func (w *Writer) Close() []byte {
	fmt.Fprintf(&w.buf, "--%s--\r\n", w.boundary)
	return w.buf.Bytes()
}

// writePart writes one application/http answer part (after its delimiter
// line).
func writePart(buf *bytes.Buffer, r Response) {
	buf.WriteString("Content-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n")
	if r.ContentID != "" {
		fmt.Fprintf(buf, "Content-ID: %s\r\n", r.ContentID)
	}
	fmt.Fprintf(buf, "\r\nHTTP/1.1 %d %s\r\n", r.Status, http.StatusText(r.Status))
	keys := make([]string, 0, len(r.Header))
	for k := range r.Header {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		for _, v := range r.Header[k] {
			fmt.Fprintf(buf, "%s: %s\r\n", k, v)
		}
	}
	buf.WriteString("\r\n")
	buf.Write(bytes.TrimRight(r.Body, "\r\n"))
	buf.WriteString("\r\n")
}

// Error is a malformed $batch body. Its text is written for the client,
// in the words Dataverse uses.
type Error struct{ Message string }

// Error returns the message.
func (e *Error) Error() string { return e.Message }

func errorf(format string, args ...any) error { return &Error{Message: fmt.Sprintf(format, args...)} }
