-- +goose Up
-- Read model of the "dispatch" projector: every slot the dispatcher ever
-- reserved on an agent's stream, and whether it was released. The
-- dispatcher asks it which agents hold open slots, so that a slot whose
-- conversation ended, or a reservation a crashed dispatcher left
-- unconfirmed, is settled even for an agent no queued team asks for. Rows
-- stay after their release, so a replayed reservation cannot reopen one.
CREATE TABLE dispatch_slots (
    reservation_id  uuid        PRIMARY KEY,
    tenant_id       uuid        NOT NULL,
    agent_id        uuid        NOT NULL,
    conversation_id uuid        NOT NULL,
    episode_id      uuid        NOT NULL,
    team_id         uuid        NOT NULL,
    reserved_at     timestamptz NOT NULL,
    released        boolean     NOT NULL DEFAULT false,
    release_reason  text        NOT NULL DEFAULT ''
);
CREATE INDEX dispatch_slots_open_idx ON dispatch_slots (tenant_id, agent_id) WHERE NOT released;

-- +goose Down
DROP TABLE dispatch_slots;
