package d365

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	msalerrors "github.com/AzureAD/microsoft-authentication-library-for-go/apps/errors"
)

// CredentialError reports that a credential could not obtain a token from
// Microsoft Entra ID. Its message says in plain words what went wrong when
// the cause is a common one (a wrong or expired client secret, an unknown
// tenant, an application not registered in the tenant, a certificate that
// expired or is not registered, ...). It never contains a secret or a token.
//
// Unwrap returns the sign-in library's error (for a failed request, an
// errors.CallErr of github.com/AzureAD/microsoft-authentication-library-for-go/apps/errors,
// from which the request body has been removed).
type CredentialError struct {
	// Credential names the credential type, such as
	// "ClientSecretCredential".
	Credential string
	// Resource is the service URL the token was for; empty when the
	// failure happened before a resource was involved.
	Resource string
	// Reason is the plain-words explanation of the failure.
	Reason string
	// StatusCode is the HTTP status of Microsoft Entra ID's answer, zero
	// when no answer came back.
	StatusCode int
	// Code is the OAuth error code, such as "invalid_client".
	Code string
	// ErrorCodes are the AADSTS codes of the answer, such as 7000215 for a
	// wrong client secret; see https://learn.microsoft.com/entra/identity-platform/reference-error-codes.
	ErrorCodes []int
	// TraceID and CorrelationID identify the sign-in attempt, to quote in a
	// support case.
	TraceID, CorrelationID string

	err error
	// redact removes the secrets from a text. The secrets live in its
	// closure, where fmt and encoding/json cannot reach them.
	redact func(string) string
}

// Error renders the failure on one line.
func (e *CredentialError) Error() string {
	var b strings.Builder
	b.WriteString("d365: ")
	b.WriteString(e.Credential)
	if e.Resource != "" {
		fmt.Fprintf(&b, ": sign-in for %s failed", e.Resource)
	} else {
		b.WriteString(": sign-in failed")
	}
	if e.Reason != "" {
		b.WriteString(": ")
		b.WriteString(e.Reason)
	}
	if len(e.ErrorCodes) > 0 {
		fmt.Fprintf(&b, " (AADSTS%d", e.ErrorCodes[0])
		if e.Code != "" {
			b.WriteString(" ")
			b.WriteString(e.Code)
		}
		b.WriteString(")")
	} else if e.Code != "" {
		fmt.Fprintf(&b, " (%s)", e.Code)
	}
	if e.TraceID != "" {
		fmt.Fprintf(&b, " [trace id %s]", e.TraceID)
	}
	if e.CorrelationID != "" {
		fmt.Fprintf(&b, " [correlation id %s]", e.CorrelationID)
	}
	return e.redacted(b.String())
}

func (e *CredentialError) redacted(s string) string {
	if e.redact == nil {
		return s
	}
	return e.redact(s)
}

// GoString renders the exported fields in Go syntax, without any secret.
func (e *CredentialError) GoString() string {
	if e == nil {
		return "(*d365.CredentialError)(nil)"
	}
	return e.redacted(fmt.Sprintf("&d365.CredentialError{Credential:%q, Resource:%q, Reason:%q, StatusCode:%d, Code:%q, ErrorCodes:%#v, TraceID:%q, CorrelationID:%q}",
		e.Credential, e.Resource, e.Reason, e.StatusCode, e.Code, e.ErrorCodes, e.TraceID, e.CorrelationID))
}

// Format prints Error for every verb (GoString for %#v), so that no verb
// shows a secret.
func (e *CredentialError) Format(f fmt.State, verb rune) {
	if e == nil {
		formatRedacted(f, verb, "<nil>", e.GoString())
		return
	}
	formatRedacted(f, verb, e.Error(), e.GoString())
}

// Unwrap returns the underlying error of the sign-in library.
func (e *CredentialError) Unwrap() error { return e.err }

// redactor returns a function that removes secrets from a text, nil when
// there are none.
func redactor(secrets []string) func(string) string {
	var keep []string
	for _, s := range secrets {
		if len(s) >= 4 {
			keep = append(keep, s)
		}
	}
	if len(keep) == 0 {
		return nil
	}
	return func(s string) string { return redactAll(s, keep) }
}

func redactAll(s string, secrets []string) string {
	for _, sec := range secrets {
		if len(sec) >= 4 {
			s = strings.ReplaceAll(s, sec, "[REDACTED]")
		}
	}
	return s
}

// entraErrorBody is Microsoft Entra ID's JSON error answer.
type entraErrorBody struct {
	Error            string `json:"error"`
	ErrorDescription string `json:"error_description"`
	ErrorCodes       []int  `json:"error_codes"`
	TraceID          string `json:"trace_id"`
	CorrelationID    string `json:"correlation_id"`
	Message          string `json:"message"` // managed identity endpoints
}

// aadstsReasons explains the AADSTS codes a caller of this SDK is likely to
// meet.
var aadstsReasons = map[int]string{
	7000215: "the client secret is wrong (use the secret's value, not its id)",
	7000222: "the client secret has expired; create a new one for the application",
	90002:   "the tenant does not exist (check the tenant id or domain, and the cloud's authority host)",
	900023:  "the tenant id is neither a valid directory id nor a domain name",
	700016:  "the application (client id) is not registered in this tenant",
	7000112: "the application is disabled",
	700027:  "the certificate is not registered for the application, or the client assertion signature is invalid",
	700024:  "the client assertion is outside its validity period (check the machine's clock)",
	500011:  "the resource is unknown in this tenant (check the service URL and that the application has access to it)",
	70011:   "the scope requested is not valid (check the service URL)",
	70000:   "the grant is invalid or has expired; sign in again",
	70008:   "the refresh token has expired; sign in again",
	700082:  "the refresh token has expired through inactivity; sign in again",
	70020:   "the device code expired before the user signed in",
	70019:   "the device code expired before the user signed in",
	50126:   "the user name or password is wrong",
	53003:   "a Conditional Access policy blocked the sign-in",
	50076:   "the sign-in requires multi-factor authentication",
	65001:   "the user or an administrator has not consented to the application",
	50020:   "the user account does not exist in the tenant",
	50034:   "the user account does not exist in the tenant",
	7000218: "the request needs a client secret or a client assertion (the application is not a public client)",
	700030:  "the certificate is not valid (check its validity period)",
}

// oauthReasons explains OAuth error codes when no AADSTS code is known.
var oauthReasons = map[string]string{
	"invalid_client":         "the application's credentials were refused",
	"unauthorized_client":    "the application is not allowed to use this sign-in flow",
	"invalid_scope":          "the scope requested is not valid (check the service URL)",
	"invalid_resource":       "the resource is unknown in this tenant",
	"access_denied":          "the user declined the sign-in",
	"expired_token":          "the device code expired before the user signed in",
	"authorization_declined": "the user declined the sign-in",
	"invalid_grant":          "the grant is invalid or has expired; sign in again",
	"invalid_request":        "Microsoft Entra ID refused the request as malformed",
}

// newCredentialError wraps an error of the sign-in library. redact lists
// strings (secrets) that must never appear in the message.
func newCredentialError(kind, resource string, err error, redact ...string) error {
	var ce *CredentialError
	if errors.As(err, &ce) {
		return err
	}
	e := &CredentialError{Credential: kind, Resource: resource, redact: redactor(redact)}
	var call msalerrors.CallErr
	if errors.As(err, &call) {
		sanitized, body := sanitizeCallErr(call)
		// The CallErr, bare or wrapped, is replaced by its sanitized copy.
		e.err = sanitized
		if call.Resp != nil {
			e.StatusCode = call.Resp.StatusCode
		}
		var eb entraErrorBody
		if json.Unmarshal(body, &eb) == nil {
			e.Code, e.ErrorCodes, e.TraceID, e.CorrelationID = eb.Error, eb.ErrorCodes, eb.TraceID, eb.CorrelationID
		}
		defer func() { e.Reason = e.redacted(e.Reason) }()
		e.Reason = reasonFor(e.ErrorCodes, e.Code)
		if e.Reason == "" {
			who := "Microsoft Entra ID"
			if kind == "ManagedIdentityCredential" {
				who = "the managed identity endpoint"
			}
			switch {
			case eb.ErrorDescription == "" && eb.Message != "":
				e.Reason = fmt.Sprintf("%s answered %d %s: %s", who, e.StatusCode, http.StatusText(e.StatusCode), firstLine(eb.Message))
			case len(bytes.TrimSpace(body)) > 0 && !json.Valid(body):
				e.Reason = fmt.Sprintf("%s answered %d %s with a body that is not JSON (a proxy in the way, or the wrong host?)", who, e.StatusCode, http.StatusText(e.StatusCode))
			case eb.ErrorDescription != "":
				e.Reason = firstLine(eb.ErrorDescription)
			default:
				e.Reason = fmt.Sprintf("%s answered %d %s", who, e.StatusCode, http.StatusText(e.StatusCode))
			}
		}
		return e
	}
	e.err = err
	e.Reason = redactAll(strings.Join(strings.Fields(err.Error()), " "), redact)
	return e
}

func reasonFor(codes []int, code string) string {
	for _, c := range codes {
		if r, ok := aadstsReasons[c]; ok {
			return r
		}
	}
	if r, ok := oauthReasons[code]; ok {
		return r
	}
	return ""
}

func firstLine(s string) string {
	if i := strings.IndexAny(s, "\r\n"); i >= 0 {
		s = s[:i]
	}
	return strings.TrimSpace(s)
}

// sanitizeCallErr returns a copy of a CallErr that no longer holds the
// request body (which carries the client secret or assertion) and the
// response body's bytes.
func sanitizeCallErr(c msalerrors.CallErr) (msalerrors.CallErr, []byte) {
	var body []byte
	out := msalerrors.CallErr{Err: c.Err}
	if c.Req != nil {
		req := &http.Request{Method: c.Req.Method, URL: c.Req.URL, Header: http.Header{}, Host: c.Req.Host}
		out.Req = req
	}
	if c.Resp != nil {
		if c.Resp.Body != nil {
			body, _ = io.ReadAll(c.Resp.Body)
			c.Resp.Body = io.NopCloser(bytes.NewReader(body))
		}
		resp := &http.Response{
			Status: c.Resp.Status, StatusCode: c.Resp.StatusCode, Proto: c.Resp.Proto,
			ProtoMajor: c.Resp.ProtoMajor, ProtoMinor: c.Resp.ProtoMinor,
			Header: c.Resp.Header.Clone(), ContentLength: int64(len(body)),
			Body: io.NopCloser(bytes.NewReader(body)), Request: out.Req,
		}
		out.Resp = resp
	}
	if len(bytes.TrimSpace(body)) == 0 && c.Err != nil {
		// MSAL reads the body of some answers itself (device code polls)
		// without restoring it; its message carries the body after the
		// first line.
		if _, rest, ok := strings.Cut(c.Err.Error(), "\n"); ok {
			body = []byte(rest)
		}
	}
	return out, body
}
