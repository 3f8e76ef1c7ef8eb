package api

import (
	"context"
	"crypto/subtle"
	"errors"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"supportd/commands"
	"supportd/domain"
	"supportd/domain/access"
	"supportd/readmodels"
)

var errUnauthorized = errors.New("unauthorized")

// caller is who sent a request. Exactly one of its forms is set: the
// platform operator (creates tenants, licenses seats), a tenant principal
// (a signed-in user or an API token), or a channel (customer side).
type caller struct {
	operator  bool
	channel   readmodels.ChannelKey
	principal access.Principal
	tenantID  uuid.UUID
	agentID   uuid.UUID
	sessionID uuid.UUID
	tokenID   uuid.UUID // an API token's
	robotID   uuid.UUID // a robot's token
	// tokenHash is the bearer token's hash, for checks that it still holds.
	tokenHash string
}

// credentialID is the session or API token a tenant principal acts with.
func (cl caller) credentialID() uuid.UUID {
	if cl.sessionID != uuid.Nil {
		return cl.sessionID
	}
	return cl.tokenID
}

// who names the caller within its tenant: what an Idempotency-Key is
// scoped to.
func (cl caller) who() string {
	switch {
	case cl.operator:
		return "operator"
	case cl.agentID != uuid.Nil:
		return "agent:" + cl.agentID.String()
	case cl.channel.KeyID != uuid.Nil:
		return "channel-key:" + cl.channel.KeyID.String()
	case cl.tokenID != uuid.Nil:
		return "api-token:" + cl.tokenID.String()
	case cl.robotID != uuid.Nil:
		return "robot:" + cl.robotID.String()
	}
	return "anonymous"
}

const callerKey = "supportd.caller"

func callerOf(c echo.Context) caller {
	v, _ := c.Get(callerKey).(caller)
	return v
}

// authenticate identifies the caller of every /v1 request from its bearer
// token: the operator token, a session token or an API token. Requests
// without a valid token get 401.
func (h *handlers) authenticate(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if c.Path() == "/v1/openapi.json" || (c.Path() == "/v1/sessions" && c.Request().Method == "POST") {
			return next(c)
		}
		if key := c.Request().Header.Get(ChannelKeyHeader); key != "" {
			return h.authenticateChannel(c, key, next)
		}
		token, ok := strings.CutPrefix(c.Request().Header.Get("Authorization"), "Bearer ")
		if !ok || token == "" {
			return h.unauthorized(c)
		}
		if h.d.OperatorToken != "" && subtle.ConstantTimeCompare([]byte(token), []byte(h.d.OperatorToken)) == 1 {
			c.Set(callerKey, caller{operator: true})
			return next(c)
		}
		ctx := c.Request().Context()
		tokenHash := commands.HashSecret(token)
		cred, err := readmodels.Authenticate(ctx, h.d.Reads, tokenHash, time.Now())
		if errors.Is(err, readmodels.ErrNotFound) {
			return h.unauthorized(c)
		}
		if err != nil {
			return err
		}
		if cred.RobotID != uuid.Nil {
			// A robot is no user: it holds no role, only the robot routes.
			c.Set(callerKey, caller{robotID: cred.RobotID, tenantID: cred.TenantID, tokenHash: tokenHash,
				principal: access.Principal{TenantID: cred.TenantID.String()}})
			return next(c)
		}
		role, err := h.resolveRole(ctx, cred.TenantID, cred.Role)
		if err != nil {
			return err
		}
		p := access.Principal{TenantID: cred.TenantID.String(), Role: role}
		if cred.AgentID != uuid.Nil {
			p.AgentID = cred.AgentID.String()
			if h.d.TeamsOf != nil {
				if p.Teams, err = h.d.TeamsOf(ctx, cred.TenantID, cred.AgentID); err != nil {
					return err
				}
			}
		}
		c.Set(callerKey, caller{principal: p, tenantID: cred.TenantID, agentID: cred.AgentID,
			sessionID: cred.SessionID, tokenID: cred.TokenID, tokenHash: tokenHash})
		return next(c)
	}
}

// ChannelKeyHeader carries a channel key: how web widgets, apps and
// messaging bridges call the customer-side API.
const ChannelKeyHeader = "X-Channel-Key"

func (h *handlers) authenticateChannel(c echo.Context, key string, next echo.HandlerFunc) error {
	k, err := readmodels.ChannelKeyByHash(c.Request().Context(), h.d.Reads, commands.HashSecret(key))
	if errors.Is(err, readmodels.ErrNotFound) {
		return h.unauthorized(c)
	}
	if err != nil {
		return err
	}
	if err := h.limitChannel(c, k); err != nil {
		return err
	}
	c.Set(callerKey, caller{channel: k, tenantID: k.TenantID, principal: access.Principal{TenantID: k.TenantID.String(), Channel: k.Channel}})
	return next(c)
}

func (h *handlers) unauthorized(c echo.Context) error {
	c.Response().Header().Set("WWW-Authenticate", `Bearer realm="supportd"`)
	return errUnauthorized
}

// resolveRole turns a role ID into its grants; a custom role deleted since
// the token was issued grants nothing.
func (h *handlers) resolveRole(ctx context.Context, tenantID uuid.UUID, id string) (access.Role, error) {
	if r, ok := access.Builtin(id); ok {
		return r, nil
	}
	rid, err := uuid.Parse(id)
	if err != nil {
		return access.Role{ID: id}, nil
	}
	r, err := readmodels.GetRole(ctx, h.d.Reads, tenantID, rid)
	if errors.Is(err, readmodels.ErrNotFound) {
		return access.Role{ID: id}, nil
	}
	if err != nil {
		return access.Role{}, err
	}
	caps := make([]access.Capability, len(r.Capabilities))
	for i, s := range r.Capabilities {
		caps[i] = access.Capability(s)
	}
	return access.Role{ID: id, Name: r.Name, Capabilities: caps, DataScope: access.Scope(r.DataScope)}, nil
}

// Authorization is this one policy, applied per route: what a route needs
// is declared where it is registered, never checked inside a handler.

// need admits tenant principals whose role grants capability, or one of
// the alternatives or (a page both consoles show). The operator and
// channels are refused: they act on no tenant's pages.
func need(capability access.Capability, or ...access.Capability) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			cl := callerOf(c)
			if cl.tenantID == uuid.Nil || cl.channel.KeyID != uuid.Nil {
				return domain.Errorf(domain.Forbidden, "access.tenant_only", "", "this endpoint acts for a tenant's user")
			}
			for _, alt := range or {
				if cl.principal.Role.Allows(alt) {
					return next(c)
				}
			}
			if err := cl.principal.Require(capability); err != nil {
				return err
			}
			return next(c)
		}
	}
}

// channelOnly admits channels: the customer-side API.
func robotOnly(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if callerOf(c).robotID == uuid.Nil {
			return domain.Errorf(domain.Forbidden, "access.robot_only", "", "this endpoint is for robots (a robot's token)")
		}
		return next(c)
	}
}

func channelOnly(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if callerOf(c).channel.KeyID == uuid.Nil {
			return domain.Errorf(domain.Forbidden, "access.channel_only", "", "this endpoint is for channels (X-Channel-Key)")
		}
		return next(c)
	}
}

// signedIn admits any tenant principal that is a user (not an API token):
// the endpoints about one's own session, status and profile.
func signedIn(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if callerOf(c).agentID == uuid.Nil {
			return domain.Errorf(domain.Forbidden, "access.user_only", "", "this endpoint acts for a signed-in user")
		}
		return next(c)
	}
}

// operatorOnly admits the platform operator.
func operatorOnly(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if !callerOf(c).operator {
			return domain.Errorf(domain.Forbidden, "access.operator_only", "", "only the platform operator may do this")
		}
		return next(c)
	}
}
