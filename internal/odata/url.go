package odata

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/b2bflow/d365"
	"github.com/b2bflow/d365/internal/syntax"
)

// ServiceURL validates the URL of a service given by a caller and returns it
// normalised: https (or http on a loopback host, for emulators and tests), no
// user information, query or fragment, and a path that ends with '/'. field
// names the argument in error messages.
func ServiceURL(field, raw string) (*url.URL, error) {
	if strings.TrimSpace(raw) == "" {
		return nil, d365.NewInputError("d365", field, "is empty: give the service URL, such as https://contoso.crm.dynamics.com")
	}
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return nil, d365.NewInputError("d365", field, "%q is not a URL: %v", raw, err)
	}
	if u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return nil, d365.NewInputError("d365", field, "%q is not an absolute http(s) URL", raw)
	}
	if u.Scheme == "http" && !syntax.IsLoopback(u.Hostname()) {
		return nil, d365.NewInputError("d365", field, "%q uses http: only https is allowed, except on a loopback address", raw)
	}
	if u.User != nil {
		return nil, d365.NewInputError("d365", field, "must not contain user information")
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return nil, d365.NewInputError("d365", field, "%q must not have a query or a fragment", raw)
	}
	u.Scheme = strings.ToLower(u.Scheme)
	u.Host = strings.ToLower(u.Host)
	if !strings.HasSuffix(u.Path, "/") {
		u.Path += "/"
		u.RawPath = ""
	}
	return u, nil
}

// Origin returns the scheme and host of u, such as
// "https://contoso.crm.dynamics.com": the token audience of a service.
func Origin(u *url.URL) string {
	return u.Scheme + "://" + u.Host
}

// KeyPart is one part of a record key: a name (empty for a single unnamed
// key, such as a Dataverse id) and a value formatted as an OData literal.
type KeyPart struct {
	Name  string
	Value any
}

// EntityPath returns the path segment addressing one record of an entity set,
// such as "leads(6f2e…)" or "Prospects(dataAreaId='usrt',ProspectId='P-1')",
// with every literal formatted and escaped so that no value can leave its
// segment: quotes are doubled, and '/', '?', '#', '%' and other characters
// that would change the URL are percent-encoded.
func EntityPath(set string, key ...KeyPart) (string, error) {
	if err := CheckName("entity set", set); err != nil {
		return "", err
	}
	if len(key) == 0 {
		return "", d365.NewInputError("d365", "the key of "+set, "is missing")
	}
	var b strings.Builder
	b.WriteString(set)
	b.WriteByte('(')
	for i, k := range key {
		if i > 0 {
			b.WriteByte(',')
		}
		if k.Name != "" {
			if err := CheckName("key name", k.Name); err != nil {
				return "", err
			}
			b.WriteString(k.Name)
			b.WriteByte('=')
		} else if len(key) > 1 {
			return "", d365.NewInputError("d365", "the compound key of "+set, "needs a name for each part")
		}
		lit, err := d365.FormatLiteral(k.Value)
		if err != nil {
			return "", err
		}
		if lit == "null" {
			return "", d365.NewInputError("d365", fmt.Sprintf("key %s of %s", k.Name, set), "is empty")
		}
		b.WriteString(EscapeSegment(lit))
	}
	b.WriteByte(')')
	return b.String(), nil
}

// EscapeSegment percent-encodes the characters of s that would end a path
// segment or change the URL's meaning ('/', '?', '#', '%', '\\', spaces,
// controls and non-ASCII bytes), keeping OData's punctuation readable.
func EscapeSegment(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c > ' ' && c < 0x7f && strings.IndexByte("/?#%\\\"<>`{}|^[]", c) < 0 {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	return b.String()
}

// CheckName returns an *d365.InputError unless name is a plain OData
// identifier (see syntax.IsName), as entity set, table, column and action
// names are. what names the kind of name in the message.
func CheckName(what, name string) error {
	switch {
	case name == "":
		return d365.NewInputError("d365", what+" name", "is empty")
	case !syntax.IsName(name):
		return d365.NewInputError("d365", what+" name", "%q may hold only letters, digits, '_' and '.'", name)
	}
	return nil
}

// secretParams are query parameter names whose values are redacted from
// URLs in errors and logs.
var secretParams = []string{"token", "secret", "sig", "signature", "password", "code", "key", "assertion"}

// RedactURL returns u as a string with user information dropped and the
// values of query parameters that may hold secrets replaced by "REDACTED".
// OData's own options ($filter, $skiptoken, ...) are kept.
func RedactURL(u *url.URL) string {
	if u == nil {
		return ""
	}
	c := *u
	c.User = nil
	if c.RawQuery != "" {
		parts := strings.Split(c.RawQuery, "&")
		for i, p := range parts {
			name, _, hasValue := strings.Cut(p, "=")
			if !hasValue || strings.HasPrefix(name, "$") {
				continue
			}
			lower := strings.ToLower(name)
			for _, s := range secretParams {
				if strings.Contains(lower, s) {
					parts[i] = name + "=REDACTED"
					break
				}
			}
		}
		c.RawQuery = strings.Join(parts, "&")
	}
	return c.String()
}
