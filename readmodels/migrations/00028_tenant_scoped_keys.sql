-- +goose Up
-- IDs that clients choose (endpoint_id, rule_id, message_id) are unique
-- within a tenant only: the same ID in two tenants names two objects, so
-- the rows are keyed by tenant and ID (and colleague messages by their
-- pair too), and every write names the tenant.
ALTER TABLE webhook_endpoints DROP CONSTRAINT webhook_endpoints_pkey, ADD PRIMARY KEY (tenant_id, endpoint_id);
ALTER TABLE routing_rules DROP CONSTRAINT routing_rules_pkey, ADD PRIMARY KEY (tenant_id, rule_id);
ALTER TABLE keyword_rules DROP CONSTRAINT keyword_rules_pkey, ADD PRIMARY KEY (tenant_id, rule_id);
ALTER TABLE colleague_messages DROP CONSTRAINT colleague_messages_pkey, ADD PRIMARY KEY (tenant_id, pair_id, message_id),
    DROP CONSTRAINT colleague_messages_pair_id_seq_key, ADD UNIQUE (tenant_id, pair_id, seq);
DROP INDEX webhook_deliveries_pending_idx;
DROP INDEX webhook_deliveries_endpoint_idx;
CREATE INDEX webhook_deliveries_pending_idx ON webhook_deliveries (tenant_id, endpoint_id, seq) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_endpoint_idx ON webhook_deliveries (tenant_id, endpoint_id, seq DESC);

-- +goose Down
DROP INDEX webhook_deliveries_pending_idx;
DROP INDEX webhook_deliveries_endpoint_idx;
CREATE INDEX webhook_deliveries_pending_idx ON webhook_deliveries (endpoint_id, seq) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_endpoint_idx ON webhook_deliveries (endpoint_id, seq DESC);
ALTER TABLE colleague_messages DROP CONSTRAINT colleague_messages_pkey, ADD PRIMARY KEY (message_id),
    DROP CONSTRAINT colleague_messages_tenant_id_pair_id_seq_key, ADD UNIQUE (pair_id, seq);
ALTER TABLE keyword_rules DROP CONSTRAINT keyword_rules_pkey, ADD PRIMARY KEY (rule_id);
ALTER TABLE routing_rules DROP CONSTRAINT routing_rules_pkey, ADD PRIMARY KEY (rule_id);
ALTER TABLE webhook_endpoints DROP CONSTRAINT webhook_endpoints_pkey, ADD PRIMARY KEY (endpoint_id);
