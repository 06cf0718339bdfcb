package dualwrite_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"time"

	"github.com/b2bflow/d365/dualwrite"
)

// Wait until a change made on one side shows on the other. The poll here
// stands in for a read (such as the prospect's status in Commerce after the
// opportunity was won in Sales) that sees the change on its third call.
func ExampleAwait() {
	calls := 0
	poll := func(ctx context.Context) (bool, error) {
		calls++
		fmt.Println("check", calls)
		return calls == 3, nil // a read error would end the wait: return it
	}
	err := dualwrite.Await(context.Background(), poll, &dualwrite.AwaitOptions{
		Interval:    time.Millisecond, // first wait between checks, doubled each time
		MaxInterval: 10 * time.Millisecond,
		Timeout:     time.Minute,
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("synced after", calls, "checks")

	// A change that never shows ends with ErrTimeout.
	err = dualwrite.Await(context.Background(), func(context.Context) (bool, error) { return false, nil },
		&dualwrite.AwaitOptions{Interval: time.Millisecond, Timeout: 20 * time.Millisecond})
	fmt.Println("timed out:", errors.Is(err, dualwrite.ErrTimeout))
	// Output:
	// check 1
	// check 2
	// check 3
	// synced after 3 checks
	// timed out: true
}
