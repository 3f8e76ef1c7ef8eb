package tenant

import (
	"maps"
	"net/mail"
	"slices"
	"strings"

	"github.com/google/uuid"

	"supportd/domain"
	"supportd/domain/access"
	"supportd/eventschema"
)

// DefaultSeats is the licence of a new tenant until an operator changes it.
const DefaultSeats = 10

// Account is one user of the tenant as the roster knows it.
type Account struct {
	ID       uuid.UUID
	Email    string // lower case
	Nickname string
	Role     string
	Enabled  bool
}

// roster is the part of the tenant's state about its users, roles and
// credentials.
type roster struct {
	Seats       int
	Accounts    map[uuid.UUID]Account
	Roles       map[uuid.UUID]access.Role
	APITokens   map[uuid.UUID]eventschema.APITokenIssued
	ChannelKeys map[uuid.UUID]eventschema.ChannelKeyIssued
}

func (r roster) enabled() int {
	n := 0
	for _, a := range r.Accounts {
		if a.Enabled {
			n++
		}
	}
	return n
}

func (r roster) enabledAdmins() int {
	n := 0
	for _, a := range r.Accounts {
		if a.Enabled && a.Role == access.AdminRole {
			n++
		}
	}
	return n
}

// ByEmail finds the account signing in with email.
func (s State) ByEmail(email string) (Account, bool) {
	email = strings.ToLower(strings.TrimSpace(email))
	for _, a := range s.Roster.Accounts {
		if a.Email == email {
			return a, true
		}
	}
	return Account{}, false
}

// Account returns the account with id.
func (s State) Account(id uuid.UUID) (Account, bool) {
	a, ok := s.Roster.Accounts[id]
	return a, ok
}

// Role resolves a role ID: built-in or custom.
func (s State) Role(id string) (access.Role, bool) {
	if r, ok := access.Builtin(id); ok {
		return r, true
	}
	rid, err := uuid.Parse(id)
	if err != nil {
		return access.Role{}, false
	}
	r, ok := s.Roster.Roles[rid]
	return r, ok
}

func (r *roster) evolve(event any) {
	if r.Accounts == nil {
		r.Accounts = map[uuid.UUID]Account{}
		r.Roles = map[uuid.UUID]access.Role{}
		r.APITokens = map[uuid.UUID]eventschema.APITokenIssued{}
		r.ChannelKeys = map[uuid.UUID]eventschema.ChannelKeyIssued{}
		r.Seats = DefaultSeats
	}
	// The maps are shared with earlier states: every change writes a copy,
	// so a state once returned never changes.
	update := func(id uuid.UUID, f func(*Account)) {
		if a, ok := r.Accounts[id]; ok {
			f(&a)
			r.Accounts = with(r.Accounts, id, a)
		}
	}
	switch e := event.(type) {
	case eventschema.TenantSeatsLicensed:
		r.Seats = e.Seats
	case eventschema.AgentAdded:
		r.Accounts = with(r.Accounts, e.AgentID, Account{ID: e.AgentID, Email: e.Email, Nickname: e.Nickname, Role: e.Role, Enabled: e.Enabled})
	case eventschema.AgentRoleChanged:
		update(e.AgentID, func(a *Account) { a.Role = e.To })
	case eventschema.AgentEnabled:
		update(e.AgentID, func(a *Account) { a.Enabled = true })
	case eventschema.AgentDisabled:
		update(e.AgentID, func(a *Account) { a.Enabled = false })
	case eventschema.AgentEmailChanged:
		update(e.AgentID, func(a *Account) { a.Email = e.To })
	case eventschema.AgentRemoved:
		r.Accounts = without(r.Accounts, e.AgentID)
	case eventschema.RoleDefined:
		caps := make([]access.Capability, len(e.Capabilities))
		for i, c := range e.Capabilities {
			caps[i] = access.Capability(c)
		}
		r.Roles = with(r.Roles, e.RoleID, access.Role{ID: e.RoleID.String(), Name: e.Name, Capabilities: caps, DataScope: access.Scope(e.DataScope)})
	case eventschema.RoleDeleted:
		r.Roles = without(r.Roles, e.RoleID)
	case eventschema.APITokenIssued:
		r.APITokens = with(r.APITokens, e.TokenID, e)
	case eventschema.APITokenRevoked:
		r.APITokens = without(r.APITokens, e.TokenID)
	case eventschema.ChannelKeyIssued:
		r.ChannelKeys = with(r.ChannelKeys, e.KeyID, e)
	case eventschema.ChannelKeyRevoked:
		r.ChannelKeys = without(r.ChannelKeys, e.KeyID)
	}
}

// with returns a copy of m with k set to v.
func with[V any](m map[uuid.UUID]V, k uuid.UUID, v V) map[uuid.UUID]V {
	c := maps.Clone(m)
	if c == nil {
		c = map[uuid.UUID]V{}
	}
	c[k] = v
	return c
}

// without returns a copy of m without k.
func without[V any](m map[uuid.UUID]V, k uuid.UUID) map[uuid.UUID]V {
	c := maps.Clone(m)
	delete(c, k)
	return c
}

// NewAgent is what an admin fills in to add a user.
type NewAgent struct {
	AgentID  uuid.UUID
	Email    string
	Nickname string
	RealName string
	Role     string
	Enabled  bool
}

func normalEmail(field, email string) (string, error) {
	e := strings.ToLower(strings.TrimSpace(email))
	if a, err := mail.ParseAddress(e); err != nil || a.Address != e || len(e) > 254 {
		return "", domain.Errorf(domain.Invalid, "agent.email", field, "%q is not an e-mail address", email)
	}
	return e, nil
}

func (s State) requireCreated() error {
	if !s.Created {
		return domain.Errorf(domain.NotFound, "tenant.not_found", "", "tenant not found")
	}
	return nil
}

// RequireAccount returns the account with id, or a NotFound violation.
func (s State) RequireAccount(id uuid.UUID) (Account, error) {
	a, ok := s.Roster.Accounts[id]
	if !ok {
		return Account{}, domain.Errorf(domain.NotFound, "agent.not_found", "", "agent %s not found", id)
	}
	return a, nil
}

func (s State) emailTaken(email string, except uuid.UUID) bool {
	for _, a := range s.Roster.Accounts {
		if a.Email == email && a.ID != except {
			return true
		}
	}
	return false
}

func (s State) seatFree() error {
	if s.Roster.enabled() >= s.Roster.Seats {
		return domain.Errorf(domain.Conflict, "tenant.seats_exhausted", "enabled", "all %d licensed seats are taken by enabled accounts", s.Roster.Seats)
	}
	return nil
}

// AddAgent decides the addition of a user.
func AddAgent(s State, n NewAgent) ([]any, error) {
	if err := s.requireCreated(); err != nil {
		return nil, err
	}
	if n.AgentID == uuid.Nil {
		return nil, domain.Errorf(domain.Invalid, "agent.id", "agent_id", "must be a UUID")
	}
	if _, exists := s.Roster.Accounts[n.AgentID]; exists {
		return nil, domain.Errorf(domain.Conflict, "agent.exists", "agent_id", "agent %s already exists", n.AgentID)
	}
	email, err := normalEmail("email", n.Email)
	if err != nil {
		return nil, err
	}
	if s.emailTaken(email, uuid.Nil) {
		return nil, domain.Errorf(domain.Conflict, "agent.email_taken", "email", "%s is already used by another account", email)
	}
	nick := strings.TrimSpace(n.Nickname)
	if nick == "" || len(nick) > 100 {
		return nil, domain.Errorf(domain.Invalid, "agent.nickname", "nickname", "must be 1 to 100 characters")
	}
	if _, ok := s.Role(n.Role); !ok {
		return nil, domain.Errorf(domain.Invalid, "agent.role", "role", "unknown role %q", n.Role)
	}
	if n.Enabled {
		if err := s.seatFree(); err != nil {
			return nil, err
		}
	}
	return []any{eventschema.AgentAdded{TenantID: s.ID, AgentID: n.AgentID, Email: email, Nickname: nick,
		RealName: strings.TrimSpace(n.RealName), Role: n.Role, Enabled: n.Enabled}}, nil
}

// lastAdmin refuses changes that would leave the tenant without an enabled
// admin: nobody could administer it any more.
func (s State) lastAdmin(a Account) error {
	if a.Enabled && a.Role == access.AdminRole && s.Roster.enabledAdmins() == 1 {
		return domain.Errorf(domain.Conflict, "tenant.last_admin", "", "%s is the last enabled admin", a.Email)
	}
	return nil
}

// ChangeRole decides a user's new role.
func ChangeRole(s State, id uuid.UUID, role string) ([]any, error) {
	a, err := s.RequireAccount(id)
	if err != nil {
		return nil, err
	}
	if _, ok := s.Role(role); !ok {
		return nil, domain.Errorf(domain.Invalid, "agent.role", "role", "unknown role %q", role)
	}
	if a.Role == role {
		return nil, nil
	}
	if a.Role == access.AdminRole {
		if err := s.lastAdmin(a); err != nil {
			return nil, err
		}
	}
	return []any{eventschema.AgentRoleChanged{TenantID: s.ID, AgentID: id, From: a.Role, To: role}}, nil
}

// Enable decides that a user may sign in again, if a seat is free.
func Enable(s State, id uuid.UUID) ([]any, error) {
	a, err := s.RequireAccount(id)
	if err != nil || a.Enabled {
		return nil, err
	}
	if err := s.seatFree(); err != nil {
		return nil, err
	}
	return []any{eventschema.AgentEnabled{TenantID: s.ID, AgentID: id}}, nil
}

// Disable decides that a user may no longer sign in.
func Disable(s State, id uuid.UUID) ([]any, error) {
	a, err := s.RequireAccount(id)
	if err != nil || !a.Enabled {
		return nil, err
	}
	if err := s.lastAdmin(a); err != nil {
		return nil, err
	}
	return []any{eventschema.AgentDisabled{TenantID: s.ID, AgentID: id}}, nil
}

// Remove decides the deletion of a user.
func Remove(s State, id uuid.UUID) ([]any, error) {
	a, err := s.RequireAccount(id)
	if err != nil {
		return nil, err
	}
	if err := s.lastAdmin(a); err != nil {
		return nil, err
	}
	return []any{eventschema.AgentRemoved{TenantID: s.ID, AgentID: id}}, nil
}

// ChangeEmail decides a user's new sign-in address.
func ChangeEmail(s State, id uuid.UUID, email string) ([]any, error) {
	a, err := s.RequireAccount(id)
	if err != nil {
		return nil, err
	}
	e, err := normalEmail("email", email)
	if err != nil {
		return nil, err
	}
	if e == a.Email {
		return nil, nil
	}
	if s.emailTaken(e, id) {
		return nil, domain.Errorf(domain.Conflict, "agent.email_taken", "email", "%s is already used by another account", e)
	}
	return []any{eventschema.AgentEmailChanged{TenantID: s.ID, AgentID: id, From: a.Email, To: e}}, nil
}

// ChangePassword decides that a user's password changed (its new hash is
// in the credential store, written first).
func ChangePassword(s State, id uuid.UUID) ([]any, error) {
	if _, err := s.RequireAccount(id); err != nil {
		return nil, err
	}
	return []any{eventschema.AgentPasswordChanged{TenantID: s.ID, AgentID: id}}, nil
}

// ChangeOwnPassword decides a user's change of its own password. Unlike an
// admin's reset it needs the current password (currentOK: it matched the
// stored hash, checked by the caller), so a console left signed in cannot
// be used to take the account over.
func ChangeOwnPassword(s State, id uuid.UUID, currentOK bool) ([]any, error) {
	if _, err := s.RequireAccount(id); err != nil {
		return nil, err
	}
	if !currentOK {
		return nil, domain.Errorf(domain.Forbidden, "agent.current_password", "current_password", "the current password is wrong")
	}
	return ChangePassword(s, id)
}

// LicenseSeats decides a new seat licence. It may not fall below the
// accounts enabled now: disable some first.
func LicenseSeats(s State, seats int) ([]any, error) {
	if err := s.requireCreated(); err != nil {
		return nil, err
	}
	if seats < 1 || seats > 100000 {
		return nil, domain.Errorf(domain.Invalid, "tenant.seats", "licensed_seats", "must be from 1 to 100000")
	}
	if n := s.Roster.enabled(); seats < n {
		return nil, domain.Errorf(domain.Conflict, "tenant.seats_below_enabled", "licensed_seats", "%d accounts are enabled; disable some before licensing %d seats", n, seats)
	}
	if seats == s.Roster.Seats {
		return nil, nil
	}
	return []any{eventschema.TenantSeatsLicensed{TenantID: s.ID, Seats: seats, Previous: s.Roster.Seats}}, nil
}

// DefineRole decides a custom role's (new) definition.
func DefineRole(s State, id uuid.UUID, name string, caps []access.Capability, scope access.Scope) ([]any, error) {
	if err := s.requireCreated(); err != nil {
		return nil, err
	}
	if id == uuid.Nil {
		return nil, domain.Errorf(domain.Invalid, "role.id", "role_id", "must be a UUID")
	}
	r, err := access.NewCustomRole(id.String(), strings.TrimSpace(name), caps, scope)
	if err != nil {
		return nil, err
	}
	for rid, other := range s.Roster.Roles {
		if rid != id && strings.EqualFold(other.Name, r.Name) {
			return nil, domain.Errorf(domain.Conflict, "role.name_taken", "name", "a role named %q exists", r.Name)
		}
	}
	names := make([]string, len(r.Capabilities))
	for i, c := range r.Capabilities {
		names[i] = string(c)
	}
	return []any{eventschema.RoleDefined{TenantID: s.ID, RoleID: id, Name: r.Name, Capabilities: names, DataScope: string(r.DataScope)}}, nil
}

// RedefineRole decides a new definition of an existing custom role. Unlike
// DefineRole it never creates one: an ID unknown to this tenant (perhaps
// another tenant's) is not found.
func RedefineRole(s State, id uuid.UUID, name string, caps []access.Capability, scope access.Scope) ([]any, error) {
	if _, ok := s.Roster.Roles[id]; !ok {
		return nil, domain.Errorf(domain.NotFound, "role.not_found", "", "role %s not found", id)
	}
	old := s.Roster.Roles[id]
	out, err := DefineRole(s, id, name, caps, scope)
	if err != nil {
		return nil, err
	}
	if d := out[0].(eventschema.RoleDefined); d.Name == old.Name && d.DataScope == string(old.DataScope) &&
		slices.Equal(d.Capabilities, capabilityNames(old.Capabilities)) {
		return nil, nil
	}
	return out, nil
}

func capabilityNames(caps []access.Capability) []string {
	out := make([]string, len(caps))
	for i, c := range caps {
		out[i] = string(c)
	}
	return out
}

// DeleteRole decides the removal of a custom role nobody holds: neither a
// user nor an API token (which would silently lose every grant).
func DeleteRole(s State, id uuid.UUID) ([]any, error) {
	if _, ok := s.Roster.Roles[id]; !ok {
		return nil, domain.Errorf(domain.NotFound, "role.not_found", "", "role %s not found", id)
	}
	for _, a := range s.Roster.Accounts {
		if a.Role == id.String() {
			return nil, domain.Errorf(domain.Conflict, "role.in_use", "", "role is held by %s; change their role first", a.Email)
		}
	}
	for _, t := range s.Roster.APITokens {
		if t.Role == id.String() {
			return nil, domain.Errorf(domain.Conflict, "role.in_use", "", "role is held by API token %q; revoke it first", t.Name)
		}
	}
	return []any{eventschema.RoleDeleted{TenantID: s.ID, RoleID: id}}, nil
}

// IssueAPIToken decides a new integration token acting with role.
func IssueAPIToken(s State, id uuid.UUID, name, tokenHash, role string, by uuid.UUID) ([]any, error) {
	if err := s.requireCreated(); err != nil {
		return nil, err
	}
	if strings.TrimSpace(name) == "" {
		return nil, domain.Errorf(domain.Invalid, "token.name", "name", "is required")
	}
	if _, ok := s.Role(role); !ok {
		return nil, domain.Errorf(domain.Invalid, "token.role", "role", "unknown role %q", role)
	}
	return []any{eventschema.APITokenIssued{TenantID: s.ID, TokenID: id, Name: strings.TrimSpace(name), TokenHash: tokenHash, Role: role, IssuedBy: by}}, nil
}

// RevokeAPIToken decides that a token stops working.
func RevokeAPIToken(s State, id uuid.UUID) ([]any, error) {
	if _, ok := s.Roster.APITokens[id]; !ok {
		return nil, domain.Errorf(domain.NotFound, "token.not_found", "", "token %s not found", id)
	}
	return []any{eventschema.APITokenRevoked{TenantID: s.ID, TokenID: id}}, nil
}

// IssueChannelKey decides a new key for a channel's customer-side calls.
func IssueChannelKey(s State, id uuid.UUID, channel, name, keyHash string) ([]any, error) {
	if err := s.requireCreated(); err != nil {
		return nil, err
	}
	if !slices.Contains(Channels, channel) {
		return nil, domain.Errorf(domain.Invalid, "channel_key.channel", "channel", "must be one of %s", strings.Join(Channels, ", "))
	}
	return []any{eventschema.ChannelKeyIssued{TenantID: s.ID, KeyID: id, Channel: channel, Name: strings.TrimSpace(name), KeyHash: keyHash}}, nil
}

// RevokeChannelKey decides that a channel key stops working.
func RevokeChannelKey(s State, id uuid.UUID) ([]any, error) {
	if _, ok := s.Roster.ChannelKeys[id]; !ok {
		return nil, domain.Errorf(domain.NotFound, "channel_key.not_found", "", "channel key %s not found", id)
	}
	return []any{eventschema.ChannelKeyRevoked{TenantID: s.ID, KeyID: id}}, nil
}

// SignInCheck decides whether the account with email may sign in, given
// whether the password matched its hash (checked by the caller: hashing is
// not a business rule). It answers the account; the session itself is
// recorded in the agent's stream.
func SignInCheck(s State, email string, passwordOK bool) (Account, error) {
	a, ok := s.ByEmail(email)
	// The same answer for unknown address and wrong password: no hint which
	// addresses exist.
	if !ok || !passwordOK {
		return Account{}, domain.Errorf(domain.Forbidden, "auth.invalid_credentials", "", "e-mail or password is wrong")
	}
	if !a.Enabled {
		return Account{}, domain.Errorf(domain.Forbidden, "auth.disabled", "", "this account is disabled")
	}
	return a, nil
}
