package commands

import (
	"context"

	"github.com/google/uuid"

	"supportd/domain/tenant"
)

// CreateTenant registers a new customer-service organisation and its first
// admin.
type CreateTenant struct {
	TenantID uuid.UUID
	Name     string
	TimeZone string
	Admin    NewUser
}

// NewUser is a user to add, with the password in clear (it is hashed here
// and never stored).
type NewUser struct {
	AgentID  uuid.UUID
	Email    string
	Nickname string
	RealName string
	Role     string
	Password string
	Enabled  bool
}

// CreateTenant handles the CreateTenant command.
func (h *Handler) CreateTenant(ctx context.Context, m Meta, c CreateTenant) (Result, error) {
	m.TenantID = c.TenantID
	if err := tenant.CheckPassword("password", c.Admin.Password, c.Admin.Email, c.Admin.Nickname, c.Admin.RealName, c.Name); err != nil {
		return Result{}, prefixField(err, "admin.")
	}
	admin := tenant.NewAgent{AgentID: c.Admin.AgentID, Email: c.Admin.Email, Nickname: c.Admin.Nickname,
		RealName: c.Admin.RealName}
	if admin.AgentID == uuid.Nil {
		admin.AgentID = uuid.Must(uuid.NewV7())
	}
	if err := h.storePassword(ctx, c.TenantID, admin.AgentID, c.Admin.Password, uuid.Nil); err != nil {
		return Result{}, prefixField(err, "admin.")
	}
	return Execute(ctx, h, m, tenantAggregate(c.TenantID), func(s tenant.State) ([]any, error) {
		return tenant.Create(s, c.TenantID, c.Name, c.TimeZone, admin)
	})
}

func tenantAggregate(id uuid.UUID) Aggregate[tenant.State] {
	return Aggregate[tenant.State]{Tenant: id, Stream: tenant.Stream(id), Evolve: tenant.Evolve, Cache: true}
}
