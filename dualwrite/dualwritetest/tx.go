package dualwritetest

import (
	"time"

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

func cloneRecord(r record) record { return store.Clone(r) }

func str(v any) string { return store.Text(v) }

func stamp(t time.Time) string { return store.Stamp(t) }
