package commands

import (
	"context"

	"github.com/google/uuid"

	"supportd/domain/agent"
	"supportd/domain/tenant"
	"supportd/eventschema"
)

// AgentRef names a user of a tenant: the target of an admin's command on
// an account.
type AgentRef struct {
	TenantID uuid.UUID
	AgentID  uuid.UUID
}

// ChangeAgentRole gives a user another role.
type ChangeAgentRole struct {
	AgentRef
	Role string
}

// ChangeAgentRole handles the ChangeAgentRole command.
func (h *Handler) ChangeAgentRole(ctx context.Context, m Meta, c ChangeAgentRole) (Result, error) {
	return h.onRoster(ctx, m, c.TenantID, func(s tenant.State) ([]any, error) {
		return tenant.ChangeRole(s, c.AgentID, c.Role)
	})
}

// EnableAgent lets a user sign in again; it takes a licensed seat.
type EnableAgent struct{ AgentRef }

// EnableAgent handles the EnableAgent command.
func (h *Handler) EnableAgent(ctx context.Context, m Meta, c EnableAgent) (Result, error) {
	return h.onRoster(ctx, m, c.TenantID, func(s tenant.State) ([]any, error) {
		return tenant.Enable(s, c.AgentID)
	})
}

// DisableAgent stops a user from signing in and ends its sessions.
type DisableAgent struct{ AgentRef }

// DisableAgent handles the DisableAgent command: AgentDisabled in the
// tenant's roster, then every session ended in the user's own stream.
func (h *Handler) DisableAgent(ctx context.Context, m Meta, c DisableAgent) (Result, error) {
	m = withCommandID(m)
	res, err := h.onRoster(ctx, m, c.TenantID, func(s tenant.State) ([]any, error) {
		return tenant.Disable(s, c.AgentID)
	})
	if err != nil {
		return Result{}, err
	}
	return h.endSessions(ctx, m, c.AgentRef, res)
}

// RemoveAgent deletes a user and ends its sessions. Its history stays.
type RemoveAgent struct{ AgentRef }

// RemoveAgent handles the RemoveAgent command, in the same two steps as
// DisableAgent.
func (h *Handler) RemoveAgent(ctx context.Context, m Meta, c RemoveAgent) (Result, error) {
	m = withCommandID(m)
	res, err := h.onRoster(ctx, m, c.TenantID, func(s tenant.State) ([]any, error) {
		return tenant.Remove(s, c.AgentID)
	})
	if err != nil {
		return Result{}, err
	}
	// The user is gone: its password hash goes too (a retry forgets it
	// again; a hash left by a crash here opens nothing, the roster has
	// no such user).
	if h.Credentials != nil {
		if err := h.Credentials.Forget(ctx, c.TenantID, c.AgentID); err != nil {
			return Result{}, err
		}
	}
	return h.endSessions(ctx, m, c.AgentRef, res)
}

// endSessions is the second step of disabling or removing a user: every
// session of the user ends and it goes offline, so dispatch stops counting
// on it. A failure here leaves no hole: authentication already refuses the
// tokens of a user who is disabled or gone, whatever its sessions say; a
// retry of the command (same Idempotency-Key) finds the first step done and
// runs this one again.
func (h *Handler) endSessions(ctx context.Context, m Meta, ref AgentRef, first Result) (Result, error) {
	who := agent.Identity{TenantID: ref.TenantID, AgentID: ref.AgentID}
	m.TenantID = ref.TenantID
	second, err := Execute(ctx, h, followUp(m, "sign-out-all"), agentAggregate(ref.TenantID, ref.AgentID), func(s agent.State) ([]any, error) {
		return agent.SignOutAll(s, who, eventschema.SignOutDisabled)
	})
	if err != nil {
		return Result{}, err
	}
	return then(first, second), nil
}

// ChangeAgentEmail gives a user another sign-in address.
type ChangeAgentEmail struct {
	AgentRef
	Email string
}

// ChangeAgentEmail handles the ChangeAgentEmail command.
func (h *Handler) ChangeAgentEmail(ctx context.Context, m Meta, c ChangeAgentEmail) (Result, error) {
	return h.onRoster(ctx, m, c.TenantID, func(s tenant.State) ([]any, error) {
		return tenant.ChangeEmail(s, c.AgentID, c.Email)
	})
}

// onRoster runs a decision on the tenant's roster.
func (h *Handler) onRoster(ctx context.Context, m Meta, tenantID uuid.UUID, decide func(tenant.State) ([]any, error)) (Result, error) {
	m.TenantID = tenantID
	return Execute(ctx, h, m, tenantAggregate(tenantID), decide)
}
