// Package access is the permission model: capabilities (the pages of agent
// mode and admin mode, as capabilities of the API), roles that grant them,
// and the data scope (tenant or team) a role has over customers, history
// and ongoing conversations. The API asks it through one policy; no handler
// decides permissions on its own.
package access

import (
	"fmt"
	"slices"
	"sort"

	"github.com/google/uuid"

	"supportd/domain"
)

// Capability is the right to use one page of the consoles, and the API
// behind it.
type Capability string

// Agent-mode capabilities.
const (
	Conversations Capability = "agent.conversations" // ongoing conversations, transfer, close
	Queue         Capability = "agent.queue"         // queue list, manual join
	Colleagues    Capability = "agent.colleagues"    // colleague list and chat
	History       Capability = "agent.history"       // own history, search
	Customers     Capability = "agent.customers"     // customer profiles and tags
	Unblacklist   Capability = "agent.unblacklist"   // remove a customer from the blacklist (seed 003)
	Phrases       Capability = "agent.phrases"       // personal phrases
	Knowledge     Capability = "agent.knowledge"     // read the knowledge base
	OwnStatistics Capability = "agent.statistics"    // own statistics
	Appeals       Capability = "agent.appeals"       // appeal reviews
)

// Admin-mode capabilities.
const (
	Dashboard        Capability = "admin.dashboard"
	Monitor          Capability = "admin.monitor"    // queue and current sessions, alarms
	Approvals        Capability = "admin.approvals"  // status, blacklist, phrase requests
	Statistics       Capability = "admin.statistics" // reports and exports
	Review           Capability = "admin.review"     // inspections and appeals
	ManageAgents     Capability = "admin.agents"     // agents, capacity, tokens
	ManageTeams      Capability = "admin.teams"
	ManageRoles      Capability = "admin.roles"
	ManageSettings   Capability = "admin.settings"   // tenant profile, switches, time plans, routing
	ManageCatalogues Capability = "admin.catalogues" // tags, profile fields, public phrases, knowledge, review categories
	ManageChannels   Capability = "admin.channels"   // channels and channel keys
	AdminCustomers   Capability = "admin.customers"
	AdminHistory     Capability = "admin.history"
	AdminOngoing     Capability = "admin.ongoing"
)

// AgentMode and AdminMode list every capability of each console.
var (
	AgentMode = []Capability{Conversations, Queue, Colleagues, History, Customers, Unblacklist, Phrases, Knowledge, OwnStatistics, Appeals}
	AdminMode = []Capability{Dashboard, Monitor, Approvals, Statistics, Review, ManageAgents, ManageTeams, ManageRoles,
		ManageSettings, ManageCatalogues, ManageChannels, AdminCustomers, AdminHistory, AdminOngoing}
)

// Known reports whether c is a capability of either console.
func Known(c Capability) bool {
	return slices.Contains(AgentMode, c) || slices.Contains(AdminMode, c)
}

// Scope is how much data a role sees on the data-scoped pages.
type Scope string

// Data scopes.
const (
	TenantScope Scope = "tenant" // every team's data
	TeamScope   Scope = "team"   // the data of the teams the user belongs to
)

// Built-in role IDs. Custom roles have UUIDs.
const (
	AdminRole = "admin"
	AgentRole = "agent"
)

// Role grants capabilities and a data scope.
type Role struct {
	ID           string       `json:"id"`
	Name         string       `json:"name"`
	Builtin      bool         `json:"builtin"`
	Capabilities []Capability `json:"capabilities"`
	DataScope    Scope        `json:"data_scope"`
}

// Admin is the support administrator: everything, tenant-wide.
func Admin() Role {
	return Role{ID: AdminRole, Name: "Admin", Builtin: true,
		Capabilities: append(slices.Clone(AgentMode), AdminMode...), DataScope: TenantScope}
}

// Agent is the ordinary agent: agent mode only, its teams' data.
func Agent() Role {
	return Role{ID: AgentRole, Name: "Agent", Builtin: true, Capabilities: slices.Clone(AgentMode), DataScope: TeamScope}
}

// Builtin returns the built-in role with id.
func Builtin(id string) (Role, bool) {
	switch id {
	case AdminRole:
		return Admin(), true
	case AgentRole:
		return Agent(), true
	}
	return Role{}, false
}

// Allows reports whether the role grants c.
func (r Role) Allows(c Capability) bool { return slices.Contains(r.Capabilities, c) }

// IsAdmin reports whether the role may act in admin mode at all; admins'
// own actions (e.g. status changes) are exempt from approval rules.
func (r Role) IsAdmin() bool { return r.ID == AdminRole }

// NewCustomRole validates and normalises a custom role: a name, known
// capabilities (sorted, without duplicates), and a scope.
func NewCustomRole(id, name string, caps []Capability, scope Scope) (Role, error) {
	if name == "" || len(name) > 100 {
		return Role{}, domain.Errorf(domain.Invalid, "role.name", "name", "must be 1 to 100 characters")
	}
	if _, builtin := Builtin(id); builtin {
		return Role{}, domain.Errorf(domain.Invalid, "role.id", "id", "%q is a built-in role", id)
	}
	if scope != TenantScope && scope != TeamScope {
		return Role{}, domain.Errorf(domain.Invalid, "role.data_scope", "data_scope", "must be %q or %q", TenantScope, TeamScope)
	}
	seen := map[Capability]bool{}
	out := make([]Capability, 0, len(caps))
	for _, c := range caps {
		if !Known(c) {
			return Role{}, domain.Errorf(domain.Invalid, "role.capability", "capabilities", "unknown capability %q", c)
		}
		if !seen[c] {
			seen[c] = true
			out = append(out, c)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return Role{ID: id, Name: name, Capabilities: out, DataScope: scope}, nil
}

// CustomRoleID parses the ID of a role that may be redefined or deleted:
// the built-in roles are fixed, and anything that is not a UUID names no
// role.
func CustomRoleID(id string) (uuid.UUID, error) {
	if _, ok := Builtin(id); ok {
		return uuid.Nil, domain.Errorf(domain.Conflict, "role.builtin", "", "the built-in role %q cannot be changed", id)
	}
	rid, err := uuid.Parse(id)
	if err != nil {
		return uuid.Nil, domain.Errorf(domain.NotFound, "role.not_found", "", "role %s not found", id)
	}
	return rid, nil
}

// Principal is who makes a request: a signed-in user, an API token, or a
// channel (the customer side).
type Principal struct {
	TenantID string
	// AgentID is the user, or "" for API tokens and channels.
	AgentID string
	Role    Role
	// Teams are the teams the user belongs to, for team-scoped data.
	Teams []string
	// Channel is set for channel-key requests (customer side).
	Channel string
}

// Require returns a Forbidden error unless p's role grants c.
func (p Principal) Require(c Capability) error {
	if p.Role.Allows(c) {
		return nil
	}
	return domain.Errorf(domain.Forbidden, "access.capability", "", "your role does not grant %s", c)
}

// SeesTeam reports whether p may see data that belongs to team: always
// with tenant scope, else only for its own teams.
func (p Principal) SeesTeam(team string) bool {
	return p.Role.DataScope == TenantScope || slices.Contains(p.Teams, team)
}

// ActsOnAgent is the data scope of the users a user manages or reads: with
// tenant scope every one, else itself and the members of its teams
// (agentTeams are the other user's teams).
func (p Principal) ActsOnAgent(agentID string, agentTeams []string) bool {
	if p.Role.DataScope == TenantScope || agentID == p.AgentID {
		return true
	}
	for _, t := range agentTeams {
		if slices.Contains(p.Teams, t) {
			return true
		}
	}
	return false
}

func (c Capability) String() string { return string(c) }

// ParseCapabilities converts strings, failing on unknown ones.
func ParseCapabilities(in []string) ([]Capability, error) {
	out := make([]Capability, len(in))
	for i, s := range in {
		if !Known(Capability(s)) {
			return nil, fmt.Errorf("unknown capability %q", s)
		}
		out[i] = Capability(s)
	}
	return out, nil
}

// ConversationView is what deciding whether a user sees a conversation
// needs to know of it.
type ConversationView struct {
	// TeamID is the team the conversation is routed to ("" for none).
	TeamID string
	Queued bool
	// TookPart: the user serves or served it, is an expert in it, or a
	// transfer named the user.
	TookPart bool
	// ViewQueued is the tenant's queue.allow_viewing_queued.
	ViewQueued bool
}

// ActsOnConversation is the data scope of actions on a conversation: a
// user acts on one it took part in, and otherwise only within its data
// scope (routed to one of its teams, or any with tenant scope). What the
// action itself allows (capabilities, the conversation's rules) is decided
// after; a conversation out of scope is not found, as it is not listed.
func (p Principal) ActsOnConversation(v ConversationView) bool {
	if v.TookPart || p.Role.DataScope == TenantScope {
		return true
	}
	return v.TeamID != "" && slices.Contains(p.Teams, v.TeamID)
}

// SeesConversation is the data scope of conversations: a user sees those
// it took part in; a user who monitors or reads the tenant's ongoing
// conversations or history sees every one in its data scope (routed to one
// of its teams, or any with tenant scope); an agent sees its teams' queued
// conversations when the tenant lets agents read the queue.
func (p Principal) SeesConversation(v ConversationView) bool {
	if v.TookPart {
		return true
	}
	if p.Role.Allows(AdminOngoing) || p.Role.Allows(AdminHistory) || p.Role.Allows(Monitor) {
		if v.TeamID == "" {
			return p.Role.DataScope == TenantScope
		}
		return p.SeesTeam(v.TeamID)
	}
	return v.Queued && v.ViewQueued && p.Role.Allows(Queue) && v.TeamID != "" && slices.Contains(p.Teams, v.TeamID)
}
