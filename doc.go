// Package d365 is the root of a Go SDK for the B2B partner onboarding of
// Microsoft Dynamics 365: a company asks, on a Commerce B2B web shop, to
// become a business partner; the request reaches Dynamics 365 Sales as a
// lead through dual-write; a salesperson or a program approves it
// (qualifies the lead and wins the opportunity) or rejects it (disqualifies
// the lead or loses the opportunity); and Commerce headquarters then shows
// the prospect as approved, with its customers and customer hierarchy, or
// as rejected. The SDK wraps the Dataverse Web API (Sales) and the Finance
// and Operations OData API (Commerce headquarters) and composes them into
// workflows that Go programs embed.
//
// # The packages
//
//   - d365 (this package): credentials, client options, the Error type,
//     queries and filters, shared value types (Date, Decimal, Annotations).
//   - sales: typed leads, opportunities, accounts, contacts and notes on the
//     Dataverse Web API, with the QualifyLead, WinOpportunity and
//     LoseOpportunity actions, and untyped access to any other table.
//   - commerce: prospects, customers and customer hierarchies in Commerce
//     headquarters, and the dual-write configuration rows.
//   - dualwrite: the dual-write field maps between the two, as data that
//     runs, a health check of the maps onboarding needs, and a helper to
//     wait for changes to propagate.
//   - dualwrite/dualwritetest: an in-process emulator of Sales, Commerce and
//     dual-write, for tests and for trying the SDK with no environment, used
//     the way net/http/httptest is.
//   - onboarding: the workflows: the pending requests, approve, reject, and a
//     queue of decisions processed with bounded concurrency.
//
// Data flows one way: onboarding uses sales, commerce and dualwrite, which
// use this package; nothing imports upwards.
//
// # Signing in
//
// A [Credential] yields Microsoft Entra ID tokens for a service URL; one
// credential serves both clients. Use [NewClientSecretCredential],
// [NewClientCertificateCredential], [NewManagedIdentityCredential],
// [NewDeviceCodeCredential], or bring any oauth2.TokenSource with
// [TokenSourceCredential]. Tokens are cached per service and refreshed before
// they expire, so a process that runs for days never fails on an expired
// token; a token the service refuses with 401 is dropped and the request is
// sent once more with a new one.
//
// # Errors
//
// Every call takes a context. A failure reported by a service is an
// [*Error], whatever the service sent (a Dataverse or Finance and
// Operations JSON error, an HTML page from a proxy or the sign-in page, an
// empty or truncated body). Match classes of failures with errors.Is and the
// sentinels [ErrNotFound], [ErrPreconditionFailed], [ErrThrottled],
// [ErrUnauthorized] and [ErrForbidden]; read the details with errors.As:
//
//	lead, err := client.Leads.Get(ctx, id, nil)
//	var e *d365.Error
//	switch {
//	case errors.Is(err, d365.ErrNotFound):
//		// no such lead
//	case errors.As(err, &e):
//		log.Printf("Dataverse said %s (%s), request id %s", e.Message, e.Code, e.RequestID)
//	}
//
// Bad input (a zero id, an empty required column, an http URL that is not
// loopback) fails before any request is sent, with an error that names what
// is wrong.
//
// # Retries and throttling
//
// Dataverse limits each user to 6,000 requests and 52 concurrent requests
// per five-minute window and answers 429 Too Many Requests with a
// Retry-After that can be minutes long. The clients wait as long as the
// service asks, up to [RetryOptions].MaxRetryAfter (five minutes by
// default); past it they return an [*Error] matching [ErrThrottled] with the
// wait in RetryAfter instead of giving up silently. Other failures back off
// exponentially with jitter. A request the service may already have carried
// out (a POST whose connection broke, a 504) is retried only when sending it
// twice is harmless. Every wait ends as soon as the context is done. The
// number of attempts is in the [Error] and in the log.
//
// # Queries and paging
//
// Lists take a [*Query] and return an iter.Seq2 that pages lazily through
// the results, following the service's next links, so memory stays flat
// however many records there are. Build filters with [Filterf], which
// writes each value as an OData literal of its type, so that no value can
// change the filter's meaning:
//
//	q := &sales.ListOptions{Query: d365.Query{
//		Select: []string{"fullname", "companyname"},
//		Filter: d365.Filterf("companyname eq %v and createdon gt %v", name, since),
//	}}
//	for lead, err := range client.Leads.List(ctx, q) {
//		if err != nil {
//			return err
//		}
//		fmt.Println(lead.FullName)
//	}
//
// # Logging
//
// Set [ClientOptions].Logger to a *slog.Logger to see every attempt, retry
// and failure. Nothing is logged by default, and neither tokens nor the
// Authorization header are ever logged.
package d365
