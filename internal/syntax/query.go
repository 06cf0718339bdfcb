package syntax

import "strings"

// EscapeQueryValue escapes s for use as the value of a URL query parameter.
// Spaces become %20 (not '+'), and the characters that could end the value
// or the query ('&', ';', '=', '+', '#', '%', '?') are percent-encoded,
// while the punctuation common in OData expressions (quotes, parentheses,
// commas, colons, slashes, '$', '@') stays readable.
func EscapeQueryValue(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
			strings.IndexByte("-._~'(),:/$@*!", c) >= 0 {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	return b.String()
}
