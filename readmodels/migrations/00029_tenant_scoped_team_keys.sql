-- +goose Up
-- Team and time plan IDs may be chosen by clients too: unique within a
-- tenant only, so their rows are keyed by tenant and ID.
ALTER TABLE teams DROP CONSTRAINT teams_pkey, ADD PRIMARY KEY (tenant_id, team_id);
ALTER TABLE team_members DROP CONSTRAINT team_members_pkey, ADD PRIMARY KEY (tenant_id, team_id, agent_id);
ALTER TABLE time_plans DROP CONSTRAINT time_plans_pkey, ADD PRIMARY KEY (tenant_id, plan_id);

-- +goose Down
ALTER TABLE time_plans DROP CONSTRAINT time_plans_pkey, ADD PRIMARY KEY (plan_id);
ALTER TABLE team_members DROP CONSTRAINT team_members_pkey, ADD PRIMARY KEY (team_id, agent_id);
ALTER TABLE teams DROP CONSTRAINT teams_pkey, ADD PRIMARY KEY (team_id);
