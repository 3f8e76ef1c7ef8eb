-- +goose Up
-- Familiarity, projected by the "dispatch" projector: which agents served
-- which customer, how many of its conversations and when last. A
-- conversation's customer and the agents who joined it are kept per
-- conversation, so that an agent joining the same conversation twice (a
-- transfer back) counts once; version is the conversation stream's version
-- of the last event applied.
CREATE TABLE dispatch_conversations (
    conversation_id uuid    PRIMARY KEY,
    tenant_id       uuid    NOT NULL,
    customer_id     uuid    NOT NULL,
    served_by       uuid[]  NOT NULL DEFAULT '{}',
    version         bigint  NOT NULL
);

CREATE TABLE dispatch_familiarity (
    tenant_id      uuid        NOT NULL,
    customer_id    uuid        NOT NULL,
    agent_id       uuid        NOT NULL,
    conversations  integer     NOT NULL,
    last_served_at timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, customer_id, agent_id)
);

-- Filled by replaying the log.
TRUNCATE dispatch_slots;
DELETE FROM dispatch_agents;
UPDATE projection_checkpoints SET commit_position = 0, prepare_position = 0 WHERE projector = 'dispatch';

-- +goose Down
DROP TABLE dispatch_familiarity;
DROP TABLE dispatch_conversations;
