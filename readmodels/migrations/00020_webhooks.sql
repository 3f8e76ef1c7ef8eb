-- +goose Up
-- The webhook endpoints read model, written by the "webhooks" projector
-- from the "webhooks-{tenant id}" streams. The secret is kept because the
-- delivery worker signs with it; the API never shows it after it was set.
-- Rows of deleted endpoints stay, marked deleted, so the version guard
-- holds for a replayed older event and deliveries still name them.
CREATE TABLE webhook_endpoints (
    endpoint_id uuid        PRIMARY KEY,
    tenant_id   uuid        NOT NULL,
    url         text        NOT NULL,
    secret      text        NOT NULL,
    channels    text[]      NOT NULL,
    enabled     boolean     NOT NULL,
    description text        NOT NULL,
    deleted     boolean     NOT NULL DEFAULT false,
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL,
    version     bigint      NOT NULL
);
CREATE INDEX webhook_endpoints_tenant_idx ON webhook_endpoints (tenant_id, created_at, endpoint_id) WHERE NOT deleted;

-- +goose Down
DROP TABLE webhook_endpoints;
