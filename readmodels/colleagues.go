package readmodels

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// ColleagueMessagesTable is the table of the colleague chat read model,
// written by the "colleagues" projector.
const ColleagueMessagesTable = "colleague_messages"

// ColleagueMessage is one message between two agents.
type ColleagueMessage struct {
	MessageID   uuid.UUID       `json:"message_id"`
	Seq         uint64          `json:"seq"`
	FromAgentID uuid.UUID       `json:"from_agent_id"`
	ToAgentID   uuid.UUID       `json:"to_agent_id"`
	Type        string          `json:"type"`
	Text        string          `json:"text"`
	File        json.RawMessage `json:"file,omitempty"`
	SentAt      time.Time       `json:"sent_at"`
	// DeliveredAt is when the recipient's console received it; nil while
	// it waits.
	DeliveredAt *time.Time `json:"delivered_at"`
}

const colleagueMessageColumns = `message_id, seq, from_agent_id, to_agent_id, type, text, file, sent_at, delivered_at`

func scanColleagueMessage(r pgx.Row, extra ...any) (ColleagueMessage, error) {
	var (
		m   ColleagueMessage
		seq int64
	)
	err := r.Scan(append([]any{&m.MessageID, &seq, &m.FromAgentID, &m.ToAgentID, &m.Type, &m.Text, &m.File, &m.SentAt, &m.DeliveredAt}, extra...)...)
	m.Seq = uint64(seq)
	return m, err
}

// Colleague is another user of the tenant as the Colleague tab lists it:
// who, in what status, how many of its messages wait for the reader, and
// the last message the two exchanged.
type Colleague struct {
	AgentID     uuid.UUID  `json:"agent_id"`
	Nickname    string     `json:"nickname"`
	RealName    string     `json:"real_name"`
	AvatarURL   string     `json:"avatar_url"`
	Status      string     `json:"status"`
	StatusSince *time.Time `json:"status_since"`
	// Waiting counts the colleague's messages the reader's console has
	// not received yet (the red dot).
	Waiting     int               `json:"waiting"`
	LastMessage *ColleagueMessage `json:"last_message"`
}

// ListColleagues lists the enabled users of the tenant other than me, by
// nickname, at most 1000; query matches nickname or real name
// (case-insensitive substring).
func ListColleagues(ctx context.Context, q Querier, tenantID, me uuid.UUID, query string) ([]Colleague, error) {
	args := []any{tenantID, me}
	filter := ""
	if s := strings.TrimSpace(query); s != "" {
		args = append(args, "%"+strings.NewReplacer(`\`, `\\`, "%", `\%`, "_", `\_`).Replace(strings.ToLower(s))+"%")
		filter = ` AND (lower(a.nickname) LIKE $3 OR lower(a.real_name) LIKE $3)`
	}
	rows, err := q.Query(ctx, `
		SELECT a.agent_id, a.nickname, a.real_name, a.avatar_url, a.status, a.status_since,
			(SELECT count(*) FROM colleague_messages w
			 WHERE w.tenant_id = $1 AND w.to_agent_id = $2 AND w.from_agent_id = a.agent_id AND w.delivered_at IS NULL),
			l.message_id, l.seq, l.from_agent_id, l.to_agent_id, l.type, l.text, l.file, l.sent_at, l.delivered_at
		FROM agents a
		LEFT JOIN LATERAL (
			SELECT `+colleagueMessageColumns+` FROM colleague_messages m
			WHERE m.tenant_id = $1 AND ((m.from_agent_id = $2 AND m.to_agent_id = a.agent_id) OR (m.from_agent_id = a.agent_id AND m.to_agent_id = $2))
			ORDER BY m.sent_at DESC, m.seq DESC LIMIT 1) l ON true
		WHERE a.tenant_id = $1 AND a.agent_id <> $2 AND a.enabled`+filter+`
		ORDER BY lower(a.nickname), a.agent_id LIMIT 1000`, args...)
	if err != nil {
		return nil, fmt.Errorf("list colleagues: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Colleague, error) {
		var (
			c        Colleague
			id       *uuid.UUID
			seq      *int64
			from, to *uuid.UUID
			typ, txt *string
			file     []byte
			sent     *time.Time
			dlv      *time.Time
		)
		if err := r.Scan(&c.AgentID, &c.Nickname, &c.RealName, &c.AvatarURL, &c.Status, &c.StatusSince, &c.Waiting,
			&id, &seq, &from, &to, &typ, &txt, &file, &sent, &dlv); err != nil {
			return c, err
		}
		if id != nil {
			c.LastMessage = &ColleagueMessage{MessageID: *id, Seq: uint64(*seq), FromAgentID: *from, ToAgentID: *to,
				Type: *typ, Text: *txt, File: file, SentAt: *sent, DeliveredAt: dlv}
		}
		return c, nil
	})
	if err != nil {
		return nil, fmt.Errorf("list colleagues: %w", err)
	}
	if out == nil {
		out = []Colleague{}
	}
	return out, nil
}

func seqKey(seq uint64) string { return fmt.Sprintf("%020d", seq) }

// ColleagueChat lists the messages of the chat pairID of the tenant,
// newest first, at most limit (default 50, at most 200), after the cursor
// of the previous page; it answers the cursor of the next (older) page, ""
// at the start of the chat.
func ColleagueChat(ctx context.Context, q Querier, tenantID, pairID uuid.UUID, after string, limit int) ([]ColleagueMessage, string, error) {
	if limit <= 0 || limit > 200 {
		limit = 50
	}
	before := int64(1) << 62
	if after != "" {
		c, err := decodeCursor(after)
		if err != nil {
			return nil, "", err
		}
		if _, err := fmt.Sscan(c.Key, &before); err != nil {
			return nil, "", fmt.Errorf("cursor: %w", ErrInvalidFilter)
		}
	}
	rows, err := q.Query(ctx, `SELECT `+colleagueMessageColumns+` FROM colleague_messages
		WHERE tenant_id = $1 AND pair_id = $2 AND seq < $3 ORDER BY seq DESC LIMIT $4`, tenantID, pairID, before, limit+1)
	if err != nil {
		return nil, "", fmt.Errorf("colleague chat: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (ColleagueMessage, error) { return scanColleagueMessage(r) })
	if err != nil {
		return nil, "", fmt.Errorf("colleague chat: %w", err)
	}
	next := ""
	if len(out) > limit {
		out = out[:limit]
		last := out[limit-1]
		next = encodeCursor(agentCursor{Key: seqKey(last.Seq), ID: last.MessageID})
	}
	if out == nil {
		out = []ColleagueMessage{}
	}
	return out, next, nil
}

// WaitingColleagueMessages lists the messages colleagues sent to me that
// my console has not received, oldest first, at most limit (default 100,
// at most 500), after the cursor of the previous page; it answers the
// cursor of the next page ("" on the last).
func WaitingColleagueMessages(ctx context.Context, q Querier, tenantID, me uuid.UUID, after string, limit int) ([]ColleagueMessage, string, error) {
	if limit <= 0 || limit > 500 {
		limit = 100
	}
	args := []any{tenantID, me}
	where := ""
	if after != "" {
		c, err := decodeCursor(after)
		if err != nil {
			return nil, "", err
		}
		at, err := time.Parse(time.RFC3339Nano, c.Key)
		if err != nil {
			return nil, "", fmt.Errorf("cursor: %w", ErrInvalidFilter)
		}
		args = append(args, at, c.ID)
		where = ` AND (sent_at, message_id) > ($3, $4)`
	}
	rows, err := q.Query(ctx, `SELECT `+colleagueMessageColumns+` FROM colleague_messages
		WHERE tenant_id = $1 AND to_agent_id = $2 AND delivered_at IS NULL`+where+`
		ORDER BY sent_at, message_id LIMIT `+fmt.Sprint(limit+1), args...)
	if err != nil {
		return nil, "", fmt.Errorf("waiting colleague messages: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (ColleagueMessage, error) { return scanColleagueMessage(r) })
	if err != nil {
		return nil, "", fmt.Errorf("waiting colleague messages: %w", err)
	}
	next := ""
	if len(out) > limit {
		out = out[:limit]
		last := out[limit-1]
		next = encodeCursor(agentCursor{Key: last.SentAt.UTC().Format(time.RFC3339Nano), ID: last.MessageID})
	}
	if out == nil {
		out = []ColleagueMessage{}
	}
	return out, next, nil
}
