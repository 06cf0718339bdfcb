package dualwritetest

import (
	"github.com/b2bflow/d365/dualwrite/dualwritetest/internal/store"
)

type (
	record = store.Record
	entry  = store.Entry
	table  = store.Table
)

// tx is a store transaction with the server it runs for.
type tx struct {
	*store.Tx
	s *Server
}

func (s *Server) begin() *tx { return &tx{Tx: s.store.Begin(), s: s} }

func str(v any) string { return store.Text(v) }

// dvApply writes a Dataverse record (see dataverse.Service.Apply).
func (t *tx) dvApply(tb *table, id string, prev record, body map[string]any) (record, error) {
	return t.s.dv.Apply(t.Tx, tb, id, prev, body)
}

// dotted returns the value behind a dotted lookup name for a record.
func (t *tx) dotted(rec record, dotted string) any { return t.s.dv.Dotted(rec, dotted) }

// syncer runs dual-write for the services.
type syncer struct{ s *Server }

func (y syncer) AfterDataverseWrite(t *store.Tx, tb *table, id string, prev, rec record) error {
	return (&tx{Tx: t, s: y.s}).afterDataverseWrite(tb, id, prev, rec)
}

func (y syncer) AfterCommerceWrite(t *store.Tx, tb *table, prev, row record) error {
	return (&tx{Tx: t, s: y.s}).afterCommerceWrite(tb, prev, row)
}
