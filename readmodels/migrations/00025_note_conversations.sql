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

-- +goose Down
DROP TABLE note_conversations;
