package api

import (
	"encoding/json"
	"net/http"
	"sort"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"supportd/commands"
	"supportd/domain/tenant"
	"supportd/readmodels"
)

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
	})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, res)
}

func tenantID(c echo.Context) (uuid.UUID, error) {
	id, err := uuid.Parse(c.Param("tenant_id"))
	if err != nil {
		return uuid.Nil, ErrNotFound
	}
	return id, nil
}

func (h *handlers) getTenant(c echo.Context) error {
	id, err := tenantID(c)
	if err != nil {
		return err
	}
	if err := h.awaitPosition(c); err != nil {
		return err
	}
	t, err := readmodels.GetTenant(c.Request().Context(), h.d.Reads, id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, t)
}

type setting struct {
	Key         string          `json:"key"`
	Value       json.RawMessage `json:"value"`
	Default     json.RawMessage `json:"default"`
	Description string          `json:"description"`
}

func (h *handlers) listTenantSettings(c echo.Context) error {
	id, err := tenantID(c)
	if err != nil {
		return err
	}
	if err := h.awaitPosition(c); err != nil {
		return err
	}
	ctx := c.Request().Context()
	if _, err := readmodels.GetTenant(ctx, h.d.Reads, id); err != nil {
		return err
	}
	rows, err := readmodels.GetTenantSettings(ctx, h.d.Reads, id)
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
	id, err := tenantID(c)
	if err != nil {
		return err
	}
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
		commands.ChangeTenantSetting{TenantID: id, Key: c.Param("key"), Value: req.Value})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, res)
}
