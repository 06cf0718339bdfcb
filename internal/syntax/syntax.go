// Package syntax holds the lexical checks that the d365 package and the
// OData engine share: OData names and paths, and loopback hosts. They look
// only at the text (no DNS lookup), so they can run before any request.
package syntax

import (
	"net"
	"strings"
)

// IsName reports whether s is a plain OData identifier: letters, digits, '_'
// and '.', as entity set, table, column and action names are (such as
// "leads", "_parentaccountid_value" or "Microsoft.Dynamics.CRM.QualifyLead").
func IsName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

// IsPath reports whether s is a name or a path of names joined by '/', such
// as "primarycontactid/fullname".
func IsPath(s string) bool {
	for seg := range strings.SplitSeq(s, "/") {
		if !IsName(seg) {
			return false
		}
	}
	return true
}

// IsLoopback reports whether host (without port) is localhost or a loopback
// IP address.
func IsLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
