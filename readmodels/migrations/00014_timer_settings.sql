-- +goose Up
-- Conversation timeouts are due when the tenant's settings say, as they
-- stood when the timeout started. The "timers" projector sees the whole log
-- in order, so it keeps its own copy of the settings (TenantSettingChanged)
-- and reads them as of each event: a rebuild schedules exactly what the
-- live projector did.
CREATE TABLE timer_settings (
    tenant_id uuid  NOT NULL,
    key       text  NOT NULL,
    value     jsonb NOT NULL,
    PRIMARY KEY (tenant_id, key)
);

-- A conversation's timeout is one run per kind at a time: subject is the
-- conversation, started_at the start of the run. A run whose timeout is
-- switched off waits with due_at 'infinity' (never due), so that a run kept
-- from its first message is timed from that message once it is switched on.
ALTER TABLE timers ADD COLUMN subject uuid;
ALTER TABLE timers ADD COLUMN started_at timestamptz;
CREATE UNIQUE INDEX timers_subject_kind_idx ON timers (subject, kind) WHERE subject IS NOT NULL;

-- +goose Down
DROP INDEX timers_subject_kind_idx;
ALTER TABLE timers DROP COLUMN started_at;
ALTER TABLE timers DROP COLUMN subject;
DROP TABLE timer_settings;
