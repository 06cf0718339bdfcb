package odata

import (
	"encoding/json"
	"errors"
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

// scannedPage reads a page with the scanner the way List does.
func scannedPage(body []byte) (*refPageResult, error) {
	value, nextLink, err := scanPage(body)
	if err != nil {
		return nil, err
	}
	p := &refPageResult{nextLink: nextLink}
	// List does not read the count; read it here the same way, to check
	// that the scanner finds it.
	if err := pageMembers(body, func(name, v []byte) error {
		if string(name) == "@odata.count" {
			return json.Unmarshal(v, &p.count)
		}
		return nil
	}); err != nil {
		return nil, err
	}
	els := newElements(value)
	for raw := els.next(); raw != nil; raw = els.next() {
		p.records = append(p.records, raw)
	}
	if els.err != nil {
		return nil, els.err
	}
	return p, nil
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
