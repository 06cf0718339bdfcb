package finops

import (
	"fmt"
	"strings"

	"github.com/b2bflow/d365/dualwrite/dualwritetest/internal/store"
)

// This file holds the application's validation of a row a client writes,
// beyond the entity's field types: what Finance and Operations checks in
// the table's validateWrite before it saves.

// check validates a row a client creates (prev nil) or updates; the error
// is the infolog text of the refusal.
func (s *Service) check(tb *store.Table, prev, row store.Record) error {
	switch tb.Name {
	case "CustomerHierarchyNodes":
		return s.checkNode(prev, row)
	case "CustomersV3":
		return s.checkCustomer(tb, prev, row)
	}
	return nil
}

// checkCustomer validates the relation of a customer's invoice account: a
// customer of the same company (CustTable.InvoiceAccount relates to
// CustTable).
func (s *Service) checkCustomer(tb *store.Table, prev, row store.Record) error {
	inv := str(row["InvoiceAccount"])
	if inv == "" || (prev != nil && strings.EqualFold(inv, str(prev["InvoiceAccount"]))) {
		return nil
	}
	company := str(row["dataAreaId"])
	for _, e := range tb.All() {
		if strings.EqualFold(str(e.Get("CustomerAccount")), inv) && strings.EqualFold(str(e.Get("dataAreaId")), company) {
			return nil
		}
	}
	return infologf("The value '%s' in field 'InvoiceAccount' is not found in the relating table 'CustomersV3'.", inv)
}

// checkNode validates a customer hierarchy node (CustomerHierarchyNodes).
// The relations are those of the entity's keys: the hierarchy must exist
// (CustomerHiearchies) and the node's party must be a customer's
// (CustomersV3.PartyNumber, in any company: hierarchies belong to none).
// The role must be given, and a hierarchy has at most one Admin:
// "Currently, only one user/customer record can be designated as an
// administrator user" (Microsoft, "Manage business partner users on B2B
// e-commerce websites"). The texts follow the application's labels
// ("Field '%1' must be filled in.", "The value '%1' in field '%2' is not
// found in the relating table '%3'."); the single-Admin text is the
// emulator's own.
func (s *Service) checkNode(prev, row store.Record) error {
	if str(row["Role"]) == "" {
		return infolog("Field 'Role' must be filled in.")
	}
	hid, party := str(row["CustomerHierarchyId"]), str(row["NodePartyNumber"])
	if !s.exists("CustomerHiearchies", "CustomerHierarchyId", hid) {
		return infologf("The value '%s' in field 'CustomerHierarchyId' is not found in the relating table 'CustomerHiearchies'.", hid)
	}
	if prev == nil && !s.exists("CustomersV3", "PartyNumber", party) {
		return infologf("The value '%s' in field 'NodePartyNumber' is not found in the relating table 'CustomersV3'.", party)
	}
	if str(row["Role"]) != "Admin" || (prev != nil && str(prev["Role"]) == "Admin") {
		return nil
	}
	for _, e := range s.Store.FinOps("CustomerHierarchyNodes").All() {
		if strings.EqualFold(str(e.Get("CustomerHierarchyId")), hid) && str(e.Get("Role")) == "Admin" &&
			!strings.EqualFold(str(e.Get("NodePartyNumber")), party) {
			return infologf("The customer hierarchy '%s' already has an administrator (party %s): a hierarchy has one Admin node.", hid, str(e.Get("NodePartyNumber")))
		}
	}
	return nil
}

// exists reports whether a row of entity has field equal to v (compared
// without regard to case, as the database compares strings).
func (s *Service) exists(entity, field, v string) bool {
	tb := s.Store.FinOps(entity)
	if tb == nil || v == "" {
		return false
	}
	for _, e := range tb.All() {
		if strings.EqualFold(str(e.Get(field)), v) {
			return true
		}
	}
	return false
}

// infolog is the text of an application error, as the infolog shows it
// (capitalised and punctuated, unlike a Go error).
type infolog string

func (e infolog) Error() string { return string(e) }

func infologf(format string, a ...any) error { return infolog(fmt.Sprintf(format, a...)) }
