package projections

import (
	"context"

	"github.com/google/uuid"

	"supportd/eventschema"
	"supportd/readmodels"
)

// Accounts projects the tenant roster (users, roles, API tokens, channel
// keys) and the agents' own streams (profile, sessions, status, capacity)
// into the accounts read models (readmodels/accounts.go). Authentication
// reads these tables on every request.
type Accounts struct {
	reg *eventschema.Registry
}

// NewAccounts returns the accounts projector.
func NewAccounts(reg *eventschema.Registry) *Accounts { return &Accounts{reg: reg} }

// Name implements Projector.
func (*Accounts) Name() string { return "accounts" }

// Tables implements Projector.
func (*Accounts) Tables() []string {
	return []string{readmodels.AgentsTable, readmodels.AgentSessionsTable, readmodels.APITokensTable,
		readmodels.ChannelKeysTable, readmodels.RolesTable, readmodels.RobotsTable}
}

var accountEvents = map[string]bool{
	"AgentAdded": true, "AgentRoleChanged": true, "AgentEnabled": true, "AgentDisabled": true,
	"AgentRemoved": true, "AgentEmailChanged": true, "RoleDefined": true, "RoleDeleted": true,
	"APITokenIssued": true, "APITokenRevoked": true, "ChannelKeyIssued": true, "ChannelKeyRevoked": true,
	"AgentProfileEdited": true, "AgentSignedIn": true, "AgentSignedOut": true, "AgentStatusChanged": true,
	"AgentSessionSilenced": true, "AgentTimePlanBound": true, "AgentSessionResumed": true,
	"AgentCapacitySet": true,
	"RobotRegistered":  true, "RobotChanged": true, "RobotTokenIssued": true, "RobotRemoved": true,
}

// Roster rows are guarded by the tenant stream's version, agent rows by the
// agent stream's: a replayed older event changes nothing.
const (
	rosterGuard = ` AND roster_version < $2`
	agentGuard  = ` AND agent_version < $2`
)

// Apply implements Projector.
func (p *Accounts) Apply(ctx context.Context, db DB, e eventschema.Envelope) error {
	if !accountEvents[e.Type] {
		return nil
	}
	payload, err := p.reg.Decode(e)
	if err != nil {
		return err
	}
	v, at := int64(e.StreamVersion), occurredAt(e)
	switch ev := payload.(type) {
	case eventschema.AgentAdded:
		return db.Exec(ctx, `
			INSERT INTO agents (tenant_id, agent_id, email, nickname, real_name, role, enabled, created_at, roster_version)
			VALUES ($1, $3, $4, $5, $6, $7, $8, $9, $2)
			ON CONFLICT (agent_id) DO NOTHING`,
			ev.TenantID, v, ev.AgentID, ev.Email, ev.Nickname, ev.RealName, ev.Role, ev.Enabled, at)
	case eventschema.AgentRoleChanged:
		return db.Exec(ctx, `UPDATE agents SET role = $3, roster_version = $2 WHERE agent_id = $1`+rosterGuard, ev.AgentID, v, ev.To)
	case eventschema.AgentEnabled:
		return db.Exec(ctx, `UPDATE agents SET enabled = true, roster_version = $2 WHERE agent_id = $1`+rosterGuard, ev.AgentID, v)
	case eventschema.AgentDisabled:
		return db.Exec(ctx, `UPDATE agents SET enabled = false, roster_version = $2 WHERE agent_id = $1`+rosterGuard, ev.AgentID, v)
	case eventschema.AgentEmailChanged:
		return db.Exec(ctx, `UPDATE agents SET email = $3, roster_version = $2 WHERE agent_id = $1`+rosterGuard, ev.AgentID, v, ev.To)
	case eventschema.AgentRemoved:
		return db.Exec(ctx, `DELETE FROM agents WHERE agent_id = $1 AND roster_version < $2`, ev.AgentID, v)
	case eventschema.AgentProfileEdited:
		return db.Exec(ctx, `
			UPDATE agents SET nickname = $3, real_name = $4, phone = $5, employee_id = $6, avatar_url = $7,
			       greeting = $8, language = $9, agent_version = $2
			WHERE agent_id = $1`+agentGuard,
			ev.AgentID, v, ev.Nickname, ev.RealName, ev.Phone, ev.EmployeeID, ev.AvatarURL, ev.Greeting, ev.Language)
	case eventschema.AgentStatusChanged:
		if ev.EffectiveAt != nil {
			at = *ev.EffectiveAt
		}
		return db.Exec(ctx, `UPDATE agents SET status = $3, status_since = $4, agent_version = $2 WHERE agent_id = $1`+agentGuard,
			ev.AgentID, v, ev.To, at)
	case eventschema.AgentSessionSilenced:
		return db.Exec(ctx, `UPDATE agent_sessions SET silent_at = $2 WHERE session_id = $1 AND ended_at IS NULL`, ev.SessionID, ev.SilentAt)
	case eventschema.AgentSessionResumed:
		return db.Exec(ctx, `UPDATE agent_sessions SET silent_at = NULL WHERE session_id = $1`, ev.SessionID)
	case eventschema.AgentTimePlanBound:
		var plan *uuid.UUID
		if ev.PlanID != uuid.Nil {
			plan = &ev.PlanID
		}
		return db.Exec(ctx, `UPDATE agents SET plan_id = $3, agent_version = $2 WHERE agent_id = $1`+agentGuard, ev.AgentID, v, plan)
	case eventschema.AgentCapacitySet:
		return db.Exec(ctx, `UPDATE agents SET capacity = $3, agent_version = $2 WHERE agent_id = $1`+agentGuard, ev.AgentID, v, ev.Capacity)
	case eventschema.RobotRegistered:
		r := ev.Robot
		return db.Exec(ctx, `
			INSERT INTO robots (tenant_id, robot_id, name, avatar_url, webhook_url, token_hash, created_at, updated_at, version)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $7, $8) ON CONFLICT (tenant_id, robot_id) DO NOTHING`,
			ev.TenantID, ev.RobotID, r.Name, r.AvatarURL, r.WebhookURL, ev.TokenHash, at, v)
	case eventschema.RobotChanged:
		r := ev.Robot
		return db.Exec(ctx, `UPDATE robots SET name = $3, avatar_url = $4, webhook_url = $5, updated_at = $6, version = $7
			WHERE tenant_id = $1 AND robot_id = $2 AND version < $7`, ev.TenantID, ev.RobotID, r.Name, r.AvatarURL, r.WebhookURL, at, v)
	case eventschema.RobotTokenIssued:
		return db.Exec(ctx, `UPDATE robots SET token_hash = $3, updated_at = $4, version = $5
			WHERE tenant_id = $1 AND robot_id = $2 AND version < $5`, ev.TenantID, ev.RobotID, ev.TokenHash, at, v)
	case eventschema.RobotRemoved:
		return db.Exec(ctx, `UPDATE robots SET removed = true, updated_at = $3, version = $4
			WHERE tenant_id = $1 AND robot_id = $2 AND version < $4`, ev.TenantID, ev.RobotID, at, v)
	case eventschema.AgentSignedIn:
		return db.Exec(ctx, `
			INSERT INTO agent_sessions (token_hash, session_id, tenant_id, agent_id, client_ip, signed_in_at, expires_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING`,
			ev.TokenHash, ev.SessionID, ev.TenantID, ev.AgentID, ev.ClientIP, at, ev.ExpiresAt)
	case eventschema.AgentSignedOut:
		return db.Exec(ctx, `UPDATE agent_sessions SET ended_at = $2, end_reason = $3 WHERE session_id = $1 AND ended_at IS NULL`,
			ev.SessionID, at, ev.Reason)
	case eventschema.RoleDefined:
		return db.Exec(ctx, `
			INSERT INTO roles (role_id, tenant_id, name, capabilities, data_scope, version) VALUES ($1, $2, $3, $4, $5, $6)
			ON CONFLICT (role_id) DO UPDATE SET name = excluded.name, capabilities = excluded.capabilities,
			       data_scope = excluded.data_scope, version = excluded.version
			WHERE roles.version < excluded.version`,
			ev.RoleID, ev.TenantID, ev.Name, ev.Capabilities, ev.DataScope, v)
	case eventschema.RoleDeleted:
		return db.Exec(ctx, `DELETE FROM roles WHERE role_id = $1 AND version < $2`, ev.RoleID, v)
	case eventschema.APITokenIssued:
		return db.Exec(ctx, `
			INSERT INTO api_tokens (token_hash, token_id, tenant_id, name, role, issued_by, issued_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING`,
			ev.TokenHash, ev.TokenID, ev.TenantID, ev.Name, ev.Role, ev.IssuedBy, at)
	case eventschema.APITokenRevoked:
		return db.Exec(ctx, `UPDATE api_tokens SET revoked_at = $2 WHERE token_id = $1 AND revoked_at IS NULL`, ev.TokenID, at)
	case eventschema.ChannelKeyIssued:
		return db.Exec(ctx, `
			INSERT INTO channel_keys (key_hash, key_id, tenant_id, channel, name, issued_at)
			VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING`,
			ev.KeyHash, ev.KeyID, ev.TenantID, ev.Channel, ev.Name, at)
	case eventschema.ChannelKeyRevoked:
		return db.Exec(ctx, `UPDATE channel_keys SET revoked_at = $2 WHERE key_id = $1 AND revoked_at IS NULL`, ev.KeyID, at)
	}
	return nil
}

// EventTypes implements Selective.
func (*Accounts) EventTypes() []string { return typesOf(accountEvents) }
