-- +goose Up
-- What a note copies from the conversation it is left in (NoteLeft names
-- only the conversation): channel, customer, and the team it was routed
-- to, kept by the notes projector for conversations not yet closed. A
-- closed conversation's row goes; a note left in it was copied before.
CREATE TABLE note_conversations (
    conversation_id uuid   PRIMARY KEY,
    tenant_id       uuid   NOT NULL,
    channel         text   NOT NULL,
    channel_account text   NOT NULL,
    customer_id     uuid   NOT NULL,
    customer_name   text   NOT NULL,
    team_id         uuid,
    -- version of the conversation's stream last applied
    version         bigint NOT NULL
);

-- How many notes a tenant has per team, holder, channel and status: the
-- counts of the Notes page's tabs, read without going through every note
-- of the tenant's history. No team and no holder count under the nil UUID.
CREATE TABLE note_tallies (
    tenant_id   uuid   NOT NULL,
    team_id     uuid   NOT NULL,
    assignee_id uuid   NOT NULL,
    channel     text   NOT NULL,
    status      text   NOT NULL,
    notes       bigint NOT NULL,
    PRIMARY KEY (tenant_id, team_id, assignee_id, channel, status)
);

-- +goose Down
DROP TABLE note_tallies;
DROP TABLE note_conversations;
