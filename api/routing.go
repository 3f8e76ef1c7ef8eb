package api

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"supportd/commands"
	"supportd/domain/access"
	"supportd/domain/routing"
	"supportd/domain/tenant"
	"supportd/domain/timeplan"
	"supportd/eventschema"
	"supportd/readmodels"
)

// Routing rules are part of the settings ("Assign Conversation"): reading,
// changing and trying them needs admin.settings.
func (h *handlers) routingRoutes(g *echo.Group) {
	settings := need(access.ManageSettings)
	g.GET("/routing-rules", h.listRoutingRules, settings)
	g.POST("/routing-rules", h.defineRoutingRule, settings)
	g.PUT("/routing-rules/order", h.reorderRoutingRules, settings)
	g.PUT("/routing-rules/default", h.setDefaultRouting, settings)
	g.POST("/routing-rules/evaluate", h.evaluateRouting, settings)
	g.GET("/routing-rules/:rule_id", h.getRoutingRule, settings)
	g.PUT("/routing-rules/:rule_id", h.changeRoutingRule, settings)
	g.DELETE("/routing-rules/:rule_id", h.deleteRoutingRule, settings)
}

// routingRuleRequest is a rule as admins send it. Enabled defaults to
// true: a rule is saved to be used.
type routingRuleRequest struct {
	RuleID          uuid.UUID                      `json:"rule_id"`
	Binding         string                         `json:"binding"`
	Name            string                         `json:"name"`
	Enabled         *bool                          `json:"enabled"`
	Channels        []string                       `json:"channels"`
	ChannelAccounts []string                       `json:"channel_accounts"`
	Entries         []string                       `json:"entries"`
	Conditions      []eventschema.RoutingCondition `json:"conditions"`
	Hours           string                         `json:"hours"`
	PlanID          *uuid.UUID                     `json:"plan_id"`
	Target          eventschema.RoutingTarget      `json:"target"`
	NonWorkTarget   *eventschema.RoutingTarget     `json:"non_work_target"`
}

func (r routingRuleRequest) rule() eventschema.RoutingRule {
	out := eventschema.RoutingRule{Binding: r.Binding, Name: r.Name, Enabled: r.Enabled == nil || *r.Enabled,
		Channels: r.Channels, ChannelAccounts: r.ChannelAccounts, Entries: r.Entries, Conditions: r.Conditions,
		Hours: r.Hours, Target: r.Target}
	if r.PlanID != nil {
		out.PlanID = *r.PlanID
	}
	if r.NonWorkTarget != nil {
		out.NonWorkTarget = *r.NonWorkTarget
	}
	return out
}

// routingRuleView is a rule as the API shows it: the unused non-work
// target and plan are null rather than zero values.
type routingRuleView struct {
	RuleID          uuid.UUID                      `json:"rule_id"`
	Binding         string                         `json:"binding"`
	Name            string                         `json:"name"`
	Enabled         bool                           `json:"enabled"`
	Rank            *int                           `json:"rank"`
	Channels        []string                       `json:"channels"`
	ChannelAccounts []string                       `json:"channel_accounts"`
	Entries         []string                       `json:"entries"`
	Conditions      []eventschema.RoutingCondition `json:"conditions"`
	Hours           string                         `json:"hours"`
	PlanID          *uuid.UUID                     `json:"plan_id"`
	Target          eventschema.RoutingTarget      `json:"target"`
	NonWorkTarget   *eventschema.RoutingTarget     `json:"non_work_target"`
	CreatedAt       time.Time                      `json:"created_at"`
	UpdatedAt       time.Time                      `json:"updated_at"`
	Version         uint64                         `json:"version"`
}

func viewRoutingRule(x readmodels.RoutingRule) (routingRuleView, error) {
	var r eventschema.RoutingRule
	if err := json.Unmarshal(x.Rule, &r); err != nil {
		return routingRuleView{}, err
	}
	v := routingRuleView{RuleID: x.RuleID, Binding: x.Binding, Name: r.Name, Enabled: r.Enabled, Rank: x.Rank,
		Channels: r.Channels, ChannelAccounts: r.ChannelAccounts, Entries: r.Entries, Conditions: r.Conditions,
		Hours: r.Hours, Target: r.Target, CreatedAt: x.CreatedAt, UpdatedAt: x.UpdatedAt, Version: x.Version}
	if r.PlanID != uuid.Nil {
		v.PlanID = &r.PlanID
	}
	if r.NonWorkTarget != (eventschema.RoutingTarget{}) {
		v.NonWorkTarget = &r.NonWorkTarget
	}
	return v, nil
}

// routingRefs answers whether a rule's targets and plan exist, from the
// read models. Robots have no registry yet, so any robot ID is accepted.
type routingRefs struct{ q readmodels.Querier }

func (r routingRefs) Exists(ctx context.Context, tenantID uuid.UUID, kind string, id uuid.UUID) (bool, error) {
	var err error
	switch kind {
	case routing.TargetTeam:
		_, err = readmodels.GetTeam(ctx, r.q, tenantID, id)
	case routing.TargetAgent:
		_, err = readmodels.GetAgent(ctx, r.q, tenantID, id)
	case routing.TargetRobot:
		_, err = readmodels.GetRobot(ctx, r.q, tenantID, id)
	case "plan":
		_, err = readmodels.GetTimePlan(ctx, r.q, tenantID, id)
	default:
		return true, nil
	}
	if errors.Is(err, readmodels.ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}

func (h *handlers) listRoutingRules(c echo.Context) error {
	return listRuleViews(h, c, readmodels.ListRoutingRules, viewRoutingRule)
}

func (h *handlers) getRoutingRule(c echo.Context) error {
	return getRuleView(h, c, readmodels.GetRoutingRule, viewRoutingRule)
}

// defineRoutingRule honours ?min_position= before it checks the rule's
// references, so a team or plan created just before is found.
func (h *handlers) defineRoutingRule(c echo.Context) error {
	var req routingRuleRequest
	if err := c.Bind(&req); err != nil {
		return err
	}
	if err := h.awaitPosition(c); err != nil {
		return err
	}
	m, err := meta(c)
	if err != nil {
		return err
	}
	id := newID(m, req.RuleID)
	res, err := h.d.Commands.DefineRoutingRule(c.Request().Context(), m, commands.DefineRoutingRule{
		TenantID: callerOf(c).tenantID, RuleID: id, Rule: req.rule(), Refs: routingRefs{h.d.Reads}})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, map[string]any{"rule_id": id, "stream": res.Stream, "version": res.Version,
		"position": res.Position, "events": res.Events})
}

func (h *handlers) changeRoutingRule(c echo.Context) error {
	id, err := pathID(c, "rule_id")
	if err != nil {
		return err
	}
	var req routingRuleRequest
	if err := c.Bind(&req); err != nil {
		return err
	}
	if err := h.awaitPosition(c); err != nil {
		return err
	}
	m, err := meta(c)
	if err != nil {
		return err
	}
	res, err := h.d.Commands.ChangeRoutingRule(c.Request().Context(), m, commands.ChangeRoutingRule{
		TenantID: callerOf(c).tenantID, RuleID: id, Rule: req.rule(), Refs: routingRefs{h.d.Reads}})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, res)
}

func (h *handlers) deleteRoutingRule(c echo.Context) error {
	id, err := pathID(c, "rule_id")
	if err != nil {
		return err
	}
	m, err := meta(c)
	if err != nil {
		return err
	}
	res, err := h.d.Commands.DeleteRoutingRule(c.Request().Context(), m, commands.DeleteRoutingRule{
		TenantID: callerOf(c).tenantID, RuleID: id})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, res)
}

func (h *handlers) reorderRoutingRules(c echo.Context) error {
	var req struct {
		RuleIDs []uuid.UUID `json:"rule_ids"`
	}
	if err := c.Bind(&req); err != nil {
		return err
	}
	m, err := meta(c)
	if err != nil {
		return err
	}
	res, err := h.d.Commands.ReorderRoutingRules(c.Request().Context(), m, commands.ReorderRoutingRules{
		TenantID: callerOf(c).tenantID, RuleIDs: req.RuleIDs})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, res)
}

func (h *handlers) setDefaultRouting(c echo.Context) error {
	var req routingRuleRequest
	if err := c.Bind(&req); err != nil {
		return err
	}
	if err := h.awaitPosition(c); err != nil {
		return err
	}
	m, err := meta(c)
	if err != nil {
		return err
	}
	rule := req.rule()
	rule.Binding = eventschema.BindingDefault
	res, err := h.d.Commands.SetDefaultRouting(c.Request().Context(), m, commands.SetDefaultRouting{
		TenantID: callerOf(c).tenantID, NewRuleID: newID(m, req.RuleID), Rule: rule, Refs: routingRefs{h.d.Reads}})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, res)
}

// evaluateRequest is a dry run: the facts of a conversation that might
// start at At, and the switches that bend routing.
type evaluateRequest struct {
	Channel        string            `json:"channel"`
	ChannelAccount string            `json:"channel_account"`
	Entry          string            `json:"entry"`
	Profile        map[string]string `json:"profile"`
	At             *time.Time        `json:"at"`
	DefaultTeamID  uuid.UUID         `json:"default_team_id"`
	BotFirst       bool              `json:"bot_first"`
	RobotID        uuid.UUID         `json:"robot_id"`
	RobotTeamID    uuid.UUID         `json:"robot_team_id"`
}

// evaluateRouting answers where a conversation with the given facts would
// go. Rules come from their stream, so a rule just saved applies; time
// plans come from the read models. Which agent of the team takes it is the
// dispatcher's to decide when it assigns.
func (h *handlers) evaluateRouting(c echo.Context) error {
	var req evaluateRequest
	if err := c.Bind(&req); err != nil {
		return err
	}
	if err := h.awaitPosition(c); err != nil {
		return err
	}
	ctx, tenantID := c.Request().Context(), callerOf(c).tenantID
	at := h.d.Now()
	if req.At != nil {
		at = *req.At
	}
	rules, _, err := h.d.Commands.RoutingRules(ctx, tenantID)
	if err != nil {
		return err
	}
	plans, tz, err := h.routingPlans(ctx, tenantID)
	if err != nil {
		return err
	}
	opts := routing.Options{DefaultTeam: req.DefaultTeamID, BotFirst: req.BotFirst, Robot: req.RobotID}
	facts := routing.Facts{Channel: req.Channel, ChannelAccount: req.ChannelAccount, Entry: req.Entry, Profile: req.Profile}
	d := routing.Decide(rules, facts, at, plans.WorkingTime, opts)
	out := map[string]any{"decision": d, "at": at, "local_time": at.In(plans.Location).Format(time.RFC3339), "time_zone": tz}
	if d.TargetKind == routing.TargetRobot {
		out["hand_over_team_id"] = routing.HandOver(rules, facts, at, plans.WorkingTime, req.RobotTeamID, req.DefaultTeamID)
	}
	return c.JSON(http.StatusOK, out)
}

// routingPlans loads the tenant's time plans and zone for routing.
func (h *handlers) routingPlans(ctx context.Context, tenantID uuid.UUID) (routing.Plans, string, error) {
	t, err := readmodels.GetTenant(ctx, h.d.Reads, tenantID)
	if err != nil {
		return routing.Plans{}, "", err
	}
	loc, err := time.LoadLocation(t.TimeZone)
	if err != nil {
		return routing.Plans{}, "", err
	}
	list, err := readmodels.ListTimePlans(ctx, h.d.Reads, tenantID)
	if err != nil {
		return routing.Plans{}, "", err
	}
	plans := routing.Plans{Location: loc, ByID: map[uuid.UUID]timeplan.Plan{}}
	for _, p := range list {
		var sc eventschema.TimePlanSchedule
		if err := json.Unmarshal(p.Schedule, &sc); err != nil {
			return routing.Plans{}, "", err
		}
		plan, _, err := timeplan.ParseSchedule(sc)
		if err != nil {
			return routing.Plans{}, "", err
		}
		plans.ByID[p.PlanID] = plan
		if p.IsDefault {
			plans.Default = p.PlanID
		}
	}
	return plans, t.TimeZone, nil
}

// settingBool reads a boolean tenant setting, its documented default when
// the tenant never changed it.
func (h *handlers) settingBool(ctx context.Context, tenantID uuid.UUID, key string) (bool, error) {
	v := tenant.Settings[key].Default
	s, err := readmodels.GetTenantSetting(ctx, h.d.Reads, tenantID, key)
	switch {
	case err == nil:
		v = s.Value
	case !errors.Is(err, readmodels.ErrNotFound):
		return false, err
	}
	return string(v) == "true", nil
}
