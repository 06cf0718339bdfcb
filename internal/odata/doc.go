// Package odata is the OData engine shared by the Dataverse (sales) and the
// Finance and Operations (commerce) clients: it builds requests with the
// headers both services expect, signs them with a bearer token, retries what
// is safe to retry, decodes every error shape into *d365.Error, pages through
// collections as iterators, and decodes records with their annotations.
//
// It is internal: the public surface is the clients built on it.
package odata
