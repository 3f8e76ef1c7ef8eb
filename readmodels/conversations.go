package readmodels

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// Tables of the conversations read model, written by the "conversations"
// projector.
const (
	ConversationsTable         = "conversations"
	ConversationMessagesTable  = "conversation_messages"
	ConversationTransfersTable = "conversation_transfers"
	ConversationQueueTable     = "conversation_queue"
	ConversationExpertsTable   = "conversation_experts"
	ConversationPinsTable      = "conversation_pins"
)

// Conversation is one conversation as the consoles list it.
type Conversation struct {
	ConversationID    uuid.UUID   `json:"conversation_id"`
	Channel           string      `json:"channel"`
	ChannelAccount    string      `json:"channel_account"`
	Entry             string      `json:"entry"`
	CustomerID        uuid.UUID   `json:"customer_id"`
	CustomerName      string      `json:"customer_name"`
	VIP               bool        `json:"vip"`
	Outbound          bool        `json:"outbound"`
	Status            string      `json:"status"`
	TeamID            *uuid.UUID  `json:"team_id"`
	AgentID           *uuid.UUID  `json:"agent_id"`
	SegmentID         *uuid.UUID  `json:"segment_id"`
	QueuedAt          *time.Time  `json:"queued_at"`
	CreatedAt         time.Time   `json:"created_at"`
	ClosedAt          *time.Time  `json:"closed_at"`
	CloseReason       string      `json:"close_reason"`
	LastMessageAt     *time.Time  `json:"last_message_at"`
	LastMessageText   string      `json:"last_message_text"`
	LastMessageType   string      `json:"last_message_type"`
	LastMessageSender string      `json:"last_message_sender"`
	Unread            int         `json:"unread"`
	MessageCount      int         `json:"message_count"`
	TagIDs            []uuid.UUID `json:"tag_ids"`
	TagRemark         string      `json:"tag_remark"`
	RatingInvited     bool        `json:"rating_invited"`
	RatingStars       *int        `json:"rating_stars"`
	PendingTransferID *uuid.UUID  `json:"pending_transfer_id"`
	// Highlight names the timeout that reminded the agent
	// (agent_no_reply, customer_no_reply) until the agent writes; "" for
	// none. Highlighted conversations lead the ongoing lists.
	Highlight string `json:"highlight"`
	// Pinned: the user who lists the conversations pinned it. Pinned
	// conversations lead the ongoing lists, before highlighted ones.
	Pinned bool `json:"pinned"`
	// Version is the conversation stream's version, usable as If-Match.
	Version uint64 `json:"version"`
}

const conversationColumns = `conversation_id, channel, channel_account, entry, customer_id, customer_name, vip, outbound,
	status, team_id, agent_id, segment_id, queued_at, created_at, closed_at, close_reason, last_message_at,
	last_message_text, last_message_type, last_message_sender, unread, message_count, tag_ids, tag_remark,
	rating_invited, rating_stars, pending_transfer_id, version, highlight`

func scanConversation(r pgx.Row, extra ...any) (Conversation, error) {
	var (
		c Conversation
		v int64
	)
	err := r.Scan(append([]any{&c.ConversationID, &c.Channel, &c.ChannelAccount, &c.Entry, &c.CustomerID, &c.CustomerName,
		&c.VIP, &c.Outbound, &c.Status, &c.TeamID, &c.AgentID, &c.SegmentID, &c.QueuedAt, &c.CreatedAt, &c.ClosedAt,
		&c.CloseReason, &c.LastMessageAt, &c.LastMessageText, &c.LastMessageType, &c.LastMessageSender, &c.Unread,
		&c.MessageCount, &c.TagIDs, &c.TagRemark, &c.RatingInvited, &c.RatingStars, &c.PendingTransferID, &v, &c.Highlight}, extra...)...)
	c.Version = uint64(v)
	return c, err
}

// GetConversation returns a tenant's conversation.
func GetConversation(ctx context.Context, q Querier, tenantID, id uuid.UUID) (Conversation, error) {
	c, err := scanConversation(q.QueryRow(ctx, `SELECT `+conversationColumns+` FROM conversations
		WHERE tenant_id = $1 AND conversation_id = $2`, tenantID, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return c, ErrNotFound
	}
	if err != nil {
		return c, fmt.Errorf("get conversation: %w", err)
	}
	return c, nil
}

// ConversationFilter selects ongoing conversations (not closed).
type ConversationFilter struct {
	// AgentID: those the agent serves (an agent's own list). Nil: all, for
	// admins who see every ongoing conversation.
	AgentID *uuid.UUID
	TeamID  *uuid.UUID
	// Teams, when not nil, restricts the list to these teams (a team-scoped
	// role's data scope).
	Teams []uuid.UUID
	// Viewer is the user who lists: their pins lead the list.
	Viewer uuid.UUID
	// CustomerName matches a part of the customer's name, case-insensitively;
	// CustomerTag keeps customers with that tag; From and To bound the
	// creation time (from inclusive, to exclusive). The admins' current
	// session monitor filters by them.
	CustomerName string
	CustomerTag  *uuid.UUID
	From, To     *time.Time
	// Status: queued, serving or open; empty: every status but closed.
	Status string
	// Sort is "created" (newest first, the default) or "last_message"
	// (most recent message first: the customer's, or anyone's with
	// AgentMessagesLead, the setting agents.sort_by_agent_messages).
	Sort              string
	AgentMessagesLead bool
	After             string
	Limit             int
}

// sortable text keys: their text order is their time order.
const (
	createdKey     = `to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US')`
	lastMessageKey = `to_char(COALESCE(last_message_at, created_at) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US')`
	// lastCustomerKey: agents' and system messages do not move a
	// conversation up.
	lastCustomerKey = `to_char(GREATEST(last_customer_message_at, created_at) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US')`
)

// ListConversations lists a tenant's ongoing conversations, newest first,
// with keyset pagination; it returns the page and the next cursor.
func ListConversations(ctx context.Context, q Querier, tenantID uuid.UUID, f ConversationFilter) ([]Conversation, string, error) {
	last := lastCustomerKey
	if f.AgentMessagesLead {
		last = lastMessageKey
	}
	sortKey := map[string]string{"": createdKey, "created": createdKey, "last_message": last}[f.Sort]
	if sortKey == "" {
		return nil, "", fmt.Errorf("sort %q: want created or last_message: %w", f.Sort, ErrInvalidFilter)
	}
	limit := f.Limit
	if limit <= 0 || limit > 200 {
		limit = 50
	}
	where := []string{"tenant_id = $1", "status <> 'closed'"}
	args := []any{tenantID}
	arg := func(v any) string {
		args = append(args, v)
		return fmt.Sprintf("$%d", len(args))
	}
	// The viewer's pinned conversations lead, then highlighted ones, each
	// part in the order asked for. The key's first character says pinned.
	sortKey = `CASE WHEN EXISTS (SELECT 1 FROM conversation_pins p WHERE p.tenant_id = conversations.tenant_id
		AND p.conversation_id = conversations.conversation_id AND p.user_id = ` + arg(f.Viewer) + `) THEN '1' ELSE '0' END || CASE WHEN highlight <> '' THEN '1' ELSE '0' END || ` + sortKey
	switch f.Status {
	case "":
	case "open", "queued", "serving":
		where = append(where, "status = "+arg(f.Status))
	default:
		return nil, "", fmt.Errorf("status %q: want open, queued or serving: %w", f.Status, ErrInvalidFilter)
	}
	if f.AgentID != nil {
		where = append(where, "agent_id = "+arg(*f.AgentID))
	}
	if f.TeamID != nil {
		where = append(where, "team_id = "+arg(*f.TeamID))
	}
	if f.Teams != nil {
		where = append(where, "team_id = ANY("+arg(f.Teams)+")")
	}
	if f.CustomerName != "" {
		where = append(where, "customer_name ILIKE "+arg("%"+likeEscape(f.CustomerName)+"%"))
	}
	if f.CustomerTag != nil {
		where = append(where, "EXISTS (SELECT 1 FROM customer_tag_links l WHERE l.tenant_id = conversations.tenant_id AND l.customer_id = conversations.customer_id AND l.tag_id = "+
			arg(*f.CustomerTag)+")")
	}
	if f.From != nil {
		where = append(where, "created_at >= "+arg(*f.From))
	}
	if f.To != nil {
		where = append(where, "created_at < "+arg(*f.To))
	}
	if f.After != "" {
		c, err := decodeCursor(f.After)
		if err != nil {
			return nil, "", err
		}
		where = append(where, fmt.Sprintf("(%s, conversation_id) < (%s, %s)", sortKey, arg(c.Key), arg(c.ID)))
	}
	rows, err := q.Query(ctx, `SELECT `+conversationColumns+`, `+sortKey+` FROM conversations WHERE `+strings.Join(where, " AND ")+
		` ORDER BY `+sortKey+` DESC, conversation_id DESC LIMIT `+fmt.Sprint(limit+1), args...)
	if err != nil {
		return nil, "", fmt.Errorf("list conversations: %w", err)
	}
	defer rows.Close()
	out, keys := []Conversation{}, []string{}
	for rows.Next() {
		var key string
		c, err := scanConversation(rows, &key)
		if err != nil {
			return nil, "", fmt.Errorf("list conversations: %w", err)
		}
		c.Pinned = strings.HasPrefix(key, "1")
		out, keys = append(out, c), append(keys, key)
	}
	if err := rows.Err(); err != nil {
		return nil, "", fmt.Errorf("list conversations: %w", err)
	}
	next := ""
	if len(out) > limit {
		out = out[:limit]
		next = encodeCursor(agentCursor{Key: keys[limit-1], ID: out[limit-1].ConversationID})
	}
	return out, next, nil
}

// ConversationMessage is one message (or, for agents, whisper) of a
// conversation.
type ConversationMessage struct {
	MessageID  uuid.UUID       `json:"message_id"`
	Seq        uint64          `json:"seq"`
	SenderKind string          `json:"sender_kind"`
	SenderID   string          `json:"sender_id"`
	Type       string          `json:"type"`
	Text       string          `json:"text"`
	File       json.RawMessage `json:"file,omitempty"`
	Location   json.RawMessage `json:"location,omitempty"`
	Custom     json.RawMessage `json:"custom,omitempty"`
	Notice     string          `json:"notice,omitempty"`
	SegmentID  *uuid.UUID      `json:"segment_id"`
	Whisper    bool            `json:"whisper"`
	Recalled   bool            `json:"recalled"`
	SentAt     time.Time       `json:"sent_at"`
}

// ListMessages lists a conversation's messages in order, after seq (0:
// from the start), at most limit. The agents' view (agentView) includes
// whispers; the customers' has none. In both, recalled messages keep their
// place, flagged, with their content blanked: a recalled message never
// shows again to anyone reading the conversation (auditors find it in
// the log).
func ListMessages(ctx context.Context, q Querier, tenantID, conversationID uuid.UUID, agentView bool, after uint64, limit int) ([]ConversationMessage, error) {
	if limit <= 0 || limit > 500 {
		limit = 200
	}
	rows, err := q.Query(ctx, `SELECT message_id, seq, sender_kind, sender_id, type, text, file, location, custom, notice,
			segment_id, whisper, recalled, sent_at
		FROM conversation_messages WHERE tenant_id = $5 AND conversation_id = $1 AND seq > $2 AND ($3 OR NOT whisper)
		ORDER BY seq LIMIT $4`, conversationID, int64(after), agentView, limit, tenantID)
	if err != nil {
		return nil, fmt.Errorf("list messages: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (ConversationMessage, error) {
		var (
			m   ConversationMessage
			seq int64
		)
		err := r.Scan(&m.MessageID, &seq, &m.SenderKind, &m.SenderID, &m.Type, &m.Text, &m.File, &m.Location, &m.Custom,
			&m.Notice, &m.SegmentID, &m.Whisper, &m.Recalled, &m.SentAt)
		m.Seq = uint64(seq)
		if m.Recalled {
			m.Text, m.File, m.Location, m.Custom = "", nil, nil, nil
		}
		return m, err
	})
	if err != nil {
		return nil, fmt.Errorf("list messages: %w", err)
	}
	if out == nil {
		out = []ConversationMessage{}
	}
	return out, nil
}

// TransferRecord is one transfer of a conversation.
type TransferRecord struct {
	TransferID           uuid.UUID  `json:"transfer_id"`
	FromAgentID          uuid.UUID  `json:"from_agent_id"`
	ToKind               string     `json:"to_kind"`
	ToID                 uuid.UUID  `json:"to_id"`
	Reason               string     `json:"reason"`
	Automatic            bool       `json:"automatic"`
	RequiresConfirmation bool       `json:"requires_confirmation"`
	ExpiresAt            *time.Time `json:"expires_at"`
	Status               string     `json:"status"`
	Confirmation         string     `json:"confirmation"`
	RequestedAt          time.Time  `json:"requested_at"`
	DecidedAt            *time.Time `json:"decided_at"`
}

// ListTransfers lists a conversation's transfers in the order requested.
func ListTransfers(ctx context.Context, q Querier, tenantID, conversationID uuid.UUID) ([]TransferRecord, error) {
	rows, err := q.Query(ctx, `SELECT transfer_id, from_agent_id, to_kind, to_id, reason, automatic, requires_confirmation,
			expires_at, status, confirmation, requested_at, decided_at
		FROM conversation_transfers WHERE tenant_id = $1 AND conversation_id = $2 ORDER BY requested_at, transfer_id`,
		tenantID, conversationID)
	if err != nil {
		return nil, fmt.Errorf("list transfers: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (TransferRecord, error) {
		var t TransferRecord
		err := r.Scan(&t.TransferID, &t.FromAgentID, &t.ToKind, &t.ToID, &t.Reason, &t.Automatic, &t.RequiresConfirmation,
			&t.ExpiresAt, &t.Status, &t.Confirmation, &t.RequestedAt, &t.DecidedAt)
		return t, err
	})
	if err != nil {
		return nil, fmt.Errorf("list transfers: %w", err)
	}
	if out == nil {
		out = []TransferRecord{}
	}
	return out, nil
}

// ListExperts lists the agents invited into a conversation as experts.
func ListExperts(ctx context.Context, q Querier, tenantID, conversationID uuid.UUID) ([]uuid.UUID, error) {
	out, err := uuids(ctx, q, `SELECT agent_id FROM conversation_experts WHERE tenant_id = $1 AND conversation_id = $2
		ORDER BY invited_at, agent_id`, tenantID, conversationID)
	if out == nil {
		out = []uuid.UUID{}
	}
	return out, err
}

// QueueEntry is one open queue episode.
type QueueEntry struct {
	EpisodeID      uuid.UUID `json:"episode_id"`
	ConversationID uuid.UUID `json:"conversation_id"`
	TeamID         uuid.UUID `json:"team_id"`
	Channel        string    `json:"channel"`
	CustomerID     uuid.UUID `json:"customer_id"`
	CustomerName   string    `json:"customer_name"`
	VIP            bool      `json:"vip"`
	Reason         string    `json:"reason"`
	QueuedAt       time.Time `json:"queued_at"`
	CreatedAt      time.Time `json:"created_at"`
	// CustomerTags are the customer's tags (customer tag IDs).
	CustomerTags []uuid.UUID `json:"customer_tags"`
}

// queueKey orders the queue as the dispatcher takes it
// (dispatch.Policy.CompareQueue): VIP first, then the channel's place in
// the priority order ($rank: the lower-cased channels, empty when channel
// priority is off; unlisted channels after listed ones), then the oldest
// conversation.
func queueKey(rank string) string {
	return `(CASE WHEN vip THEN '0' ELSE '1' END || lpad(COALESCE(array_position(` + rank + `::text[], lower(channel)) - 1,
		cardinality(` + rank + `::text[]))::text, 3, '0') || to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US'))`
}

// ListQueue lists a tenant's queue in queue order with keyset pagination.
// teams, when not nil, restricts it to those teams (an agent's own).
//
// channelOrder is the tenant's channel priority when it is on (nil: off).
func ListQueue(ctx context.Context, q Querier, tenantID uuid.UUID, teams []uuid.UUID, channelOrder []string, after string, limit int) ([]QueueEntry, string, error) {
	if limit <= 0 || limit > 200 {
		limit = 50
	}
	where := []string{"tenant_id = $1"}
	args := []any{tenantID}
	arg := func(v any) string {
		args = append(args, v)
		return fmt.Sprintf("$%d", len(args))
	}
	lower := make([]string, len(channelOrder))
	for i, c := range channelOrder {
		lower[i] = strings.ToLower(c)
	}
	key := queueKey(arg(lower))
	if teams != nil {
		where = append(where, "team_id = ANY("+arg(teams)+")")
	}
	if after != "" {
		c, err := decodeCursor(after)
		if err != nil {
			return nil, "", err
		}
		where = append(where, fmt.Sprintf("(%s, conversation_id) > (%s, %s)", key, arg(c.Key), arg(c.ID)))
	}
	rows, err := q.Query(ctx, `SELECT episode_id, conversation_id, team_id, channel, customer_id, customer_name, vip, reason,
			queued_at, created_at, ARRAY(SELECT tag_id FROM customer_tag_links l WHERE l.tenant_id = conversation_queue.tenant_id AND l.customer_id = conversation_queue.customer_id
			ORDER BY tag_id), `+key+`
		FROM conversation_queue WHERE `+strings.Join(where, " AND ")+` ORDER BY `+key+`, conversation_id LIMIT `+fmt.Sprint(limit+1), args...)
	if err != nil {
		return nil, "", fmt.Errorf("list queue: %w", err)
	}
	defer rows.Close()
	out, keys := []QueueEntry{}, []string{}
	for rows.Next() {
		var (
			e   QueueEntry
			key string
		)
		if err := rows.Scan(&e.EpisodeID, &e.ConversationID, &e.TeamID, &e.Channel, &e.CustomerID, &e.CustomerName, &e.VIP,
			&e.Reason, &e.QueuedAt, &e.CreatedAt, &e.CustomerTags, &key); err != nil {
			return nil, "", fmt.Errorf("list queue: %w", err)
		}
		out, keys = append(out, e), append(keys, key)
	}
	if err := rows.Err(); err != nil {
		return nil, "", fmt.Errorf("list queue: %w", err)
	}
	next := ""
	if len(out) > limit {
		out = out[:limit]
		next = encodeCursor(agentCursor{Key: keys[limit-1], ID: out[limit-1].ConversationID})
	}
	return out, next, nil
}

// TookPart reports whether user serves or served conversation id, is an
// expert in it, or was named by one of its transfers.
func TookPart(ctx context.Context, q Querier, tenantID, id, user uuid.UUID) (bool, error) {
	var ok bool
	err := q.QueryRow(ctx, `SELECT
		EXISTS (SELECT 1 FROM conversations WHERE tenant_id = $3 AND conversation_id = $1 AND agent_id = $2)
		OR EXISTS (SELECT 1 FROM conversation_experts WHERE tenant_id = $3 AND conversation_id = $1 AND agent_id = $2)
		OR EXISTS (SELECT 1 FROM conversation_transfers WHERE tenant_id = $3 AND conversation_id = $1
			AND (from_agent_id = $2 OR (to_kind = 'agent' AND to_id = $2)))
		OR EXISTS (SELECT 1 FROM conversation_messages WHERE tenant_id = $3 AND conversation_id = $1 AND sender_kind = 'agent'
			AND sender_id = $2::text)`, id, user, tenantID).Scan(&ok)
	if err != nil {
		return false, fmt.Errorf("took part in %s: %w", id, err)
	}
	return ok, nil
}

// PinnedBy reports whether user pinned conversation id.
func PinnedBy(ctx context.Context, q Querier, tenantID, id, user uuid.UUID) (bool, error) {
	var ok bool
	err := q.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM conversation_pins WHERE tenant_id = $1 AND conversation_id = $2 AND user_id = $3)`,
		tenantID, id, user).Scan(&ok)
	if err != nil {
		return false, fmt.Errorf("pinned %s: %w", id, err)
	}
	return ok, nil
}

// OngoingOfCustomer lists the conversations of a customer that are not
// closed.
func OngoingOfCustomer(ctx context.Context, q Querier, tenantID, customerID uuid.UUID) ([]uuid.UUID, error) {
	rows, err := q.Query(ctx, `SELECT conversation_id FROM conversations
		WHERE tenant_id = $1 AND customer_id = $2 AND status <> 'closed' ORDER BY created_at, conversation_id`, tenantID, customerID)
	if err != nil {
		return nil, fmt.Errorf("ongoing conversations of %s: %w", customerID, err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[uuid.UUID])
	if err != nil {
		return nil, fmt.Errorf("ongoing conversations of %s: %w", customerID, err)
	}
	return ids, nil
}
