package commands

import (
	"context"

	"github.com/google/uuid"

	"supportd/domain/agent"
	"supportd/domain/tenant"
	"supportd/eventschema"
)

// ResetAgentPassword is an admin setting a user's password.
type ResetAgentPassword struct {
	AgentRef
	Password string
}

// ResetAgentPassword handles the ResetAgentPassword command.
func (h *Handler) ResetAgentPassword(ctx context.Context, m Meta, c ResetAgentPassword) (Result, error) {
	t, err := load(ctx, h, tenantAggregate(c.TenantID), uuid.Nil)
	if err != nil {
		return Result{}, err
	}
	a, err := t.state.RequireAccount(c.AgentID)
	if err != nil {
		return Result{}, err
	}
	if err := tenant.CheckPassword("password", c.Password, a.Email, a.Nickname, t.state.Name); err != nil {
		return Result{}, err
	}
	if err := h.storePassword(ctx, c.TenantID, c.AgentID, c.Password, uuid.Nil); err != nil {
		return Result{}, err
	}
	m = withCommandID(m)
	res, err := h.onRoster(ctx, m, c.TenantID, func(s tenant.State) ([]any, error) {
		return tenant.ChangePassword(s, c.AgentID)
	})
	if err != nil {
		return Result{}, err
	}
	return h.endOtherSessions(ctx, m, c.AgentRef, uuid.Nil, res)
}

// endOtherSessions is the second step of a password change or reset: every
// session of the user but keep ends, so a stolen token dies with the old
// password. A retry of the command (same Idempotency-Key) finds the first
// step done and runs this one again.
func (h *Handler) endOtherSessions(ctx context.Context, m Meta, ref AgentRef, keep uuid.UUID, first Result) (Result, error) {
	who := agent.Identity{TenantID: ref.TenantID, AgentID: ref.AgentID}
	second, err := Execute(ctx, h, followUp(m, "sign-out-others"), agentAggregate(ref.TenantID, ref.AgentID), func(s agent.State) ([]any, error) {
		return agent.SignOutOthers(s, who, keep, eventschema.SignOutPasswordChanged)
	})
	if err != nil {
		return Result{}, err
	}
	return then(first, second), nil
}

// ChangeOwnPassword is a user changing its own password, proving it knows
// the current one.
type ChangeOwnPassword struct {
	AgentRef
	CurrentPassword string
	Password        string
	// SessionID is the session that asks; it stays open, the others end.
	SessionID uuid.UUID
}

// ChangeOwnPassword handles the ChangeOwnPassword command. The current
// password is verified against the stored hash; hashing is no business
// rule, so the domain only hears whether it matched. The new hash is stored
// before the event that says the password changed.
func (h *Handler) ChangeOwnPassword(ctx context.Context, m Meta, c ChangeOwnPassword) (Result, error) {
	t, err := load(ctx, h, tenantAggregate(c.TenantID), uuid.Nil)
	if err != nil {
		return Result{}, err
	}
	a, err := t.state.RequireAccount(c.AgentID)
	if err != nil {
		return Result{}, err
	}
	if err := tenant.CheckPassword("password", c.Password, a.Email, a.Nickname, t.state.Name); err != nil {
		return Result{}, err
	}
	currentOK, err := h.passwordMatches(ctx, c.TenantID, a.ID, c.CurrentPassword)
	if err != nil {
		return Result{}, err
	}
	if _, err := tenant.ChangeOwnPassword(t.state, c.AgentID, currentOK); err != nil {
		return Result{}, err
	}
	if err := h.storePassword(ctx, c.TenantID, c.AgentID, c.Password, c.SessionID); err != nil {
		return Result{}, err
	}
	m = withCommandID(m)
	res, err := h.onRoster(ctx, m, c.TenantID, func(s tenant.State) ([]any, error) {
		return tenant.ChangeOwnPassword(s, c.AgentID, true)
	})
	if err != nil {
		return Result{}, err
	}
	return h.endOtherSessions(ctx, m, c.AgentRef, c.SessionID, res)
}
