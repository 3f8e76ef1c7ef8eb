-- +goose Up
-- A timeout that reminds the agent highlights the conversation in the
-- agent's ongoing list, on top, until the agent writes in it: highlight
-- names the timeout (agent_no_reply, customer_no_reply), '' for none.
ALTER TABLE conversations ADD COLUMN highlight text NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE conversations DROP COLUMN highlight;
