-- +goose Up
-- Read models of the "keywords" projector, from the "keywords-{tenant id}"
-- streams and the KeywordPrompted events of conversations. Keyword rules:
-- one row per rule, rank 0.. in the order they are tried; rows of deleted
-- rules stay, marked deleted, so the version guard (the tenant's keywords
-- stream version that last touched the row) holds for a replayed older
-- event. Sensitive words: one row per tenant and side. Keyword prompts:
-- what the serving agent was shown, by conversation.
CREATE TABLE keyword_rules (
    rule_id    uuid        PRIMARY KEY,
    tenant_id  uuid        NOT NULL,
    rank       integer     NOT NULL,
    rule       jsonb       NOT NULL,
    deleted    boolean     NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    version    bigint      NOT NULL
);
CREATE INDEX keyword_rules_tenant_idx ON keyword_rules (tenant_id, rank, rule_id) WHERE NOT deleted;

CREATE TABLE sensitive_words (
    tenant_id   uuid        NOT NULL,
    side        text        NOT NULL,
    words       text[]      NOT NULL,
    alarm_level integer     NOT NULL,
    updated_at  timestamptz NOT NULL,
    version     bigint      NOT NULL,
    PRIMARY KEY (tenant_id, side)
);

CREATE TABLE keyword_prompts (
    conversation_id uuid        NOT NULL,
    message_id      uuid        NOT NULL,
    tenant_id       uuid        NOT NULL,
    seq             bigint      NOT NULL,
    rule_id         uuid        NOT NULL,
    agent_id        uuid        NOT NULL,
    text            text        NOT NULL,
    prompted_at     timestamptz NOT NULL,
    PRIMARY KEY (conversation_id, seq)
);

-- +goose Down
DROP TABLE keyword_prompts;
DROP TABLE sensitive_words;
DROP TABLE keyword_rules;
