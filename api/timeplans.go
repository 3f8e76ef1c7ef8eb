package api

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"supportd/commands"
	"supportd/domain/access"
	"supportd/domain/timeplan"
	"supportd/eventschema"
	"supportd/readmodels"
)

// Time plans are part of the settings: reading and changing them needs
// admin.settings.
func (h *handlers) timePlanRoutes(g *echo.Group) {
	settings := need(access.ManageSettings)
	g.GET("/time-plans", h.listTimePlans, settings)
	g.POST("/time-plans", h.defineTimePlan, settings)
	g.GET("/time-plans/:plan_id", h.getTimePlan, settings)
	g.PUT("/time-plans/:plan_id", h.changeTimePlan, settings)
	g.DELETE("/time-plans/:plan_id", h.deleteTimePlan, settings)
	g.PUT("/time-plans/:plan_id/default", h.chooseDefaultTimePlan, settings)
	g.GET("/time-plans/:plan_id/working-time", h.workingTime, settings)
}

type timePlanRequest struct {
	PlanID   uuid.UUID                    `json:"plan_id"`
	Name     string                       `json:"name"`
	Schedule eventschema.TimePlanSchedule `json:"schedule"`
}

func (h *handlers) listTimePlans(c echo.Context) error {
	if err := h.awaitPosition(c); err != nil {
		return err
	}
	plans, err := readmodels.ListTimePlans(c.Request().Context(), h.d.Reads, callerOf(c).tenantID)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"items": plans})
}

func (h *handlers) getTimePlan(c echo.Context) error {
	id, err := pathID(c, "plan_id")
	if err != nil {
		return err
	}
	if err := h.awaitPosition(c); err != nil {
		return err
	}
	p, err := readmodels.GetTimePlan(c.Request().Context(), h.d.Reads, callerOf(c).tenantID, id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, p)
}

func (h *handlers) defineTimePlan(c echo.Context) error {
	var req timePlanRequest
	if err := c.Bind(&req); err != nil {
		return err
	}
	m, err := meta(c)
	if err != nil {
		return err
	}
	id := newID(m, req.PlanID)
	res, err := h.d.Commands.DefineTimePlan(c.Request().Context(), m, commands.DefineTimePlan{
		TenantID: callerOf(c).tenantID, PlanID: id, Name: req.Name, Schedule: req.Schedule})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, map[string]any{"plan_id": id, "stream": res.Stream, "version": res.Version,
		"position": res.Position, "events": res.Events})
}

func (h *handlers) changeTimePlan(c echo.Context) error {
	id, err := pathID(c, "plan_id")
	if err != nil {
		return err
	}
	var req timePlanRequest
	if err := c.Bind(&req); err != nil {
		return err
	}
	m, err := meta(c)
	if err != nil {
		return err
	}
	res, err := h.d.Commands.ChangeTimePlan(c.Request().Context(), m, commands.ChangeTimePlan{
		TenantID: callerOf(c).tenantID, PlanID: id, Name: req.Name, Schedule: req.Schedule})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, res)
}

func (h *handlers) deleteTimePlan(c echo.Context) error {
	id, err := pathID(c, "plan_id")
	if err != nil {
		return err
	}
	m, err := meta(c)
	if err != nil {
		return err
	}
	ctx, tenantID := c.Request().Context(), callerOf(c).tenantID
	bound, err := readmodels.TeamsBoundTo(ctx, h.d.Reads, tenantID, id)
	if err != nil {
		return err
	}
	agents, err := readmodels.AgentsBoundTo(ctx, h.d.Reads, tenantID, id)
	if err != nil {
		return err
	}
	res, err := h.d.Commands.DeleteTimePlan(ctx, m, commands.DeleteTimePlan{TenantID: tenantID, PlanID: id, BoundTeams: bound, BoundAgents: agents})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, res)
}

func (h *handlers) chooseDefaultTimePlan(c echo.Context) error {
	id, err := pathID(c, "plan_id")
	if err != nil {
		return err
	}
	m, err := meta(c)
	if err != nil {
		return err
	}
	res, err := h.d.Commands.ChooseDefaultTimePlan(c.Request().Context(), m, commands.ChooseDefaultTimePlan{
		TenantID: callerOf(c).tenantID, PlanID: id})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, res)
}

// workingTime answers whether an instant is working time under a plan, in
// the tenant's time zone.
func (h *handlers) workingTime(c echo.Context) error {
	id, err := pathID(c, "plan_id")
	if err != nil {
		return err
	}
	at, err := time.Parse(time.RFC3339, c.QueryParam("at"))
	if err != nil {
		return echo.NewHTTPError(http.StatusUnprocessableEntity, "at: want an RFC 3339 time such as 2026-11-23T09:30:00Z")
	}
	if err := h.awaitPosition(c); err != nil {
		return err
	}
	ctx, tenantID := c.Request().Context(), callerOf(c).tenantID
	p, err := readmodels.GetTimePlan(ctx, h.d.Reads, tenantID, id)
	if err != nil {
		return err
	}
	t, err := readmodels.GetTenant(ctx, h.d.Reads, tenantID)
	if err != nil {
		return err
	}
	loc, err := time.LoadLocation(t.TimeZone)
	if err != nil {
		return err
	}
	var sc eventschema.TimePlanSchedule
	if err := json.Unmarshal(p.Schedule, &sc); err != nil {
		return err
	}
	plan, _, err := timeplan.ParseSchedule(sc)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{
		"working": plan.IsWorkingTime(at, loc), "at": at, "local_time": at.In(loc).Format(time.RFC3339), "time_zone": t.TimeZone})
}
