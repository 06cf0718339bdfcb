// Package dualwrite describes the dual-write maps that carry B2B partner
// onboarding between Commerce headquarters (a Finance and Operations app)
// and Dynamics 365 Sales (Dataverse), as data that runs.
//
// # What dual-write is
//
// Dual-write is Microsoft's near-real-time, two-way link between Finance and
// Operations data entities and Dataverse tables. Each link is a table map:
// which entity goes with which table, which rows travel (the map's filters)
// and which field is kept equal to which column, with value transforms for
// enums and choices. In live sync a write on one side is written on the
// other side in the same transaction: if the other side refuses it, both
// are rolled back and the caller gets the error. Nothing on a row says
// "written by dual-write".
//
// # The maps onboarding needs
//
//   - [Prospects]: Commerce B2B prospects <-> leads. A B2B onboarding request
//     becomes a Pending prospect in headquarters, which dual-write writes as a
//     lead with msdyn_b2bcommerceprospect = true and msdyn_b2bprospectstatus =
//     Pending (192350000). The decision travels back through that status:
//     Approved (192350001) or Rejected (192350002).
//   - [CustomerAccounts] and [CustomerContacts]: CustomersV3 <-> accounts
//     (party type Organization) and contacts (party type Person). Qualifying
//     the lead creates the account and the contact that become the Commerce
//     customers.
//   - [CustomerHierarchies] and [CustomerHierarchyNodes]: the B2B customer
//     hierarchy that approval creates, with the requester as its Admin node.
//
// Each [Map] converts rows both ways with [Map.ToDataverse] and
// [Map.ToFinOps], and tells whether a row passes its filter with
// [Map.AppliesToFinOps] and [Map.AppliesToDataverse]. Lookup columns are
// written with dotted names such as "msdyn_partyid.msdyn_partynumber" (the
// column of the record the lookup points to): the caller resolves them.
//
// [CheckMaps] reads the DualWriteProjectConfigurations rows of headquarters
// and says which required maps are missing or not running, and [Await]
// waits, with backoff, for a change to show on the other side.
//
// This package knows the maps, not the clients: it imports neither the
// sales nor the commerce package. The emulator in [dualwritetest] uses the
// same maps, so that there is one source of truth for the mapping.
//
// [dualwritetest]: https://pkg.go.dev/github.com/b2bflow/d365/dualwrite/dualwritetest
package dualwrite
