package commerce

import (
	"github.com/b2bflow/d365"
	"github.com/b2bflow/d365/internal/odata"
)

// Prospect is a record of the Prospects entity: a potential customer, and
// for B2B e-commerce the onboarding request of an organization
// (IsB2BProspect Yes). Its key is DataAreaID + ProspectID.
//
// Empty fields are left out when a Prospect is sent (Create).
type Prospect struct {
	// Annotations holds the record's ETag (opaque, such as
	// W/"JzEsNTYzNzE0NDU3NjsxLDU2MzcxNDQ1NzYn"), to pass back as
	// UpdateOptions.IfMatch.
	d365.Annotations

	// DataAreaID is the company (dataAreaId), such as "usrt".
	DataAreaID string `json:"dataAreaId,omitempty"`
	// ProspectID is the prospect's id in its company.
	ProspectID string `json:"ProspectId,omitempty"`
	// ProspectName is the requester's name.
	ProspectName string `json:"ProspectName,omitempty"`
	// CompanyName is the organization's name.
	CompanyName         string `json:"CompanyName,omitempty"`
	PrimaryEmailAddress string `json:"PrimaryEmailAddress,omitempty"`
	PrimaryPhoneNumber  string `json:"PrimaryPhoneNumber,omitempty"`
	PrimaryURL          string `json:"PrimaryURL,omitempty"`
	// ProspectPartyNumber is the global address book party of the
	// prospect.
	ProspectPartyNumber string `json:"ProspectPartyNumber,omitempty"`
	// ProspectPartyType is "Organization" or "Person".
	ProspectPartyType PartyType `json:"ProspectPartyType,omitempty"`
	// IsB2BProspect is Yes for the onboarding requests of B2B sites.
	IsB2BProspect NoYes `json:"IsB2BProspect,omitempty"`
	// B2BProspectStatus is the state of the onboarding request.
	B2BProspectStatus ProspectStatus `json:"B2BProspectStatus,omitempty"`
	// RetailChannelOperatingUnitPartyNumber is the party number of the
	// store (channel) the request came from.
	RetailChannelOperatingUnitPartyNumber string       `json:"RetailChannelOperatingUnitPartyNumber,omitempty"`
	CustomerGroupID                       string       `json:"CustomerGroupId,omitempty"`
	CurrencyCode                          string       `json:"CurrencyCode,omitempty"`
	CreditLimit                           d365.Decimal `json:"CreditLimit,omitempty"`
	// Note holds the requester's comments.
	Note          string `json:"Note,omitempty"`
	AddressStreet string `json:"AddressStreet,omitempty"`
	AddressCity   string `json:"AddressCity,omitempty"`
	// AddressStateID is the state or province id (AddressStateId), such as
	// "WA". (AddressState is a navigation property of Prospects, not a
	// field.)
	AddressStateID string `json:"AddressStateId,omitempty"`
	AddressZipCode string `json:"AddressZipCode,omitempty"`
	// AddressCountryRegionID is the country/region id, such as "USA".
	AddressCountryRegionID string `json:"AddressCountryRegionId,omitempty"`
	// AddressCountryRegionISOCode is the ISO code of the country/region,
	// such as "US": dual-write copies it to the lead's address1_country.
	AddressCountryRegionISOCode string `json:"AddressCountryRegionISOCode,omitempty"`
}

// UnmarshalJSON decodes the record and its annotations.
func (p *Prospect) UnmarshalJSON(b []byte) error {
	*p = Prospect{}
	type plain Prospect
	return odata.DecodeRecord(b, (*plain)(p), &p.Annotations)
}
