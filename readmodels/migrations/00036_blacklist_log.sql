-- +goose Up
-- Every blacklist decision, as the manual's blacklist log shows it: who
-- asked, added, rejected or removed, when and why.
CREATE TABLE blacklist_log (
    event_id    uuid        PRIMARY KEY,
    tenant_id   uuid        NOT NULL,
    customer_id uuid        NOT NULL,
    action      text        NOT NULL,
    by_agent    uuid,
    approved_by uuid,
    request_id  uuid,
    reason      text        NOT NULL,
    at          timestamptz NOT NULL
);
CREATE INDEX blacklist_log_tenant_idx ON blacklist_log (tenant_id, at DESC, event_id DESC);
CREATE INDEX blacklist_log_customer_idx ON blacklist_log (tenant_id, customer_id, at DESC);

-- +goose Down
DROP TABLE blacklist_log;
