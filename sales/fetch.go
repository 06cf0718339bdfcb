package sales

import (
	"context"
	"iter"
	"strings"

	"github.com/b2bflow/d365"
	"github.com/b2bflow/d365/internal/odata"
)

// Fetch runs a FetchXML query on the entity set (such as "accounts"; the
// fetch's entity must be the set's table) and yields its rows decoded into
// T, every page of them: it asks for the paging cookie
// (odata.include-annotations) and sends it back with the next page number
// in the fetch element's page and paging-cookie attributes, as "Page
// results using FetchXml" documents. The fetch's count attribute is the page
// size (5000 when absent). A query with a top attribute, or an aggregate
// one, is read in one request.
//
// T is a typed record (Lead, Account...), Record, or a struct of the
// caller's whose json tags name the columns or the aliases of the query
// (a link-entity's columns come as "<alias>.<column>").
//
// After an error is yielded the iteration ends.
func Fetch[T any](ctx context.Context, c *Client, entitySet, fetchXML string) iter.Seq2[*T, error] {
	s := c.set(entitySet)
	if err := s.checkFetch("Fetch", fetchXML); err != nil {
		return odata.Fail[*T](err)
	}
	return odata.Fetch[T](ctx, c.od, s.name, fetchXML, annotations)
}

// Aggregate runs a FetchXML aggregate query (<fetch aggregate="true">) on
// the entity set and returns its rows, each decoded into a T whose json
// tags are the aliases of the query's attributes:
//
//	type total struct {
//		Count  int          `json:"n"`
//		Amount d365.Decimal `json:"amount"`
//	}
//	rows, err := sales.Aggregate[total](ctx, c, "opportunities", `<fetch aggregate="true">
//	  <entity name="opportunity">
//	    <attribute name="opportunityid" alias="n" aggregate="count" />
//	    <attribute name="estimatedvalue" alias="amount" aggregate="sum" />
//	  </entity></fetch>`)
func Aggregate[T any](ctx context.Context, c *Client, entitySet, fetchXML string) ([]*T, error) {
	s := c.set(entitySet)
	if err := s.checkFetch("Aggregate", fetchXML); err != nil {
		return nil, err
	}
	if fi, _ := odata.ParseFetch(fetchXML); !fi.Aggregate {
		return nil, d365.NewInputError(s.op("Aggregate"), "fetchXML", `is not an aggregate query: set aggregate="true" on the fetch element`)
	}
	return collectAll(odata.Fetch[T](ctx, c.od, s.name, fetchXML, annotations))
}

// Apply runs an $apply query on the entity set (such as
// "groupby((industrycode),aggregate($count as n))") and returns its rows,
// each decoded into a T whose json tags name the grouped columns and the
// aliases of the aggregates.
func Apply[T any](ctx context.Context, c *Client, entitySet, apply string) ([]*T, error) {
	s := c.set(entitySet)
	if err := s.checkName("Apply"); err != nil {
		return nil, err
	}
	if strings.TrimSpace(apply) == "" {
		return nil, d365.NewInputError(s.op("Apply"), "apply", "is empty")
	}
	q := "$apply=" + strings.ReplaceAll(odata.FetchQuery(apply)[len("fetchXml="):], "%24", "$")
	req := &odata.Request{Path: s.name, Query: q, Prefer: annotations}
	return collectAll(odata.List[*T](ctx, c.od, req, 0))
}

// set returns the entity set name as a service, for the calls that take it.
func (c *Client) set(name string) entitySet {
	return entitySet{c, name, name + " record", name}
}

// checkFetch refuses a bad entity set name or FetchXML before any request.
func (s entitySet) checkFetch(method, fetchXML string) error {
	if err := s.checkName(method); err != nil {
		return err
	}
	if strings.TrimSpace(fetchXML) == "" {
		return d365.NewInputError(s.op(method), "fetchXML", "is empty")
	}
	if _, err := odata.ParseFetch(fetchXML); err != nil {
		return d365.NewInputError(s.op(method), "fetchXML", "%v", err)
	}
	return nil
}

// collectAll gathers the rows of a listing, stopping at the first error.
func collectAll[T any](seq iter.Seq2[T, error]) ([]T, error) {
	var out []T
	for v, err := range seq {
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}
