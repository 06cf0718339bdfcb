package sales

import (
	"context"
	"net/http"
	"strings"

	"github.com/b2bflow/d365"
	"github.com/b2bflow/d365/internal/odata"
	"github.com/google/uuid"
)

// Ref names a record by its entity set and id, such as
// Ref{Set: "accounts", ID: id}.
type Ref struct {
	// Set is the entity set name, such as "accounts".
	Set string
	// ID is the record's id.
	ID uuid.UUID
}

// path returns the record's path; field names the argument in errors.
func (r Ref) path(op, field string) (string, error) {
	if err := odata.CheckName("entity set", r.Set); err != nil {
		return "", d365.NewInputError(op, field+".Set", "%q may hold only letters, digits, '_' and '.'", r.Set)
	}
	if r.ID == uuid.Nil {
		return "", d365.NewInputError(op, field+".ID", "is empty (uuid.Nil): give the id of the record")
	}
	return odata.EntityPath(r.Set, odata.KeyPart{Value: r.ID})
}

// checkNav refuses a navigation property name that is not an identifier.
func checkNav(op, nav string) error {
	if odata.CheckName("navigation property", nav) != nil || strings.Contains(nav, ".") {
		return d365.NewInputError(op, "navigation property", "%q must be a navigation property name (letters, digits and '_'), such as account_parent_account", nav)
	}
	return nil
}

// refBody is the body of a $ref request: the related record's absolute
// URL.
func (c *Client) refBody(p string) map[string]string {
	return map[string]string{"@odata.id": c.od.BaseURL().String() + p}
}

// Associate relates to to from through from's collection-valued
// navigation property nav (one-to-many or many-to-many), with
// POST <from>/<nav>/$ref {"@odata.id": <to's URL>}, such as
// c.Associate(ctx, Ref{"accounts", parent}, "account_parent_account",
// Ref{"accounts", child}) to make parent the child's parent account.
//
// A POST is not sent again after a lost answer: associating twice fails
// on a many-to-many relationship. After such an error, read the relation.
func (c *Client) Associate(ctx context.Context, from Ref, nav string, to Ref) error {
	const op = "sales: Associate"
	fp, tp, err := refPaths(op, from, nav, &to)
	if err != nil {
		return err
	}
	_, err = c.od.Do(ctx, &odata.Request{Method: http.MethodPost, Path: fp + "/" + nav + "/$ref", Body: c.refBody(tp)})
	return err
}

// Disassociate removes to from from's collection-valued navigation
// property nav, with DELETE <from>/<nav>(<to's id>)/$ref.
func (c *Client) Disassociate(ctx context.Context, from Ref, nav string, to Ref) error {
	const op = "sales: Disassociate"
	fp, _, err := refPaths(op, from, nav, &to)
	if err != nil {
		return err
	}
	_, err = c.od.Do(ctx, &odata.Request{Method: http.MethodDelete, Path: fp + "/" + nav + "(" + to.ID.String() + ")/$ref"})
	return err
}

// SetLookup points from's single-valued navigation property nav (a
// lookup, such as an opportunity's customerid_account) at to, with
// PUT <from>/<nav>/$ref {"@odata.id": <to's URL>}. It is idempotent.
func (c *Client) SetLookup(ctx context.Context, from Ref, nav string, to Ref) error {
	const op = "sales: SetLookup"
	fp, tp, err := refPaths(op, from, nav, &to)
	if err != nil {
		return err
	}
	_, err = c.od.Do(ctx, &odata.Request{Method: http.MethodPut, Path: fp + "/" + nav + "/$ref", Body: c.refBody(tp)})
	return err
}

// ClearLookup empties from's single-valued navigation property nav, with
// DELETE <from>/<nav>/$ref.
func (c *Client) ClearLookup(ctx context.Context, from Ref, nav string) error {
	const op = "sales: ClearLookup"
	fp, _, err := refPaths(op, from, nav, nil)
	if err != nil {
		return err
	}
	_, err = c.od.Do(ctx, &odata.Request{Method: http.MethodDelete, Path: fp + "/" + nav + "/$ref"})
	return err
}

// refPaths checks the arguments of a $ref call and returns the paths of
// from and to (to nil: none).
func refPaths(op string, from Ref, nav string, to *Ref) (fp, tp string, err error) {
	if fp, err = from.path(op, "from"); err != nil {
		return "", "", err
	}
	if err = checkNav(op, nav); err != nil {
		return "", "", err
	}
	if to != nil {
		if tp, err = to.path(op, "to"); err != nil {
			return "", "", err
		}
	}
	return fp, tp, nil
}
