package api

import (
	"encoding/json"
	"net/http"
	"sort"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"supportd/commands"
	"supportd/domain/access"
	"supportd/domain/tenant"
	"supportd/readmodels"
)

func (h *handlers) tenantRoutes(g *echo.Group) {
	g.POST("/tenants", h.createTenant, operatorOnly)
	g.GET("/tenants/:tenant_id", h.getTenantAsOperator, operatorOnly)
	g.PUT("/tenants/:tenant_id/seats", h.licenseSeats, operatorOnly)
	g.GET("/tenant", h.getOwnTenant, need(access.Dashboard))
	g.PUT("/tenant", h.changeTenantProfile, need(access.ManageSettings))
	g.GET("/tenant/settings", h.listTenantSettings, need(access.ManageSettings))
	g.PUT("/tenant/settings/:key", h.changeTenantSetting, need(access.ManageSettings))
}

type createTenantRequest struct {
	TenantID uuid.UUID `json:"tenant_id"`
	Name     string    `json:"name"`
	TimeZone string    `json:"time_zone"`
	Admin    struct {
		Email    string `json:"email"`
		Nickname string `json:"nickname"`
		RealName string `json:"real_name"`
		Password string `json:"password"`
	} `json:"admin"`
	SetUp *bool `json:"set_up"`
}

func (h *handlers) createTenant(c echo.Context) error {
	var req createTenantRequest
	if err := c.Bind(&req); err != nil {
		return err
	}
	m, err := meta(c)
	if err != nil {
		return err
	}
	res, err := h.d.Commands.CreateTenant(c.Request().Context(), m, commands.CreateTenant{
		TenantID: req.TenantID, Name: req.Name, TimeZone: req.TimeZone,
		Admin: commands.NewUser{Email: req.Admin.Email, Nickname: req.Admin.Nickname, RealName: req.Admin.RealName, Password: req.Admin.Password},
		SetUp: req.SetUp == nil || *req.SetUp,
	})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, res)
}

// pathID parses a UUID path parameter; a malformed one names nothing, so
// it is a 404 like any unknown ID.
func pathID(c echo.Context, name string) (uuid.UUID, error) {
	id, err := uuid.Parse(c.Param(name))
	if err != nil {
		return uuid.Nil, ErrNotFound
	}
	return id, nil
}

func (h *handlers) getTenantAsOperator(c echo.Context) error {
	id, err := pathID(c, "tenant_id")
	if err != nil {
		return err
	}
	return h.writeTenant(c, id)
}

func (h *handlers) getOwnTenant(c echo.Context) error {
	return h.writeTenant(c, callerOf(c).tenantID)
}

func (h *handlers) writeTenant(c echo.Context, id uuid.UUID) error {
	if err := h.awaitPosition(c); err != nil {
		return err
	}
	t, err := readmodels.GetTenant(c.Request().Context(), h.d.Reads, id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, t)
}

func (h *handlers) licenseSeats(c echo.Context) error {
	id, err := pathID(c, "tenant_id")
	if err != nil {
		return err
	}
	var req struct {
		Seats int `json:"licensed_seats"`
	}
	if err := c.Bind(&req); err != nil {
		return err
	}
	m, err := meta(c)
	if err != nil {
		return err
	}
	res, err := h.d.Commands.LicenseSeats(c.Request().Context(), m, commands.LicenseSeats{TenantID: id, Seats: req.Seats})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, res)
}

func (h *handlers) changeTenantProfile(c echo.Context) error {
	var req struct {
		Name     string `json:"name"`
		LogoURL  string `json:"logo_url"`
		TimeZone string `json:"time_zone"`
	}
	if err := c.Bind(&req); err != nil {
		return err
	}
	m, err := meta(c)
	if err != nil {
		return err
	}
	res, err := h.d.Commands.ChangeTenantProfile(c.Request().Context(), m, commands.ChangeTenantProfile{
		TenantID: callerOf(c).tenantID, Name: req.Name, LogoURL: req.LogoURL, TimeZone: req.TimeZone})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, res)
}

type setting struct {
	Key         string          `json:"key"`
	Value       json.RawMessage `json:"value"`
	Default     json.RawMessage `json:"default"`
	Description string          `json:"description"`
}

func (h *handlers) listTenantSettings(c echo.Context) error {
	if err := h.awaitPosition(c); err != nil {
		return err
	}
	rows, err := readmodels.GetTenantSettings(c.Request().Context(), h.d.Reads, callerOf(c).tenantID)
	if err != nil {
		return err
	}
	changed := make(map[string]json.RawMessage, len(rows))
	for _, r := range rows {
		changed[r.Key] = r.Value
	}
	items := make([]setting, 0, len(tenant.Settings))
	for key, def := range tenant.Settings {
		v, ok := changed[key]
		if !ok {
			v = def.Default
		}
		items = append(items, setting{Key: key, Value: v, Default: def.Default, Description: def.Doc})
	}
	sort.Slice(items, func(i, j int) bool { return items[i].Key < items[j].Key })
	return c.JSON(http.StatusOK, map[string]any{"items": items})
}

func (h *handlers) changeTenantSetting(c echo.Context) error {
	var req struct {
		Value json.RawMessage `json:"value"`
	}
	if err := c.Bind(&req); err != nil {
		return err
	}
	m, err := meta(c)
	if err != nil {
		return err
	}
	res, err := h.d.Commands.ChangeTenantSetting(c.Request().Context(), m,
		commands.ChangeTenantSetting{TenantID: callerOf(c).tenantID, Key: c.Param("key"), Value: req.Value})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, res)
}
