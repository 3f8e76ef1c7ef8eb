package api

import (
	"context"
	"net/http"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"supportd/commands"
	"supportd/domain/access"
	"supportd/eventschema"
	"supportd/outbound"
	"supportd/readmodels"
)

// Webhook endpoints deliver conversations' outbound events to channels:
// managing them, reading their delivery log and pinging them goes with the
// channels (admin.channels).
func (h *handlers) webhookRoutes(g *echo.Group) {
	channels := need(access.ManageChannels)
	g.GET("/webhooks", h.listWebhooks, channels)
	g.POST("/webhooks", h.registerWebhook, channels)
	g.GET("/webhooks/:endpoint_id", h.getWebhook, channels)
	g.PUT("/webhooks/:endpoint_id", h.changeWebhook, channels)
	g.DELETE("/webhooks/:endpoint_id", h.deleteWebhook, channels)
	g.POST("/webhooks/:endpoint_id/ping", h.pingWebhook, channels)
	g.GET("/webhooks/:endpoint_id/deliveries", h.listWebhookDeliveries, channels)
	g.GET("/webhooks/:endpoint_id/attempts", h.listWebhookAttempts, channels)
}

// webhookRequest is an endpoint as admins send it. Enabled defaults to
// true; an empty secret has one made (register) or keeps it (change).
type webhookRequest struct {
	EndpointID  uuid.UUID `json:"endpoint_id"`
	URL         string    `json:"url"`
	Secret      string    `json:"secret"`
	Channels    []string  `json:"channels"`
	Enabled     *bool     `json:"enabled"`
	Description string    `json:"description"`
}

func (r webhookRequest) endpoint() eventschema.WebhookEndpoint {
	return eventschema.WebhookEndpoint{URL: r.URL, Secret: r.Secret, Channels: r.Channels,
		Enabled: r.Enabled == nil || *r.Enabled, Description: r.Description}
}

func (h *handlers) listWebhooks(c echo.Context) error {
	if err := h.awaitPosition(c); err != nil {
		return err
	}
	items, err := readmodels.ListWebhookEndpoints(c.Request().Context(), h.d.Reads, callerOf(c).tenantID)
	if err != nil {
		return err
	}
	return listAnswer(c, items, "")
}

func (h *handlers) registerWebhook(c echo.Context) error {
	var req webhookRequest
	if err := c.Bind(&req); err != nil {
		return err
	}
	m, err := meta(c)
	if err != nil {
		return err
	}
	res, err := h.d.Commands.RegisterWebhook(c.Request().Context(), m, commands.RegisterWebhook{
		TenantID: callerOf(c).tenantID, EndpointID: newID(m, req.EndpointID), Endpoint: req.endpoint()})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, res)
}

// webhookOf reads the endpoint a request's path names, in the caller's
// tenant: another tenant's ID names nothing here (404).
func (h *handlers) webhookOf(c echo.Context) (readmodels.WebhookEndpoint, error) {
	id, err := pathID(c, "endpoint_id")
	if err != nil {
		return readmodels.WebhookEndpoint{}, err
	}
	if err := h.awaitPosition(c); err != nil {
		return readmodels.WebhookEndpoint{}, err
	}
	return readmodels.GetWebhookEndpoint(c.Request().Context(), h.d.Reads, callerOf(c).tenantID, id)
}

func (h *handlers) getWebhook(c echo.Context) error {
	w, err := h.webhookOf(c)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, w)
}

func (h *handlers) changeWebhook(c echo.Context) error {
	id, err := pathID(c, "endpoint_id")
	if err != nil {
		return err
	}
	var req webhookRequest
	if err := c.Bind(&req); err != nil {
		return err
	}
	m, err := meta(c)
	if err != nil {
		return err
	}
	res, err := h.d.Commands.ChangeWebhook(c.Request().Context(), m, commands.ChangeWebhook{
		TenantID: callerOf(c).tenantID, EndpointID: id, Endpoint: req.endpoint()})
	return commandResult(c, res, err)
}

func (h *handlers) deleteWebhook(c echo.Context) error {
	id, err := pathID(c, "endpoint_id")
	if err != nil {
		return err
	}
	m, err := meta(c)
	if err != nil {
		return err
	}
	res, err := h.d.Commands.DeleteWebhook(c.Request().Context(), m, commands.DeleteWebhook{TenantID: callerOf(c).tenantID, EndpointID: id})
	return commandResult(c, res, err)
}

// pingWebhook sends a test delivery at once and answers how it went; it
// is logged with the endpoint's deliveries. Disabled endpoints may be
// pinged, so admins can check one before they switch it on.
func (h *handlers) pingWebhook(c echo.Context) error {
	if h.d.Webhooks == nil {
		return echo.NewHTTPError(http.StatusServiceUnavailable, "webhook delivery is off")
	}
	w, err := h.webhookOf(c)
	if err != nil {
		return err
	}
	r, err := h.d.Webhooks.Ping(c.Request().Context(), callerOf(c).tenantID, w.EndpointID, w.URL, w.Secret())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, r)
}

func (h *handlers) listWebhookDeliveries(c echo.Context) error {
	return webhookLog(h, c, func(ctx context.Context, tenantID, endpointID uuid.UUID, limit int) ([]outbound.Delivery, error) {
		return outbound.ListDeliveries(ctx, h.d.Reads, tenantID, endpointID, c.QueryParam("status"), limit)
	})
}

func (h *handlers) listWebhookAttempts(c echo.Context) error {
	return webhookLog(h, c, func(ctx context.Context, tenantID, endpointID uuid.UUID, limit int) ([]outbound.LoggedAttempt, error) {
		return outbound.ListAttempts(ctx, h.d.Reads, tenantID, endpointID, limit)
	})
}

// webhookLog answers a list from an endpoint's delivery log, ?limit= long.
func webhookLog[T any](h *handlers, c echo.Context, list func(ctx context.Context, tenantID, endpointID uuid.UUID, limit int) ([]T, error)) error {
	w, err := h.webhookOf(c)
	if err != nil {
		return err
	}
	limit, err := queryInt(c, "limit")
	if err != nil {
		return err
	}
	items, err := list(c.Request().Context(), callerOf(c).tenantID, w.EndpointID, limit)
	if err != nil {
		return err
	}
	return listAnswer(c, items, "")
}
