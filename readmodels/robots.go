package readmodels

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// Robot is a robot as admins see it: never its token or secret.
type Robot struct {
	RobotID    uuid.UUID `json:"robot_id"`
	Name       string    `json:"name"`
	AvatarURL  string    `json:"avatar_url"`
	WebhookURL string    `json:"webhook_url"`
	CreatedAt  time.Time `json:"created_at"`
	UpdatedAt  time.Time `json:"updated_at"`
	Version    int64     `json:"version"`
}

const robotColumns = `robot_id, name, avatar_url, webhook_url, created_at, updated_at, version`

func scanRobot(r pgx.Row) (Robot, error) {
	var b Robot
	err := r.Scan(&b.RobotID, &b.Name, &b.AvatarURL, &b.WebhookURL, &b.CreatedAt, &b.UpdatedAt, &b.Version)
	return b, err
}

// ListRobots lists a tenant's robots, oldest first (a tenant has at most
// robot.MaxRobots).
func ListRobots(ctx context.Context, q Querier, tenantID uuid.UUID) ([]Robot, error) {
	rows, err := q.Query(ctx, `SELECT `+robotColumns+` FROM robots WHERE tenant_id = $1 AND NOT removed ORDER BY created_at, robot_id`, tenantID)
	if err != nil {
		return nil, fmt.Errorf("list robots: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Robot, error) { return scanRobot(r) })
	if err != nil {
		return nil, fmt.Errorf("list robots: %w", err)
	}
	if out == nil {
		out = []Robot{}
	}
	return out, nil
}

// GetRobot returns a robot of the tenant, or ErrNotFound.
func GetRobot(ctx context.Context, q Querier, tenantID, robotID uuid.UUID) (Robot, error) {
	b, err := scanRobot(q.QueryRow(ctx, `SELECT `+robotColumns+` FROM robots WHERE tenant_id = $1 AND robot_id = $2 AND NOT removed`, tenantID, robotID))
	if errors.Is(err, pgx.ErrNoRows) {
		return Robot{}, fmt.Errorf("robot %s: %w", robotID, ErrNotFound)
	}
	return b, err
}
