package api

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"supportd/commands"
	"supportd/domain"
	"supportd/domain/agent"
	"supportd/eventschema"
	"supportd/readmodels"
)

func (h *handlers) sessionRoutes(g *echo.Group) {
	g.POST("/sessions", h.signIn) // the one unauthenticated command
	g.DELETE("/sessions/current", h.signOut, signedIn)
	g.POST("/sessions/current/heartbeat", h.heartbeat, signedIn)
	g.GET("/me", h.getMe, signedIn)
	g.PUT("/me/status", h.changeOwnStatus, signedIn)
	g.PUT("/me/capacity", h.setOwnCapacity, signedIn)
	g.GET("/me/notifications", h.listOwnNotifications, signedIn)
}

// listOwnNotifications lists the notices for the signed-in user: changes
// others made to its account (capacity, role).
func (h *handlers) listOwnNotifications(c echo.Context) error {
	if err := h.awaitPosition(c); err != nil {
		return err
	}
	var before uuid.UUID
	if b := c.QueryParam("before"); b != "" {
		var err error
		if before, err = uuid.Parse(b); err != nil {
			return echo.NewHTTPError(http.StatusUnprocessableEntity, "before: not a notification ID")
		}
	}
	limit, _ := strconv.Atoi(c.QueryParam("limit"))
	cl := callerOf(c)
	items, err := readmodels.ListNotifications(c.Request().Context(), h.d.Reads, cl.tenantID, cl.agentID, before, limit)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"items": items})
}

func (h *handlers) signIn(c echo.Context) error {
	var req struct {
		TenantID  uuid.UUID `json:"tenant_id"`
		Email     string    `json:"email"`
		Password  string    `json:"password"`
		Invisible bool      `json:"invisible"`
	}
	if err := c.Bind(&req); err != nil {
		return err
	}
	m, err := meta(c)
	if err != nil {
		return err
	}
	m.Actor = eventschema.Actor{} // the user, once known
	// Every sign-in opens its own session, whatever its Idempotency-Key:
	// the token is shown once and only its hash is kept, so a retry that
	// answered the first session could not answer a token that works.
	m.CommandID = uuid.Must(uuid.NewV7())
	ip, account := c.RealIP(), accountKey(req.TenantID, req.Email)
	if err := h.signIns.admit(ip, account); err != nil {
		return err
	}
	var res commands.SignedIn
	err = h.signIns.hash(c.Request().Context(), func() error {
		var err error
		res, err = h.d.Commands.SignIn(c.Request().Context(), m, commands.SignIn{
			TenantID: req.TenantID, Email: req.Email, Password: req.Password, ClientIP: ip, Invisible: req.Invisible})
		return err
	})
	if de := (*domain.Error)(nil); errors.As(err, &de) && de.Code == "auth.invalid_credentials" {
		h.signIns.failed(ip, account)
	}
	if err != nil {
		return err
	}
	h.signIns.succeeded(account)
	// The token works once the accounts read model has the session.
	if h.d.WaitFor != nil {
		if err := h.d.WaitFor(c.Request().Context(), res.Position); err != nil {
			return err
		}
	}
	return c.JSON(http.StatusCreated, res)
}

func (h *handlers) signOut(c echo.Context) error {
	cl := callerOf(c)
	m, err := meta(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	res, err := h.settle(ctx)(h.d.Commands.SignOut(ctx, m, commands.SignOut{
		TenantID: cl.tenantID, AgentID: cl.agentID, SessionID: cl.sessionID, ClientIP: c.RealIP(), Reason: eventschema.SignOutLogout}))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, res)
}

// heartbeat keeps a console present; a console that was silent comes back,
// and with it the agent's status.
func (h *handlers) heartbeat(c echo.Context) error {
	ctx := c.Request().Context()
	cl := callerOf(c)
	silent, err := readmodels.RecordHeartbeat(ctx, h.d.Heartbeats, cl.sessionID, h.d.Now())
	if err != nil {
		return err
	}
	if silent {
		m, err := meta(c)
		if err != nil {
			return err
		}
		if _, err := h.d.Commands.ResumeSession(ctx, m, commands.ResumeSession{
			TenantID: cl.tenantID, AgentID: cl.agentID, SessionID: cl.sessionID, ClientIP: c.RealIP()}); err != nil {
			return err
		}
	}
	return c.NoContent(http.StatusNoContent)
}

func (h *handlers) getMe(c echo.Context) error {
	if err := h.awaitPosition(c); err != nil {
		return err
	}
	cl := callerOf(c)
	a, err := readmodels.GetAgent(c.Request().Context(), h.d.Reads, cl.tenantID, cl.agentID)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, a)
}

func (h *handlers) changeOwnStatus(c echo.Context) error {
	var req struct {
		Status string `json:"status"`
	}
	if err := c.Bind(&req); err != nil {
		return err
	}
	cl := callerOf(c)
	m, err := meta(c)
	if err != nil {
		return err
	}
	res, err := h.d.Commands.ChangeStatus(c.Request().Context(), m, commands.ChangeStatus{
		TenantID: cl.tenantID, AgentID: cl.agentID, Status: agent.Status(req.Status), ByAdmin: cl.principal.Role.IsAdmin()})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, res)
}

func (h *handlers) setOwnCapacity(c echo.Context) error {
	var req struct {
		Capacity int `json:"capacity"`
	}
	if err := c.Bind(&req); err != nil {
		return err
	}
	cl := callerOf(c)
	m, err := meta(c)
	if err != nil {
		return err
	}
	res, err := h.d.Commands.SetCapacity(c.Request().Context(), m, commands.SetCapacity{
		TenantID: cl.tenantID, AgentID: cl.agentID, Capacity: req.Capacity})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, res)
}
