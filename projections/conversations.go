package projections

import (
	"context"
	"encoding/json"
	"slices"

	"github.com/google/uuid"

	"supportd/eventschema"
	"supportd/readmodels"
)

// Conversations projects the conversation streams into the conversation
// list and detail, messages, transfer records, the queue and experts
// (readmodels/conversations.go).
type Conversations struct {
	reg *eventschema.Registry
}

// NewConversations returns the conversations projector.
func NewConversations(reg *eventschema.Registry) *Conversations { return &Conversations{reg: reg} }

// Name implements Projector.
func (*Conversations) Name() string { return "conversations" }

// Tables implements Projector.
func (*Conversations) Tables() []string {
	return []string{readmodels.ConversationsTable, readmodels.ConversationMessagesTable, readmodels.ConversationTransfersTable,
		readmodels.ConversationQueueTable, readmodels.ConversationExpertsTable, readmodels.ConversationPinsTable}
}

var conversationEvents = map[string]bool{
	"ConversationStarted": true, "ConversationRouted": true, "ConversationQueued": true, "ConversationLeftQueue": true,
	"AgentJoined": true, "AgentLeft": true, "MessageSent": true, "MessageRecalled": true, "WhisperSent": true,
	"TransferRequested": true, "TransferFailed": true, "ConversationTransferred": true, "ExpertInvited": true,
	"ExpertRemoved": true, "ConversationTagged": true, "ConversationUntagged": true, "RatingInvited": true,
	"ConversationRated": true, "ConversationClosed": true, "NoteLeft": true, "ConversationTimedOut": true,
	"ConversationPinned": true, "ConversationUnpinned": true,
}

// convBehind guards the statements on the child tables: they apply only
// while the conversation row is behind the event ($1 conversation, $2
// version, $3 tenant). The conversation row is updated last, so a
// replayed event changes nothing. Conversation IDs are chosen by clients,
// so every row is found by tenant and ID.
const convBehind = ` EXISTS (SELECT 1 FROM conversations WHERE tenant_id = $3 AND conversation_id = $1 AND version < $2)`

func nullID(id uuid.UUID) *uuid.UUID {
	if id == uuid.Nil {
		return nil
	}
	return &id
}

func jsonOrNil(v any) *string {
	if v == nil {
		return nil
	}
	b, err := json.Marshal(v)
	if err != nil || string(b) == "null" {
		return nil
	}
	s := string(b)
	return &s
}

// Apply implements Projector.
func (p *Conversations) Apply(ctx context.Context, db DB, e eventschema.Envelope) error {
	if !conversationEvents[e.Type] {
		return nil
	}
	payload, err := p.reg.Decode(e)
	if err != nil {
		return err
	}
	v, at, tenant := int64(e.StreamVersion), occurredAt(e), e.Metadata.TenantID
	// bump moves the conversation row to this event, setting more columns
	// ($4… are args).
	bump := func(id uuid.UUID, set string, args ...any) error {
		sql := `UPDATE conversations SET version = $2`
		if set != "" {
			sql += `, ` + set
		}
		return db.Exec(ctx, sql+` WHERE tenant_id = $3 AND conversation_id = $1 AND version < $2`, append([]any{id, v, tenant}, args...)...)
	}
	// child runs a statement on a child table ($1 conversation, $2 version,
	// $3 tenant, $4… args).
	child := func(sql string, id uuid.UUID, args ...any) error {
		return db.Exec(ctx, sql, append([]any{id, v, tenant}, args...)...)
	}
	switch ev := payload.(type) {
	case eventschema.ConversationStarted:
		return db.Exec(ctx, `
			INSERT INTO conversations (conversation_id, tenant_id, channel, channel_account, entry, customer_id,
				customer_name, vip, outbound, status, team_id, created_at, version)
			VALUES ($1, $3, $4, $5, $6, $7, $8, $9, $10, 'open', $11, $12, $2) ON CONFLICT (tenant_id, conversation_id) DO NOTHING`,
			ev.ConversationID, v, tenant, ev.Channel, ev.ChannelAccount, ev.Entry, ev.CustomerID, ev.CustomerName,
			ev.VIP, ev.Outbound, nullID(ev.EntryTeamID), at)
	case eventschema.ConversationRouted:
		return bump(ev.ConversationID, "")
	case eventschema.ConversationQueued:
		if err := child(`
			INSERT INTO conversation_queue (episode_id, conversation_id, tenant_id, team_id, channel, customer_id,
				customer_name, vip, reason, queued_at, created_at)
			SELECT $4, c.conversation_id, c.tenant_id, $5, c.channel, c.customer_id, c.customer_name, $6, $7, $8, c.created_at
			FROM conversations c WHERE c.tenant_id = $3 AND c.conversation_id = $1 AND c.version < $2
			ON CONFLICT DO NOTHING`, ev.ConversationID, ev.EpisodeID, ev.TeamID, ev.VIP, ev.Reason, at); err != nil {
			return err
		}
		return bump(ev.ConversationID, `status = 'queued', team_id = $4, episode_id = $5, queued_at = $6`, ev.TeamID, ev.EpisodeID, at)
	case eventschema.ConversationLeftQueue:
		if err := child(`DELETE FROM conversation_queue WHERE tenant_id = $3 AND conversation_id = $1 AND episode_id = $4 AND`+convBehind,
			ev.ConversationID, ev.EpisodeID); err != nil {
			return err
		}
		return bump(ev.ConversationID, `episode_id = NULL, queued_at = NULL,
			status = CASE WHEN agent_id IS NULL THEN 'open' ELSE 'serving' END`)
	case eventschema.AgentJoined:
		if err := child(`DELETE FROM conversation_queue WHERE tenant_id = $3 AND conversation_id = $1 AND`+convBehind, ev.ConversationID); err != nil {
			return err
		}
		return bump(ev.ConversationID, `status = 'serving', agent_id = $4, segment_id = $5, episode_id = NULL, queued_at = NULL,
			team_id = COALESCE($6, team_id)`, ev.AgentID, ev.SegmentID, nullID(ev.TeamID))
	case eventschema.AgentLeft:
		return bump(ev.ConversationID, `agent_id = NULL, segment_id = NULL, highlight = '',
			status = CASE WHEN episode_id IS NULL THEN 'open' ELSE 'queued' END`)
	case eventschema.MessageSent:
		if err := child(`
			INSERT INTO conversation_messages (message_id, conversation_id, tenant_id, seq, sender_kind, sender_id, type,
				text, file, location, custom, notice, segment_id, sent_at)
			SELECT $4, $1, $3, $2, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14 WHERE`+convBehind+`
			ON CONFLICT DO NOTHING`, ev.ConversationID, ev.MessageID, ev.SenderKind, ev.SenderID, ev.Type,
			ev.Text, jsonOrNil(ev.File), jsonOrNil(ev.Location), customJSON(ev.Custom), ev.Notice, nullID(ev.SegmentID), at); err != nil {
			return err
		}
		return bump(ev.ConversationID, `last_message_at = $4, last_message_text = $5, last_message_type = $6,
			last_message_sender = $7, message_count = message_count + 1,
			last_customer_message_at = CASE WHEN $7 = 'customer' THEN $4 ELSE last_customer_message_at END,
			unread = CASE $7 WHEN 'customer' THEN unread + 1 WHEN 'agent' THEN 0 ELSE unread END,
			highlight = CASE WHEN $7 = 'agent' OR ($7 = 'customer' AND highlight = 'customer_no_reply') THEN '' ELSE highlight END`,
			at, ev.Text, ev.Type, ev.SenderKind)
	case eventschema.MessageRecalled:
		if err := child(`UPDATE conversation_messages SET recalled = true
			WHERE tenant_id = $3 AND conversation_id = $1 AND message_id = $4 AND`+convBehind,
			ev.ConversationID, ev.MessageID); err != nil {
			return err
		}
		return bump(ev.ConversationID, "")
	case eventschema.WhisperSent:
		if err := child(`
			INSERT INTO conversation_messages (message_id, conversation_id, tenant_id, seq, sender_kind, sender_id, type,
				text, whisper, sent_at)
			SELECT $4, $1, $3, $2, 'admin', $5, 'text', $6, true, $7 WHERE`+convBehind+`
			ON CONFLICT DO NOTHING`, ev.ConversationID, ev.WhisperID, ev.AdminID.String(), ev.Text, at); err != nil {
			return err
		}
		return bump(ev.ConversationID, "")
	case eventschema.TransferRequested:
		if err := child(`
			INSERT INTO conversation_transfers (transfer_id, conversation_id, tenant_id, from_agent_id, to_kind, to_id, reason,
				automatic, requires_confirmation, expires_at, status, requested_at)
			SELECT $4, $1, $3, $5, $6, $7, $8, $9, $10, $11, 'pending', $12 WHERE`+convBehind+`
			ON CONFLICT DO NOTHING`, ev.ConversationID, ev.TransferID, ev.FromAgentID, ev.ToKind, ev.ToID,
			ev.Reason, ev.Automatic, ev.RequiresConfirmation, ev.ExpiresAt, at); err != nil {
			return err
		}
		return bump(ev.ConversationID, `pending_transfer_id = $4`, ev.TransferID)
	case eventschema.TransferFailed:
		if err := child(`UPDATE conversation_transfers SET status = $5, decided_at = $6
			WHERE tenant_id = $3 AND conversation_id = $1 AND transfer_id = $4 AND`+convBehind,
			ev.ConversationID, ev.TransferID, ev.Outcome, at); err != nil {
			return err
		}
		return bump(ev.ConversationID, `pending_transfer_id = NULL`)
	case eventschema.ConversationTransferred:
		if err := child(`
			INSERT INTO conversation_transfers (transfer_id, conversation_id, tenant_id, from_agent_id, to_kind, to_id, reason,
				automatic, status, confirmation, requested_at, decided_at)
			SELECT $4, $1, $3, $5, $6, $7, $8, $9, 'transferred', $10, $11, $11 WHERE`+convBehind+`
			ON CONFLICT (tenant_id, conversation_id, transfer_id) DO UPDATE SET status = 'transferred',
				confirmation = EXCLUDED.confirmation, decided_at = EXCLUDED.decided_at`,
			ev.ConversationID, ev.TransferID, ev.FromAgentID, ev.ToKind, ev.ToID, ev.Reason, ev.Automatic,
			ev.Confirmation, at); err != nil {
			return err
		}
		return bump(ev.ConversationID, `pending_transfer_id = NULL`)
	case eventschema.ExpertInvited:
		if err := child(`
			INSERT INTO conversation_experts (conversation_id, agent_id, tenant_id, invited_by, invited_at)
			SELECT $1, $4, $3, $5, $6 WHERE`+convBehind+` ON CONFLICT DO NOTHING`,
			ev.ConversationID, ev.AgentID, ev.InvitedBy, at); err != nil {
			return err
		}
		return bump(ev.ConversationID, "")
	case eventschema.ExpertRemoved:
		if err := child(`DELETE FROM conversation_experts WHERE tenant_id = $3 AND conversation_id = $1 AND agent_id = $4 AND`+convBehind,
			ev.ConversationID, ev.AgentID); err != nil {
			return err
		}
		return bump(ev.ConversationID, "")
	case eventschema.ConversationTagged:
		return bump(ev.ConversationID, `tag_ids = ARRAY(SELECT DISTINCT t FROM unnest(tag_ids || $4::uuid[]) AS t ORDER BY t),
			tag_remark = CASE WHEN $5 = '' THEN tag_remark ELSE $5 END`, ev.TagIDs, ev.Remark)
	case eventschema.ConversationUntagged:
		return bump(ev.ConversationID, `tag_ids = ARRAY(SELECT t FROM unnest(tag_ids) AS t WHERE t <> ALL($4::uuid[]) ORDER BY t)`, ev.TagIDs)
	case eventschema.RatingInvited:
		return bump(ev.ConversationID, `rating_invited = true`)
	case eventschema.ConversationRated:
		return bump(ev.ConversationID, `rating_stars = $4`, ev.Stars)
	case eventschema.ConversationClosed:
		return bump(ev.ConversationID, `status = 'closed', closed_at = $4, close_reason = $5, pending_transfer_id = NULL, highlight = ''`, at, ev.Reason)
	case eventschema.NoteLeft:
		return bump(ev.ConversationID, "")
	case eventschema.ConversationPinned:
		if err := child(`
			INSERT INTO conversation_pins (conversation_id, user_id, tenant_id, pinned_at)
			SELECT $1, $4, $3, $5 WHERE`+convBehind+` ON CONFLICT DO NOTHING`,
			ev.ConversationID, ev.UserID, at); err != nil {
			return err
		}
		return bump(ev.ConversationID, "")
	case eventschema.ConversationUnpinned:
		if err := child(`DELETE FROM conversation_pins WHERE tenant_id = $3 AND conversation_id = $1 AND user_id = $4 AND`+convBehind,
			ev.ConversationID, ev.UserID); err != nil {
			return err
		}
		return bump(ev.ConversationID, "")
	case eventschema.ConversationTimedOut:
		// Reminding the agent highlights the conversation until the
		// agent writes (or, for a silent customer, the customer does).
		if slices.Contains(ev.Actions, eventschema.TimeoutRemindAgent) {
			return bump(ev.ConversationID, `highlight = $4`, ev.Timeout)
		}
		return bump(ev.ConversationID, "")
	}
	return nil
}

func customJSON(raw json.RawMessage) *string {
	if len(raw) == 0 {
		return nil
	}
	s := string(raw)
	return &s
}

// EventTypes implements Selective.
func (*Conversations) EventTypes() []string { return typesOf(conversationEvents) }
