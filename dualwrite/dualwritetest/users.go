package dualwritetest

import (
	"fmt"
	"strings"

	"github.com/google/uuid"
)

// SystemUserID is the systemuserid of the emulator's own user: the
// application user every request runs as unless it impersonates another
// (WhoAmI's UserId, the createdby of what it writes).
const SystemUserID = systemUserID

// AddUser adds a Dataverse user (a systemuser row) with the given full
// name and Microsoft Entra ID object id (azureactivedirectoryobjectid),
// and returns its systemuserid. A request sent with the CallerObjectId
// header set to objectID (d365.CallOptions.CallerObjectID), or
// MSCRMCallerID set to the returned id, then runs as that user: what it
// creates has createdby, modifiedby and ownerid of the user and
// createdonbehalfby of the emulator's user, as in Dataverse. A request
// impersonating a user the emulator does not have is refused (404
// 0x80040217). AddUser returns an error when objectID is not a GUID or
// another user has it.
func (s *Server) AddUser(fullName, objectID string) (string, error) {
	oid, err := uuid.Parse(objectID)
	if err != nil {
		return "", fmt.Errorf("dualwritetest: AddUser: objectID %q is not a GUID", objectID)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	users := s.store.Dataverse("systemuser")
	for _, e := range users.All() {
		if v, _ := e.Get("azureactivedirectoryobjectid").(string); strings.EqualFold(v, oid.String()) {
			return "", fmt.Errorf("dualwritetest: AddUser: a user already has the object id %s", oid)
		}
	}
	id := uuid.NewString()
	t := s.store.Begin()
	domain := strings.ToLower(strings.ReplaceAll(strings.TrimSpace(fullName), " ", "."))
	if _, err := s.dv.Apply(t, users, id, nil, map[string]any{"fullname": fullName, "domainname": domain + "@dualwritetest.example",
		"azureactivedirectoryobjectid": oid.String()}); err != nil {
		t.Rollback()
		return "", fmt.Errorf("dualwritetest: AddUser: %w", err)
	}
	return id, nil
}
