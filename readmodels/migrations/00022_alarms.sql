-- +goose Up
-- Alarms for the tenant's administrators (AlarmRaised): unmatched routing
-- rules, unroutable conversations, no-reply timeouts, sensitive words,
-- excessive waiting. The monitor lists them, newest first.
CREATE TABLE alarms (
    event_id        uuid        PRIMARY KEY,
    tenant_id       uuid        NOT NULL,
    conversation_id uuid        NOT NULL,
    kind            text        NOT NULL,
    level           int         NOT NULL,
    detail          text        NOT NULL,
    raised_at       timestamptz NOT NULL
);
CREATE INDEX alarms_tenant_idx ON alarms (tenant_id, raised_at DESC, event_id DESC);
CREATE INDEX alarms_conversation_idx ON alarms (conversation_id);

-- +goose Down
DROP TABLE alarms;
