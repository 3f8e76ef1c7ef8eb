package readmodels

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// AlarmsTable is written by the "alarms" projector.
const AlarmsTable = "alarms"

// Alarm is one alert for the tenant's administrators.
type Alarm struct {
	ID             uuid.UUID `json:"id"`
	ConversationID uuid.UUID `json:"conversation_id"`
	Kind           string    `json:"kind"`
	Level          int       `json:"level"`
	Detail         string    `json:"detail"`
	RaisedAt       time.Time `json:"raised_at"`
	// ProcessedAt and ProcessedBy say when and by whom the alarm was
	// marked processed (nil: unprocessed).
	ProcessedAt *time.Time `json:"processed_at"`
	ProcessedBy *uuid.UUID `json:"processed_by"`
}

// AlarmFilter selects alarms; zero fields select all.
type AlarmFilter struct {
	Kind           string
	MinLevel       int
	ConversationID *uuid.UUID
	Since          *time.Time
	// Processed, when not nil, keeps processed (true) or unprocessed
	// (false) alarms.
	Processed *bool
	// After is the cursor of the previous page.
	After string
	Limit int
}

// alarmKey orders alarms newest first; its text order is its time order.
const alarmKey = `to_char(raised_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US')`

// ListAlarms lists a tenant's alarms, newest first, with keyset pagination;
// it returns the page and the next cursor ("" on the last page).
func ListAlarms(ctx context.Context, q Querier, tenantID uuid.UUID, f AlarmFilter) ([]Alarm, string, error) {
	limit := f.Limit
	if limit <= 0 || limit > 200 {
		limit = 50
	}
	where := []string{"tenant_id = $1"}
	args := []any{tenantID}
	arg := func(v any) string {
		args = append(args, v)
		return fmt.Sprintf("$%d", len(args))
	}
	if f.Kind != "" {
		where = append(where, "kind = "+arg(f.Kind))
	}
	if f.MinLevel > 0 {
		where = append(where, "level >= "+arg(f.MinLevel))
	}
	if f.ConversationID != nil {
		where = append(where, "conversation_id = "+arg(*f.ConversationID))
	}
	if f.Since != nil {
		where = append(where, "raised_at >= "+arg(*f.Since))
	}
	if f.Processed != nil {
		if *f.Processed {
			where = append(where, "processed_at IS NOT NULL")
		} else {
			where = append(where, "processed_at IS NULL")
		}
	}
	if f.After != "" {
		c, err := decodeCursor(f.After)
		if err != nil {
			return nil, "", err
		}
		where = append(where, fmt.Sprintf("(%s, event_id) < (%s, %s)", alarmKey, arg(c.Key), arg(c.ID)))
	}
	rows, err := q.Query(ctx, `SELECT event_id, conversation_id, kind, level, detail, raised_at, processed_at, processed_by, `+alarmKey+`
		FROM alarms WHERE `+strings.Join(where, " AND ")+`
		ORDER BY `+alarmKey+` DESC, event_id DESC LIMIT `+fmt.Sprint(limit+1), args...)
	if err != nil {
		return nil, "", fmt.Errorf("list alarms: %w", err)
	}
	var keys []string
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Alarm, error) {
		var (
			a   Alarm
			key string
		)
		err := r.Scan(&a.ID, &a.ConversationID, &a.Kind, &a.Level, &a.Detail, &a.RaisedAt, &a.ProcessedAt, &a.ProcessedBy, &key)
		keys = append(keys, key)
		return a, err
	})
	if err != nil {
		return nil, "", fmt.Errorf("list alarms: %w", err)
	}
	if out == nil {
		out = []Alarm{}
	}
	next := ""
	if len(out) > limit {
		out = out[:limit]
		next = encodeCursor(agentCursor{Key: keys[limit-1], ID: out[limit-1].ID})
	}
	return out, next, nil
}

// ChannelWaiting is how many conversations of one channel of a tenant wait
// in the queue, the newest of them, and the tenant's
// alerts.excessive_waiting value (nil: never changed, the default holds).
type ChannelWaiting struct {
	TenantID      uuid.UUID
	Channel       string
	Waiting       int
	NewestID      uuid.UUID
	NewestEpisode uuid.UUID
	AlertSetting  []byte
}

// WaitingByChannel counts the queue per tenant and channel, for the
// excessive-waiting alarm.
func WaitingByChannel(ctx context.Context, q Querier) ([]ChannelWaiting, error) {
	rows, err := q.Query(ctx, `
		SELECT w.tenant_id, w.channel, w.waiting, w.conversation_id, w.episode_id, s.value
		FROM (
			SELECT DISTINCT ON (tenant_id, channel) tenant_id, channel, conversation_id, episode_id,
			       count(*) OVER (PARTITION BY tenant_id, channel) AS waiting
			FROM conversation_queue ORDER BY tenant_id, channel, queued_at DESC, episode_id DESC
		) w
		LEFT JOIN tenant_settings s ON s.tenant_id = w.tenant_id AND s.key = 'alerts.excessive_waiting'`)
	if err != nil {
		return nil, fmt.Errorf("waiting by channel: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (ChannelWaiting, error) {
		var w ChannelWaiting
		err := r.Scan(&w.TenantID, &w.Channel, &w.Waiting, &w.NewestID, &w.NewestEpisode, &w.AlertSetting)
		return w, err
	})
	if err != nil {
		return nil, fmt.Errorf("waiting by channel: %w", err)
	}
	return out, nil
}

// UnknownAlarms returns those of ids that name no alarm of the tenant.
func UnknownAlarms(ctx context.Context, q Querier, tenantID uuid.UUID, ids []uuid.UUID) ([]uuid.UUID, error) {
	rows, err := q.Query(ctx, `SELECT id FROM unnest($2::uuid[]) AS id
		WHERE NOT EXISTS (SELECT 1 FROM alarms WHERE tenant_id = $1 AND event_id = id)`, tenantID, ids)
	if err != nil {
		return nil, fmt.Errorf("unknown alarms: %w", err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[uuid.UUID])
	if err != nil {
		return nil, fmt.Errorf("unknown alarms: %w", err)
	}
	return out, nil
}

// UnprocessedAlarms lists up to limit IDs of a tenant's unprocessed alarms,
// oldest first.
func UnprocessedAlarms(ctx context.Context, q Querier, tenantID uuid.UUID, limit int) ([]uuid.UUID, error) {
	rows, err := q.Query(ctx, `SELECT event_id FROM alarms WHERE tenant_id = $1 AND processed_at IS NULL
		ORDER BY raised_at, event_id LIMIT $2`, tenantID, limit)
	if err != nil {
		return nil, fmt.Errorf("unprocessed alarms: %w", err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[uuid.UUID])
	if err != nil {
		return nil, fmt.Errorf("unprocessed alarms: %w", err)
	}
	return out, nil
}
