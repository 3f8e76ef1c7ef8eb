-- +goose Up
-- Read models of the "teams" projector (teams, team_members) and of the
-- "time_plans" projector (time_plans, time_plan_defaults). Rows of deleted
-- teams and plans stay, marked deleted, so that the version guard still
-- holds for a replayed older event. Every column comes from the events.
CREATE TABLE teams (
    team_id    uuid        PRIMARY KEY,
    tenant_id  uuid        NOT NULL,
    name       text        NOT NULL,
    greeting   text        NOT NULL DEFAULT '',
    -- the bound time plan; NULL: the tenant's default plan applies
    plan_id    uuid,
    deleted    boolean     NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    -- stream version of the last team event applied
    version    bigint      NOT NULL
);
CREATE INDEX teams_tenant_idx ON teams (tenant_id, lower(name), team_id) WHERE NOT deleted;
CREATE INDEX teams_plan_idx ON teams (plan_id) WHERE NOT deleted;

CREATE TABLE team_members (
    team_id   uuid        NOT NULL,
    agent_id  uuid        NOT NULL,
    tenant_id uuid        NOT NULL,
    added_at  timestamptz NOT NULL,
    PRIMARY KEY (team_id, agent_id)
);
-- what authentication asks on every request of a team-scoped user
CREATE INDEX team_members_agent_idx ON team_members (agent_id, team_id);

CREATE TABLE time_plans (
    plan_id    uuid        PRIMARY KEY,
    tenant_id  uuid        NOT NULL,
    name       text        NOT NULL,
    schedule   jsonb       NOT NULL,
    deleted    boolean     NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    version    bigint      NOT NULL
);
CREATE INDEX time_plans_tenant_idx ON time_plans (tenant_id, lower(name), plan_id) WHERE NOT deleted;

-- The tenant's default plan, from the tenant stream.
CREATE TABLE time_plan_defaults (
    tenant_id uuid   PRIMARY KEY,
    plan_id   uuid   NOT NULL,
    -- tenant stream version of the choice
    version   bigint NOT NULL
);

-- +goose Down
DROP TABLE time_plan_defaults;
DROP TABLE time_plans;
DROP TABLE team_members;
DROP TABLE teams;
