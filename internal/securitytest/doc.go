// Package securitytest holds the repository's security tests: they scan the
// recorded fixtures for secrets and drive the sales and commerce clients
// against hostile servers (token echoes, redirects to other hosts, hostile
// ids and names) checking that nothing secret leaves and that no value
// escapes its place in a URL. It has no code of its own; run it with
//
//	go test ./internal/securitytest
package securitytest
