-- +goose Up
-- Notices for a user's console, from events that concern the user but that
-- someone else caused: an admin set its maximum conversations, or changed
-- its role. The console lists them (and, with live updates, pushes them).
CREATE TABLE notifications (
    event_id   uuid        PRIMARY KEY,
    tenant_id  uuid        NOT NULL,
    agent_id   uuid        NOT NULL,
    kind       text        NOT NULL,
    detail     jsonb       NOT NULL,
    created_at timestamptz NOT NULL
);
CREATE INDEX notifications_agent_idx ON notifications (agent_id, created_at DESC, event_id);

-- +goose Down
DROP TABLE notifications;
