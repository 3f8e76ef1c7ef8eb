-- +goose Up
-- An agent's personal time plan (dispatch.working_hours_source = agent).
ALTER TABLE agents ADD COLUMN plan_id uuid;
CREATE INDEX agents_plan_idx ON agents (tenant_id, plan_id) WHERE plan_id IS NOT NULL;

-- +goose Down
DROP INDEX agents_plan_idx;
ALTER TABLE agents DROP COLUMN plan_id;
