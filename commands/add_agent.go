package commands

import (
	"context"

	"github.com/google/uuid"

	"supportd/domain/agent"
	"supportd/domain/tenant"
)

// AddAgent adds a user (an admin, an agent or a holder of a custom role) to
// a tenant, enabled unless Disabled is set.
type AddAgent struct {
	TenantID uuid.UUID
	Email    string
	Nickname string
	RealName string
	Role     string
	Password string
	Disabled bool
	// Capacity, when set, is the new user's maximum of conversations, set by
	// the admin right after the addition.
	Capacity *int
}

// AgentAdded is the answer to AddAgent: the new user's ID and where the
// command left the tenant's stream.
type AgentAdded struct {
	Result
	AgentID uuid.UUID `json:"agent_id"`
}

// AddAgent handles the AddAgent command. The password is hashed here and
// never stored. An initial capacity is a second command, SetCapacity by an
// admin, on the new user's own stream; the function switch is asked before
// the addition, so a capacity the switch refuses adds nobody. Should the
// second step still fail, the user exists with the default capacity and the
// admin can set it again: nothing half-done stays hidden.
func (h *Handler) AddAgent(ctx context.Context, m Meta, c AddAgent) (AgentAdded, error) {
	m = withCommandID(m)
	m.TenantID = c.TenantID
	id := createdID(c.TenantID, m)
	t, err := load(ctx, h, tenantAggregate(c.TenantID), uuid.Nil)
	if err != nil {
		return AgentAdded{}, err
	}
	if err := tenant.CheckPassword("password", c.Password, c.Email, c.Nickname, c.RealName, t.state.Name); err != nil {
		return AgentAdded{}, err
	}
	if c.Capacity != nil {
		// A dry run on the new user's empty stream: the domain decides.
		who := agent.Identity{TenantID: c.TenantID, AgentID: id}
		if _, err := agent.SetCapacity(agent.State{}, who, *c.Capacity, true, t.state.SettingBool("agents.may_set_capacity")); err != nil {
			return AgentAdded{}, err
		}
	}
	if _, exists := t.state.Account(id); !exists { // a retry must not change an existing user's password
		if err := h.storePassword(ctx, c.TenantID, id, c.Password, uuid.Nil); err != nil {
			return AgentAdded{}, err
		}
	}
	n := tenant.NewAgent{AgentID: id, Email: c.Email, Nickname: c.Nickname, RealName: c.RealName, Role: c.Role,
		Enabled: !c.Disabled}
	res, err := Execute(ctx, h, m, tenantAggregate(c.TenantID), func(s tenant.State) ([]any, error) {
		return tenant.AddAgent(s, n)
	})
	if err != nil {
		return AgentAdded{}, err
	}
	if c.Capacity != nil {
		second, err := h.SetCapacity(ctx, followUp(m, "capacity"), SetCapacity{TenantID: c.TenantID, AgentID: id, Capacity: *c.Capacity, ByAdmin: true})
		if err != nil {
			return AgentAdded{}, err
		}
		res = then(res, second)
	}
	return AgentAdded{Result: res, AgentID: id}, nil
}
