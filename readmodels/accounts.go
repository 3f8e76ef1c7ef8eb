package readmodels

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// Tables of the accounts read model, written by the "accounts" projector.
const (
	AgentsTable        = "agents"
	AgentSessionsTable = "agent_sessions"
	APITokensTable     = "api_tokens"
	RobotsTable        = "robots"
	ChannelKeysTable   = "channel_keys"
	RolesTable         = "roles"
)

// Credential is what a bearer token stands for.
type Credential struct {
	TenantID uuid.UUID
	// AgentID and SessionID are set for a signed-in user; zero for an API
	// token.
	AgentID   uuid.UUID
	SessionID uuid.UUID
	TokenID   uuid.UUID // API tokens
	RobotID   uuid.UUID // robots' tokens
	Role      string
}

// Authenticate finds the live session or API token whose SHA-256 hash is
// tokenHash. A session is live until it ends or expires and while its user
// is enabled; an API token until it is revoked.
func Authenticate(ctx context.Context, q Querier, tokenHash string, now time.Time) (Credential, error) {
	var c Credential
	err := q.QueryRow(ctx, `
		SELECT s.tenant_id, s.agent_id, s.session_id, a.role
		FROM agent_sessions s JOIN agents a ON a.agent_id = s.agent_id
		LEFT JOIN credentials c ON c.agent_id = s.agent_id
		WHERE s.token_hash = $1 AND s.ended_at IS NULL AND s.expires_at > $2 AND a.enabled
		  AND (c.changed_at IS NULL OR s.signed_in_at >= c.changed_at OR s.session_id = c.kept_session)`, tokenHash, now).
		Scan(&c.TenantID, &c.AgentID, &c.SessionID, &c.Role)
	if err == nil {
		return c, nil
	}
	if !errors.Is(err, pgx.ErrNoRows) {
		return Credential{}, fmt.Errorf("authenticate: %w", err)
	}
	var tokenID, robotID *uuid.UUID
	err = q.QueryRow(ctx, `
		SELECT tenant_id, token_id, role, NULL::uuid FROM api_tokens WHERE token_hash = $1 AND revoked_at IS NULL
		UNION ALL
		SELECT tenant_id, NULL::uuid, '', robot_id FROM robots WHERE token_hash = $1 AND NOT removed
		LIMIT 1`, tokenHash).
		Scan(&c.TenantID, &tokenID, &c.Role, &robotID)
	if errors.Is(err, pgx.ErrNoRows) {
		return Credential{}, ErrNotFound
	}
	if tokenID != nil {
		c.TokenID = *tokenID
	}
	if robotID != nil {
		c.RobotID = *robotID
	}
	if err != nil {
		return Credential{}, fmt.Errorf("authenticate: %w", err)
	}
	return c, nil
}

// ChannelKey is a live key of a channel.
type ChannelKey struct {
	KeyID    uuid.UUID `json:"key_id"`
	TenantID uuid.UUID `json:"-"`
	Channel  string    `json:"channel"`
	Name     string    `json:"name"`
	IssuedAt time.Time `json:"issued_at"`
}

// ChannelKeyByHash finds the unrevoked channel key with the given hash.
func ChannelKeyByHash(ctx context.Context, q Querier, keyHash string) (ChannelKey, error) {
	var k ChannelKey
	err := q.QueryRow(ctx, `
		SELECT key_id, tenant_id, channel, name, issued_at FROM channel_keys WHERE key_hash = $1 AND revoked_at IS NULL`, keyHash).
		Scan(&k.KeyID, &k.TenantID, &k.Channel, &k.Name, &k.IssuedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return ChannelKey{}, ErrNotFound
	}
	return k, err
}

// ListChannelKeys lists a tenant's live channel keys, newest first.
func ListChannelKeys(ctx context.Context, q Querier, tenantID uuid.UUID) ([]ChannelKey, error) {
	rows, err := q.Query(ctx, `
		SELECT key_id, tenant_id, channel, name, issued_at FROM channel_keys
		WHERE tenant_id = $1 AND revoked_at IS NULL ORDER BY issued_at DESC, key_id`, tenantID)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (ChannelKey, error) {
		var k ChannelKey
		err := r.Scan(&k.KeyID, &k.TenantID, &k.Channel, &k.Name, &k.IssuedAt)
		return k, err
	})
}

// APIToken is a live integration token (never its secret).
type APIToken struct {
	TokenID  uuid.UUID `json:"token_id"`
	Name     string    `json:"name"`
	Role     string    `json:"role"`
	IssuedBy uuid.UUID `json:"issued_by"`
	IssuedAt time.Time `json:"issued_at"`
}

// ListAPITokens lists a tenant's live API tokens, newest first.
func ListAPITokens(ctx context.Context, q Querier, tenantID uuid.UUID) ([]APIToken, error) {
	rows, err := q.Query(ctx, `
		SELECT token_id, name, role, issued_by, issued_at FROM api_tokens
		WHERE tenant_id = $1 AND revoked_at IS NULL ORDER BY issued_at DESC, token_id`, tenantID)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (APIToken, error) {
		var t APIToken
		err := r.Scan(&t.TokenID, &t.Name, &t.Role, &t.IssuedBy, &t.IssuedAt)
		return t, err
	})
}

// Role is a custom role.
type Role struct {
	RoleID       uuid.UUID `json:"role_id"`
	Name         string    `json:"name"`
	Capabilities []string  `json:"capabilities"`
	DataScope    string    `json:"data_scope"`
	Version      uint64    `json:"version"`
}

// GetRole returns a tenant's custom role.
func GetRole(ctx context.Context, q Querier, tenantID, roleID uuid.UUID) (Role, error) {
	var r Role
	var v int64
	err := q.QueryRow(ctx, `SELECT role_id, name, capabilities, data_scope, version FROM roles WHERE tenant_id = $1 AND role_id = $2`,
		tenantID, roleID).Scan(&r.RoleID, &r.Name, &r.Capabilities, &r.DataScope, &v)
	if errors.Is(err, pgx.ErrNoRows) {
		return Role{}, fmt.Errorf("role %s: %w", roleID, ErrNotFound)
	}
	r.Version = uint64(v)
	return r, err
}

// ListRoles lists a tenant's custom roles by name.
func ListRoles(ctx context.Context, q Querier, tenantID uuid.UUID) ([]Role, error) {
	rows, err := q.Query(ctx, `SELECT role_id, name, capabilities, data_scope, version FROM roles WHERE tenant_id = $1 ORDER BY name, role_id`, tenantID)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (Role, error) {
		var r Role
		var v int64
		err := row.Scan(&r.RoleID, &r.Name, &r.Capabilities, &r.DataScope, &v)
		r.Version = uint64(v)
		return r, err
	})
}

// Agent is a user as the admin console lists it.
type Agent struct {
	AgentID     uuid.UUID  `json:"agent_id"`
	Email       string     `json:"email"`
	Nickname    string     `json:"nickname"`
	RealName    string     `json:"real_name"`
	Phone       string     `json:"phone"`
	EmployeeID  string     `json:"employee_id"`
	AvatarURL   string     `json:"avatar_url"`
	Greeting    string     `json:"greeting"`
	Language    string     `json:"language"`
	Role        string     `json:"role"`
	Enabled     bool       `json:"enabled"`
	Status      string     `json:"status"`
	StatusSince *time.Time `json:"status_since"`
	Capacity    int        `json:"capacity"`
	// TimePlanID is the agent's personal time plan, nil when none.
	TimePlanID *uuid.UUID `json:"time_plan_id"`
	CreatedAt  time.Time  `json:"created_at"`
}

const agentColumns = `agent_id, email, nickname, real_name, phone, employee_id, avatar_url, greeting, language,
	role, enabled, status, status_since, capacity, plan_id, created_at`

func scanAgent(r pgx.Row) (Agent, error) {
	var a Agent
	err := r.Scan(&a.AgentID, &a.Email, &a.Nickname, &a.RealName, &a.Phone, &a.EmployeeID, &a.AvatarURL, &a.Greeting,
		&a.Language, &a.Role, &a.Enabled, &a.Status, &a.StatusSince, &a.Capacity, &a.TimePlanID, &a.CreatedAt)
	return a, err
}

// GetAgent returns a user of the tenant.
func GetAgent(ctx context.Context, q Querier, tenantID, agentID uuid.UUID) (Agent, error) {
	a, err := scanAgent(q.QueryRow(ctx, `SELECT `+agentColumns+` FROM agents WHERE tenant_id = $1 AND agent_id = $2`, tenantID, agentID))
	if errors.Is(err, pgx.ErrNoRows) {
		return Agent{}, fmt.Errorf("agent %s: %w", agentID, ErrNotFound)
	}
	return a, err
}

// AgentFilter selects and orders agents. Zero values select everything.
type AgentFilter struct {
	// Query matches nickname, e-mail, real name, phone or employee ID
	// (case-insensitive substring).
	Query   string
	Status  string
	Role    string
	Enabled *bool
	// IDs restricts the list to these agents (e.g. a team's members).
	IDs []uuid.UUID
	// Sort is "nickname" (default), "capacity" or "role".
	Sort string
	// After is the cursor returned with the previous page.
	After string
	Limit int
}

// agentCursor is the position after the last row of a page: its sort key
// and ID, opaque to clients.
type agentCursor struct {
	Key string    `json:"k"`
	ID  uuid.UUID `json:"i"`
}

// ListAgents lists a tenant's users with keyset pagination. It returns the
// page and the cursor of the next one ("" when this is the last).
func ListAgents(ctx context.Context, q Querier, tenantID uuid.UUID, f AgentFilter) ([]Agent, string, error) {
	sortKey := map[string]string{
		"": "lower(nickname)", "nickname": "lower(nickname)",
		"capacity": "lpad(capacity::text, 10, '0')", "role": "role",
	}[f.Sort]
	if sortKey == "" {
		return nil, "", fmt.Errorf("sort %q: want nickname, capacity or role: %w", f.Sort, ErrInvalidFilter)
	}
	limit := f.Limit
	if limit <= 0 || limit > 200 {
		limit = 50
	}
	where := []string{"tenant_id = $1"}
	args := []any{tenantID}
	arg := func(v any) string {
		args = append(args, v)
		return fmt.Sprintf("$%d", len(args))
	}
	if s := strings.TrimSpace(f.Query); s != "" {
		p := arg("%" + strings.NewReplacer(`\`, `\\`, "%", `\%`, "_", `\_`).Replace(strings.ToLower(s)) + "%")
		where = append(where, fmt.Sprintf("(lower(nickname) LIKE %[1]s OR email LIKE %[1]s OR lower(real_name) LIKE %[1]s OR phone LIKE %[1]s OR lower(employee_id) LIKE %[1]s)", p))
	}
	if f.Status != "" {
		where = append(where, "status = "+arg(f.Status))
	}
	if f.Role != "" {
		where = append(where, "role = "+arg(f.Role))
	}
	if f.Enabled != nil {
		where = append(where, "enabled = "+arg(*f.Enabled))
	}
	if f.IDs != nil {
		where = append(where, "agent_id = ANY("+arg(f.IDs)+")")
	}
	if f.After != "" {
		c, err := decodeCursor(f.After)
		if err != nil {
			return nil, "", err
		}
		where = append(where, fmt.Sprintf("(%s, agent_id) > (%s, %s)", sortKey, arg(c.Key), arg(c.ID)))
	}
	rows, err := q.Query(ctx, `SELECT `+agentColumns+`, `+sortKey+` FROM agents WHERE `+strings.Join(where, " AND ")+
		` ORDER BY `+sortKey+`, agent_id LIMIT `+fmt.Sprint(limit+1), args...)
	if err != nil {
		return nil, "", fmt.Errorf("list agents: %w", err)
	}
	defer rows.Close()
	var out []Agent
	var keys []string
	for rows.Next() {
		var a Agent
		var key string
		if err := rows.Scan(&a.AgentID, &a.Email, &a.Nickname, &a.RealName, &a.Phone, &a.EmployeeID, &a.AvatarURL, &a.Greeting,
			&a.Language, &a.Role, &a.Enabled, &a.Status, &a.StatusSince, &a.Capacity, &a.TimePlanID, &a.CreatedAt, &key); err != nil {
			return nil, "", fmt.Errorf("list agents: %w", err)
		}
		out, keys = append(out, a), append(keys, key)
	}
	if err := rows.Err(); err != nil {
		return nil, "", fmt.Errorf("list agents: %w", err)
	}
	next := ""
	if len(out) > limit {
		out = out[:limit]
		next = encodeCursor(agentCursor{Key: keys[limit-1], ID: out[limit-1].AgentID})
	}
	if out == nil {
		out = []Agent{}
	}
	return out, next, nil
}

// ErrInvalidFilter is returned for a filter or cursor that cannot be used.
var ErrInvalidFilter = errors.New("invalid filter")

func encodeCursor(c agentCursor) string {
	b, _ := json.Marshal(c)
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeCursor(s string) (agentCursor, error) {
	var c agentCursor
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || json.Unmarshal(b, &c) != nil {
		return c, fmt.Errorf("cursor: %w", ErrInvalidFilter)
	}
	return c, nil
}
