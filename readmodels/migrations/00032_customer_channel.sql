-- +goose Up
-- The channel a customer first came from: a customer has a record from its
-- first conversation's start, profile or not.
ALTER TABLE customers ADD COLUMN channel text NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE customers DROP COLUMN channel;
