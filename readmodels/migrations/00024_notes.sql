-- +goose Up
-- Customers' notes left instead of waiting (NoteLeft) and the work on them
-- (the note streams): the Notes page of both consoles, with its tabs
-- (open, pending, solved, unassigned), filters and export. Number is the
-- note's number within its tenant, given in log order.
CREATE TABLE notes (
    note_id         uuid        PRIMARY KEY,
    tenant_id       uuid        NOT NULL,
    number          bigint      NOT NULL,
    conversation_id uuid        NOT NULL,
    channel         text        NOT NULL,
    channel_account text        NOT NULL,
    customer_id     uuid        NOT NULL,
    customer_name   text        NOT NULL,
    team_id         uuid,
    text            text        NOT NULL,
    contact         text        NOT NULL,
    status          text        NOT NULL,
    assignee_id     uuid,
    remarks         int         NOT NULL DEFAULT 0,
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL,
    -- version of the note's stream last applied; -1 before any work on it
    version         bigint      NOT NULL DEFAULT -1
);
CREATE UNIQUE INDEX notes_number_idx ON notes (tenant_id, number);
CREATE INDEX notes_updated_idx ON notes (tenant_id, updated_at, note_id);
CREATE INDEX notes_status_idx ON notes (tenant_id, status, number);
CREATE INDEX notes_assignee_idx ON notes (tenant_id, assignee_id, number);

CREATE TABLE note_remarks (
    remark_id  uuid        PRIMARY KEY,
    note_id    uuid        NOT NULL,
    tenant_id  uuid        NOT NULL,
    author_id  uuid        NOT NULL,
    text       text        NOT NULL,
    -- the note stream's version of the remark: their order
    seq        bigint      NOT NULL,
    created_at timestamptz NOT NULL
);
CREATE INDEX note_remarks_note_idx ON note_remarks (note_id, seq);

-- +goose Down
DROP TABLE note_remarks;
DROP TABLE notes;
