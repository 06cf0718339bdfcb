package odata

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strings"

	"github.com/b2bflow/d365"
)

// The reference decoders: what encoding/json reads from a page and from a
// record, written the plain way (a map of the members, exact names after
// unescaping, the last of repeated members winning). The scanner must give
// the same answers, or reject what they reject.

// refPage is the reference reading of a collection page: its records, its
// next link and its count.
type refPageResult struct {
	records  []json.RawMessage
	nextLink string
	count    *int64
}

func refPage(body []byte) (*refPageResult, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(body, &m); err != nil {
		return nil, err
	}
	if repeatsValue(body) {
		// A streamed page is refused when it holds value twice (see
		// stream.go): the first array's records would be handed out
		// before the second one replaces them.
		return nil, errRepeatedValue
	}
	v, ok := m["value"]
	if !ok || len(v) == 0 || v[0] != '[' {
		return nil, errors.New("the page has no value array")
	}
	p := &refPageResult{}
	if err := json.Unmarshal(v, &p.records); err != nil {
		return nil, err
	}
	if l, ok := m["@odata.nextLink"]; ok {
		if err := json.Unmarshal(l, &p.nextLink); err != nil {
			return nil, err
		}
	}
	if c, ok := m["@odata.count"]; ok {
		if err := json.Unmarshal(c, &p.count); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// repeatsValue reports whether the JSON object in body (valid JSON) has
// more than one top-level member named value, names compared after
// decoding, as encoding/json's tokenizer reads them.
func repeatsValue(body []byte) bool {
	d := json.NewDecoder(bytes.NewReader(body))
	if t, err := d.Token(); err != nil || t != json.Delim('{') {
		return false
	}
	n := 0
	for d.More() {
		t, err := d.Token()
		if err != nil {
			return false
		}
		if t == "value" {
			n++
		}
		var skip json.RawMessage
		if d.Decode(&skip) != nil {
			return false
		}
	}
	return n > 1
}

// scannedPage reads a page the way List does: through a pageStream, the
// body coming in pieces of chunk bytes (0: whole), so that records and
// names are cut at every place.
func scannedPage(body []byte) (*refPageResult, error) {
	return streamedPage(body, 0)
}

func streamedPage(body []byte, chunk int) (*refPageResult, error) {
	var r io.Reader = bytes.NewReader(body)
	if chunk > 0 {
		r = &chunkReader{b: body, n: chunk}
	}
	ps := newPageStream(r, 0)
	p := &refPageResult{}
	for raw := ps.next(); raw != nil; raw = ps.next() {
		p.records = append(p.records, append(json.RawMessage(nil), raw...))
	}
	next, count, err := ps.info()
	if err != nil {
		return nil, err
	}
	p.nextLink, p.count = next, count
	return p, nil
}

// chunkReader returns b at most n bytes a read.
type chunkReader struct {
	b []byte
	n int
}

func (r *chunkReader) Read(p []byte) (int, error) {
	if len(r.b) == 0 {
		return 0, io.EOF
	}
	k := copy(p[:min(len(p), r.n)], r.b)
	r.b = r.b[k:]
	return k, nil
}

// refAnnotations is the reference reading of a record's annotations: every
// member whose name holds an '@', except "@odata.bind" requests.
func refAnnotations(data []byte) (d365.Annotations, error) {
	var a d365.Annotations
	var m map[string]json.RawMessage
	if err := json.Unmarshal(data, &m); err != nil {
		return a, err
	}
	for k, v := range m {
		if strings.Contains(k, "@") && !strings.HasSuffix(k, "@odata.bind") {
			SetAnnotation(&a, k, v)
		}
	}
	return a, nil
}

// plainLead is annotatedLead without its UnmarshalJSON.
type plainLead annotatedLead

// refLead decodes a record into an annotatedLead the reference way.
func refLead(data []byte) (*annotatedLead, error) {
	var l annotatedLead
	if err := json.Unmarshal(data, (*plainLead)(&l)); err != nil {
		return nil, err
	}
	a, err := refAnnotations(data)
	if err != nil {
		return nil, err
	}
	l.Annotations = a
	return &l, nil
}

// scannedLead decodes a record with DecodeRecord, as every typed record of
// the SDK does.
func scannedLead(data []byte) (*annotatedLead, error) {
	var l annotatedLead
	if err := unmarshal(data, &l); err != nil {
		return nil, err
	}
	return &l, nil
}

// customLead is a record type with a lazy custom field, as the sales
// types have.
type customLead struct {
	d365.Annotations
	ID     string       `json:"leadid"`
	Status int          `json:"statuscode"`
	Custom d365.Columns `json:"-" d365:"custom"`
}

type plainCustomLead customLead

func (l *customLead) UnmarshalJSON(b []byte) error {
	return DecodeRecord(b, (*plainCustomLead)(l), &l.Annotations)
}

// customView is what a caller sees of a customLead.
type customView struct {
	ID     string
	Status int
	Ann    d365.Annotations
	Custom map[string]any
}

// refCustomLead decodes a record into a customView the reference way: the
// custom columns are the members that are no annotation and whose name, in
// lower case, is no field's json name, decoded with UseNumber.
func refCustomLead(data []byte) (*customView, error) {
	var l plainCustomLead
	if err := json.Unmarshal(data, &l); err != nil {
		return nil, err
	}
	a, err := refAnnotations(data)
	if err != nil {
		return nil, err
	}
	v := &customView{ID: l.ID, Status: l.Status, Ann: a}
	d := json.NewDecoder(bytes.NewReader(data))
	d.UseNumber()
	var m map[string]any
	if err := d.Decode(&m); err != nil {
		return nil, err
	}
	for k, x := range m {
		if strings.Contains(k, "@") || strings.ToLower(k) == "leadid" || strings.ToLower(k) == "statuscode" {
			continue
		}
		if v.Custom == nil {
			v.Custom = map[string]any{}
		}
		v.Custom[k] = x
	}
	return v, nil
}

func scannedCustomLead(data []byte) (*customView, error) {
	var l customLead
	if err := unmarshal(data, &l); err != nil {
		return nil, err
	}
	return &customView{ID: l.ID, Status: l.Status, Ann: l.Annotations, Custom: l.Custom.Map()}, nil
}
