package api

import (
	"context"
	"errors"
	"net/http"
	"strconv"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"supportd/commands"
	"supportd/domain/access"
	"supportd/eventschema"
	"supportd/readmodels"
)

// Teams: managing them needs admin.teams; every user of the tenant may
// list them, within the data scope of its role (a team-scoped role sees its
// own teams only).
func (h *handlers) teamRoutes(g *echo.Group) {
	g.GET("/teams", h.listTeams, signedIn)
	g.POST("/teams", h.createTeam, need(access.ManageTeams))
	g.GET("/teams/:team_id", h.getTeam, signedIn)
	g.PUT("/teams/:team_id", h.editTeam, need(access.ManageTeams))
	g.DELETE("/teams/:team_id", h.deleteTeam, need(access.ManageTeams))
	g.GET("/teams/:team_id/members", h.listTeamMembers, signedIn)
	g.PUT("/teams/:team_id/members", h.updateTeamMembers, need(access.ManageTeams))
	g.PUT("/teams/:team_id/time-plan", h.bindTeamTimePlan, need(access.ManageTeams))
	g.GET("/teams/:team_id/rating-options", h.teamRatingOptions, signedIn)
	g.PUT("/teams/:team_id/rating-options", h.setTeamRatingOptions, need(access.ManageTeams))
}

// teamRatingOptions answers the rating options the team's customers are
// offered: its own, else the tenant's ("own" tells which).
func (h *handlers) teamRatingOptions(c echo.Context) error {
	id, err := visibleTeam(c)
	if err != nil {
		return err
	}
	if err := h.awaitPosition(c); err != nil {
		return err
	}
	ctx, tenantID := c.Request().Context(), callerOf(c).tenantID
	t, err := readmodels.GetTeam(ctx, h.d.Reads, tenantID, id)
	if err != nil {
		return err
	}
	opts, own, err := h.d.Commands.RatingOptions(ctx, tenantID, t.TeamID)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"options": opts, "own": own})
}

func (h *handlers) setTeamRatingOptions(c echo.Context) error {
	id, err := pathID(c, "team_id")
	if err != nil {
		return err
	}
	return command(c, http.StatusOK, func(ctx context.Context, m commands.Meta, r struct {
		Options *eventschema.RatingOptions `json:"options"`
	}) (commands.Result, error) {
		return h.d.Commands.SetTeamRatingOptions(ctx, m, commands.SetTeamRatingOptions{TenantID: callerOf(c).tenantID, TeamID: id, Options: r.Options})
	})
}

// newID is the ID of a resource a POST creates: derived from the command ID
// when the client sent an Idempotency-Key, so a retry names the same
// resource, else fresh.
func newID(m commands.Meta, given uuid.UUID) uuid.UUID {
	if given != uuid.Nil {
		return given
	}
	return uuid.NewSHA1(m.CommandID, []byte("resource"))
}

func (h *handlers) listTeams(c echo.Context) error {
	if err := h.awaitPosition(c); err != nil {
		return err
	}
	cl := callerOf(c)
	var only []uuid.UUID
	if cl.principal.Role.DataScope != access.TenantScope {
		only = []uuid.UUID{}
		for _, t := range cl.principal.Teams {
			if id, err := uuid.Parse(t); err == nil {
				only = append(only, id)
			}
		}
	}
	teams, err := readmodels.ListTeams(c.Request().Context(), h.d.Reads, cl.tenantID, only)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"items": teams})
}

// visibleTeam parses the team ID and answers 404 for a team the caller may
// not see, exactly as for one that does not exist.
func visibleTeam(c echo.Context) (uuid.UUID, error) {
	id, err := pathID(c, "team_id")
	if err != nil {
		return uuid.Nil, err
	}
	if !callerOf(c).principal.SeesTeam(id.String()) {
		return uuid.Nil, ErrNotFound
	}
	return id, nil
}

func (h *handlers) getTeam(c echo.Context) error {
	id, err := visibleTeam(c)
	if err != nil {
		return err
	}
	if err := h.awaitPosition(c); err != nil {
		return err
	}
	t, err := readmodels.GetTeam(c.Request().Context(), h.d.Reads, callerOf(c).tenantID, id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, t)
}

type teamRequest struct {
	TeamID   uuid.UUID `json:"team_id"`
	Name     string    `json:"name"`
	Greeting string    `json:"greeting"`
}

func (h *handlers) createTeam(c echo.Context) error {
	var req teamRequest
	if err := c.Bind(&req); err != nil {
		return err
	}
	m, err := meta(c)
	if err != nil {
		return err
	}
	ctx, tenantID := c.Request().Context(), callerOf(c).tenantID
	others, err := readmodels.TeamNames(ctx, h.d.Reads, tenantID)
	if err != nil {
		return err
	}
	id := newID(m, req.TeamID)
	res, err := h.d.Commands.CreateTeam(ctx, m, commands.CreateTeam{
		TenantID: tenantID, TeamID: id, Name: req.Name, Greeting: req.Greeting, Others: others})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, map[string]any{"team_id": id, "stream": res.Stream, "version": res.Version,
		"position": res.Position, "events": res.Events})
}

func (h *handlers) editTeam(c echo.Context) error {
	id, err := pathID(c, "team_id")
	if err != nil {
		return err
	}
	var req teamRequest
	if err := c.Bind(&req); err != nil {
		return err
	}
	m, err := meta(c)
	if err != nil {
		return err
	}
	ctx, tenantID := c.Request().Context(), callerOf(c).tenantID
	others, err := readmodels.TeamNames(ctx, h.d.Reads, tenantID)
	if err != nil {
		return err
	}
	res, err := h.d.Commands.EditTeam(ctx, m, commands.EditTeam{
		TenantID: tenantID, TeamID: id, Name: req.Name, Greeting: req.Greeting, Others: others})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, res)
}

func (h *handlers) deleteTeam(c echo.Context) error {
	id, err := pathID(c, "team_id")
	if err != nil {
		return err
	}
	m, err := meta(c)
	if err != nil {
		return err
	}
	res, err := h.d.Commands.DeleteTeam(c.Request().Context(), m, commands.DeleteTeam{TenantID: callerOf(c).tenantID, TeamID: id})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, res)
}

func (h *handlers) updateTeamMembers(c echo.Context) error {
	id, err := pathID(c, "team_id")
	if err != nil {
		return err
	}
	var req struct {
		Add    []uuid.UUID `json:"add"`
		Remove []uuid.UUID `json:"remove"`
	}
	if err := c.Bind(&req); err != nil {
		return err
	}
	m, err := meta(c)
	if err != nil {
		return err
	}
	res, err := h.d.Commands.UpdateTeamMembers(c.Request().Context(), m, commands.UpdateTeamMembers{
		TenantID: callerOf(c).tenantID, TeamID: id, Add: req.Add, Remove: req.Remove})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, res)
}

func (h *handlers) listTeamMembers(c echo.Context) error {
	id, err := visibleTeam(c)
	if err != nil {
		return err
	}
	if err := h.awaitPosition(c); err != nil {
		return err
	}
	ctx, tenantID := c.Request().Context(), callerOf(c).tenantID
	if _, err := readmodels.GetTeam(ctx, h.d.Reads, tenantID, id); err != nil {
		return err
	}
	members, err := readmodels.TeamMemberIDs(ctx, h.d.Reads, tenantID, id)
	if err != nil {
		return err
	}
	f := readmodels.AgentFilter{Query: c.QueryParam("q"), Status: c.QueryParam("status"), IDs: members, After: c.QueryParam("after")}
	if v := c.QueryParam("limit"); v != "" {
		if f.Limit, err = strconv.Atoi(v); err != nil {
			return echo.NewHTTPError(http.StatusUnprocessableEntity, "limit: want an integer")
		}
	}
	agents, next, err := readmodels.ListAgents(ctx, h.d.Reads, tenantID, f)
	if errors.Is(err, readmodels.ErrInvalidFilter) {
		return echo.NewHTTPError(http.StatusUnprocessableEntity, err.Error())
	}
	if err != nil {
		return err
	}
	page := map[string]any{"items": agents, "next": nil}
	if next != "" {
		page["next"] = next
	}
	return c.JSON(http.StatusOK, page)
}

func (h *handlers) bindTeamTimePlan(c echo.Context) error {
	id, err := pathID(c, "team_id")
	if err != nil {
		return err
	}
	var req struct {
		PlanID *uuid.UUID `json:"plan_id"`
	}
	if err := c.Bind(&req); err != nil {
		return err
	}
	m, err := meta(c)
	if err != nil {
		return err
	}
	plan := uuid.Nil
	if req.PlanID != nil {
		plan = *req.PlanID
	}
	res, err := h.d.Commands.BindTeamTimePlan(c.Request().Context(), m, commands.BindTeamTimePlan{
		TenantID: callerOf(c).tenantID, TeamID: id, PlanID: plan})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, res)
}
