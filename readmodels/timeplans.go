package readmodels

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// Tables of the time plans read model, written by the "time_plans"
// projector.
const (
	TimePlansTable        = "time_plans"
	TimePlanDefaultsTable = "time_plan_defaults"
)

// TimePlan is one named schedule.
type TimePlan struct {
	PlanID uuid.UUID `json:"plan_id"`
	Name   string    `json:"name"`
	// Schedule is the eventschema.TimePlanSchedule as stored.
	Schedule  json.RawMessage `json:"schedule"`
	IsDefault bool            `json:"is_default"`
	CreatedAt time.Time       `json:"created_at"`
	UpdatedAt time.Time       `json:"updated_at"`
	// Version is the plan stream's version, usable as If-Match.
	Version uint64 `json:"version"`
}

const timePlanColumns = `p.plan_id, p.name, p.schedule, d.plan_id IS NOT NULL, p.created_at, p.updated_at, p.version`

const timePlanFrom = ` FROM time_plans p LEFT JOIN time_plan_defaults d ON d.tenant_id = p.tenant_id AND d.plan_id = p.plan_id`

func scanTimePlan(r pgx.Row) (TimePlan, error) {
	var (
		p        TimePlan
		schedule []byte
		v        int64
	)
	err := r.Scan(&p.PlanID, &p.Name, &schedule, &p.IsDefault, &p.CreatedAt, &p.UpdatedAt, &v)
	p.Schedule, p.Version = schedule, uint64(v)
	return p, err
}

// ListTimePlans lists a tenant's plans by name.
func ListTimePlans(ctx context.Context, q Querier, tenantID uuid.UUID) ([]TimePlan, error) {
	rows, err := q.Query(ctx, `SELECT `+timePlanColumns+timePlanFrom+`
		WHERE p.tenant_id = $1 AND NOT p.deleted ORDER BY lower(p.name), p.plan_id`, tenantID)
	if err != nil {
		return nil, fmt.Errorf("list time plans: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (TimePlan, error) { return scanTimePlan(r) })
	if err != nil {
		return nil, fmt.Errorf("list time plans: %w", err)
	}
	if out == nil {
		out = []TimePlan{}
	}
	return out, nil
}

// GetTimePlan returns a plan of the tenant, or ErrNotFound.
func GetTimePlan(ctx context.Context, q Querier, tenantID, planID uuid.UUID) (TimePlan, error) {
	p, err := scanTimePlan(q.QueryRow(ctx, `SELECT `+timePlanColumns+timePlanFrom+`
		WHERE p.tenant_id = $1 AND p.plan_id = $2 AND NOT p.deleted`, tenantID, planID))
	if errors.Is(err, pgx.ErrNoRows) {
		return TimePlan{}, fmt.Errorf("time plan %s: %w", planID, ErrNotFound)
	}
	if err != nil {
		return TimePlan{}, fmt.Errorf("time plan %s: %w", planID, err)
	}
	return p, nil
}
