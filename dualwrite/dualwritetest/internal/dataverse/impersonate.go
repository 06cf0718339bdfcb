package dataverse

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/google/uuid"
)

// Impersonation ("Impersonate another user using the Web API"): a request
// with the CallerObjectId header (the Microsoft Entra ID object id of a
// systemuser, its azureactivedirectoryobjectid) or MSCRMCallerID (a
// systemuserid) runs as that user. Records it creates get createdby,
// modifiedby, ownerid and owninguser of the impersonated user, and
// createdonbehalfby (modifiedonbehalfby on updates) of the calling user,
// as the documented exchange impersonate-another-user-web-api-003/-004
// shows; WhoAmI answers the impersonated user. A header naming no user of
// the organization is refused: 404 0x80040217 "systemuser With ... Does
// Not Exist" (the code of a missing record; the exact text Dataverse sends
// for an unknown caller is not documented), a value that is no GUID 400.
// What dual-write writes while it serves the request is written as the
// impersonated user too (in Dataverse, dual-write writes as its own
// application user).
//
// Shared state: the Service serves one request at a time (the Server's
// lock), so the acting user is a field set for the request's duration.

// impersonate sets s.actor to the user the request acts as for the
// request's duration and returns the function that restores the previous
// one (requests are serialised by the caller; a $batch part runs inside
// its batch). It answers the request and returns false when the header
// names no user.
func (s *Service) impersonate(d *request) (func(), bool) {
	header, col := "CallerObjectId", "azureactivedirectoryobjectid"
	v := strings.TrimSpace(d.r.Header.Get(header))
	if v == "" {
		header, col = "MSCRMCallerID", "systemuserid"
		v = strings.TrimSpace(d.r.Header.Get(header))
	}
	if v == "" {
		return func() {}, true
	}
	id, err := uuid.Parse(v)
	if err != nil {
		d.writeError(http.StatusBadRequest, "0x80040203", fmt.Sprintf("The %s header '%s' is not a valid GUID.", header, v))
		return nil, false
	}
	user := ""
	for k, e := range s.Store.Dataverse("systemuser").All() {
		if strings.EqualFold(str(e.Get(col)), id.String()) {
			user = k
			break
		}
	}
	if user == "" {
		d.writeError(http.StatusNotFound, "0x80040217", fmt.Sprintf("systemuser With %s = %s Does Not Exist", col, id))
		return nil, false
	}
	prev := s.actor
	s.actor = user
	return func() { s.actor = prev }, true
}

// actingUser is the systemuserid the current request runs as.
func (s *Service) actingUser() string {
	if s.actor != "" {
		return s.actor
	}
	return s.UserID
}

// onBehalf is the calling user when the current request impersonates
// another, "" otherwise.
func (s *Service) onBehalf() string {
	if s.actor != "" && s.actor != s.UserID {
		return s.UserID
	}
	return ""
}
