package readmodels

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// TimersTable is written by the "timers" projector.
const TimersTable = "timers"

// TimerSettingsTable is the timers projector's copy of the tenants'
// settings, as of the last event it applied.
const TimerSettingsTable = "timer_settings"

// Timer is a pending timeout.
type Timer struct {
	ID       uuid.UUID       `json:"timer_id"`
	TenantID uuid.UUID       `json:"tenant_id"`
	Kind     string          `json:"kind"`
	DueAt    time.Time       `json:"due_at"`
	Payload  json.RawMessage `json:"payload"`
}

// DueTimers lists up to limit timers due at now, earliest first.
func DueTimers(ctx context.Context, q Querier, now time.Time, limit int) ([]Timer, error) {
	rows, err := q.Query(ctx, `
		SELECT timer_id, tenant_id, kind, due_at, payload FROM timers
		WHERE due_at <= $1 ORDER BY due_at, timer_id LIMIT $2`, now, limit)
	if err != nil {
		return nil, fmt.Errorf("due timers: %w", err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (Timer, error) {
		var t Timer
		err := r.Scan(&t.ID, &t.TenantID, &t.Kind, &t.DueAt, &t.Payload)
		return t, err
	})
}

// PendingTimers lists a tenant's pending timers, earliest first (for
// operators and tests); runs of timeouts that are switched off are no
// timers.
func PendingTimers(ctx context.Context, q Querier, tenantID uuid.UUID) ([]Timer, error) {
	rows, err := q.Query(ctx, `
		SELECT timer_id, tenant_id, kind, due_at, payload FROM timers
		WHERE tenant_id = $1 AND due_at < 'infinity' ORDER BY due_at, timer_id`, tenantID)
	if err != nil {
		return nil, fmt.Errorf("pending timers: %w", err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (Timer, error) {
		var t Timer
		err := r.Scan(&t.ID, &t.TenantID, &t.Kind, &t.DueAt, &t.Payload)
		return t, err
	})
}
