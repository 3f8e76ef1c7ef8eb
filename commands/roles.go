package commands

import (
	"context"

	"github.com/google/uuid"

	"supportd/domain/access"
	"supportd/domain/tenant"
)

// RoleDefinition is what a custom role grants.
type RoleDefinition struct {
	Name         string
	Capabilities []access.Capability
	DataScope    access.Scope
}

// CreateRole defines a new custom role.
type CreateRole struct {
	TenantID uuid.UUID
	RoleDefinition
}

// RoleCreated is the answer to CreateRole.
type RoleCreated struct {
	Result
	RoleID uuid.UUID `json:"role_id"`
}

// CreateRole handles the CreateRole command.
func (h *Handler) CreateRole(ctx context.Context, m Meta, c CreateRole) (RoleCreated, error) {
	m = withCommandID(m)
	id := createdID(c.TenantID, m)
	res, err := h.onRoster(ctx, m, c.TenantID, func(s tenant.State) ([]any, error) {
		return tenant.DefineRole(s, id, c.Name, c.Capabilities, c.DataScope)
	})
	return RoleCreated{Result: res, RoleID: id}, err
}

// RedefineRole changes what an existing custom role grants. RoleID is as a
// client names it: the built-in roles are fixed.
type RedefineRole struct {
	TenantID uuid.UUID
	RoleID   string
	RoleDefinition
}

// RedefineRole handles the RedefineRole command.
func (h *Handler) RedefineRole(ctx context.Context, m Meta, c RedefineRole) (Result, error) {
	id, err := access.CustomRoleID(c.RoleID)
	if err != nil {
		return Result{}, err
	}
	return h.onRoster(ctx, m, c.TenantID, func(s tenant.State) ([]any, error) {
		return tenant.RedefineRole(s, id, c.Name, c.Capabilities, c.DataScope)
	})
}

// DeleteRole removes a custom role nobody holds.
type DeleteRole struct {
	TenantID uuid.UUID
	RoleID   string
}

// DeleteRole handles the DeleteRole command.
func (h *Handler) DeleteRole(ctx context.Context, m Meta, c DeleteRole) (Result, error) {
	id, err := access.CustomRoleID(c.RoleID)
	if err != nil {
		return Result{}, err
	}
	return h.onRoster(ctx, m, c.TenantID, func(s tenant.State) ([]any, error) {
		return tenant.DeleteRole(s, id)
	})
}
