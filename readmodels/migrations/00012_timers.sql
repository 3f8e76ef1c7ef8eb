-- +goose Up
-- Durable timers: what is due when (transfer confirmation, no-reply
-- reminders, inactivity close, rating window, …). The "timers" projector
-- schedules a row from the event that starts a timeout and deletes it on the
-- event that ends it (including the event the timer's own command records),
-- so the table is rebuilt from the log like any read model and a restart
-- finds every pending timer.
CREATE TABLE timers (
    timer_id  uuid        PRIMARY KEY,
    tenant_id uuid        NOT NULL,
    kind      text        NOT NULL,
    due_at    timestamptz NOT NULL,
    payload   jsonb       NOT NULL
);
CREATE INDEX timers_due_idx ON timers (due_at, timer_id);

-- +goose Down
DROP TABLE timers;
