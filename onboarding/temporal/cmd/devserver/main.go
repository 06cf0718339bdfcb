// Command devserver runs a Temporal server in process
// (go.temporal.io/server/temporaltest, in memory), for trying cmd/worker
// and cmd/starter without installing the Temporal CLI:
//
//	go run ./cmd/devserver     # prints the TEMPORAL_* variables to export
//
// It serves until interrupted; nothing is kept.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"go.temporal.io/server/temporaltest"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ts := temporaltest.NewServer()
	defer ts.Stop()
	fmt.Printf("export TEMPORAL_ADDRESS=%s TEMPORAL_NAMESPACE=%s\n", ts.GetFrontendHostPort(), ts.GetDefaultNamespace())
	<-ctx.Done()
}
