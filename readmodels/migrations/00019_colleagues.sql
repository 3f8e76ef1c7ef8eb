-- +goose Up
-- The colleague chat read model, written by the "colleagues" projector
-- from the "colleaguechat-{pair id}" streams: every message between two
-- agents, numbered per pair (seq is the pair's message number), and when
-- the recipient's console received it (null: still waiting, e.g. for an
-- offline colleague).
CREATE TABLE colleague_messages (
    message_id    uuid        PRIMARY KEY,
    pair_id       uuid        NOT NULL,
    tenant_id     uuid        NOT NULL,
    seq           bigint      NOT NULL,
    from_agent_id uuid        NOT NULL,
    to_agent_id   uuid        NOT NULL,
    type          text        NOT NULL,
    text          text        NOT NULL,
    file          jsonb,
    sent_at       timestamptz NOT NULL,
    delivered_at  timestamptz,
    UNIQUE (pair_id, seq)
);
CREATE INDEX colleague_messages_waiting_idx ON colleague_messages (to_agent_id, sent_at, message_id) WHERE delivered_at IS NULL;
CREATE INDEX colleague_messages_between_idx ON colleague_messages (from_agent_id, to_agent_id, sent_at DESC);

-- +goose Down
DROP TABLE colleague_messages;
