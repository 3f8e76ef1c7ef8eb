-- +goose Up
-- The global log. Rows are ordered by (transaction_id, position): readers
-- only see transactions older than the oldest one still running
-- (pg_snapshot_xmin), so an event whose transaction commits late is never
-- skipped by a reader that has already moved past its sequence number.
CREATE TABLE events (
    position       bigserial   NOT NULL,
    transaction_id xid8        NOT NULL DEFAULT pg_current_xact_id(),
    event_id       uuid        NOT NULL,
    stream         text        NOT NULL,
    stream_version bigint      NOT NULL,
    type           text        NOT NULL,
    schema_version integer     NOT NULL,
    data           json        NOT NULL,
    metadata       json        NOT NULL,
    recorded_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (transaction_id, position),
    CONSTRAINT events_stream_version_key UNIQUE (stream, stream_version),
    CONSTRAINT events_event_id_key UNIQUE (event_id)
);

-- +goose Down
DROP TABLE events;
