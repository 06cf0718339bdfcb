package vcr

import (
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"log/slog"
	"reflect"
	"sort"
	"strings"
	"sync"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/b2bflow/d365"
	"golang.org/x/oauth2"
	"gopkg.in/dnaeon/go-vcr.v4/pkg/cassette"
)

// Redacted replaces every secret value in a saved cassette.
const Redacted = "REDACTED"

// MinSecretLen is the length below which a value given to Secrets is not
// treated as a secret: replacing a short string everywhere in a cassette
// would garble it, and no token or client secret is that short.
const MinSecretLen = 6

// Secrets collects the secret values of a recording session (the access
// tokens the credential handed out, the client secret, the tenant id) so
// that the cassette is scrubbed of each of them, wherever it appears and in
// whatever escaped form, before it is saved. It does not rely on the shape
// of a token: an opaque token echoed by a proxy is found as surely as a JWT.
// The zero value is ready to use; it is safe for concurrent use.
//
// A Secrets prints (with fmt, log/slog) as the number of values it holds,
// never the values.
type Secrets struct {
	mu sync.Mutex
	// values maps each secret to its replacement. It is reached only
	// through the closure, so that reflection-based printers do not see it.
	values func() map[string]string
}

func (s *Secrets) table() map[string]string {
	if s.values == nil {
		m := map[string]string{}
		s.values = func() map[string]string { return m }
	}
	return s.values()
}

// Add registers a secret, replaced by Redacted in the cassette. Values
// shorter than MinSecretLen (after trimming white space) are ignored.
func (s *Secrets) Add(value string) { s.Replace(value, Redacted) }

// Replace registers a secret with the text that replaces it in the
// cassette, such as a placeholder tenant id for the real one.
func (s *Secrets) Replace(value, replacement string) {
	value = strings.TrimSpace(value)
	if len(value) < MinSecretLen {
		return
	}
	s.mu.Lock()
	s.table()[value] = replacement
	s.mu.Unlock()
}

// Len is how many secrets are registered.
func (s *Secrets) Len() int {
	if s == nil {
		return 0
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.table())
}

// list returns the secrets, longest first (so that a secret containing
// another is replaced whole).
func (s *Secrets) list() []secretValue {
	if s == nil {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []secretValue
	for v, r := range s.table() {
		out = append(out, secretValue{v, r})
	}
	sort.Slice(out, func(i, j int) bool {
		if len(out[i].value) != len(out[j].value) {
			return len(out[i].value) > len(out[j].value)
		}
		return out[i].value < out[j].value
	})
	return out
}

// String describes the collection without its values.
func (s *Secrets) String() string { return fmt.Sprintf("vcr.Secrets{%d values}", s.Len()) }

// Format prints String for every verb.
func (s *Secrets) Format(f fmt.State, verb rune) {
	if verb == 'v' && f.Flag('#') {
		io.WriteString(f, s.String())
		return
	}
	fmt.Fprintf(f, fmt.FormatString(f, verb), s.String())
}

// LogValue logs String.
func (s *Secrets) LogValue() slog.Value { return slog.StringValue(s.String()) }

// Credential returns cred wrapped so that every access token it hands out
// (and every refresh token, should a source return one) is added to s.
// The wrapper keeps cred's TokenInvalidator, if it has one.
func (s *Secrets) Credential(cred d365.Credential) d365.Credential {
	c := &capturing{cred: cred, secrets: s}
	if inv, ok := cred.(d365.TokenInvalidator); ok {
		return &capturingInvalidator{capturing: c, inv: inv}
	}
	return c
}

// capturing is a Credential that records the tokens of another.
type capturing struct {
	cred    d365.Credential
	secrets *Secrets
}

// Token returns cred's token after adding it to the secrets.
func (c *capturing) Token(ctx context.Context, resource string) (*oauth2.Token, error) {
	tok, err := c.cred.Token(ctx, resource)
	if tok != nil {
		c.secrets.Add(tok.AccessToken)
		c.secrets.Add(tok.RefreshToken)
	}
	return tok, err
}

// String describes the wrapper by the credential it wraps.
func (c *capturing) String() string { return fmt.Sprintf("vcr.Credential(%v)", c.cred) }

// Format prints String for every verb.
func (c *capturing) Format(f fmt.State, verb rune) {
	if verb == 'v' && f.Flag('#') {
		io.WriteString(f, c.String())
		return
	}
	fmt.Fprintf(f, fmt.FormatString(f, verb), c.String())
}

// capturingInvalidator is capturing for a credential that caches tokens.
type capturingInvalidator struct {
	*capturing
	inv d365.TokenInvalidator
}

// InvalidateToken passes the refused token on to the wrapped credential.
func (c *capturingInvalidator) InvalidateToken(resource, accessToken string) {
	c.inv.InvalidateToken(resource, accessToken)
}

type secretValue struct{ value, replacement string }

// encodedForms are the whole-value encodings of a secret replaced as
// literal text, besides the escapes matchEscaped understands.
func encodedForms(v string) []string {
	b := []byte(v)
	return []string{
		base64.StdEncoding.EncodeToString(b),
		base64.RawStdEncoding.EncodeToString(b),
		base64.URLEncoding.EncodeToString(b),
		base64.RawURLEncoding.EncodeToString(b),
	}
}

// scrub replaces in text every occurrence of each secret, written as is or
// with any mix of the escapes of URLs (%2F, %2f, '+' for a space), JSON and
// JavaScript strings (\u002F, \/, \", \\ and the other backslash escapes,
// surrogate pairs), and in base64. It reports whether it changed the text.
func scrub(text string, secrets []secretValue) (string, bool) {
	changed := false
	for _, s := range secrets {
		for _, form := range encodedForms(s.value) {
			if strings.Contains(text, form) {
				text, changed = strings.ReplaceAll(text, form, s.replacement), true
			}
		}
		var b strings.Builder
		last, found := 0, false
		for i := 0; i < len(text); {
			if end, ok := matchEscaped(text, i, s.value); ok {
				b.WriteString(text[last:i])
				b.WriteString(s.replacement)
				i, last, found = end, end, true
				continue
			}
			i++
		}
		if found {
			b.WriteString(text[last:])
			text, changed = b.String(), true
		}
	}
	return text, changed
}

// contains reports whether text holds a secret in any form scrub replaces.
func contains(text string, s secretValue) bool {
	for _, form := range encodedForms(s.value) {
		if strings.Contains(text, form) {
			return true
		}
	}
	for i := 0; i < len(text); i++ {
		if _, ok := matchEscaped(text, i, s.value); ok {
			return true
		}
	}
	return false
}

// matchEscaped reports whether text, from index i, spells secret, each of
// its bytes written as is or escaped, and returns where the match ends.
func matchEscaped(text string, i int, secret string) (int, bool) {
	j := 0
	for j < len(secret) {
		if i >= len(text) {
			return 0, false
		}
		c := text[i]
		switch {
		case c == secret[j]:
			i, j = i+1, j+1
		case c == '%' && i+2 < len(text) && isHex(text[i+1]) && isHex(text[i+2]):
			if unhex(text[i+1])<<4|unhex(text[i+2]) != secret[j] {
				return 0, false
			}
			i, j = i+3, j+1
		case c == '+' && secret[j] == ' ':
			i, j = i+1, j+1
		case c == '\\' && i+1 < len(text):
			r, n := unescapeBackslash(text[i:])
			if n == 0 {
				return 0, false
			}
			var buf [utf8.UTFMax]byte
			k := utf8.EncodeRune(buf[:], r)
			if r == utf8.RuneError || !strings.HasPrefix(secret[j:], string(buf[:k])) {
				return 0, false
			}
			i, j = i+n, j+k
		default:
			return 0, false
		}
	}
	return i, true
}

// unescapeBackslash decodes the backslash escape at the start of s (JSON
// and JavaScript forms) and returns the rune and the escape's length; 0
// when s does not start with a known escape.
func unescapeBackslash(s string) (rune, int) {
	if len(s) < 2 || s[0] != '\\' {
		return 0, 0
	}
	switch s[1] {
	case '"', '\\', '/', '\'':
		return rune(s[1]), 2
	case 'b':
		return '\b', 2
	case 'f':
		return '\f', 2
	case 'n':
		return '\n', 2
	case 'r':
		return '\r', 2
	case 't':
		return '\t', 2
	case 'x':
		if len(s) >= 4 && isHex(s[2]) && isHex(s[3]) {
			return rune(unhex(s[2])<<4 | unhex(s[3])), 4
		}
	case 'u':
		r, ok := hex4(s[2:])
		if !ok {
			return 0, 0
		}
		if utf16.IsSurrogate(r) {
			if len(s) >= 12 && s[6] == '\\' && s[7] == 'u' {
				if r2, ok := hex4(s[8:]); ok {
					if d := utf16.DecodeRune(r, r2); d != utf8.RuneError {
						return d, 12
					}
				}
			}
			return 0, 0
		}
		return r, 6
	}
	return 0, 0
}

func hex4(s string) (rune, bool) {
	if len(s) < 4 {
		return 0, false
	}
	var r rune
	for k := 0; k < 4; k++ {
		if !isHex(s[k]) {
			return 0, false
		}
		r = r<<4 | rune(unhex(s[k]))
	}
	return r, true
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c >= '0' && c <= '9':
		return c - '0'
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10
	default:
		return c - 'A' + 10
	}
}

// rewriteStrings applies f to every string of v (a pointer to a struct of
// the cassette): fields, slice elements, and map keys and values.
func rewriteStrings(v reflect.Value, f func(string) string) {
	switch v.Kind() {
	case reflect.Pointer:
		if !v.IsNil() {
			rewriteStrings(v.Elem(), f)
		}
	case reflect.String:
		if v.CanSet() {
			v.SetString(f(v.String()))
		}
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			if v.Type().Field(i).IsExported() {
				rewriteStrings(v.Field(i), f)
			}
		}
	case reflect.Slice, reflect.Array:
		for i := 0; i < v.Len(); i++ {
			rewriteStrings(v.Index(i), f)
		}
	case reflect.Map:
		if v.IsNil() {
			return
		}
		for _, k := range v.MapKeys() {
			val := reflect.New(v.Type().Elem()).Elem()
			val.Set(v.MapIndex(k))
			rewriteStrings(val, f)
			nk := k
			if k.Kind() == reflect.String {
				nk = reflect.ValueOf(f(k.String())).Convert(k.Type())
			}
			if nk.Interface() != k.Interface() {
				v.SetMapIndex(k, reflect.Value{})
			}
			v.SetMapIndex(nk, val)
		}
	}
}

// scrubInteraction replaces every secret in every string of the
// interaction (URL, headers and their names, trailers, form, bodies,
// status...), keeps the recorded lengths consistent with the scrubbed
// bodies, and then checks that no secret is left.
func scrubInteraction(i *cassette.Interaction, secrets []secretValue) error {
	if len(secrets) == 0 {
		return nil
	}
	for _, h := range []map[string][]string{i.Response.Headers, i.Request.Headers} {
		for k, vs := range h {
			if strings.EqualFold(k, "Content-Encoding") && len(vs) > 0 && !strings.EqualFold(vs[0], "identity") {
				return fmt.Errorf("vcr: interaction %d (%s) has a %s body, which cannot be searched for secrets; do not ask for compression when recording", i.ID, i.Request.Method, vs[0])
			}
		}
	}
	reqLen, respLen := len(i.Request.Body), len(i.Response.Body)
	f := func(s string) string {
		out, _ := scrub(s, secrets)
		return out
	}
	rewriteStrings(reflect.ValueOf(&i.Request), f)
	rewriteStrings(reflect.ValueOf(&i.Response), f)
	fixLength(&i.Request.ContentLength, i.Request.Headers, reqLen, len(i.Request.Body))
	fixLength(&i.Response.ContentLength, i.Response.Headers, respLen, len(i.Response.Body))

	var left error
	check := func(s string) string {
		for _, sv := range secrets {
			if left == nil && contains(s, sv) {
				left = fmt.Errorf("vcr: interaction %d (%s) still holds a secret after redaction; the cassette is not saved", i.ID, i.Request.Method)
			}
		}
		return s
	}
	rewriteStrings(reflect.ValueOf(&i.Request), check)
	rewriteStrings(reflect.ValueOf(&i.Response), check)
	return left
}

// fixLength updates a recorded content length (the field and the header)
// that matched the body before it was scrubbed.
func fixLength(n *int64, h map[string][]string, before, after int) {
	if before == after {
		return
	}
	if *n == int64(before) {
		*n = int64(after)
	}
	for k, vs := range h {
		if strings.EqualFold(k, "Content-Length") {
			for j, v := range vs {
				if v == fmt.Sprint(before) {
					vs[j] = fmt.Sprint(after)
				}
			}
		}
	}
}
