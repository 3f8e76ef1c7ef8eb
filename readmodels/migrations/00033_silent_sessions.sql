-- +goose Up
-- A session whose console went silent stays signed in; silent_at is when it
-- stopped counting as present (last heartbeat + 30 s), null while present.
ALTER TABLE agent_sessions ADD COLUMN silent_at timestamptz;

-- +goose Down
ALTER TABLE agent_sessions DROP COLUMN silent_at;
