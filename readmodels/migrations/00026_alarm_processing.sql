-- +goose Up
-- Which alarms an administrator marked processed (AlarmsProcessed).
ALTER TABLE alarms ADD COLUMN processed_at timestamptz;
ALTER TABLE alarms ADD COLUMN processed_by uuid;
CREATE INDEX alarms_unprocessed_idx ON alarms (tenant_id, raised_at DESC, event_id DESC) WHERE processed_at IS NULL;

-- +goose Down
DROP INDEX alarms_unprocessed_idx;
ALTER TABLE alarms DROP COLUMN processed_by;
ALTER TABLE alarms DROP COLUMN processed_at;
