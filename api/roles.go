package api

import (
	"context"
	"net/http"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"supportd/commands"
	"supportd/domain/access"
	"supportd/readmodels"
)

// roleRoutes is the admin console's Permissions page: the built-in admin
// and agent roles and the tenant's custom roles.
func (h *handlers) roleRoutes(g *echo.Group) {
	roles := need(access.ManageRoles)
	g.GET("/roles", h.listRoles, roles)
	g.POST("/roles", h.createRole, roles)
	g.GET("/roles/:role_id", h.getRole, roles)
	g.PUT("/roles/:role_id", h.redefineRole, roles)
	g.DELETE("/roles/:role_id", h.deleteRole, roles)
}

// roleView is a role as the API shows it, built-in or custom.
type roleView struct {
	RoleID       string   `json:"role_id"`
	Name         string   `json:"name"`
	Builtin      bool     `json:"builtin"`
	Capabilities []string `json:"capabilities"`
	DataScope    string   `json:"data_scope"`
	// Version is the tenant stream's version at the role's last definition
	// (0 for built-in roles).
	Version uint64 `json:"version"`
}

func builtinView(r access.Role) roleView {
	caps := make([]string, len(r.Capabilities))
	for i, c := range r.Capabilities {
		caps[i] = string(c)
	}
	return roleView{RoleID: r.ID, Name: r.Name, Builtin: true, Capabilities: caps, DataScope: string(r.DataScope)}
}

func customView(r readmodels.Role) roleView {
	return roleView{RoleID: r.RoleID.String(), Name: r.Name, Capabilities: r.Capabilities, DataScope: r.DataScope, Version: r.Version}
}

func (h *handlers) listRoles(c echo.Context) error {
	if err := h.awaitPosition(c); err != nil {
		return err
	}
	custom, err := readmodels.ListRoles(c.Request().Context(), h.d.Reads, callerOf(c).tenantID)
	if err != nil {
		return err
	}
	items := []roleView{builtinView(access.Admin()), builtinView(access.Agent())}
	for _, r := range custom {
		items = append(items, customView(r))
	}
	return c.JSON(http.StatusOK, map[string]any{"items": items})
}

func (h *handlers) getRole(c echo.Context) error {
	if r, ok := access.Builtin(c.Param("role_id")); ok {
		return c.JSON(http.StatusOK, builtinView(r))
	}
	id, err := uuid.Parse(c.Param("role_id"))
	if err != nil {
		return ErrNotFound
	}
	if err := h.awaitPosition(c); err != nil {
		return err
	}
	r, err := readmodels.GetRole(c.Request().Context(), h.d.Reads, callerOf(c).tenantID, id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, customView(r))
}

type roleRequest struct {
	Name         string   `json:"name"`
	Capabilities []string `json:"capabilities"`
	DataScope    string   `json:"data_scope"`
}

func (r roleRequest) definition() commands.RoleDefinition {
	caps := make([]access.Capability, len(r.Capabilities))
	for i, s := range r.Capabilities {
		caps[i] = access.Capability(s) // the domain refuses unknown ones
	}
	scope := access.Scope(r.DataScope)
	if scope == "" {
		scope = access.TeamScope
	}
	return commands.RoleDefinition{Name: r.Name, Capabilities: caps, DataScope: scope}
}

func (h *handlers) createRole(c echo.Context) error {
	return command(c, http.StatusCreated, func(ctx context.Context, m commands.Meta, r roleRequest) (commands.RoleCreated, error) {
		return h.d.Commands.CreateRole(ctx, m, commands.CreateRole{TenantID: callerOf(c).tenantID, RoleDefinition: r.definition()})
	})
}

func (h *handlers) redefineRole(c echo.Context) error {
	return command(c, http.StatusOK, func(ctx context.Context, m commands.Meta, r roleRequest) (commands.Result, error) {
		return h.d.Commands.RedefineRole(ctx, m, commands.RedefineRole{TenantID: callerOf(c).tenantID,
			RoleID: c.Param("role_id"), RoleDefinition: r.definition()})
	})
}

func (h *handlers) deleteRole(c echo.Context) error {
	return command(c, http.StatusOK, func(ctx context.Context, m commands.Meta, _ struct{}) (commands.Result, error) {
		return h.d.Commands.DeleteRole(ctx, m, commands.DeleteRole{TenantID: callerOf(c).tenantID, RoleID: c.Param("role_id")})
	})
}
