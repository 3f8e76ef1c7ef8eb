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
	hash, err := h.Passwords.Hash(c.Password)
	if err != nil {
		return Result{}, err
	}
	m = withCommandID(m)
	res, err := h.onRoster(ctx, m, c.TenantID, func(s tenant.State) ([]any, error) {
		return tenant.ChangePassword(s, c.AgentID, hash)
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
	second, err := Execute(ctx, h, followUp(m, "sign-out-others"), agentAggregate(ref.AgentID), func(s agent.State) ([]any, error) {
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
// password is verified against the hash the roster holds when the command
// is decided; hashing is no business rule, so the domain only hears whether
// it matched.
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
	currentOK := h.Passwords.Verify(a.PasswordHash, c.CurrentPassword)
	hash := ""
	if currentOK {
		if hash, err = h.Passwords.Hash(c.Password); err != nil {
			return Result{}, err
		}
	}
	m = withCommandID(m)
	res, err := h.onRoster(ctx, m, c.TenantID, func(s tenant.State) ([]any, error) {
		// Decided against the hash verified above: a password changed in
		// between (by an admin's reset) makes the old one wrong.
		if cur, ok := s.Account(c.AgentID); ok && cur.PasswordHash != a.PasswordHash {
			return tenant.ChangeOwnPassword(s, c.AgentID, false, hash)
		}
		return tenant.ChangeOwnPassword(s, c.AgentID, currentOK, hash)
	})
	if err != nil {
		return Result{}, err
	}
	return h.endOtherSessions(ctx, m, c.AgentRef, c.SessionID, res)
}
