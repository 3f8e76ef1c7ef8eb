-- +goose Up
-- What the dispatcher ranks agents by, projected by the "dispatch"
-- projector from the agents' own streams: status, capacity, how many slots
-- each holds and when it last got one. version is the agent stream's
-- version of the last of those events, so the dispatcher can tell whether
-- its own copy of an agent or this row is the fresher; the reservation on
-- the agent's stream stays the only authority on capacity.
CREATE TABLE dispatch_agents (
    agent_id         uuid        PRIMARY KEY,
    tenant_id        uuid        NOT NULL,
    status           text        NOT NULL,
    capacity         integer     NOT NULL,
    open_slots       integer     NOT NULL DEFAULT 0,
    last_assigned_at timestamptz,
    version          bigint      NOT NULL
);

-- A slot's conversation as the conversation's stream tells it: confirmed
-- (the AgentJoined naming the reservation, and its segment) and ended (that
-- segment left, or the conversation closed). The dispatcher settles only
-- the slots that ended or were never confirmed, instead of reading every
-- slot's conversation.
ALTER TABLE dispatch_slots
    ADD COLUMN segment_id uuid,
    ADD COLUMN joined     boolean NOT NULL DEFAULT false,
    ADD COLUMN ended      boolean NOT NULL DEFAULT false;
CREATE INDEX dispatch_slots_conversation_idx ON dispatch_slots (conversation_id);
CREATE INDEX dispatch_slots_unsettled_idx ON dispatch_slots (reserved_at) WHERE NOT released AND (ended OR NOT joined);

-- The new columns and tables are filled by replaying the log.
TRUNCATE dispatch_slots;
UPDATE projection_checkpoints SET commit_position = 0, prepare_position = 0 WHERE projector = 'dispatch';

-- +goose Down
DROP INDEX dispatch_slots_unsettled_idx;
DROP INDEX dispatch_slots_conversation_idx;
ALTER TABLE dispatch_slots DROP COLUMN ended, DROP COLUMN joined, DROP COLUMN segment_id;
DROP TABLE dispatch_agents;
