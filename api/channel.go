package api

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"supportd/readmodels"
)

// channelRoutes are the customer-side API, called by web widgets, apps and
// messaging bridges with a channel key.
func (h *handlers) channelRoutes(g *echo.Group) {
	g.GET("/channel", h.getChannel, channelOnly)
}

// getChannel tells a widget which tenant and channel its key belongs to,
// with the tenant's public profile, so it can set itself up.
func (h *handlers) getChannel(c echo.Context) error {
	cl := callerOf(c)
	t, err := readmodels.GetTenant(c.Request().Context(), h.d.Reads, cl.tenantID)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{
		"tenant_id": t.ID, "tenant_name": t.Name, "logo_url": t.LogoURL, "time_zone": t.TimeZone,
		"channel": cl.channel.Channel, "key_id": cl.channel.KeyID, "key_name": cl.channel.Name,
	})
}
