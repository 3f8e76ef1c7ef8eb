package outbound

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// Querier runs the delivery log's queries (a pool or a transaction).
type Querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// Delivery is one delivery as the admins' log shows it.
type Delivery struct {
	DeliveryID     uuid.UUID  `json:"delivery_id"`
	EventType      string     `json:"event_type"`
	EventID        *uuid.UUID `json:"event_id"`
	ConversationID *uuid.UUID `json:"conversation_id"`
	Position       string     `json:"position"`
	Status         string     `json:"status"`
	Attempts       int        `json:"attempts"`
	NextAttemptAt  *time.Time `json:"next_attempt_at"`
	LastAttemptAt  *time.Time `json:"last_attempt_at"`
	LastStatusCode *int       `json:"last_status_code"`
	LastError      string     `json:"last_error"`
	CreatedAt      time.Time  `json:"created_at"`
	FinishedAt     *time.Time `json:"finished_at"`
}

// ListDeliveries lists an endpoint's deliveries, newest first, optionally
// only those of one status.
func ListDeliveries(ctx context.Context, q Querier, tenantID, endpointID uuid.UUID, status string, limit int) ([]Delivery, error) {
	if limit <= 0 || limit > 500 {
		limit = 100
	}
	rows, err := q.Query(ctx, `
		SELECT delivery_id, event_type, event_id, conversation_id, position, status, attempts,
		       CASE WHEN status = 'pending' THEN next_attempt_at END, last_attempt_at, last_status, last_error, created_at, finished_at
		FROM webhook_deliveries
		WHERE tenant_id = $1 AND endpoint_id = $2 AND ($3 = '' OR status = $3)
		ORDER BY seq DESC LIMIT $4`, tenantID, endpointID, status, limit)
	if err != nil {
		return nil, fmt.Errorf("list deliveries: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Delivery, error) {
		var d Delivery
		err := r.Scan(&d.DeliveryID, &d.EventType, &d.EventID, &d.ConversationID, &d.Position, &d.Status, &d.Attempts,
			&d.NextAttemptAt, &d.LastAttemptAt, &d.LastStatusCode, &d.LastError, &d.CreatedAt, &d.FinishedAt)
		return d, err
	})
	if err != nil {
		return nil, fmt.Errorf("list deliveries: %w", err)
	}
	if out == nil {
		out = []Delivery{}
	}
	return out, nil
}

// LoggedAttempt is an attempt with what it delivered.
type LoggedAttempt struct {
	Attempt
	EventType string `json:"event_type"`
}

// ListAttempts lists an endpoint's recent attempts, newest first.
func ListAttempts(ctx context.Context, q Querier, tenantID, endpointID uuid.UUID, limit int) ([]LoggedAttempt, error) {
	if limit <= 0 || limit > 500 {
		limit = 100
	}
	rows, err := q.Query(ctx, `
		SELECT a.delivery_id, a.attempt, a.attempted_at, a.duration_ms, a.status_code, a.error, a.outcome, coalesce(d.event_type, '')
		FROM webhook_attempts a LEFT JOIN webhook_deliveries d ON d.delivery_id = a.delivery_id
		WHERE a.tenant_id = $1 AND a.endpoint_id = $2
		ORDER BY a.attempt_id DESC LIMIT $3`, tenantID, endpointID, limit)
	if err != nil {
		return nil, fmt.Errorf("list attempts: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (LoggedAttempt, error) {
		var a LoggedAttempt
		err := r.Scan(&a.DeliveryID, &a.Attempt.Attempt, &a.AttemptedAt, &a.DurationMS, &a.StatusCode, &a.Error, &a.Outcome, &a.EventType)
		return a, err
	})
	if err != nil {
		return nil, fmt.Errorf("list attempts: %w", err)
	}
	if out == nil {
		out = []LoggedAttempt{}
	}
	return out, nil
}
