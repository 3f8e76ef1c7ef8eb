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
	"supportd/domain/agent"
	"supportd/readmodels"
)

// agentRoutes is the admin console's Agent page (users, their roles,
// accounts and capacity) and a user's own profile and password.
func (h *handlers) agentRoutes(g *echo.Group) {
	admin := need(access.ManageAgents)
	g.GET("/agents", h.listAgents, admin)
	g.POST("/agents", h.addAgent, admin)
	g.GET("/agents/:agent_id", h.getAgent, admin)
	g.DELETE("/agents/:agent_id", h.removeAgent, admin)
	g.PUT("/agents/:agent_id/profile", h.editAgentProfile, admin)
	g.PUT("/agents/:agent_id/role", h.changeAgentRole, admin)
	g.PUT("/agents/:agent_id/enabled", h.setAgentEnabled, admin)
	g.PUT("/agents/:agent_id/email", h.changeAgentEmail, admin)
	g.PUT("/agents/:agent_id/password", h.resetAgentPassword, admin)
	g.PUT("/agents/:agent_id/capacity", h.setAgentCapacity, admin)
	g.PUT("/agents/:agent_id/time-plan", h.bindAgentTimePlan, admin)
	g.DELETE("/agents/:agent_id/lockout", h.liftLockout, admin)
	g.PUT("/me/profile", h.editOwnProfile, signedIn)
	g.PUT("/me/password", h.changeOwnPassword, signedIn)
}

// command runs one command for a request: it binds the body into a Req,
// builds the metadata (Idempotency-Key, If-Match, actor) and answers what
// run returns with status.
func command[Req, Res any](c echo.Context, status int, run func(ctx context.Context, m commands.Meta, req Req) (Res, error)) error {
	var req Req
	if err := c.Bind(&req); err != nil {
		return err
	}
	m, err := meta(c)
	if err != nil {
		return err
	}
	res, err := run(c.Request().Context(), m, req)
	if err != nil {
		return err
	}
	return c.JSON(status, res)
}

// settle answers a command's result once the read models show it: used by
// the commands that end credentials (sign-out, revocation, password change,
// disabling), so the very next request is refused, not one after.
func (h *handlers) settle(ctx context.Context) func(commands.Result, error) (commands.Result, error) {
	return func(res commands.Result, err error) (commands.Result, error) {
		if err != nil || h.d.WaitFor == nil || res.Events == 0 {
			return res, err
		}
		return res, h.d.WaitFor(ctx, res.Position)
	}
}

// agentRef is the user a request's path names, in the caller's tenant: an
// ID of another tenant names nobody there, and the roster answers 404.
// agentRef is the user a request's path names, within the caller's data
// scope (access.Principal.ActsOnAgent): a user of another team is not
// found for a team-scoped caller, as another tenant's is.
func (h *handlers) agentRef(c echo.Context) (commands.AgentRef, error) {
	id, err := pathID(c, "agent_id")
	cl := callerOf(c)
	ref := commands.AgentRef{TenantID: cl.tenantID, AgentID: id}
	if err != nil || cl.principal.Role.DataScope != access.TeamScope || h.d.TeamsOf == nil {
		return ref, err
	}
	teams, err := h.d.TeamsOf(c.Request().Context(), cl.tenantID, id)
	if err != nil {
		return ref, err
	}
	if !cl.principal.ActsOnAgent(id.String(), teams) {
		return ref, ErrNotFound
	}
	return ref, nil
}

// scopedAgents restricts an agent list to the caller's data scope: the
// members of its teams for a team-scoped caller (nil: no restriction).
func (h *handlers) scopedAgents(c echo.Context) ([]uuid.UUID, error) {
	cl := callerOf(c)
	if cl.principal.Role.DataScope != access.TeamScope {
		return nil, nil
	}
	ids := []uuid.UUID{cl.agentID}
	for _, t := range cl.principal.Teams {
		team, err := uuid.Parse(t)
		if err != nil {
			continue
		}
		members, err := readmodels.TeamMemberIDs(c.Request().Context(), h.d.Reads, cl.tenantID, team)
		if err != nil {
			return nil, err
		}
		ids = append(ids, members...)
	}
	return ids, nil
}

// ownRef is the signed-in caller.
func ownRef(c echo.Context) commands.AgentRef {
	cl := callerOf(c)
	return commands.AgentRef{TenantID: cl.tenantID, AgentID: cl.agentID}
}

type agentPage struct {
	Items []readmodels.Agent `json:"items"`
	Next  *string            `json:"next"`
}

func (h *handlers) listAgents(c echo.Context) error {
	if err := h.awaitPosition(c); err != nil {
		return err
	}
	f := readmodels.AgentFilter{Query: c.QueryParam("q"), Status: c.QueryParam("status"), Role: c.QueryParam("role"),
		Sort: c.QueryParam("sort"), After: c.QueryParam("after")}
	if v := c.QueryParam("enabled"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return echo.NewHTTPError(http.StatusUnprocessableEntity, "enabled: want true or false")
		}
		f.Enabled = &b
	}
	if v := c.QueryParam("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return echo.NewHTTPError(http.StatusUnprocessableEntity, "limit: want an integer")
		}
		f.Limit = n
	}
	var err error
	if f.IDs, err = h.scopedAgents(c); err != nil {
		return err
	}
	items, next, err := readmodels.ListAgents(c.Request().Context(), h.d.Reads, callerOf(c).tenantID, f)
	if errors.Is(err, readmodels.ErrInvalidFilter) {
		// A cursor the client mangled or took from another list.
		return echo.NewHTTPError(http.StatusUnprocessableEntity, err.Error())
	}
	if err != nil {
		return err
	}
	page := agentPage{Items: items}
	if next != "" {
		page.Next = &next
	}
	return c.JSON(http.StatusOK, page)
}

func (h *handlers) getAgent(c echo.Context) error {
	ref, err := h.agentRef(c)
	if err != nil {
		return err
	}
	if err := h.awaitPosition(c); err != nil {
		return err
	}
	a, err := readmodels.GetAgent(c.Request().Context(), h.d.Reads, ref.TenantID, ref.AgentID)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, a)
}

type addAgentRequest struct {
	Email    string `json:"email"`
	Nickname string `json:"nickname"`
	RealName string `json:"real_name"`
	Role     string `json:"role"`
	Password string `json:"password"`
	Enabled  *bool  `json:"enabled"`
	Capacity *int   `json:"capacity"`
}

func (h *handlers) addAgent(c echo.Context) error {
	return command(c, http.StatusCreated, func(ctx context.Context, m commands.Meta, r addAgentRequest) (commands.AgentAdded, error) {
		role := r.Role
		if role == "" {
			role = access.AgentRole
		}
		return h.d.Commands.AddAgent(ctx, m, commands.AddAgent{TenantID: callerOf(c).tenantID, Email: r.Email,
			Nickname: r.Nickname, RealName: r.RealName, Role: role, Password: r.Password,
			Disabled: r.Enabled != nil && !*r.Enabled, Capacity: r.Capacity})
	})
}

type profileRequest struct {
	Nickname   string `json:"nickname"`
	RealName   string `json:"real_name"`
	Phone      string `json:"phone"`
	EmployeeID string `json:"employee_id"`
	AvatarURL  string `json:"avatar_url"`
	Greeting   string `json:"greeting"`
	Language   string `json:"language"`
}

func (r profileRequest) profile() agent.Profile {
	return agent.Profile{Nickname: r.Nickname, RealName: r.RealName, Phone: r.Phone, EmployeeID: r.EmployeeID,
		AvatarURL: r.AvatarURL, Greeting: r.Greeting, Language: r.Language}
}

func (h *handlers) editAgentProfile(c echo.Context) error {
	ref, err := h.agentRef(c)
	if err != nil {
		return err
	}
	return h.editProfile(c, ref)
}

func (h *handlers) editOwnProfile(c echo.Context) error { return h.editProfile(c, ownRef(c)) }

func (h *handlers) editProfile(c echo.Context, ref commands.AgentRef) error {
	return command(c, http.StatusOK, func(ctx context.Context, m commands.Meta, r profileRequest) (commands.Result, error) {
		return h.d.Commands.EditAgentProfile(ctx, m, commands.EditAgentProfile{AgentRef: ref, Profile: r.profile()})
	})
}

func (h *handlers) changeAgentRole(c echo.Context) error {
	ref, err := h.agentRef(c)
	if err != nil {
		return err
	}
	return command(c, http.StatusOK, func(ctx context.Context, m commands.Meta, r struct {
		Role string `json:"role"`
	}) (commands.Result, error) {
		return h.d.Commands.ChangeAgentRole(ctx, m, commands.ChangeAgentRole{AgentRef: ref, Role: r.Role})
	})
}

func (h *handlers) setAgentEnabled(c echo.Context) error {
	ref, err := h.agentRef(c)
	if err != nil {
		return err
	}
	return command(c, http.StatusOK, func(ctx context.Context, m commands.Meta, r struct {
		Enabled bool `json:"enabled"`
	}) (commands.Result, error) {
		if r.Enabled {
			return h.d.Commands.EnableAgent(ctx, m, commands.EnableAgent{AgentRef: ref})
		}
		return h.settle(ctx)(h.d.Commands.DisableAgent(ctx, m, commands.DisableAgent{AgentRef: ref}))
	})
}

func (h *handlers) removeAgent(c echo.Context) error {
	ref, err := h.agentRef(c)
	if err != nil {
		return err
	}
	return command(c, http.StatusOK, func(ctx context.Context, m commands.Meta, _ struct{}) (commands.Result, error) {
		return h.settle(ctx)(h.d.Commands.RemoveAgent(ctx, m, commands.RemoveAgent{AgentRef: ref}))
	})
}

func (h *handlers) changeAgentEmail(c echo.Context) error {
	ref, err := h.agentRef(c)
	if err != nil {
		return err
	}
	return command(c, http.StatusOK, func(ctx context.Context, m commands.Meta, r struct {
		Email string `json:"email"`
	}) (commands.Result, error) {
		return h.d.Commands.ChangeAgentEmail(ctx, m, commands.ChangeAgentEmail{AgentRef: ref, Email: r.Email})
	})
}

func (h *handlers) resetAgentPassword(c echo.Context) error {
	ref, err := h.agentRef(c)
	if err != nil {
		return err
	}
	return command(c, http.StatusOK, func(ctx context.Context, m commands.Meta, r struct {
		Password string `json:"password"`
	}) (commands.Result, error) {
		return h.settle(ctx)(h.d.Commands.ResetAgentPassword(ctx, m, commands.ResetAgentPassword{AgentRef: ref, Password: r.Password}))
	})
}

func (h *handlers) changeOwnPassword(c echo.Context) error {
	return command(c, http.StatusOK, func(ctx context.Context, m commands.Meta, r struct {
		CurrentPassword string `json:"current_password"`
		Password        string `json:"password"`
	}) (commands.Result, error) {
		var res commands.Result
		err := h.signIns.hash(ctx, func() error {
			var err error
			res, err = h.d.Commands.ChangeOwnPassword(ctx, m, commands.ChangeOwnPassword{AgentRef: ownRef(c),
				CurrentPassword: r.CurrentPassword, Password: r.Password, SessionID: callerOf(c).sessionID})
			return err
		})
		return h.settle(ctx)(res, err)
	})
}

func (h *handlers) bindAgentTimePlan(c echo.Context) error {
	ref, err := h.agentRef(c)
	if err != nil {
		return err
	}
	return command(c, http.StatusOK, func(ctx context.Context, m commands.Meta, r struct {
		PlanID *uuid.UUID `json:"plan_id"`
	}) (commands.Result, error) {
		plan := uuid.Nil
		if r.PlanID != nil {
			plan = *r.PlanID
		}
		return h.d.Commands.BindAgentTimePlan(ctx, m, commands.BindAgentTimePlan{TenantID: ref.TenantID, AgentID: ref.AgentID, PlanID: plan})
	})
}

func (h *handlers) setAgentCapacity(c echo.Context) error {
	ref, err := h.agentRef(c)
	if err != nil {
		return err
	}
	return command(c, http.StatusOK, func(ctx context.Context, m commands.Meta, r struct {
		Capacity int `json:"capacity"`
	}) (commands.Result, error) {
		return h.d.Commands.SetCapacity(ctx, m, commands.SetCapacity{TenantID: ref.TenantID, AgentID: ref.AgentID,
			Capacity: r.Capacity, ByAdmin: true})
	})
}
