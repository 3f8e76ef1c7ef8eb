-- +goose Up
-- Read models of the "customers" projector: customers with their tags,
-- the current blacklist and the blacklist requests. Every column comes from
-- the events of the customer streams (and the tenant's customer-tag
-- catalogue, whose deleted tags customers lose).
CREATE TABLE customers (
    customer_id uuid        PRIMARY KEY,
    tenant_id   uuid        NOT NULL,
    -- non-empty profile values by field ID ("nickname", "phone", …)
    profile     jsonb       NOT NULL DEFAULT '{}',
    vip         boolean     NOT NULL DEFAULT false,
    blacklisted boolean     NOT NULL DEFAULT false,
    -- when the first event of the customer was recorded
    first_seen  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL,
    -- stream version of the last customer event applied
    version     bigint      NOT NULL
);
-- the customer list, newest first, keyset-paged
CREATE INDEX customers_tenant_idx ON customers (tenant_id, first_seen DESC, customer_id DESC);

CREATE TABLE customer_tag_links (
    customer_id uuid NOT NULL,
    tag_id      uuid NOT NULL,
    tenant_id   uuid NOT NULL,
    PRIMARY KEY (customer_id, tag_id)
);
CREATE INDEX customer_tag_links_tag_idx ON customer_tag_links (tenant_id, tag_id);

-- Customers on the blacklist now: a row per entry, gone when removed.
CREATE TABLE blacklist (
    customer_id uuid        PRIMARY KEY,
    tenant_id   uuid        NOT NULL,
    reason      text        NOT NULL,
    -- who added the customer (the requesting agent, when approved)
    added_by    uuid        NOT NULL,
    request_id  uuid,
    approved_by uuid,
    added_at    timestamptz NOT NULL
);
CREATE INDEX blacklist_tenant_idx ON blacklist (tenant_id, added_at DESC, customer_id DESC);

CREATE TABLE blacklist_requests (
    request_id   uuid        PRIMARY KEY,
    tenant_id    uuid        NOT NULL,
    customer_id  uuid        NOT NULL,
    reason       text        NOT NULL,
    requested_by uuid        NOT NULL,
    requested_at timestamptz NOT NULL,
    -- pending, approved or rejected
    status       text        NOT NULL,
    decided_by   uuid,
    decided_at   timestamptz,
    remark       text        NOT NULL DEFAULT ''
);
CREATE INDEX blacklist_requests_tenant_idx ON blacklist_requests (tenant_id, status, requested_at DESC, request_id DESC);

-- +goose Down
DROP TABLE blacklist_requests;
DROP TABLE blacklist;
DROP TABLE customer_tag_links;
DROP TABLE customers;
