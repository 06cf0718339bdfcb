package commerce_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/b2bflow/d365/commerce"
)

func TestDateTimeNoDate(t *testing.T) {
	var v struct{ A, B, C commerce.DateTime }
	if err := json.Unmarshal([]byte(`{"A":"1900-01-01T00:00:00Z","B":null,"C":"2026-11-20T10:15:00+02:00"}`), &v); err != nil {
		t.Fatal(err)
	}
	if !v.A.IsZero() || !v.B.IsZero() || !v.C.Equal(time.Date(2026, 11, 20, 8, 15, 0, 0, time.UTC)) {
		t.Errorf("decoded %+v", v)
	}
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"A":"1900-01-01T00:00:00Z","B":"1900-01-01T00:00:00Z","C":"2026-11-20T08:15:00Z"}`
	if string(b) != want {
		t.Errorf("encoded %s, want %s", b, want)
	}
	if err := json.Unmarshal([]byte(`"yesterday"`), &v.A); err == nil {
		t.Error("decoding \"yesterday\" did not fail")
	}
}

func TestEnumDecoding(t *testing.T) {
	var v struct {
		S commerce.ProspectStatus
		R commerce.NodeRole
		D commerce.DualWriteStatus
		N commerce.NoYes
	}
	if err := json.Unmarshal([]byte(`{"S":7,"R":"Owner","D":4,"N":null}`), &v); err != nil {
		t.Fatal(err)
	}
	if v.S != "7" || v.R != "Owner" || v.D != commerce.DualWriteQueueing || v.N != "" {
		t.Errorf("decoded %+v", v)
	}
	if err := json.Unmarshal([]byte(`{"S":true}`), &v); err == nil {
		t.Error("decoding a boolean enum did not fail")
	}
}
