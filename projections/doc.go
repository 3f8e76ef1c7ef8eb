// Package projections turns the global event log into read models: one
// projector per read model, each applying events in order to its own
// PostgreSQL tables and moving its checkpoint in the same transaction, so
// that its rows are exactly-once in effect across crashes, redeliveries and
// replicas.
//
// # Pieces
//
//   - Projector: Name, Tables, Apply(ctx, db, event); BatchProjector adds
//     ApplyBatch for fast rebuilds; Selective adds EventTypes, the types it
//     projects, and every projector of supportd is one. Tenants is the
//     first. All lists every projector of supportd; Find picks one by name.
//   - DB: what Apply writes through. Statements are queued and sent in one
//     pipelined round trip when the batch ends, with the checkpoint.
//   - Subscriber: a Watermill message.Subscriber over any eventstore.Store.
//     Topic = projector name. Read the next events; if the projector
//     declares none of their types, only move its position in memory (it
//     counts as applied) and save it to the checkpoint row later, with its
//     next batch or at most every 10 batches or second. Otherwise one
//     transaction on the read-model pool: lock the checkpoint row (SELECT
//     ... FOR UPDATE), hand each event of the projector's types out with
//     the transaction in its context (TxFromContext, DBFromContext,
//     EventFromContext), wait for its ack, save the checkpoint past the
//     batch, commit. A nack rolls the batch back; the failed event is then
//     delivered alone, after the events before it commit.
//   - Runner: a Watermill router with one consumer handler per projector,
//     wrapped in Retry (exponential backoff, five tries, each in a
//     savepoint) and a reporter that, once the tries are spent, stops that
//     projector's handler — the others go on — and reports it through
//     Health, the supportd_projector_up and
//     supportd_projector_failures_total metrics, and an error log. An event
//     is never skipped.
//   - Rebuild: replays the whole log into fresh copies of a projector's
//     tables and swaps them in; `supportctl rebuild NAME` runs it.
//
// Batches commit without waiting for the disk: a server crash loses rows
// and checkpoint together, and the events are applied again.
//
// Every transaction that writes holds back the PostgreSQL store's global
// log, for every reader on the server, until it ends (see ReadAll in
// eventstore/postgres). Projector batches and rebuild batches are kept
// short for that reason, and a projector opens none for events it does not
// project; so should anything else that writes to the same server.
//
// # Use from the server
//
//	if err := readmodels.Migrate(ctx, pool); err != nil { ... }
//	runner, err := projections.NewRunner(store, pool, logger, registerer,
//		projections.All(eventschema.Catalog())...)
//	go runner.Run(ctx)                       // returns when ctx ends
//	runner.Health()                          // []Status for /readyz
//	runner.WaitFor(ctx, pos)                 // ?min_position=: read your writes
//	readmodels.GetTenantSettings(ctx, pool, tenantID)
//
// A projector is ready when its State is StateRunning; WaitFor fails fast
// with ErrStopped when a projector it waits for has stopped.
//
// # Metrics (labelled by projector)
//
//   - supportd_projector_up: 1 while consuming, 0 once stopped.
//   - supportd_projector_failures_total: failed attempts and failed batches.
//   - supportd_projector_events_total: events applied and committed; the
//     events a projector skips (not of its types) are not counted.
//   - supportd_projector_lag_events: events in the log after the checkpoint.
//   - supportd_projector_lag_milliseconds: age of the oldest event not yet
//     applied; 0 when caught up.
//   - supportd_projector_stopped_info: 1 per stopped projector, labelled with
//     its checkpoint and the position and type of the event it stopped on.
//
// # Text the database refuses
//
// Every statement a projector sends through its DB is sanitised first (see
// sanitise.go): NUL characters are removed from text and JSON arguments,
// invalid UTF-8 becomes U+FFFD. An event of the log holding such text is
// projected, cleaned, instead of stopping its projector; the event itself
// is unchanged.
//
// Lag is measured against one store subscription per Runner that follows
// the head of the log; it also wakes idle projectors when events arrive,
// and it is their shared reader: it keeps the newest events, which the
// projectors read from memory instead of each querying the store.
//
// # Replicas
//
// Every replica may run a Runner. The checkpoint row lock serialises the
// batches of a projector across processes, so at any moment at most one
// instance applies its events, and whichever takes the lock continues from
// the checkpoint the other committed.
package projections
