-- +goose Up
-- Customer IDs are chosen by the channel that reports them: unique within
-- a tenant only, so the customer rows are keyed by tenant and ID.
ALTER TABLE customers DROP CONSTRAINT customers_pkey, ADD PRIMARY KEY (tenant_id, customer_id);
ALTER TABLE customer_tag_links DROP CONSTRAINT customer_tag_links_pkey, ADD PRIMARY KEY (tenant_id, customer_id, tag_id);
ALTER TABLE blacklist DROP CONSTRAINT blacklist_pkey, ADD PRIMARY KEY (tenant_id, customer_id);

-- +goose Down
ALTER TABLE blacklist DROP CONSTRAINT blacklist_pkey, ADD PRIMARY KEY (customer_id);
ALTER TABLE customer_tag_links DROP CONSTRAINT customer_tag_links_pkey, ADD PRIMARY KEY (customer_id, tag_id);
ALTER TABLE customers DROP CONSTRAINT customers_pkey, ADD PRIMARY KEY (customer_id);
