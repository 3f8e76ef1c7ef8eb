-- +goose Up
-- Read models of the "conversations" projector: the conversation list and
-- detail, their messages (with whispers, which only agents see), transfer
-- records, the queue of open episodes and invited experts. Every column
-- comes from the events; version is the conversation stream's version of
-- the last event applied, the guard that makes replays change nothing.
CREATE TABLE conversations (
    conversation_id     uuid        PRIMARY KEY,
    tenant_id           uuid        NOT NULL,
    channel             text        NOT NULL,
    channel_account     text        NOT NULL DEFAULT '',
    entry               text        NOT NULL DEFAULT '',
    customer_id         uuid        NOT NULL,
    customer_name       text        NOT NULL DEFAULT '',
    vip                 boolean     NOT NULL DEFAULT false,
    outbound            boolean     NOT NULL DEFAULT false,
    -- open (unrouted), queued, serving or closed
    status              text        NOT NULL,
    team_id             uuid,
    agent_id            uuid,
    segment_id          uuid,
    episode_id          uuid,
    queued_at           timestamptz,
    created_at          timestamptz NOT NULL,
    closed_at           timestamptz,
    close_reason        text        NOT NULL DEFAULT '',
    last_message_at     timestamptz,
    last_message_text   text        NOT NULL DEFAULT '',
    last_message_type   text        NOT NULL DEFAULT '',
    last_message_sender text        NOT NULL DEFAULT '',
    -- customer messages since the agent's last message
    unread              integer     NOT NULL DEFAULT 0,
    message_count       integer     NOT NULL DEFAULT 0,
    tag_ids             uuid[]      NOT NULL DEFAULT '{}',
    tag_remark          text        NOT NULL DEFAULT '',
    rating_invited      boolean     NOT NULL DEFAULT false,
    rating_stars        integer,
    pending_transfer_id uuid,
    version             bigint      NOT NULL
);
CREATE INDEX conversations_agent_idx ON conversations (tenant_id, agent_id, created_at, conversation_id) WHERE status = 'serving';
CREATE INDEX conversations_ongoing_idx ON conversations (tenant_id, status, created_at, conversation_id) WHERE status <> 'closed';

CREATE TABLE conversation_messages (
    message_id      uuid        PRIMARY KEY,
    conversation_id uuid        NOT NULL,
    tenant_id       uuid        NOT NULL,
    -- the stream version of the event: the conversation's order
    seq             bigint      NOT NULL,
    -- customer, agent, system, robot; admin for whispers
    sender_kind     text        NOT NULL,
    sender_id       text        NOT NULL,
    type            text        NOT NULL,
    text            text        NOT NULL DEFAULT '',
    file            jsonb,
    location        jsonb,
    custom          jsonb,
    notice          text        NOT NULL DEFAULT '',
    segment_id      uuid,
    -- a whisper: an admin's message only the serving agent sees
    whisper         boolean     NOT NULL DEFAULT false,
    recalled        boolean     NOT NULL DEFAULT false,
    sent_at         timestamptz NOT NULL
);
CREATE INDEX conversation_messages_conv_idx ON conversation_messages (conversation_id, seq);

CREATE TABLE conversation_transfers (
    transfer_id           uuid        PRIMARY KEY,
    conversation_id       uuid        NOT NULL,
    tenant_id             uuid        NOT NULL,
    from_agent_id         uuid        NOT NULL,
    to_kind               text        NOT NULL,
    to_id                 uuid        NOT NULL,
    reason                text        NOT NULL DEFAULT '',
    automatic             boolean     NOT NULL DEFAULT false,
    requires_confirmation boolean     NOT NULL DEFAULT false,
    expires_at            timestamptz,
    -- pending, transferred, rejected, expired or refused
    status                text        NOT NULL,
    confirmation          text        NOT NULL DEFAULT '',
    requested_at          timestamptz NOT NULL,
    decided_at            timestamptz
);
CREATE INDEX conversation_transfers_conv_idx ON conversation_transfers (conversation_id, requested_at, transfer_id);

-- Open queue episodes, in queue order: VIP first, then the oldest.
CREATE TABLE conversation_queue (
    episode_id      uuid        PRIMARY KEY,
    conversation_id uuid        NOT NULL UNIQUE,
    tenant_id       uuid        NOT NULL,
    team_id         uuid        NOT NULL,
    channel         text        NOT NULL,
    customer_id     uuid        NOT NULL,
    customer_name   text        NOT NULL DEFAULT '',
    vip             boolean     NOT NULL,
    reason          text        NOT NULL,
    queued_at       timestamptz NOT NULL,
    created_at      timestamptz NOT NULL
);
CREATE INDEX conversation_queue_order_idx ON conversation_queue (tenant_id, vip DESC, created_at, conversation_id);

CREATE TABLE conversation_experts (
    conversation_id uuid        NOT NULL,
    agent_id        uuid        NOT NULL,
    tenant_id       uuid        NOT NULL,
    invited_by      uuid        NOT NULL,
    invited_at      timestamptz NOT NULL,
    PRIMARY KEY (conversation_id, agent_id)
);

-- +goose Down
DROP TABLE conversation_experts;
DROP TABLE conversation_queue;
DROP TABLE conversation_transfers;
DROP TABLE conversation_messages;
DROP TABLE conversations;
