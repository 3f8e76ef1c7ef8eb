-- +goose Up
-- A tenant's robots, for their API tokens and the robots list.
CREATE TABLE robots (
    tenant_id   uuid        NOT NULL,
    robot_id    uuid        NOT NULL,
    name        text        NOT NULL,
    avatar_url  text        NOT NULL,
    webhook_url text        NOT NULL,
    token_hash  text        NOT NULL,
    removed     boolean     NOT NULL DEFAULT false,
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL,
    version     bigint      NOT NULL,
    PRIMARY KEY (tenant_id, robot_id)
);
CREATE INDEX robots_token_idx ON robots (token_hash) WHERE NOT removed;
-- A robot's webhook is a delivery endpoint like the others, named by the
-- robot's ID; the webhooks list leaves it out.
ALTER TABLE webhook_endpoints ADD COLUMN robot boolean NOT NULL DEFAULT false;

-- +goose Down
ALTER TABLE webhook_endpoints DROP COLUMN robot;
DROP TABLE robots;
