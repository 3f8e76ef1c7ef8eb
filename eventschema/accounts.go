package eventschema

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"
)

// Account events live in the tenant's stream ("tenant-{tenant id}"): the
// roster of users, their roles, seats and credentials are decided there,
// so that e-mail uniqueness and the licensed-seat limit hold under
// concurrency with one expected version.

// TenantProfileChanged records a new tenant profile. It carries the whole
// profile, not a diff.
type TenantProfileChanged struct {
	TenantID uuid.UUID `json:"tenant_id"`
	Name     string    `json:"name" jsonschema:"minLength=1,maxLength=200"`
	LogoURL  string    `json:"logo_url"`
	TimeZone string    `json:"time_zone" jsonschema:"minLength=1"`
}

// TenantSeatsLicensed records the number of enabled accounts the tenant may
// have.
type TenantSeatsLicensed struct {
	TenantID uuid.UUID `json:"tenant_id"`
	Seats    int       `json:"seats" jsonschema:"minimum=1"`
	Previous int       `json:"previous"`
}

// AgentAdded records a new user of the tenant: an admin or an agent. The
// first admin is added with the tenant.
type AgentAdded struct {
	TenantID uuid.UUID `json:"tenant_id"`
	AgentID  uuid.UUID `json:"agent_id"`
	Email    string    `json:"email" jsonschema:"minLength=3"`
	Nickname string    `json:"nickname" jsonschema:"minLength=1"`
	RealName string    `json:"real_name"`
	// Role is "admin", "agent" or the ID of a custom role.
	Role string `json:"role" jsonschema:"minLength=1"`
	// Enabled: the user may sign in. Its password is no fact of the log:
	// the hash lives in the credential store, which forgets it with the
	// user (version 1 carried password_hash; upcasting drops it).
	Enabled bool `json:"enabled"`
}

// AgentRoleChanged records a user's new role. It takes effect at the
// user's next sign-in, as the manual says; the user is notified.
type AgentRoleChanged struct {
	TenantID uuid.UUID `json:"tenant_id"`
	AgentID  uuid.UUID `json:"agent_id"`
	From     string    `json:"from"`
	To       string    `json:"to"`
}

// AgentEnabled records that a user may sign in again; it takes a seat.
type AgentEnabled struct {
	TenantID uuid.UUID `json:"tenant_id"`
	AgentID  uuid.UUID `json:"agent_id"`
}

// AgentDisabled records that a user may no longer sign in; its tokens stop
// working and it frees a seat.
type AgentDisabled struct {
	TenantID uuid.UUID `json:"tenant_id"`
	AgentID  uuid.UUID `json:"agent_id"`
}

// AgentRemoved records the deletion of a user. Its history stays.
type AgentRemoved struct {
	TenantID uuid.UUID `json:"tenant_id"`
	AgentID  uuid.UUID `json:"agent_id"`
}

// AgentEmailChanged records a user's new sign-in e-mail address.
type AgentEmailChanged struct {
	TenantID uuid.UUID `json:"tenant_id"`
	AgentID  uuid.UUID `json:"agent_id"`
	From     string    `json:"from"`
	To       string    `json:"to"`
}

// AgentPasswordChanged records that a user's password changed; the new
// hash is in the credential store (version 1 carried password_hash;
// upcasting drops it).
type AgentPasswordChanged struct {
	TenantID uuid.UUID `json:"tenant_id"`
	AgentID  uuid.UUID `json:"agent_id"`
}

// RoleDefined records a new custom role or a new definition of one.
type RoleDefined struct {
	TenantID     uuid.UUID `json:"tenant_id"`
	RoleID       uuid.UUID `json:"role_id"`
	Name         string    `json:"name" jsonschema:"minLength=1"`
	Capabilities []string  `json:"capabilities"`
	DataScope    string    `json:"data_scope" jsonschema:"enum=tenant,enum=team"`
}

// RoleDeleted records the removal of a custom role no user holds.
type RoleDeleted struct {
	TenantID uuid.UUID `json:"tenant_id"`
	RoleID   uuid.UUID `json:"role_id"`
}

// APITokenIssued records a long-lived token for an integration. Only its
// SHA-256 hash is kept; it acts with the role it was issued with.
type APITokenIssued struct {
	TenantID  uuid.UUID `json:"tenant_id"`
	TokenID   uuid.UUID `json:"token_id"`
	Name      string    `json:"name" jsonschema:"minLength=1"`
	TokenHash string    `json:"token_hash"`
	Role      string    `json:"role"`
	IssuedBy  uuid.UUID `json:"issued_by"`
}

// APITokenRevoked records that a token no longer works.
type APITokenRevoked struct {
	TenantID uuid.UUID `json:"tenant_id"`
	TokenID  uuid.UUID `json:"token_id"`
}

// ChannelKeyIssued records a key with which a channel (web widget, app,
// messaging bridge) calls the customer-side API. Only its hash is kept.
type ChannelKeyIssued struct {
	TenantID uuid.UUID `json:"tenant_id"`
	KeyID    uuid.UUID `json:"key_id"`
	Channel  string    `json:"channel" jsonschema:"minLength=1"`
	Name     string    `json:"name"`
	KeyHash  string    `json:"key_hash"`
}

// ChannelKeyRevoked records that a channel key no longer works.
type ChannelKeyRevoked struct {
	TenantID uuid.UUID `json:"tenant_id"`
	KeyID    uuid.UUID `json:"key_id"`
}

// Agent events live in the agent's stream ("agent-{agent id}"): sessions,
// status and capacity, the facts dispatch and worktime reports read.

// AgentProfileEdited records a user's new profile. It carries the whole
// profile, not a diff.
type AgentProfileEdited struct {
	TenantID   uuid.UUID `json:"tenant_id"`
	AgentID    uuid.UUID `json:"agent_id"`
	Nickname   string    `json:"nickname" jsonschema:"minLength=1"`
	RealName   string    `json:"real_name"`
	Phone      string    `json:"phone"`
	EmployeeID string    `json:"employee_id"`
	AvatarURL  string    `json:"avatar_url"`
	Greeting   string    `json:"greeting"`
	Language   string    `json:"language"`
}

// AgentSignedIn records a sign-in: a session with a bearer token (only its
// SHA-256 hash is kept) that expires, and the client's IP address.
type AgentSignedIn struct {
	TenantID  uuid.UUID `json:"tenant_id"`
	AgentID   uuid.UUID `json:"agent_id"`
	SessionID uuid.UUID `json:"session_id"`
	TokenHash string    `json:"token_hash"`
	ExpiresAt time.Time `json:"expires_at"`
	ClientIP  string    `json:"client_ip"`
	// Invisible: the user signed in in invisible mode.
	Invisible bool `json:"invisible"`
}

// Sign-out reasons.
const (
	SignOutLogout           = "logout"
	SignOutHeartbeatTimeout = "heartbeat_timeout"
	SignOutDisabled         = "disabled"
	SignOutExpired          = "expired"
	// SignOutPasswordChanged ends the other sessions of a user whose
	// password was changed or reset.
	SignOutPasswordChanged = "password_changed"
)

// AgentSignedOut records the end of a session.
type AgentSignedOut struct {
	TenantID  uuid.UUID `json:"tenant_id"`
	AgentID   uuid.UUID `json:"agent_id"`
	SessionID uuid.UUID `json:"session_id"`
	ClientIP  string    `json:"client_ip"`
	Reason    string    `json:"reason" jsonschema:"enum=logout,enum=heartbeat_timeout,enum=disabled,enum=expired,enum=password_changed"`
}

// AgentStatusChanged records a change of online status. Worktime reports
// are the intervals between these events.
type AgentStatusChanged struct {
	TenantID uuid.UUID `json:"tenant_id"`
	AgentID  uuid.UUID `json:"agent_id"`
	From     string    `json:"from" jsonschema:"enum=online,enum=busy,enum=away,enum=invisible,enum=offline"`
	To       string    `json:"to" jsonschema:"enum=online,enum=busy,enum=away,enum=invisible,enum=offline"`
	// Reason: "manual", "sign_in", "sign_out", "heartbeat_timeout",
	// "heartbeat" (a silent console came back), "disabled" or "approved".
	Reason    string    `json:"reason"`
	SessionID uuid.UUID `json:"session_id"`
	// ClientIP is the address of the session that caused the change, when
	// one did.
	ClientIP string `json:"client_ip,omitempty"`
	// EffectiveAt is when the change took effect, when that is not when it
	// was recorded: a console that went silent is offline from its last
	// heartbeat + 30 s, whenever the presence sweep noticed. Status
	// intervals (worktime) start here.
	EffectiveAt *time.Time `json:"effective_at,omitempty"`
}

// AgentTimePlanBound records an agent's personal working hours: the time
// plan that dispatch and greetings use for the agent when the tenant's
// dispatch.working_hours_source is "agent". The nil PlanID unbinds it (the
// team's hours apply again).
type AgentTimePlanBound struct {
	TenantID uuid.UUID `json:"tenant_id"`
	AgentID  uuid.UUID `json:"agent_id"`
	PlanID   uuid.UUID `json:"plan_id"`
}

// AgentSessionSilenced records that a console stopped sending heartbeats:
// the session stays signed in (its token keeps working) but no longer
// counts as present. SilentAt is LastSeen + the heartbeat timeout.
type AgentSessionSilenced struct {
	TenantID  uuid.UUID `json:"tenant_id"`
	AgentID   uuid.UUID `json:"agent_id"`
	SessionID uuid.UUID `json:"session_id"`
	ClientIP  string    `json:"client_ip"`
	LastSeen  time.Time `json:"last_seen"`
	SilentAt  time.Time `json:"silent_at"`
}

// AgentSessionResumed records a heartbeat from a silent console: the
// session counts as present again.
type AgentSessionResumed struct {
	TenantID  uuid.UUID `json:"tenant_id"`
	AgentID   uuid.UUID `json:"agent_id"`
	SessionID uuid.UUID `json:"session_id"`
	ClientIP  string    `json:"client_ip"`
}

// AgentCapacitySet records a new maximum of auto-assigned conversations. 0
// means no auto-assignment. SetByAdmin tells the agent's console to notify
// the agent.
type AgentCapacitySet struct {
	TenantID   uuid.UUID `json:"tenant_id"`
	AgentID    uuid.UUID `json:"agent_id"`
	Capacity   int       `json:"capacity" jsonschema:"minimum=0"`
	Previous   int       `json:"previous"`
	SetByAdmin bool      `json:"set_by_admin"`
}

func registerAccounts(r *Registry) {
	Register[AgentAdded](r, "AgentAdded", 2)
	r.AddUpcaster("AgentAdded", 1, dropPasswordHash)
	Register[AgentRoleChanged](r, "AgentRoleChanged", 1)
	Register[AgentEnabled](r, "AgentEnabled", 1)
	Register[AgentDisabled](r, "AgentDisabled", 1)
	Register[AgentRemoved](r, "AgentRemoved", 1)
	Register[AgentEmailChanged](r, "AgentEmailChanged", 1)
	Register[AgentPasswordChanged](r, "AgentPasswordChanged", 2)
	r.AddUpcaster("AgentPasswordChanged", 1, dropPasswordHash)
	Register[RoleDefined](r, "RoleDefined", 1)
	Register[RoleDeleted](r, "RoleDeleted", 1)
	Register[APITokenIssued](r, "APITokenIssued", 1)
	Register[APITokenRevoked](r, "APITokenRevoked", 1)
	Register[ChannelKeyIssued](r, "ChannelKeyIssued", 1)
	Register[ChannelKeyRevoked](r, "ChannelKeyRevoked", 1)
	Register[AgentProfileEdited](r, "AgentProfileEdited", 1)
	Register[AgentSignedIn](r, "AgentSignedIn", 1)
	Register[AgentSignedOut](r, "AgentSignedOut", 1)
	Register[AgentStatusChanged](r, "AgentStatusChanged", 1)
	Register[AgentSessionSilenced](r, "AgentSessionSilenced", 1)
	Register[AgentTimePlanBound](r, "AgentTimePlanBound", 1)
	Register[AgentSessionResumed](r, "AgentSessionResumed", 1)
	Register[AgentCapacitySet](r, "AgentCapacitySet", 1)
}

// dropPasswordHash lifts version 1 of AgentAdded and AgentPasswordChanged:
// the hash they carried moved to the credential store (imported from the
// log once, see credentials.ImportFromLog).
func dropPasswordHash(old json.RawMessage) (json.RawMessage, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(old, &m); err != nil {
		return nil, fmt.Errorf("drop password_hash: %w", err)
	}
	delete(m, "password_hash")
	return json.Marshal(m)
}

// LegacyPasswordHash is the hash a version 1 AgentAdded or
// AgentPasswordChanged carried, for the one-time import into the
// credential store.
func LegacyPasswordHash(e Envelope) (tenantID, agentID uuid.UUID, hash string, ok bool) {
	if e.Version != 1 || (e.Type != "AgentAdded" && e.Type != "AgentPasswordChanged") {
		return uuid.Nil, uuid.Nil, "", false
	}
	var v struct {
		TenantID     uuid.UUID `json:"tenant_id"`
		AgentID      uuid.UUID `json:"agent_id"`
		PasswordHash string    `json:"password_hash"`
	}
	if json.Unmarshal(e.Data, &v) != nil || v.AgentID == uuid.Nil || v.PasswordHash == "" {
		return uuid.Nil, uuid.Nil, "", false
	}
	return v.TenantID, v.AgentID, v.PasswordHash, true
}
