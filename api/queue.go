package api

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"supportd/commands"
	"supportd/domain/access"
	"supportd/eventschema"
	"supportd/readmodels"
)

// Queue: agents list their teams' queued conversations and join them;
// admins (admin.monitor) see the whole queue, assign and close.
func (h *handlers) queueRoutes(g *echo.Group) {
	g.GET("/queue", h.listQueue, need(access.Queue))
	g.POST("/queue/:conversation_id/join", h.joinFromQueue, need(access.Queue))
	g.POST("/queue/:conversation_id/assign", h.assignFromQueue, need(access.Monitor))
	g.POST("/queue/:conversation_id/close", h.closeFromQueue, need(access.Monitor))
}

// listQueue lists the queue in the order the dispatcher takes it (VIP
// first, then by channel priority when it is on, then the oldest): an
// agent's teams' part of it, or, for a user who may monitor, all of it
// within the role's data scope.
func (h *handlers) listQueue(c echo.Context) error {
	if err := h.awaitPosition(c); err != nil {
		return err
	}
	cl := callerOf(c)
	var teams []uuid.UUID
	if !cl.principal.Role.Allows(access.Monitor) || cl.principal.Role.DataScope != access.TenantScope {
		// Agents, and monitors of a team-scoped role, list their teams'.
		teams = []uuid.UUID{}
		for _, t := range cl.principal.Teams {
			if id, err := uuid.Parse(t); err == nil {
				teams = append(teams, id)
			}
		}
	}
	team, err := queryUUID(c, "team_id")
	if err != nil {
		return err
	}
	if team != nil {
		if teams != nil && !cl.principal.SeesTeam(team.String()) {
			teams = []uuid.UUID{}
		} else {
			teams = []uuid.UUID{*team}
		}
	}
	limit, err := queryInt(c, "limit")
	if err != nil {
		return err
	}
	order, err := h.channelPriority(c.Request().Context(), cl.tenantID)
	if err != nil {
		return err
	}
	items, next, err := readmodels.ListQueue(c.Request().Context(), h.d.Reads, cl.tenantID, teams, order, c.QueryParam("after"), limit)
	if err != nil {
		return err
	}
	now := h.d.Now()
	type entry struct {
		readmodels.QueueEntry
		WaitMS int64 `json:"wait_ms"`
	}
	out := make([]entry, len(items))
	for i, e := range items {
		out[i] = entry{QueueEntry: e, WaitMS: max(now.Sub(e.QueuedAt).Milliseconds(), 0)}
	}
	page := map[string]any{"items": out, "next": nil}
	if next != "" {
		page["next"] = next
	}
	return c.JSON(http.StatusOK, page)
}

func (h *handlers) joinFromQueue(c echo.Context) error {
	id, err := pathID(c, "conversation_id")
	if err != nil {
		return err
	}
	m, err := meta(c)
	if err != nil {
		return err
	}
	cl := callerOf(c)
	res, err := h.d.Commands.JoinFromQueue(c.Request().Context(), m, commands.JoinFromQueue{Scope: userScope(c),
		ConversationID: id, AgentID: cl.agentID, ByAdmin: cl.principal.Role.Allows(access.Monitor)})
	return commandResult(c, res, err)
}

func (h *handlers) assignFromQueue(c echo.Context) error {
	return commandOnConversation(c, func(ctx context.Context, m commands.Meta, id uuid.UUID, req struct {
		AgentID uuid.UUID `json:"agent_id"`
	}) (commands.Result, error) {
		return h.d.Commands.AssignFromQueue(ctx, m, userScope(c), id, req.AgentID)
	})
}

func (h *handlers) closeFromQueue(c echo.Context) error {
	return commandOnConversation(c, func(ctx context.Context, m commands.Meta, id uuid.UUID, _ struct{}) (commands.Result, error) {
		return h.d.Commands.CloseConversation(ctx, m, commands.CloseConversation{Scope: userScope(c),
			ConversationID: id, Reason: eventschema.ClosedByAdmin, By: callerOf(c).agentID.String()})
	})
}

// channelPriority is the tenant's dispatch.channel_priority order when it
// is on (nil when off), read as the dispatcher reads it (commands.PolicyOf).
func (h *handlers) channelPriority(ctx context.Context, tenantID uuid.UUID) ([]string, error) {
	const key = "dispatch.channel_priority"
	settings := map[string]json.RawMessage{}
	s, err := readmodels.GetTenantSetting(ctx, h.d.Reads, tenantID, key)
	switch {
	case err == nil:
		settings[key] = s.Value
	case !errors.Is(err, readmodels.ErrNotFound):
		return nil, err
	}
	return commands.PolicyOf(settings).ChannelOrder, nil
}
