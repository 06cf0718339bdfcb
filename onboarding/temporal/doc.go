// Package temporal runs partner onboarding as a durable Temporal workflow:
// one workflow per onboarding request, which waits (days if need be) for a
// person's decision, survives restarts, and runs on as many workers as
// share its task queue.
//
// It is its own Go module (github.com/b2bflow/d365/onboarding/temporal),
// so that the d365 module does not depend on Temporal. Import it under
// another name when you also import go.temporal.io/sdk/temporal:
//
//	import otemporal "github.com/b2bflow/d365/onboarding/temporal"
//
// The pieces:
//
//   - Workflow (registered as WorkflowName) takes a Request: it reads the
//     lead (the activity Inspect), waits for the signal SignalDecision (a
//     DecisionSignal: approve or reject, the reviewer and a reason), sends
//     a reminder every Request.RemindEvery, and at Request.DecisionTimeout
//     rejects or escalates (Request.AtDeadline). It then approves or
//     rejects with the activities Approve and Reject, which are
//     onboarding.Service.Approve and Reject: they resume where an earlier
//     attempt stopped and never act twice, so Temporal may give an attempt
//     whose worker stopped or hung to another worker. The query
//     QueryStatus answers its Status.
//   - Activities holds the onboarding.Service and the hooks for reminders
//     and escalations (OnRemind, OnEscalate); Register registers the
//     workflow and the activities on a worker.
//   - ActivityError maps the errors: conflicts, bad input, a lead that is
//     not an onboarding request and 4xx answers other than 408 and 429 are
//     non-retryable; a 429's Retry-After becomes the next retry delay.
//   - Start starts the workflow of a request under WorkflowID(leadID), so a
//     request runs one workflow however many times it is started; Decide
//     sends a decision; StartOnLeadCreated is a webhook.Func that starts
//     the workflow the moment Dataverse creates the lead, and
//     SignalOnLeadUpdated one that drives the Commerce confirmation by
//     events (Request.AwaitConfirmation) instead of polling at once.
//
// cmd/worker runs a worker (and the webhook receiver) against real
// services or the emulator, cmd/starter starts, decides and queries, and
// cmd/demo runs it all in one process on an in-process Temporal server.
package temporal
