// Package outbound delivers what a conversation's customer must see to the
// tenant's channels by webhook, and feeds the customer-side SSE streams.
//
// It is its own package, not a command or a projector: it appends nothing
// to the log, and its tables (readmodels/migrations/00021_webhook_outbox.sql)
// are state of their own, what was delivered and when to try again, which a
// rebuild must never replay.
//
// Webhooks are at-least-once, in two stages:
//
//   - Fanout follows the global log from its own checkpoint
//     (outbound_checkpoints, "webhooks"). For each outbound event
//     (webhook.Outbound) it adds one row per matching endpoint to
//     webhook_deliveries, with the exact JSON body and a delivery ID derived
//     from endpoint and event, and moves the checkpoint in the same
//     transaction: a crash neither loses nor doubles a delivery. Which
//     endpoints match is decided as of the event's position: the fan-out
//     folds each tenant's webhooks stream up to there, so an endpoint
//     registered after an event does not get it and one deleted before
//     does not either.
//
//   - Deliverer treats every endpoint as its own queue in seq order: only an
//     endpoint's oldest pending delivery is tried, so each receiver sees
//     events in log order, and an endpoint that fails or hangs holds up only
//     itself (endpoints are served by separate goroutines). A non-2xx answer,
//     a timeout or a refused connection schedules the next attempt after an
//     exponential, jittered backoff (cenkalti/backoff) kept in the row, so a
//     restart resumes exactly where it stopped; after MaxAttempts the
//     delivery is marked failed and the queue moves on. Every attempt is
//     logged in webhook_attempts for the admins' delivery log. A delivery
//     interrupted by a crash after the receiver got it is sent again with
//     the same delivery ID, which receivers use to drop the repeat.
//
// Requests are POSTs of application/json signed with HMAC-SHA256 of the
// body (webhook.Sign) in the X-Supportd-Signature header.
package outbound
