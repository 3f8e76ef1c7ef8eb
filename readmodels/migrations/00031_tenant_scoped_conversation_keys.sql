-- +goose Up
-- Conversation, message, transfer, note and remark IDs are chosen by
-- clients: unique within a tenant (messages and transfers within their
-- conversation) only, so their rows are keyed by tenant as well; so are
-- the timers, whose IDs and subjects derive from those IDs.
ALTER TABLE conversations DROP CONSTRAINT conversations_pkey, ADD PRIMARY KEY (tenant_id, conversation_id);
ALTER TABLE conversation_messages DROP CONSTRAINT conversation_messages_pkey,
    ADD PRIMARY KEY (tenant_id, conversation_id, message_id);
DROP INDEX conversation_messages_conv_idx;
CREATE INDEX conversation_messages_conv_idx ON conversation_messages (tenant_id, conversation_id, seq);
ALTER TABLE conversation_transfers DROP CONSTRAINT conversation_transfers_pkey,
    ADD PRIMARY KEY (tenant_id, conversation_id, transfer_id);
DROP INDEX conversation_transfers_conv_idx;
CREATE INDEX conversation_transfers_conv_idx ON conversation_transfers (tenant_id, conversation_id, requested_at, transfer_id);
ALTER TABLE conversation_queue DROP CONSTRAINT conversation_queue_pkey, DROP CONSTRAINT conversation_queue_conversation_id_key,
    ADD PRIMARY KEY (tenant_id, conversation_id);
ALTER TABLE conversation_experts DROP CONSTRAINT conversation_experts_pkey, ADD PRIMARY KEY (tenant_id, conversation_id, agent_id);
ALTER TABLE conversation_pins DROP CONSTRAINT conversation_pins_pkey, ADD PRIMARY KEY (tenant_id, conversation_id, user_id);
ALTER TABLE keyword_prompts DROP CONSTRAINT keyword_prompts_pkey, ADD PRIMARY KEY (tenant_id, conversation_id, seq);
ALTER TABLE dispatch_conversations DROP CONSTRAINT dispatch_conversations_pkey, ADD PRIMARY KEY (tenant_id, conversation_id);
ALTER TABLE notes DROP CONSTRAINT notes_pkey, ADD PRIMARY KEY (tenant_id, note_id);
ALTER TABLE note_remarks DROP CONSTRAINT note_remarks_pkey, ADD PRIMARY KEY (tenant_id, note_id, remark_id);
DROP INDEX note_remarks_note_idx;
CREATE INDEX note_remarks_note_idx ON note_remarks (tenant_id, note_id, seq);
ALTER TABLE note_conversations DROP CONSTRAINT note_conversations_pkey, ADD PRIMARY KEY (tenant_id, conversation_id);
DROP INDEX timers_subject_kind_idx;
CREATE UNIQUE INDEX timers_subject_kind_idx ON timers (tenant_id, subject, kind) WHERE subject IS NOT NULL;
ALTER TABLE timers DROP CONSTRAINT timers_pkey, ADD PRIMARY KEY (tenant_id, timer_id);

-- +goose Down
ALTER TABLE timers DROP CONSTRAINT timers_pkey, ADD PRIMARY KEY (timer_id);
DROP INDEX timers_subject_kind_idx;
CREATE UNIQUE INDEX timers_subject_kind_idx ON timers (subject, kind) WHERE subject IS NOT NULL;
ALTER TABLE note_conversations DROP CONSTRAINT note_conversations_pkey, ADD PRIMARY KEY (conversation_id);
DROP INDEX note_remarks_note_idx;
CREATE INDEX note_remarks_note_idx ON note_remarks (note_id, seq);
ALTER TABLE note_remarks DROP CONSTRAINT note_remarks_pkey, ADD PRIMARY KEY (remark_id);
ALTER TABLE notes DROP CONSTRAINT notes_pkey, ADD PRIMARY KEY (note_id);
ALTER TABLE dispatch_conversations DROP CONSTRAINT dispatch_conversations_pkey, ADD PRIMARY KEY (conversation_id);
ALTER TABLE keyword_prompts DROP CONSTRAINT keyword_prompts_pkey, ADD PRIMARY KEY (conversation_id, seq);
ALTER TABLE conversation_pins DROP CONSTRAINT conversation_pins_pkey, ADD PRIMARY KEY (conversation_id, user_id);
ALTER TABLE conversation_experts DROP CONSTRAINT conversation_experts_pkey, ADD PRIMARY KEY (conversation_id, agent_id);
ALTER TABLE conversation_queue DROP CONSTRAINT conversation_queue_pkey, ADD PRIMARY KEY (episode_id), ADD UNIQUE (conversation_id);
DROP INDEX conversation_transfers_conv_idx;
CREATE INDEX conversation_transfers_conv_idx ON conversation_transfers (conversation_id, requested_at, transfer_id);
ALTER TABLE conversation_transfers DROP CONSTRAINT conversation_transfers_pkey, ADD PRIMARY KEY (transfer_id);
DROP INDEX conversation_messages_conv_idx;
CREATE INDEX conversation_messages_conv_idx ON conversation_messages (conversation_id, seq);
ALTER TABLE conversation_messages DROP CONSTRAINT conversation_messages_pkey, ADD PRIMARY KEY (message_id);
ALTER TABLE conversations DROP CONSTRAINT conversations_pkey, ADD PRIMARY KEY (conversation_id);
