-- +goose Up
-- Who pinned which conversation to the top of their own list
-- (ConversationPinned, ConversationUnpinned); written by the conversations
-- projector.
CREATE TABLE conversation_pins (
    conversation_id uuid        NOT NULL,
    user_id         uuid        NOT NULL,
    tenant_id       uuid        NOT NULL,
    pinned_at       timestamptz NOT NULL,
    PRIMARY KEY (conversation_id, user_id)
);
CREATE INDEX conversation_pins_user_idx ON conversation_pins (user_id);

-- +goose Down
DROP TABLE conversation_pins;
