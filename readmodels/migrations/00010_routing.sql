-- +goose Up
-- The routing rules read model, written by the "routing_rules" projector
-- from the "routingrules-{tenant id}" streams. One row per rule; rank
-- orders the ranked rules, the default binding sorts last. Rows of deleted
-- rules stay, marked deleted, so the version guard (the tenant's rules
-- stream version that last touched the row) still holds for a replayed
-- older event.
CREATE TABLE routing_rules (
    rule_id    uuid        PRIMARY KEY,
    tenant_id  uuid        NOT NULL,
    binding    text        NOT NULL,
    is_default boolean     NOT NULL,
    rank       integer     NOT NULL,
    rule       jsonb       NOT NULL,
    deleted    boolean     NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    version    bigint      NOT NULL
);
CREATE INDEX routing_rules_tenant_idx ON routing_rules (tenant_id, is_default, rank, rule_id) WHERE NOT deleted;

-- +goose Down
DROP TABLE routing_rules;
