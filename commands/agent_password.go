package commands

import (
	"context"

	"github.com/google/uuid"

	"supportd/domain/tenant"
)

// ResetAgentPassword is an admin setting a user's password.
type ResetAgentPassword struct {
	AgentRef
	Password string
}

// ResetAgentPassword handles the ResetAgentPassword command.
func (h *Handler) ResetAgentPassword(ctx context.Context, m Meta, c ResetAgentPassword) (Result, error) {
	hash, err := h.Passwords.Hash(c.Password)
	if err != nil {
		return Result{}, err
	}
	return h.onRoster(ctx, m, c.TenantID, func(s tenant.State) ([]any, error) {
		return tenant.ChangePassword(s, c.AgentID, hash)
	})
}

// ChangeOwnPassword is a user changing its own password, proving it knows
// the current one.
type ChangeOwnPassword struct {
	AgentRef
	CurrentPassword string
	Password        string
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
	currentOK := h.Passwords.Verify(a.PasswordHash, c.CurrentPassword)
	hash := ""
	if currentOK {
		if hash, err = h.Passwords.Hash(c.Password); err != nil {
			return Result{}, err
		}
	}
	return h.onRoster(ctx, m, c.TenantID, func(s tenant.State) ([]any, error) {
		// Decided against the hash verified above: a password changed in
		// between (by an admin's reset) makes the old one wrong.
		if cur, ok := s.Account(c.AgentID); ok && cur.PasswordHash != a.PasswordHash {
			return tenant.ChangeOwnPassword(s, c.AgentID, false, hash)
		}
		return tenant.ChangeOwnPassword(s, c.AgentID, currentOK, hash)
	})
}
