package api

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"supportd/commands"
	"supportd/domain"
	"supportd/domain/access"
	"supportd/domain/keywords"
	"supportd/eventschema"
	"supportd/readmodels"
)

// Keyword rules and sensitive words are settings ("Keyword Match",
// "Sensitive Word Setting"): reading, changing and trying them needs
// admin.settings. The prompts a conversation's agent was shown are part of
// working it: agent.conversations.
func (h *handlers) keywordRoutes(g *echo.Group) {
	settings := need(access.ManageSettings)
	g.GET("/keyword-rules", h.listKeywordRules, settings)
	g.POST("/keyword-rules", h.defineKeywordRule, settings)
	g.PUT("/keyword-rules/order", h.reorderKeywordRules, settings)
	g.POST("/keyword-rules/evaluate", h.evaluateKeywordRules, settings)
	g.GET("/keyword-rules/:rule_id", h.getKeywordRule, settings)
	g.PUT("/keyword-rules/:rule_id", h.changeKeywordRule, settings)
	g.DELETE("/keyword-rules/:rule_id", h.deleteKeywordRule, settings)
	g.GET("/sensitive-words", h.getSensitiveWords, settings)
	g.PUT("/sensitive-words/:side", h.setSensitiveWords, settings)
	g.GET("/conversations/:conversation_id/keyword-prompts", h.listKeywordPrompts, need(access.Conversations))
}

// keywordRuleRequest is a rule as admins send it. Enabled defaults to
// true: a rule is saved to be used.
type keywordRuleRequest struct {
	RuleID   uuid.UUID `json:"rule_id"`
	Name     string    `json:"name"`
	Pattern  string    `json:"pattern"`
	Action   string    `json:"action"`
	Text     string    `json:"text"`
	Channels []string  `json:"channels"`
	Enabled  *bool     `json:"enabled"`
}

func (r keywordRuleRequest) rule() eventschema.KeywordRule {
	return eventschema.KeywordRule{Name: r.Name, Pattern: r.Pattern, Action: r.Action, Text: r.Text,
		Channels: r.Channels, Enabled: r.Enabled == nil || *r.Enabled}
}

// keywordRuleView is a rule as the API shows it.
type keywordRuleView struct {
	RuleID    uuid.UUID `json:"rule_id"`
	Rank      int       `json:"rank"`
	Name      string    `json:"name"`
	Pattern   string    `json:"pattern"`
	Action    string    `json:"action"`
	Text      string    `json:"text"`
	Channels  []string  `json:"channels"`
	Enabled   bool      `json:"enabled"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
	Version   uint64    `json:"version"`
}

func viewKeywordRule(x readmodels.KeywordRule) (keywordRuleView, error) {
	var r eventschema.KeywordRule
	if err := json.Unmarshal(x.Rule, &r); err != nil {
		return keywordRuleView{}, err
	}
	if r.Channels == nil {
		r.Channels = []string{}
	}
	return keywordRuleView{RuleID: x.RuleID, Rank: x.Rank, Name: r.Name, Pattern: r.Pattern, Action: r.Action, Text: r.Text,
		Channels: r.Channels, Enabled: r.Enabled, CreatedAt: x.CreatedAt, UpdatedAt: x.UpdatedAt, Version: x.Version}, nil
}

func (h *handlers) listKeywordRules(c echo.Context) error {
	return listRuleViews(h, c, readmodels.ListKeywordRules, viewKeywordRule)
}

func (h *handlers) getKeywordRule(c echo.Context) error {
	return getRuleView(h, c, readmodels.GetKeywordRule, viewKeywordRule)
}

func (h *handlers) defineKeywordRule(c echo.Context) error {
	var req keywordRuleRequest
	if err := c.Bind(&req); err != nil {
		return err
	}
	m, err := meta(c)
	if err != nil {
		return err
	}
	id := newID(m, req.RuleID)
	res, err := h.d.Commands.DefineKeywordRule(c.Request().Context(), m, commands.DefineKeywordRule{
		TenantID: callerOf(c).tenantID, RuleID: id, Rule: req.rule()})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, map[string]any{"rule_id": id, "stream": res.Stream, "version": res.Version,
		"position": res.Position, "events": res.Events})
}

func (h *handlers) changeKeywordRule(c echo.Context) error {
	id, err := pathID(c, "rule_id")
	if err != nil {
		return err
	}
	var req keywordRuleRequest
	if err := c.Bind(&req); err != nil {
		return err
	}
	if req.RuleID != uuid.Nil && req.RuleID != id {
		// A rule_id in a change names another rule than the path: refused
		// rather than ignored, so it can never look like it moved a rule.
		return domain.Errorf(domain.Invalid, "request.invalid_body", "/rule_id", "rule_id must be omitted or be the rule's own ID")
	}
	m, err := meta(c)
	if err != nil {
		return err
	}
	res, err := h.d.Commands.ChangeKeywordRule(c.Request().Context(), m, commands.ChangeKeywordRule{
		TenantID: callerOf(c).tenantID, RuleID: id, Rule: req.rule()})
	return commandResult(c, res, err)
}

func (h *handlers) deleteKeywordRule(c echo.Context) error {
	id, err := pathID(c, "rule_id")
	if err != nil {
		return err
	}
	m, err := meta(c)
	if err != nil {
		return err
	}
	res, err := h.d.Commands.DeleteKeywordRule(c.Request().Context(), m, commands.DeleteKeywordRule{
		TenantID: callerOf(c).tenantID, RuleID: id})
	return commandResult(c, res, err)
}

func (h *handlers) reorderKeywordRules(c echo.Context) error {
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
	res, err := h.d.Commands.ReorderKeywordRules(c.Request().Context(), m, commands.ReorderKeywordRules{
		TenantID: callerOf(c).tenantID, RuleIDs: req.RuleIDs})
	return commandResult(c, res, err)
}

// evaluateKeywordRules is a dry run: what a message with this text would
// set off now. Rules and words come from their stream, so what was just
// saved applies.
func (h *handlers) evaluateKeywordRules(c echo.Context) error {
	var req struct {
		Channel     string `json:"channel"`
		Text        string `json:"text"`
		AgentServes *bool  `json:"agent_serves"`
	}
	if err := c.Bind(&req); err != nil {
		return err
	}
	k, err := h.d.Commands.KeywordRules(c.Request().Context(), callerOf(c).tenantID)
	if err != nil {
		return err
	}
	out := map[string]any{"rule": nil,
		"sensitive": map[string][]string{
			eventschema.SideCustomer: nonNil(k.SensitiveIn(eventschema.SideCustomer, req.Text)),
			eventschema.SideAgent:    nonNil(k.SensitiveIn(eventschema.SideAgent, req.Text)),
		}}
	if r, ok := k.Match(req.Channel, req.Text, req.AgentServes == nil || *req.AgentServes); ok {
		out["rule"] = map[string]any{"rule_id": r.ID, "name": r.Name, "action": r.Action, "text": r.Text}
	}
	return c.JSON(http.StatusOK, out)
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func (h *handlers) getSensitiveWords(c echo.Context) error {
	if err := h.awaitPosition(c); err != nil {
		return err
	}
	lists, err := readmodels.GetSensitiveWords(c.Request().Context(), h.d.Reads, callerOf(c).tenantID, keywords.DefaultAlarmLevel)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"items": lists})
}

func (h *handlers) setSensitiveWords(c echo.Context) error {
	side := c.Param("side")
	if side != eventschema.SideAgent && side != eventschema.SideCustomer {
		return ErrNotFound
	}
	var req struct {
		Words      []string `json:"words"`
		AlarmLevel int      `json:"alarm_level"`
	}
	if err := c.Bind(&req); err != nil {
		return err
	}
	m, err := meta(c)
	if err != nil {
		return err
	}
	res, err := h.d.Commands.SetSensitiveWords(c.Request().Context(), m, commands.SetSensitiveWords{
		TenantID: callerOf(c).tenantID, Side: side, Words: req.Words, AlarmLevel: req.AlarmLevel})
	return commandResult(c, res, err)
}

// listKeywordPrompts answers what keyword rules prompted the agents of a
// conversation of the caller's tenant with, in order.
func (h *handlers) listKeywordPrompts(c echo.Context) error {
	id, err := pathID(c, "conversation_id")
	if err != nil {
		return err
	}
	if err := h.awaitPosition(c); err != nil {
		return err
	}
	// The prompts of a conversation outside the caller's data scope are
	// not found, like the conversation.
	if _, err := h.visibleConversation(c.Request().Context(), callerOf(c), id); err != nil {
		return err
	}
	items, err := readmodels.ListKeywordPrompts(c.Request().Context(), h.d.Reads, callerOf(c).tenantID, id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"items": items})
}
