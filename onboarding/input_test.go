package onboarding_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/b2bflow/d365"
	"github.com/b2bflow/d365/onboarding"
	"github.com/b2bflow/d365/sales"
	"github.com/google/uuid"
)

func TestInputErrorsAreMatchableAndSendNothing(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { calls.Add(1) }))
	defer srv.Close()
	sc, err := sales.NewClient(srv.URL, d365.StaticTokenCredential("token"), nil)
	if err != nil {
		t.Fatal(err)
	}
	svc := onboarding.New(sc, nil, nil)
	bad := onboarding.New(sc, nil, &onboarding.Options{PageSize: -1})
	ctx := context.Background()
	id := uuid.MustParse("00000000-0000-0000-0000-000000000001")
	for _, tc := range []struct {
		name, field string
		err         error
	}{
		{"approve nil id", "leadID", func() error { _, err := svc.Approve(ctx, uuid.Nil, nil); return err }()},
		{"reject nil id", "leadID", func() error { _, err := svc.Reject(ctx, uuid.Nil, nil); return err }()},
		{"reject reason", "RejectOptions.Reason", func() error {
			_, err := svc.Reject(ctx, id, &onboarding.RejectOptions{Reason: sales.LeadStatusNew})
			return err
		}()},
		{"reject lose as", "RejectOptions.LoseAs", func() error {
			_, err := svc.Reject(ctx, id, &onboarding.RejectOptions{LoseAs: sales.OpportunityStatusWon})
			return err
		}()},
		{"process decide", "decide", func() error { _, err := svc.Process(ctx, nil, nil); return err }()},
		{"page size", "Options.PageSize", func() error {
			for _, err := range bad.Pending(ctx) {
				return err
			}
			return nil
		}()},
	} {
		var ie *d365.InputError
		if !errors.Is(tc.err, d365.ErrInvalidInput) || !errors.As(tc.err, &ie) {
			t.Errorf("%s: err = %v (%T), want a *d365.InputError", tc.name, tc.err, tc.err)
			continue
		}
		if ie.Field != tc.field {
			t.Errorf("%s: Field = %q, want %q", tc.name, ie.Field, tc.field)
		}
	}
	if n := calls.Load(); n != 0 {
		t.Errorf("the server got %d requests for bad input, want none", n)
	}
}
