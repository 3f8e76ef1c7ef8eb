package commands

import (
	"context"

	"github.com/google/uuid"

	"supportd/domain/robot"
	"supportd/eventschema"
)

func robotsAggregate(tenantID uuid.UUID) Aggregate[robot.State] {
	return Aggregate[robot.State]{Tenant: tenantID, Stream: robot.Stream(tenantID), Evolve: robot.Evolve}
}

// RegisterRobot adds a robot. A webhook without a Secret has one made.
type RegisterRobot struct {
	TenantID uuid.UUID
	RobotID  uuid.UUID
	Robot    eventschema.Robot
}

// RobotRegistered answers a registration or a new token. Token and Secret
// are shown only when this call recorded them (a retried request answers
// without them): only their hash, or their sealed form, is kept.
type RobotRegistered struct {
	Result
	RobotID uuid.UUID `json:"robot_id"`
	Token   string    `json:"token,omitempty"`
	Secret  string    `json:"secret,omitempty"`
}

// RegisterRobot handles the RegisterRobot command.
func (h *Handler) RegisterRobot(ctx context.Context, m Meta, c RegisterRobot) (RobotRegistered, error) {
	m.TenantID = c.TenantID
	if err := h.checkWebhookAddress(c.Robot.WebhookURL); err != nil {
		return RobotRegistered{}, err
	}
	if c.Robot.WebhookURL != "" && c.Robot.Secret == "" {
		c.Robot.Secret, _ = NewSecret()
	}
	plain := c.Robot.Secret
	sealed, err := h.sealSecret(plain)
	if err != nil {
		return RobotRegistered{}, err
	}
	c.Robot.Secret = sealed
	token, tokenHash := NewSecret()
	decided := false
	res, err := Execute(ctx, h, m, robotsAggregate(c.TenantID), func(s robot.State) ([]any, error) {
		decided = true
		return robot.Register(s, c.TenantID, c.RobotID, c.Robot, tokenHash)
	})
	if err != nil {
		return RobotRegistered{}, err
	}
	out := RobotRegistered{Result: res, RobotID: c.RobotID}
	if decided && res.Events > 0 {
		out.Token, out.Secret = token, plain
	}
	return out, nil
}

// ChangeRobot replaces a robot's definition; an empty Secret keeps the
// current one.
type ChangeRobot struct {
	TenantID uuid.UUID
	RobotID  uuid.UUID
	Robot    eventschema.Robot
}

// ChangeRobot handles the ChangeRobot command.
func (h *Handler) ChangeRobot(ctx context.Context, m Meta, c ChangeRobot) (Result, error) {
	m.TenantID = c.TenantID
	if err := h.checkWebhookAddress(c.Robot.WebhookURL); err != nil {
		return Result{}, err
	}
	sealed, err := h.sealSecret(c.Robot.Secret)
	if err != nil {
		return Result{}, err
	}
	c.Robot.Secret = sealed
	return Execute(ctx, h, m, robotsAggregate(c.TenantID), func(s robot.State) ([]any, error) {
		return robot.Change(s, c.TenantID, c.RobotID, c.Robot)
	})
}

// IssueRobotToken gives a robot a new API token; the old one stops working.
type IssueRobotToken struct {
	TenantID uuid.UUID
	RobotID  uuid.UUID
}

// IssueRobotToken handles the IssueRobotToken command.
func (h *Handler) IssueRobotToken(ctx context.Context, m Meta, c IssueRobotToken) (RobotRegistered, error) {
	m.TenantID = c.TenantID
	token, tokenHash := NewSecret()
	decided := false
	res, err := Execute(ctx, h, m, robotsAggregate(c.TenantID), func(s robot.State) ([]any, error) {
		decided = true
		return robot.IssueToken(s, c.TenantID, c.RobotID, tokenHash)
	})
	if err != nil {
		return RobotRegistered{}, err
	}
	out := RobotRegistered{Result: res, RobotID: c.RobotID}
	if decided && res.Events > 0 {
		out.Token = token
	}
	return out, nil
}

// RemoveRobot removes a robot.
type RemoveRobot struct {
	TenantID uuid.UUID
	RobotID  uuid.UUID
}

// RemoveRobot handles the RemoveRobot command.
func (h *Handler) RemoveRobot(ctx context.Context, m Meta, c RemoveRobot) (Result, error) {
	m.TenantID = c.TenantID
	return Execute(ctx, h, m, robotsAggregate(c.TenantID), func(s robot.State) ([]any, error) {
		return robot.Remove(s, c.TenantID, c.RobotID)
	})
}
