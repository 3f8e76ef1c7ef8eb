package api

import (
	"context"
	"net/http"

	"github.com/labstack/echo/v4"

	"supportd/commands"
	"supportd/domain/access"
	"supportd/readmodels"
)

// tokenRoutes are the long-lived credentials: API tokens for integrations
// (with the agents, since they act as users of a role) and channel keys
// for the customer side (with the channels).
func (h *handlers) tokenRoutes(g *echo.Group) {
	agents, channels := need(access.ManageAgents), need(access.ManageChannels)
	g.GET("/api-tokens", h.listAPITokens, agents)
	g.POST("/api-tokens", h.issueAPIToken, agents)
	g.DELETE("/api-tokens/:token_id", h.revokeAPIToken, agents)
	g.GET("/channel-keys", h.listChannelKeys, channels)
	g.POST("/channel-keys", h.issueChannelKey, channels)
	g.DELETE("/channel-keys/:key_id", h.revokeChannelKey, channels)
}

func (h *handlers) listAPITokens(c echo.Context) error {
	if err := h.awaitPosition(c); err != nil {
		return err
	}
	items, err := readmodels.ListAPITokens(c.Request().Context(), h.d.Reads, callerOf(c).tenantID)
	if err != nil {
		return err
	}
	if items == nil {
		items = []readmodels.APIToken{}
	}
	return c.JSON(http.StatusOK, map[string]any{"items": items})
}

// issuedToken answers the issue of an API token; Token is shown only here.
type issuedToken struct {
	commands.Result
	TokenID string `json:"token_id"`
	Token   string `json:"token,omitempty"`
}

func (h *handlers) issueAPIToken(c echo.Context) error {
	return command(c, http.StatusCreated, func(ctx context.Context, m commands.Meta, r struct {
		Name string `json:"name"`
		Role string `json:"role"`
	}) (issuedToken, error) {
		res, err := h.d.Commands.IssueAPIToken(ctx, m, commands.IssueAPIToken{TenantID: callerOf(c).tenantID,
			Name: r.Name, Role: r.Role, IssuedBy: callerOf(c).agentID})
		return issuedToken{Result: res.Result, TokenID: res.ID.String(), Token: res.Secret}, err
	})
}

func (h *handlers) revokeAPIToken(c echo.Context) error {
	id, err := pathID(c, "token_id")
	if err != nil {
		return err
	}
	return command(c, http.StatusOK, func(ctx context.Context, m commands.Meta, _ struct{}) (commands.Result, error) {
		return h.settle(ctx)(h.d.Commands.RevokeAPIToken(ctx, m, commands.RevokeAPIToken{TenantID: callerOf(c).tenantID, TokenID: id}))
	})
}

func (h *handlers) listChannelKeys(c echo.Context) error {
	if err := h.awaitPosition(c); err != nil {
		return err
	}
	items, err := readmodels.ListChannelKeys(c.Request().Context(), h.d.Reads, callerOf(c).tenantID)
	if err != nil {
		return err
	}
	if items == nil {
		items = []readmodels.ChannelKey{}
	}
	return c.JSON(http.StatusOK, map[string]any{"items": items})
}

// issuedKey answers the issue of a channel key; Key is shown only here.
type issuedKey struct {
	commands.Result
	KeyID string `json:"key_id"`
	Key   string `json:"key,omitempty"`
}

func (h *handlers) issueChannelKey(c echo.Context) error {
	return command(c, http.StatusCreated, func(ctx context.Context, m commands.Meta, r struct {
		Channel string `json:"channel"`
		Name    string `json:"name"`
	}) (issuedKey, error) {
		res, err := h.d.Commands.IssueChannelKey(ctx, m, commands.IssueChannelKey{TenantID: callerOf(c).tenantID,
			Channel: r.Channel, Name: r.Name})
		return issuedKey{Result: res.Result, KeyID: res.ID.String(), Key: res.Secret}, err
	})
}

func (h *handlers) revokeChannelKey(c echo.Context) error {
	id, err := pathID(c, "key_id")
	if err != nil {
		return err
	}
	return command(c, http.StatusOK, func(ctx context.Context, m commands.Meta, _ struct{}) (commands.Result, error) {
		return h.settle(ctx)(h.d.Commands.RevokeChannelKey(ctx, m, commands.RevokeChannelKey{TenantID: callerOf(c).tenantID, KeyID: id}))
	})
}
