package api

import (
	"net/http"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"supportd/commands"
	"supportd/domain/access"
	"supportd/domain/colleague"
	"supportd/eventschema"
	"supportd/readmodels"
)

// Colleague chat: the Colleague tab of the agent workspace, for signed-in
// users whose role grants agent.colleagues. A colleague is looked up in the
// caller's tenant: another tenant's agent is not found.
func (h *handlers) colleagueRoutes(g *echo.Group) {
	col := need(access.Colleagues)
	g.GET("/colleagues", h.listColleagues, col, signedIn)
	g.GET("/colleagues/:agent_id/messages", h.colleagueChat, col, signedIn)
	g.POST("/colleagues/:agent_id/messages", h.sendColleagueMessage, col, signedIn)
	g.POST("/colleagues/:agent_id/messages/delivered", h.markColleagueMessagesDelivered, col, signedIn)
	g.GET("/me/colleague-messages", h.waitingColleagueMessages, col, signedIn)
}

// colleagueOf answers the colleague named by the path, within the
// caller's tenant.
func (h *handlers) colleagueOf(c echo.Context) (uuid.UUID, error) {
	id, err := pathID(c, "agent_id")
	if err != nil {
		return uuid.Nil, err
	}
	if _, err := readmodels.GetAgent(c.Request().Context(), h.d.Reads, callerOf(c).tenantID, id); err != nil {
		return uuid.Nil, err
	}
	return id, nil
}

// listColleagues lists the caller's colleagues with their status, how many
// of their messages wait for the caller, and the last message exchanged.
func (h *handlers) listColleagues(c echo.Context) error {
	if err := h.awaitPosition(c); err != nil {
		return err
	}
	cl := callerOf(c)
	items, err := readmodels.ListColleagues(c.Request().Context(), h.d.Reads, cl.tenantID, cl.agentID, c.QueryParam("q"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"items": items})
}

// colleagueChat pages through the caller's chat with a colleague, newest
// first.
func (h *handlers) colleagueChat(c echo.Context) error {
	if err := h.awaitPosition(c); err != nil {
		return err
	}
	other, err := h.colleagueOf(c)
	if err != nil {
		return err
	}
	limit, err := queryInt(c, "limit")
	if err != nil {
		return err
	}
	cl := callerOf(c)
	items, next, err := readmodels.ColleagueChat(c.Request().Context(), h.d.Reads, cl.tenantID, colleague.PairID(cl.agentID, other),
		c.QueryParam("after"), limit)
	if err != nil {
		return err
	}
	return page(c, items, next)
}

func (h *handlers) sendColleagueMessage(c echo.Context) error {
	to, err := pathID(c, "agent_id")
	if err != nil {
		return err
	}
	var req struct {
		MessageID uuid.UUID            `json:"message_id"`
		Type      string               `json:"type"`
		Text      string               `json:"text"`
		File      *eventschema.FileRef `json:"file"`
	}
	if err := c.Bind(&req); err != nil {
		return err
	}
	m, err := meta(c)
	if err != nil {
		return err
	}
	if req.Type == "" {
		req.Type = "text"
	}
	cl := callerOf(c)
	id := newID(m, req.MessageID)
	res, err := h.d.Commands.SendColleagueMessage(c.Request().Context(), m, commands.SendColleagueMessage{TenantID: cl.tenantID,
		MessageID: id, From: cl.agentID, To: to, Type: req.Type, Text: req.Text, File: req.File})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, map[string]any{"message_id": id, "stream": res.Stream, "version": res.Version,
		"position": res.Position, "events": res.Events})
}

// markColleagueMessagesDelivered records that the caller's console
// received a colleague's messages, up to up_to (every one so far when
// omitted).
func (h *handlers) markColleagueMessagesDelivered(c echo.Context) error {
	other, err := h.colleagueOf(c)
	if err != nil {
		return err
	}
	var req struct {
		UpTo uuid.UUID `json:"up_to"`
	}
	if err := c.Bind(&req); err != nil {
		return err
	}
	m, err := meta(c)
	if err != nil {
		return err
	}
	cl := callerOf(c)
	res, err := h.d.Commands.MarkColleagueMessagesDelivered(c.Request().Context(), m, commands.MarkColleagueMessagesDelivered{
		TenantID: cl.tenantID, Recipient: cl.agentID, Colleague: other, UpTo: req.UpTo})
	return commandResult(c, res, err)
}

// waitingColleagueMessages lists what colleagues wrote to the caller that
// its console has not received, oldest first: what a console fetches when
// it comes online.
func (h *handlers) waitingColleagueMessages(c echo.Context) error {
	if err := h.awaitPosition(c); err != nil {
		return err
	}
	limit, err := queryInt(c, "limit")
	if err != nil {
		return err
	}
	cl := callerOf(c)
	items, next, err := readmodels.WaitingColleagueMessages(c.Request().Context(), h.d.Reads, cl.tenantID, cl.agentID,
		c.QueryParam("after"), limit)
	if err != nil {
		return err
	}
	return page(c, items, next)
}
