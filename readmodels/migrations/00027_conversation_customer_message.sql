-- +goose Up
-- When the customer last wrote: the ongoing list's "last message" order
-- when agents' own messages do not move a conversation up
-- (agents.sort_by_agent_messages off).
ALTER TABLE conversations ADD COLUMN last_customer_message_at timestamptz;

-- +goose Down
ALTER TABLE conversations DROP COLUMN last_customer_message_at;
