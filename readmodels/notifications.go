package readmodels

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// NotificationsTable is written by the "notifications" projector.
const NotificationsTable = "notifications"

// Notice kinds.
const (
	NoticeCapacityChanged = "capacity_changed"
	NoticeRoleChanged     = "role_changed"
	// NoticeBlacklistDecided tells an agent how an admin decided its
	// request to blacklist a customer.
	NoticeBlacklistDecided = "blacklist_decided"
)

// Notification is one notice for a user's console.
type Notification struct {
	ID        uuid.UUID       `json:"id"`
	Kind      string          `json:"kind"`
	Detail    json.RawMessage `json:"detail"`
	CreatedAt time.Time       `json:"created_at"`
}

// ListNotifications lists a user's notices, newest first, at most limit,
// older than the notice before (zero: from the newest).
func ListNotifications(ctx context.Context, q Querier, tenantID, agentID uuid.UUID, before uuid.UUID, limit int) ([]Notification, error) {
	if limit <= 0 || limit > 200 {
		limit = 50
	}
	rows, err := q.Query(ctx, `
		SELECT event_id, kind, detail, created_at FROM notifications n
		WHERE tenant_id = $1 AND agent_id = $2
		  AND ($3 = '00000000-0000-0000-0000-000000000000'::uuid OR (created_at, event_id) <
		       (SELECT created_at, event_id FROM notifications WHERE event_id = $3))
		ORDER BY created_at DESC, event_id DESC LIMIT $4`, tenantID, agentID, before, limit)
	if err != nil {
		return nil, fmt.Errorf("notifications of %s: %w", agentID, err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Notification, error) {
		var n Notification
		err := r.Scan(&n.ID, &n.Kind, &n.Detail, &n.CreatedAt)
		return n, err
	})
	if out == nil {
		out = []Notification{}
	}
	return out, err
}
