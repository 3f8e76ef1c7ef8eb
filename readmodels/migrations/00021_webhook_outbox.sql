-- +goose Up
-- The webhook outbox. Unlike read models these rows are state of their own
-- (what was delivered, when to try again), written by the delivery worker
-- (package outbound), never by a projector, and never rebuilt.
--
-- outbound_checkpoints: how far in the log the fan-out has turned events
-- into deliveries. It moves in the same transaction as the rows it adds,
-- so after a crash nothing is enqueued twice or skipped.
CREATE TABLE outbound_checkpoints (
    name             text        PRIMARY KEY,
    commit_position  bigint      NOT NULL DEFAULT 0,
    prepare_position bigint      NOT NULL DEFAULT 0,
    updated_at       timestamptz NOT NULL DEFAULT now()
);

-- webhook_deliveries: one row per outbound event and endpoint (and per test
-- ping). Each endpoint is its own queue in seq order: only its oldest
-- pending row is tried, so its receiver sees events in log order and a
-- failing endpoint holds up nobody else. lease_until keeps two workers off
-- the same row.
CREATE TABLE webhook_deliveries (
    seq             bigserial   PRIMARY KEY,
    delivery_id     uuid        NOT NULL UNIQUE,
    tenant_id       uuid        NOT NULL,
    endpoint_id     uuid        NOT NULL,
    event_id        uuid,
    event_type      text        NOT NULL,
    conversation_id uuid,
    position        text        NOT NULL DEFAULT '',
    body            bytea       NOT NULL,
    status          text        NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts        integer     NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL,
    lease_until     timestamptz,
    last_attempt_at timestamptz,
    last_status     integer,
    last_error      text        NOT NULL DEFAULT '',
    created_at      timestamptz NOT NULL,
    finished_at     timestamptz
);
CREATE INDEX webhook_deliveries_pending_idx ON webhook_deliveries (endpoint_id, seq) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_endpoint_idx ON webhook_deliveries (endpoint_id, seq DESC);
CREATE INDEX webhook_deliveries_finished_idx ON webhook_deliveries (finished_at) WHERE status <> 'pending';

-- webhook_attempts: the delivery log, one row per HTTP attempt.
CREATE TABLE webhook_attempts (
    attempt_id   bigserial   PRIMARY KEY,
    delivery_id  uuid        NOT NULL,
    endpoint_id  uuid        NOT NULL,
    tenant_id    uuid        NOT NULL,
    attempt      integer     NOT NULL,
    attempted_at timestamptz NOT NULL,
    duration_ms  integer     NOT NULL,
    status_code  integer,
    error        text        NOT NULL DEFAULT '',
    outcome      text        NOT NULL CHECK (outcome IN ('delivered', 'retry', 'failed'))
);
CREATE INDEX webhook_attempts_endpoint_idx ON webhook_attempts (endpoint_id, attempt_id DESC);
CREATE INDEX webhook_attempts_time_idx ON webhook_attempts (attempted_at);

-- +goose Down
DROP TABLE webhook_attempts;
DROP TABLE webhook_deliveries;
DROP TABLE outbound_checkpoints;
