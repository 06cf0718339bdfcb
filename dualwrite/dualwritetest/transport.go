package dualwritetest

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"
)

// This file is the in-memory transport: the emulator's handlers called in
// the caller's goroutine with the request and response net/http would
// have carried, without a socket or the HTTP/1.1 codec.

// Client returns an HTTP client that carries requests for SalesURL,
// CommerceURL and TokenURL to the emulator in memory, as httptest's
// Server.Client returns one configured for its server. Give it to the SDK:
//
//	sc, err := sales.NewClient(srv.SalesURL, srv.Credential(),
//		&sales.Options{ClientOptions: d365.ClientOptions{HTTPClient: srv.Client()}})
//
// The requests run through the same pipeline as over HTTP (authentication,
// faults, limits, the request log, the handlers, every strictness rule),
// only without the loopback connection and the HTTP/1.1 encoding, which
// cost most of a request's CPU: a suite runs faster, with the same
// answers. See [Server.Transport] for what is the same and what differs.
// Each call returns a new client; SalesURL and CommerceURL stay real
// servers for other programs.
func (s *Server) Client() *http.Client { return &http.Client{Transport: s.Transport()} }

// Transport returns the [http.RoundTripper] of [Server.Client], to put in
// a client of your own (with its Timeout, CheckRedirect or Jar) or under a
// wrapping transport. It is safe for concurrent use.
//
// A request whose URL has the scheme and host of SalesURL or CommerceURL
// (TokenURL is on SalesURL's host) is handled in the calling goroutine:
// the handler sees the *http.Request net/http's server would give it (a
// RequestURI, a URL with only the path and query, Host, Proto HTTP/1.1,
// RemoteAddr, ContentLength, the headers net/http's client adds such as
// User-Agent, a body readable once) with the caller's context, and the
// caller gets the *http.Response net/http's client would (Status text,
// Proto, the server's Date, Content-Length or chunked
// Transfer-Encoding, a sniffed Content-Type when a handler sets none,
// no body for HEAD, 204 and 304). The caller's request is not modified,
// and its body is read whole and closed before the handler runs, as a
// client writes a request before the server answers. A body shorter or
// longer than its ContentLength, a header net/http's client refuses, or
// a nil URL or Header fail as they do with net/http's client, before the
// handler runs.
//
// Failures come out as they do over HTTP, so the SDK's retry rules treat
// them alike: a dropped connection or a lost answer ([FaultDrop],
// [FaultLoseResponse], or a handler panicking with [http.ErrAbortHandler])
// is the error [io.EOF] (net/http's client says "EOF"; another panic is
// logged, as net/http's server logs it, and its error wraps io.EOF too);
// a request whose context is done before the call fails with the
// context's cause, as net/http's transport does, and so does one whose
// context ends while the handler runs (the handler runs to its end, as a
// server acts on a request it has received; its answer is dropped). The
// answer's body is in memory, so reading it does not wait nor fail with the
// context. After [Server.Close] a request fails with the dial error
// net/http gives ("connect: connection refused").
//
// One difference is on purpose: net/http's transport sends an idempotent
// request (a GET, say) again by itself when a kept-alive connection it
// reused is closed without an answer, so over HTTP a dropped GET may
// never reach the caller; the in-memory transport behaves like a fresh
// connection every time, so each dropped request reaches the caller's own
// retry rules. The emulator's request log is the same either way.
//
// A request for any other host fails, without being sent anywhere, with
// an error naming the host (the emulator never talks to the internet);
// the error has a method Permanent() bool that reports true, which the
// SDK's retry rules read as "do not try again".
func (s *Server) Transport() http.RoundTripper {
	return &memTransport{s: s, sales: hostOf(s.SalesURL), commerce: hostOf(s.CommerceURL)}
}

// hostOf returns the host (host:port) of a server URL.
func hostOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	return u.Host
}

// memTransport is the transport of Server.Transport.
type memTransport struct {
	s               *Server
	sales, commerce string // hosts, as in SalesURL and CommerceURL
}

// memRemoteAddr is the RemoteAddr of requests carried in memory: a
// loopback address, as the client of the loopback servers has.
const memRemoteAddr = "127.0.0.1:0"

// RoundTrip hands the request to the emulator's handler for its host.
func (t *memTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL == nil {
		closeBody(req)
		return nil, errors.New("http: nil Request.URL")
	}
	if req.Header == nil {
		closeBody(req)
		return nil, errors.New("http: nil Request.Header")
	}
	var h http.HandlerFunc
	if strings.EqualFold(req.URL.Scheme, "http") {
		switch {
		case t.sales != "" && strings.EqualFold(req.URL.Host, t.sales):
			h = t.s.serveSales
		case t.commerce != "" && strings.EqualFold(req.URL.Host, t.commerce):
			h = t.s.serveCommerce
		}
	}
	if h == nil {
		closeBody(req)
		return nil, &foreignHostError{url: req.URL.Scheme + "://" + req.URL.Host, sales: t.s.SalesURL, commerce: t.s.CommerceURL}
	}
	if t.s.closed.Load() {
		closeBody(req)
		return nil, refused(req.URL.Host)
	}
	return roundTrip(req, h)
}

// CloseIdleConnections does nothing: there are no connections.
func (t *memTransport) CloseIdleConnections() {}

// foreignHostError is the error of a request for a host other than the
// emulator's.
type foreignHostError struct{ url, sales, commerce string }

func (e *foreignHostError) Error() string {
	return fmt.Sprintf("dualwritetest: the in-memory transport carries requests to the emulator only (Sales %s, Commerce %s), not to %s",
		e.sales, e.commerce, e.url)
}

// Permanent reports true: sending the request again cannot reach the
// host either.
func (e *foreignHostError) Permanent() bool { return true }

// refused is the error net/http's client gives for a server that no
// longer listens.
func refused(host string) error {
	var addr net.Addr
	if ap, err := netip.ParseAddrPort(host); err == nil {
		addr = net.TCPAddrFromAddrPort(ap)
	}
	return &net.OpError{Op: "dial", Net: "tcp", Addr: addr, Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}
}

func closeBody(req *http.Request) {
	if req.Body != nil {
		req.Body.Close()
	}
}

// roundTrip carries req to h in memory: the request net/http's server
// would build, the handler in this goroutine, then the response net/http's
// client would build.
func roundTrip(req *http.Request, h http.Handler) (*http.Response, error) {
	ctx := req.Context()
	if ctx.Err() != nil {
		closeBody(req)
		return nil, context.Cause(ctx)
	}
	sr, err := serverRequest(req)
	if err != nil {
		return nil, err
	}
	w := &memWriter{header: http.Header{}, head: sr.Method == http.MethodHead}
	if err := serveRecovered(w, sr, h); err != nil {
		return nil, err
	}
	if w.hijacked {
		return nil, io.EOF
	}
	if ctx.Err() != nil {
		return nil, context.Cause(ctx)
	}
	return w.response(req), nil
}

// serveRecovered runs the handler, turning a panic into the error a client
// sees when net/http's server recovers it: the connection closes unanswered.
func serveRecovered(w *memWriter, r *http.Request, h http.Handler) (err error) {
	defer func() {
		p := recover()
		if p == nil {
			return
		}
		if p == http.ErrAbortHandler {
			err = io.EOF
			return
		}
		buf := make([]byte, 64<<10)
		buf = buf[:runtime.Stack(buf, false)]
		log.Printf("dualwritetest: panic serving %s %s in memory: %v\n%s", r.Method, r.RequestURI, p, buf)
		err = &panicError{value: p}
	}()
	h.ServeHTTP(w, r)
	return nil
}

// panicError is the error of a request whose handler panicked: over HTTP
// the server closes the connection, and the client reads io.EOF.
type panicError struct{ value any }

func (e *panicError) Error() string {
	return fmt.Sprintf("EOF (the emulator's handler panicked: %v)", e.value)
}

func (e *panicError) Unwrap() error { return io.EOF }

// serverRequest builds the request net/http's server would hand a handler
// for req, after net/http's client wrote it: the caller's body is read
// whole and closed.
func serverRequest(req *http.Request) (*http.Request, error) {
	method := req.Method
	if method == "" {
		method = http.MethodGet
	}
	if err := validHeader(req.Header); err != nil {
		closeBody(req)
		return nil, err
	}
	body, length, chunked, err := readRequestBody(req)
	if err != nil {
		return nil, err
	}
	uri := req.URL.RequestURI()
	u, err := url.ParseRequestURI(uri)
	if err != nil {
		return nil, err
	}
	host := req.Host
	if host == "" {
		host = req.URL.Host
	}
	// The values share one array, as http.Header.Clone's do.
	nv := 0
	for _, vs := range req.Header {
		nv += len(vs)
	}
	values := make([]string, nv)
	hdr := make(http.Header, len(req.Header)+3)
	for k, vs := range req.Header {
		switch k = http.CanonicalHeaderKey(k); k {
		case "Host", "User-Agent", "Content-Length", "Transfer-Encoding", "Trailer":
			continue
		}
		if prev := hdr[k]; prev != nil { // two keys that canonicalize alike
			hdr[k] = append(prev, vs...)
			continue
		}
		n := copy(values, vs)
		hdr[k] = values[:n:n]
		values = values[n:]
	}
	ua := defaultUserAgent
	if vs, ok := req.Header["User-Agent"]; ok {
		ua = ""
		if len(vs) > 0 {
			ua = vs[0]
		}
	}
	if ua != "" {
		hdr["User-Agent"] = []string{ua}
	}
	if method != http.MethodHead && req.Header.Get("Accept-Encoding") == "" && req.Header.Get("Range") == "" {
		hdr["Accept-Encoding"] = gzipValue
	}
	closing := hasToken(hdr["Connection"], "close")
	if req.Close && !closing {
		hdr["Connection"] = append(hdr["Connection"], "close")
	}
	sr := &http.Request{
		Method:        method,
		URL:           u,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        hdr,
		Host:          host,
		RemoteAddr:    memRemoteAddr,
		RequestURI:    uri,
		Close:         req.Close || closing,
		ContentLength: int64(len(body)),
		Body:          http.NoBody,
	}
	switch {
	case chunked:
		sr.ContentLength = -1
		sr.TransferEncoding = chunkedValue
	case length > 0 || method == http.MethodPost || method == http.MethodPut || method == http.MethodPatch:
		hdr["Content-Length"] = []string{strconv.Itoa(len(body))}
	}
	if len(body) > 0 {
		sr.Body = io.NopCloser(bytes.NewReader(body))
	} else if chunked {
		sr.Body = io.NopCloser(bytes.NewReader(nil))
	}
	return sr.WithContext(req.Context()), nil
}

// hasToken reports whether a comma-separated header holds token, ignoring
// case.
func hasToken(vs []string, token string) bool {
	for _, v := range vs {
		for _, t := range strings.Split(v, ",") {
			if strings.EqualFold(strings.TrimSpace(t), token) {
				return true
			}
		}
	}
	return false
}

// The values net/http's client adds to a request, and its chunked
// encoding.
var (
	gzipValue    = []string{"gzip"}
	chunkedValue = []string{"chunked"}
)

const defaultUserAgent = "Go-http-client/1.1"

// readRequestBody reads and closes req's body as net/http's client sends
// it: with a ContentLength, exactly that many bytes (else the client's
// error); without one (zero, with a body that is not http.NoBody, or -1),
// chunked.
func readRequestBody(req *http.Request) (body []byte, length int64, chunked bool, err error) {
	if req.Body == nil || req.Body == http.NoBody {
		if req.ContentLength > 0 {
			return nil, 0, false, fmt.Errorf("http: Request.ContentLength=%d with nil Body", req.ContentLength)
		}
		return nil, 0, false, nil
	}
	defer req.Body.Close()
	length = req.ContentLength
	if length <= 0 {
		body, err = io.ReadAll(req.Body)
		return body, -1, true, err
	}
	buf := make([]byte, length+1)
	body = buf[:length]
	n, err := io.ReadFull(req.Body, body)
	switch {
	case err == io.ErrUnexpectedEOF || err == io.EOF:
		return nil, 0, false, fmt.Errorf("http: ContentLength=%d with Body length %d", length, n)
	case err != nil:
		return nil, 0, false, err
	}
	// One byte more means the body is longer than it says.
	if m, _ := io.ReadFull(req.Body, buf[length:]); m > 0 {
		rest, _ := io.Copy(io.Discard, req.Body)
		return nil, 0, false, fmt.Errorf("http: ContentLength=%d with Body length %d", length, length+1+rest)
	}
	return body, length, false, nil
}

// validHeader refuses what net/http's client refuses to send: a header
// name that is not a token, a value with a control character other than
// a tab.
func validHeader(h http.Header) error {
	for k, vs := range h {
		if !validHeaderName(k) {
			return fmt.Errorf("net/http: invalid header field name %q", k)
		}
		for _, v := range vs {
			for i := 0; i < len(v); i++ {
				if c := v[i]; (c < ' ' && c != '\t') || c == 0x7f {
					return fmt.Errorf("net/http: invalid header field value for %q", k)
				}
			}
		}
	}
	return nil
}

func validHeaderName(k string) bool {
	if k == "" {
		return false
	}
	for i := 0; i < len(k); i++ {
		c := k[i]
		if c >= 0x80 || c <= ' ' || strings.IndexByte(`"(),/:;<=>?@[\]{}`, c) >= 0 || c == 0x7f {
			return false
		}
	}
	return true
}

// memWriter is the http.ResponseWriter of a request carried in memory. It
// keeps what net/http's server would send: the status, a copy of the
// headers taken at WriteHeader, and the body.
type memWriter struct {
	header      http.Header // the handler's
	sent        http.Header // as of WriteHeader
	status      int
	wroteHeader bool
	flushed     bool
	hijacked    bool
	head        bool // a HEAD request: writes are eaten
	body        []byte
}

func (w *memWriter) Header() http.Header { return w.header }

// WriteHeader records the status and the headers as they are now; later
// changes to the header map have no effect, as with net/http.
func (w *memWriter) WriteHeader(code int) {
	if w.hijacked || w.wroteHeader {
		return
	}
	if code < 100 || code > 999 {
		panic(fmt.Sprintf("invalid WriteHeader code %v", code))
	}
	if code >= 100 && code <= 199 && code != http.StatusSwitchingProtocols {
		return // an informational answer; the client skips it
	}
	w.wroteHeader = true
	w.status = code
	w.sent = w.header.Clone()
}

func (w *memWriter) Write(p []byte) (int, error) {
	if w.hijacked {
		return 0, http.ErrHijacked
	}
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	if !bodyAllowedForStatus(w.status) {
		return 0, http.ErrBodyNotAllowed
	}
	if w.body == nil {
		w.body = make([]byte, 0, len(p))
	}
	w.body = append(w.body, p...)
	return len(p), nil
}

// Flush sends the headers: the answer is then chunked unless it has a
// Content-Length, as with net/http.
func (w *memWriter) Flush() {
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	w.flushed = true
}

// Hijack hands over a connection whose Close is all there is: the caller
// of the round trip gets io.EOF, as a client whose connection was closed
// before an answer.
func (w *memWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	if w.hijacked {
		return nil, nil, http.ErrHijacked
	}
	w.hijacked = true
	c := &memConn{}
	return c, bufio.NewReadWriter(bufio.NewReader(c), bufio.NewWriter(c)), nil
}

// bufferBeforeChunking is how much of an answer net/http's server holds
// before it sends it chunked: an answer written whole within it, without
// a Content-Length of the handler's, gets one.
const bufferBeforeChunking = 2048

// response builds the response net/http's client reads from what the
// handler wrote.
func (w *memWriter) response(req *http.Request) *http.Response {
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	h := w.sent
	// A key without values counts for these two, as with net/http's
	// server, but is not sent.
	_, hasType := h["Content-Type"]
	_, hasDate := h["Date"]
	for k, vs := range h {
		if len(vs) == 0 {
			delete(h, k) // a key without values is not sent
		} else if ck := http.CanonicalHeaderKey(k); ck != k {
			h[ck] = append(h[ck], vs...)
			delete(h, k)
		}
	}
	code := w.status
	res := &http.Response{
		Status:     statusLine(code),
		StatusCode: code,
		Proto:      "HTTP/1.1",
		ProtoMajor: 1,
		ProtoMinor: 1,
		Header:     h,
		Body:       http.NoBody,
		Request:    req,
	}
	if !hasDate {
		h["Date"] = []string{time.Now().UTC().Format(http.TimeFormat)}
	}
	body := w.body
	if !bodyAllowedForStatus(code) {
		delete(h, "Content-Length")
		delete(h, "Transfer-Encoding")
		if code == http.StatusNotModified {
			delete(h, "Content-Type")
		}
		if w.head {
			res.ContentLength = -1 // a HEAD answer's length is its header's
		}
		return res
	}
	if !hasType && h.Get("Content-Encoding") == "" && len(body) > 0 {
		h["Content-Type"] = []string{http.DetectContentType(body[:min(len(body), 512)])}
	}
	declared := int64(-1)
	if cl := h.Get("Content-Length"); cl != "" {
		if n, err := strconv.ParseInt(strings.TrimSpace(cl), 10, 64); err == nil && n >= 0 {
			declared = n
		}
	}
	if declared < 0 && !w.flushed && len(body) <= bufferBeforeChunking && (!w.head || len(body) > 0) {
		declared = int64(len(body))
		h["Content-Length"] = []string{strconv.Itoa(len(body))}
	}
	if w.head {
		res.ContentLength = declared
		return res
	}
	res.ContentLength = declared
	if declared < 0 {
		delete(h, "Content-Length")
		res.TransferEncoding = chunkedValue
	}
	var tail error
	switch {
	case declared >= 0 && int64(len(body)) > declared:
		body = body[:declared] // the server refuses what goes past its Content-Length
	case declared > int64(len(body)):
		tail = io.ErrUnexpectedEOF // the server closes the connection short
	}
	if declared != 0 {
		res.Body = &memBody{r: bytes.NewReader(body), tail: tail}
	}
	return res
}

// statusLine is the Status net/http's client reads from the status line
// net/http's server writes.
func statusLine(code int) string {
	text := http.StatusText(code)
	if text == "" {
		text = "status code " + strconv.Itoa(code)
	}
	return strconv.Itoa(code) + " " + text
}

// bodyAllowedForStatus reports whether a response with this status may
// have a body (not 1xx, 204 or 304).
func bodyAllowedForStatus(code int) bool {
	switch {
	case code >= 100 && code <= 199:
		return false
	case code == http.StatusNoContent, code == http.StatusNotModified:
		return false
	}
	return true
}

// errBodyClosed is what net/http's client answers a read of a closed body.
var errBodyClosed = errors.New("http: read on closed response body")

// memBody is the body of a response carried in memory.
type memBody struct {
	r      *bytes.Reader
	tail   error // after the data, instead of io.EOF
	closed atomic.Bool
}

func (b *memBody) Read(p []byte) (int, error) {
	if b.closed.Load() {
		return 0, errBodyClosed
	}
	n, err := b.r.Read(p)
	if err == io.EOF && b.tail != nil {
		err = b.tail
	}
	return n, err
}

func (b *memBody) Close() error {
	b.closed.Store(true)
	return nil
}

// memConn is the connection a hijacking handler gets: closing it is all
// it does (the emulator only closes it, to drop a request).
type memConn struct{ closed atomic.Bool }

func (c *memConn) Read([]byte) (int, error) { return 0, io.EOF }
func (c *memConn) Write(p []byte) (int, error) {
	if c.closed.Load() {
		return 0, net.ErrClosed
	}
	return len(p), nil
}
func (c *memConn) Close() error                     { c.closed.Store(true); return nil }
func (c *memConn) LocalAddr() net.Addr              { return memAddr{} }
func (c *memConn) RemoteAddr() net.Addr             { return memAddr{} }
func (c *memConn) SetDeadline(time.Time) error      { return nil }
func (c *memConn) SetReadDeadline(time.Time) error  { return nil }
func (c *memConn) SetWriteDeadline(time.Time) error { return nil }

// memAddr is the address of a memConn.
type memAddr struct{}

func (memAddr) Network() string { return "memory" }
func (memAddr) String() string  { return "memory" }
