package webhook_test

import (
	"context"
	"log"
	"net/http"

	"github.com/b2bflow/d365/sales/webhook"
)

// A receiver for a webhook registered with the WebhookKey option. Events
// are handled on a worker after Dataverse has been answered 202.
func ExampleNewHandler() {
	h, err := webhook.NewHandler(func(ctx context.Context, e *webhook.Event) error {
		c := e.Context
		if e.SizeExceeded {
			// The images and InputParameters were dropped: read the
			// record with the Web API instead of c.Target().
			log.Printf("re-read %s %s", c.PrimaryEntityName, c.PrimaryEntityID)
		}
		log.Printf("%s on %s %s", c.MessageName, c.PrimaryEntityName, c.PrimaryEntityID)
		return nil
	}, &webhook.Options{Auth: webhook.Auth{Code: "the key given at registration"}, Workers: 4})
	if err != nil {
		log.Fatal(err)
	}
	defer h.Close(context.Background())
	http.Handle("/dataverse/webhook", h)
}
