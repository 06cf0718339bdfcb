package commerce

import (
	"context"
	"iter"

	"github.com/b2bflow/d365"
	"github.com/b2bflow/d365/internal/odata"
)

// DualWriteConfiguration is a row of the DualWriteProjectConfigurations
// entity: one dual-write map between a Finance and Operations entity and a
// Dataverse table, and its state. Package dualwrite checks these rows
// (dualwrite.CheckMaps) to tell whether the maps onboarding needs run.
type DualWriteConfiguration struct {
	// Annotations holds the record's ETag.
	d365.Annotations

	// ProjectName is the map's name (the key).
	ProjectName string `json:"ProjectName,omitempty"`
	// InternalEntityName is the Finance and Operations entity, such as
	// "Prospects".
	InternalEntityName string `json:"InternalEntityName,omitempty"`
	// ExternalEntityName is the Dataverse table, such as "leads".
	ExternalEntityName string `json:"ExternalEntityName,omitempty"`
	// Status is Enabled when the map runs.
	Status DualWriteStatus `json:"Status,omitempty"`
	// FieldMap is the map's field mapping, as the service stores it.
	FieldMap string `json:"FieldMap,omitempty"`
	// QueryFilterExpression is the map's Finance and Operations source
	// filter, such as "IsB2BProspect == Yes".
	QueryFilterExpression string `json:"QueryFilterExpression,omitempty"`
}

// UnmarshalJSON decodes the record and its annotations.
func (d *DualWriteConfiguration) UnmarshalJSON(b []byte) error {
	*d = DualWriteConfiguration{}
	type plain DualWriteConfiguration
	return odata.DecodeRecord(b, (*plain)(d), &d.Annotations)
}

// DualWriteService reads the dual-write configuration of the environment.
// Use it through Client.DualWrite.
type DualWriteService struct{ c *Client }

// Configurations returns every DualWriteProjectConfigurations row. The
// rows are few (one per map), so they are returned as a slice.
func (s *DualWriteService) Configurations(ctx context.Context) ([]DualWriteConfiguration, error) {
	return collect(s.List(ctx, nil))
}

// List pages through the DualWriteProjectConfigurations rows that o
// selects. o must not name a company.
func (s *DualWriteService) List(ctx context.Context, o *ListOptions) iter.Seq2[*DualWriteConfiguration, error] {
	return list[DualWriteConfiguration](ctx, s.c, dualWriteMaps, "DualWrite.List", o)
}
