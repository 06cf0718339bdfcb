package odata

import (
	"encoding/json"
	"errors"
	"io"
)

// Reading a collection page as it arrives: pageStream reads the page's JSON
// object from the response body through a buffer that holds one record at
// a time (it grows to the largest record, never to the page), checking the
// text as encoding/json would (validEnd, validStringEnd) and handing out
// the records of its value array one by one. The members around the array
// (@odata.nextLink, @odata.count, anything else) are read and checked too,
// in whichever order they come.
//
// What it reads is what encoding/json reads of the page (scan_test.go and
// the fuzz targets compare the two), with one difference that streaming
// imposes: a page that holds its value member twice is refused (a map
// keeps the last one, but the first one's records are handed out before
// the second one is seen). Text after the records that encoding/json
// rejects ends the page with an error after its records were read.

// streamChunk is how much is read from the body at a time, and the
// buffer's first size.
const streamChunk = 64 << 10

// errRepeatedValue is the error of a page with two value members.
var errRepeatedValue = errors.New("the page holds its value member twice")

// errNoValue is the error of a page without a value array.
var errNoValue = errors.New("the page has no value array")

// pageStream reads one collection page from r.
type pageStream struct {
	r          io.Reader
	buf        []byte
	start, end int   // the unread bytes are buf[start:end]
	eof        bool  // r returned io.EOF
	read       int64 // bytes read from r
	limit      int64 // most bytes to read from r; 0: no limit

	state    int // where the reader is: streamStart, streamRecords, streamDone
	sawValue bool
	nextRaw  []byte // the last @odata.nextLink member's value
	countRaw []byte // the last @odata.count member's value

	// err is the error that ended the page: ioErr when reading the body
	// failed (a transport failure, or the body is over the limit),
	// otherwise a malformed page.
	err, ioErr error
}

const (
	streamStart = iota
	streamRecords
	streamDone
)

// newPageStream reads a page from r, failing with a *tooLargeError past
// limit bytes (0: no limit).
func newPageStream(r io.Reader, limit int64) *pageStream {
	return &pageStream{r: r, limit: limit}
}

// fill reads more of the body after the unread bytes, moving them to the
// front of the buffer or growing it when it is full. It returns false at
// the end of the body or on an error (then in p.err).
func (p *pageStream) fill() bool {
	if p.eof || p.err != nil {
		return false
	}
	if p.start > 0 && (p.end == len(p.buf) || p.start >= len(p.buf)/2) {
		p.end = copy(p.buf, p.buf[p.start:p.end])
		p.start = 0
	}
	if p.end == len(p.buf) {
		size := max(2*len(p.buf), streamChunk)
		nb := make([]byte, size)
		p.end = copy(nb, p.buf[p.start:p.end])
		p.start = 0
		p.buf = nb
	}
	want := len(p.buf) - p.end
	if p.limit > 0 {
		// Read one byte past the limit, to tell a body of exactly the
		// limit from a longer one.
		want = int(min(int64(want), p.limit-p.read+1))
	}
	n, err := p.r.Read(p.buf[p.end : p.end+want])
	p.end += n
	p.read += int64(n)
	if p.limit > 0 && p.read > p.limit {
		p.fail(&tooLargeError{limit: p.limit, size: -1}, true)
		return false
	}
	switch {
	case err == io.EOF:
		p.eof = true
	case err != nil:
		p.fail(err, true)
		return false
	}
	return n > 0 || !p.eof
}

func (p *pageStream) fail(err error, isIO bool) {
	if p.err == nil {
		p.err = err
		if isIO {
			p.ioErr = err
		}
	}
	p.state = streamDone
}

// skipWS skips spaces, reading on as needed, and reports whether a byte
// follows.
func (p *pageStream) skipWS() bool {
	for {
		p.start = skipWS(p.buf[:p.end], p.start)
		if p.start < p.end {
			return true
		}
		if !p.fill() {
			return false
		}
	}
}

// valueSpan returns the index just after the value that starts at
// buf[start], reading on until the whole value is in the buffer, or -1 when
// the body ends first (or fails). It finds the boundary only: validEnd
// checks the value.
func (p *pageStream) valueSpan() int {
	var depth int
	var inStr, esc bool
	scalar := false
	i := p.start
	switch p.buf[i] {
	case '"':
		inStr = true
		i++
	case '{', '[':
		depth = 1
		i++
	default:
		scalar = true
	}
	for {
		// i is relative to the buffer, which fill may move: keep it as
		// an offset from start across fills.
		for ; i < p.end; i++ {
			c := p.buf[i]
			switch {
			case scalar:
				switch c {
				case ',', '}', ']', ' ', '\t', '\n', '\r', ':', '"', '{', '[':
					return i
				}
			case inStr:
				switch {
				case esc:
					esc = false
				case c == '\\':
					esc = true
				case c == '"':
					inStr = false
					if depth == 0 {
						return i + 1
					}
				}
			default:
				switch c {
				case '"':
					inStr = true
				case '{', '[':
					depth++
				case '}', ']':
					depth--
					if depth == 0 {
						return i + 1
					}
				}
			}
		}
		off := i - p.start
		if !p.fill() {
			if scalar && p.err == nil && p.eof {
				return p.end
			}
			return -1
		}
		i = p.start + off
	}
}

// value returns the next whole value, checked at the given depth, or nil
// (with p.err set).
func (p *pageStream) value(depth int) []byte {
	end := p.valueSpan()
	if end < 0 {
		p.fail(errScan, false)
		return nil
	}
	v := p.buf[p.start:end]
	if validEnd(v, 0, depth) != len(v) {
		p.fail(errScan, false)
		return nil
	}
	p.start = end
	return v
}

// expect consumes the byte c after optional spaces.
func (p *pageStream) expect(c byte) bool {
	if !p.skipWS() || p.buf[p.start] != c {
		p.fail(errScan, false)
		return false
	}
	p.start++
	return true
}

// next returns the text of the page's next record, valid until the next
// call, or nil after the last one or on an error (see p.err).
func (p *pageStream) next() []byte {
	switch p.state {
	case streamStart:
		if !p.expect('{') || !p.members(true) {
			return nil
		}
		// members stopped at the value array's '['.
		if !p.skipWS() {
			p.fail(errScan, false)
			return nil
		}
		if p.buf[p.start] == ']' {
			p.start++
			p.afterValue()
			return nil
		}
		p.state = streamRecords
		return p.value(2)
	case streamRecords:
		if !p.skipWS() {
			p.fail(errScan, false)
			return nil
		}
		switch p.buf[p.start] {
		case ',':
			p.start++
			if !p.skipWS() {
				p.fail(errScan, false)
				return nil
			}
			return p.value(2)
		case ']':
			p.start++
			p.afterValue()
			return nil
		}
		p.fail(errScan, false)
	}
	return nil
}

// afterValue reads the members after the value array and the end of the
// page.
func (p *pageStream) afterValue() {
	p.state = streamDone
	if !p.skipWS() {
		p.fail(errScan, false)
		return
	}
	switch p.buf[p.start] {
	case ',':
		p.start++
		if !p.skipWS() {
			p.fail(errScan, false)
			return
		}
		if !p.members(false) {
			return
		}
	case '}':
		p.start++
	default:
		p.fail(errScan, false)
		return
	}
	p.end0()
}

// members reads members up to the value array (untilValue: stopping after
// its '[') or to the end of the object (consuming the '}'). The first
// member's quote is next. It reports false on an error, or, when
// untilValue, at the end of an object without a value array.
func (p *pageStream) members(untilValue bool) bool {
	if untilValue {
		if !p.skipWS() {
			p.fail(errScan, false)
			return false
		}
		if p.buf[p.start] == '}' {
			p.start++
			p.end0()
			return false
		}
	}
	for {
		if !p.skipWS() || p.buf[p.start] != '"' {
			p.fail(errScan, false)
			return false
		}
		end := p.valueSpan()
		if end < 0 {
			p.fail(errScan, false)
			return false
		}
		nameEnd, esc := validStringEnd(p.buf[:end], p.start)
		if nameEnd != end {
			p.fail(errScan, false)
			return false
		}
		name := string(decodeName(p.buf[p.start+1:end-1], esc))
		p.start = end
		if !p.expect(':') || !p.skipWS() {
			p.fail(errScan, false)
			return false
		}
		if name == "value" {
			if p.sawValue {
				p.fail(errRepeatedValue, false)
				return false
			}
			p.sawValue = true
			if p.buf[p.start] != '[' {
				p.fail(errNoValue, false)
				return false
			}
			if !untilValue {
				// Not reached: the value array is read first.
				p.fail(errRepeatedValue, false)
				return false
			}
			p.start++
			return true
		}
		v := p.value(1)
		if v == nil {
			return false
		}
		switch name {
		case "@odata.nextLink":
			p.nextRaw = append(p.nextRaw[:0], v...)
		case "@odata.count":
			p.countRaw = append(p.countRaw[:0], v...)
		}
		if !p.skipWS() {
			p.fail(errScan, false)
			return false
		}
		switch p.buf[p.start] {
		case ',':
			p.start++
		case '}':
			p.start++
			if untilValue {
				p.end0()
				return false
			}
			return true
		default:
			p.fail(errScan, false)
			return false
		}
	}
}

// end0 checks that only spaces follow the page's object, and that it had a
// value array.
func (p *pageStream) end0() {
	p.state = streamDone
	if p.skipWS() {
		p.fail(errScan, false)
		return
	}
	if p.err != nil {
		return
	}
	if !p.sawValue {
		p.fail(errNoValue, false)
	}
}

// info returns the page's next link and count, once the page was read to
// its end: the error of the page, if any.
func (p *pageStream) info() (nextLink string, count *int64, err error) {
	if p.state != streamDone {
		// The caller stopped early: the rest is not read.
		return "", nil, p.err
	}
	if p.err != nil {
		return "", nil, p.err
	}
	if p.nextRaw != nil {
		if err := json.Unmarshal(p.nextRaw, &nextLink); err != nil {
			return "", nil, err
		}
	}
	if p.countRaw != nil {
		if err := json.Unmarshal(p.countRaw, &count); err != nil {
			return "", nil, err
		}
	}
	return nextLink, count, nil
}
