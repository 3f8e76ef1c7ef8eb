// Package agent is the agent aggregate: a user's sessions, online status
// and capacity, the facts dispatch reads and worktime reports are built
// from. Stream: "agent-{tenant id}_{agent id}". The user's account (e-mail, role,
// enabled) is decided in the tenant's roster.
package agent

import (
	"maps"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"supportd/domain"
	"supportd/eventschema"
)

// Stream returns the stream name of agent id.
func Stream(tenantID, id uuid.UUID) string { return eventschema.ObjectStream("agent", tenantID, id) }

// Status is an online status, with the meanings of the product manual.
type Status string

// The statuses.
const (
	// Online: receives auto-assigned conversations and transfers.
	Online Status = "online"
	// Busy: keeps its conversations and accepts transfers, but gets no
	// auto-assignment. Away and Invisible behave the same.
	Busy      Status = "busy"
	Away      Status = "away"
	Invisible Status = "invisible"
	// Offline: signed out (or its console went silent for 30 s): neither
	// auto-assignment nor transfers.
	Offline Status = "offline"
)

// Valid reports whether s is one of the statuses.
func (s Status) Valid() bool {
	switch s {
	case Online, Busy, Away, Invisible, Offline:
		return true
	}
	return false
}

// AutoAssignable reports whether an agent in status s may receive
// auto-assigned conversations.
func (s Status) AutoAssignable() bool { return s == Online }

// AcceptsTransfers reports whether an agent in status s may receive
// transferred conversations.
func (s Status) AcceptsTransfers() bool { return s != Offline && s != "" }

// DefaultCapacity is the maximum of conversations of an agent whose capacity
// was never set.
const DefaultCapacity = 5

// MaxCapacity bounds what may be set.
const MaxCapacity = 1000

// HeartbeatTimeout is how long a console may stay silent before it stops
// counting as present (the manual's "offline in 30 seconds after the
// browser closes"). Its session stays signed in.
const HeartbeatTimeout = 30 * time.Second

// Session is one signed-in console.
type Session struct {
	ID        uuid.UUID
	ExpiresAt time.Time
	ClientIP  string
	// Silent: the console stopped sending heartbeats; the token still
	// works, but the session keeps no one present.
	Silent bool
}

// State is what the agent's decisions need.
type State struct {
	ID       uuid.UUID
	Status   Status
	Capacity int
	// capacitySet: Capacity was set explicitly (else DefaultCapacity).
	capacitySet bool
	Sessions    map[uuid.UUID]Session
	// Profile is the last edited profile; profileSet tells whether there
	// was one (the profile given at the addition lives in the roster).
	Profile    Profile
	profileSet bool
	// Slots are the dispatcher's open reservations by reservation ID:
	// reserved and not yet released (see slots.go).
	Slots map[uuid.UUID]Slot
	// PlanID is the agent's personal time plan (zero: none).
	PlanID uuid.UUID
	// beforeSilence is the status the agent had when its last present
	// console went silent, restored when one comes back.
	beforeSilence Status
}

// present counts the sessions that keep the agent present, leaving out
// except.
func (s State) present(except uuid.UUID) int {
	n := 0
	for id, sess := range s.Sessions {
		if id != except && !sess.Silent {
			n++
		}
	}
	return n
}

// CurrentStatus is the status, offline when never signed in.
func (s State) CurrentStatus() Status {
	if s.Status == "" {
		return Offline
	}
	return s.Status
}

// CurrentCapacity is the capacity in force.
func (s State) CurrentCapacity() int {
	if !s.capacitySet {
		return DefaultCapacity
	}
	return s.Capacity
}

// Evolve folds one event into the state.
func Evolve(s State, event any) State {
	copySessions := func() map[uuid.UUID]Session {
		m := make(map[uuid.UUID]Session, len(s.Sessions)+1)
		for k, v := range s.Sessions {
			m[k] = v
		}
		return m
	}
	switch e := event.(type) {
	case eventschema.AgentSignedIn:
		s.ID = e.AgentID
		m := copySessions()
		m[e.SessionID] = Session{ID: e.SessionID, ExpiresAt: e.ExpiresAt, ClientIP: e.ClientIP}
		s.Sessions = m
	case eventschema.AgentSignedOut:
		m := copySessions()
		delete(m, e.SessionID)
		s.Sessions = m
	case eventschema.AgentSessionSilenced, eventschema.AgentSessionResumed:
		id, silent := sessionOf(e)
		if sess, ok := s.Sessions[id]; ok {
			m := copySessions()
			sess.Silent = silent
			m[id] = sess
			s.Sessions = m
		}
	case eventschema.AgentStatusChanged:
		s.ID, s.Status = e.AgentID, Status(e.To)
		s.beforeSilence = ""
		if e.Reason == eventschema.SignOutHeartbeatTimeout {
			s.beforeSilence = Status(e.From)
		}
	case eventschema.AgentTimePlanBound:
		s.ID, s.PlanID = e.AgentID, e.PlanID
	case eventschema.AgentCapacitySet:
		s.ID, s.Capacity, s.capacitySet = e.AgentID, e.Capacity, true
	case eventschema.AgentSlotReserved, eventschema.AgentSlotReleased:
		s = evolveSlots(s, e)
	case eventschema.AgentProfileEdited:
		s.ID, s.profileSet = e.AgentID, true
		s.Profile = Profile{Nickname: e.Nickname, RealName: e.RealName, Phone: e.Phone, EmployeeID: e.EmployeeID,
			AvatarURL: e.AvatarURL, Greeting: e.Greeting, Language: e.Language}
	}
	return s
}

func sessionOf(e any) (id uuid.UUID, silent bool) {
	switch e := e.(type) {
	case eventschema.AgentSessionSilenced:
		return e.SessionID, true
	case eventschema.AgentSessionResumed:
		return e.SessionID, false
	}
	return uuid.Nil, false
}

// Identity is who the agent is in its tenant, from the roster.
type Identity struct {
	TenantID uuid.UUID
	AgentID  uuid.UUID
}

// SignIn decides a new session. The first session takes the agent from
// offline to online (or invisible, when signing in invisibly); further
// sessions keep the status.
func SignIn(s State, who Identity, session uuid.UUID, tokenHash string, expires time.Time, clientIP string, invisible bool) ([]any, error) {
	if _, dup := s.Sessions[session]; dup {
		return nil, domain.Errorf(domain.Conflict, "session.exists", "", "session %s exists", session)
	}
	out := []any{eventschema.AgentSignedIn{TenantID: who.TenantID, AgentID: who.AgentID, SessionID: session,
		TokenHash: tokenHash, ExpiresAt: expires, ClientIP: clientIP, Invisible: invisible}}
	if from := s.CurrentStatus(); from == Offline {
		to := Online
		if invisible {
			to = Invisible
		}
		out = append(out, eventschema.AgentStatusChanged{TenantID: who.TenantID, AgentID: who.AgentID,
			From: string(from), To: string(to), Reason: "sign_in", SessionID: session})
	}
	return out, nil
}

// SignOut decides the end of a session; the last present one takes the
// agent offline. reason is one of the eventschema.SignOut… constants.
func SignOut(s State, who Identity, session uuid.UUID, clientIP, reason string) ([]any, error) {
	if _, ok := s.Sessions[session]; !ok {
		return nil, nil // already ended: signing out twice is harmless
	}
	out := []any{eventschema.AgentSignedOut{TenantID: who.TenantID, AgentID: who.AgentID, SessionID: session, ClientIP: clientIP, Reason: reason}}
	if s.present(session) == 0 && s.CurrentStatus() != Offline {
		statusReason := "sign_out"
		if reason != eventschema.SignOutLogout {
			statusReason = reason
		}
		out = append(out, eventschema.AgentStatusChanged{TenantID: who.TenantID, AgentID: who.AgentID,
			From: string(s.CurrentStatus()), To: string(Offline), Reason: statusReason, SessionID: session, ClientIP: clientIP})
	}
	return out, nil
}

// Silence decides that a console went quiet: its last heartbeat (or its
// sign-in) was at lastSeen and none came within HeartbeatTimeout. The
// session stays signed in; when it was the last present one, the agent is
// offline from lastSeen + HeartbeatTimeout, which the status change
// carries, not the time the silence was noticed.
func Silence(s State, who Identity, session uuid.UUID, lastSeen time.Time) ([]any, error) {
	sess, ok := s.Sessions[session]
	if !ok || sess.Silent {
		return nil, nil // ended or already silent: noticing twice is harmless
	}
	at := lastSeen.Add(HeartbeatTimeout)
	out := []any{eventschema.AgentSessionSilenced{TenantID: who.TenantID, AgentID: who.AgentID, SessionID: session,
		ClientIP: sess.ClientIP, LastSeen: lastSeen, SilentAt: at}}
	if s.present(session) == 0 && s.CurrentStatus() != Offline {
		out = append(out, eventschema.AgentStatusChanged{TenantID: who.TenantID, AgentID: who.AgentID,
			From: string(s.CurrentStatus()), To: string(Offline), Reason: eventschema.SignOutHeartbeatTimeout,
			SessionID: session, ClientIP: sess.ClientIP, EffectiveAt: &at})
	}
	return out, nil
}

// Resume decides that a silent console sent a heartbeat again. When the
// agent went offline through silence, it gets back the status it had.
func Resume(s State, who Identity, session uuid.UUID, clientIP string) ([]any, error) {
	sess, ok := s.Sessions[session]
	if !ok || !sess.Silent {
		return nil, nil
	}
	out := []any{eventschema.AgentSessionResumed{TenantID: who.TenantID, AgentID: who.AgentID, SessionID: session, ClientIP: clientIP}}
	if s.CurrentStatus() == Offline && s.beforeSilence != "" {
		out = append(out, eventschema.AgentStatusChanged{TenantID: who.TenantID, AgentID: who.AgentID,
			From: string(Offline), To: string(s.beforeSilence), Reason: "heartbeat", SessionID: session, ClientIP: clientIP})
	}
	return out, nil
}

// SignOutAll ends every session, e.g. when the account is disabled.
func SignOutAll(s State, who Identity, reason string) ([]any, error) {
	return SignOutOthers(s, who, uuid.Nil, reason)
}

// SignOutOthers ends every session but keep (the one that changed the
// password, say); the user goes offline unless keep is still open.
func SignOutOthers(s State, who Identity, keep uuid.UUID, reason string) ([]any, error) {
	// Sessions in ID order: the same state always decides the same events.
	ids := slices.SortedFunc(maps.Keys(s.Sessions), func(a, b uuid.UUID) int { return strings.Compare(a.String(), b.String()) })
	var out []any
	kept := false
	for _, id := range ids {
		if id == keep {
			kept = true
			continue
		}
		out = append(out, eventschema.AgentSignedOut{TenantID: who.TenantID, AgentID: who.AgentID, SessionID: id, Reason: reason})
	}
	if !kept && s.CurrentStatus() != Offline {
		out = append(out, eventschema.AgentStatusChanged{TenantID: who.TenantID, AgentID: who.AgentID,
			From: string(s.CurrentStatus()), To: string(Offline), Reason: reason})
	}
	return out, nil
}

// StatusRequest is a status change asked by the agent or an admin.
type StatusRequest struct {
	To Status
	// ByAdmin: the actor is an admin (changing its own or another's status).
	ByAdmin bool
	// NeedsApproval is the tenant switch "status change needs approval".
	NeedsApproval bool
	// Approved: the change comes from an approved request.
	Approved bool
}

// ChangeStatus decides a status change of a signed-in agent. Going offline
// is signing out, not a status choice. With approval required, an agent's
// change from online to busy, away or invisible waits for an admin.
func ChangeStatus(s State, who Identity, r StatusRequest) ([]any, error) {
	if !r.To.Valid() || r.To == Offline {
		return nil, domain.Errorf(domain.Invalid, "agent.status", "status", "must be online, busy, away or invisible")
	}
	from := s.CurrentStatus()
	if from == Offline {
		return nil, domain.Errorf(domain.Conflict, "agent.offline", "", "the agent is offline; sign in, or send a heartbeat from a silent console, first")
	}
	if from == r.To {
		return nil, nil
	}
	if r.NeedsApproval && !r.ByAdmin && !r.Approved && from == Online {
		return nil, domain.Errorf(domain.Conflict, "agent.status_needs_approval", "status", "leaving online needs an admin's approval")
	}
	reason := "manual"
	if r.Approved {
		reason = "approved"
	}
	return []any{eventschema.AgentStatusChanged{TenantID: who.TenantID, AgentID: who.AgentID, From: string(from), To: string(r.To), Reason: reason}}, nil
}

// SetCapacity decides a new capacity. The tenant switch "allow agents to set
// their maximum conversations" decides who may: with it on, only the agent;
// with it off, only admins.
func SetCapacity(s State, who Identity, capacity int, byAdmin, agentsMaySet bool) ([]any, error) {
	if capacity < 0 || capacity > MaxCapacity {
		return nil, domain.Errorf(domain.Invalid, "agent.capacity", "capacity", "must be from 0 to %d", MaxCapacity)
	}
	if byAdmin && agentsMaySet {
		return nil, domain.Errorf(domain.Forbidden, "agent.capacity_by_agent", "", "agents set their own maximum conversations (function switch)")
	}
	if !byAdmin && !agentsMaySet {
		return nil, domain.Errorf(domain.Forbidden, "agent.capacity_by_admin", "", "only admins set maximum conversations (function switch)")
	}
	prev := s.CurrentCapacity()
	if s.capacitySet && prev == capacity {
		return nil, nil
	}
	return []any{eventschema.AgentCapacitySet{TenantID: who.TenantID, AgentID: who.AgentID, Capacity: capacity, Previous: prev, SetByAdmin: byAdmin}}, nil
}

// Profile is how a user presents itself: to colleagues in the consoles and
// (nickname, avatar, greeting) to customers in the chat window.
type Profile struct {
	Nickname   string
	RealName   string
	Phone      string
	EmployeeID string
	AvatarURL  string
	Greeting   string
	Language   string
}

// profileLimits bound each field, so a console can lay them out.
var profileLimits = []struct {
	field string
	get   func(*Profile) *string
	max   int
}{
	{"nickname", func(p *Profile) *string { return &p.Nickname }, 100},
	{"real_name", func(p *Profile) *string { return &p.RealName }, 100},
	{"phone", func(p *Profile) *string { return &p.Phone }, 50},
	{"employee_id", func(p *Profile) *string { return &p.EmployeeID }, 50},
	{"avatar_url", func(p *Profile) *string { return &p.AvatarURL }, 2000},
	{"greeting", func(p *Profile) *string { return &p.Greeting }, 1000},
	{"language", func(p *Profile) *string { return &p.Language }, 35},
}

// EditProfile decides a user's new profile: every field trimmed and within
// its limit, a nickname present, an avatar given as an http(s) URL. The
// profile is replaced as a whole; an unchanged profile decides nothing.
func EditProfile(s State, who Identity, p Profile) ([]any, error) {
	for _, l := range profileLimits {
		v := l.get(&p)
		*v = strings.TrimSpace(*v)
		if utf8.RuneCountInString(*v) > l.max {
			return nil, domain.Errorf(domain.Invalid, "agent."+l.field, l.field, "must be at most %d characters", l.max)
		}
	}
	if p.Nickname == "" {
		return nil, domain.Errorf(domain.Invalid, "agent.nickname", "nickname", "must be 1 to 100 characters")
	}
	if p.AvatarURL != "" {
		u, err := url.Parse(p.AvatarURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, domain.Errorf(domain.Invalid, "agent.avatar_url", "avatar_url", "must be an http or https URL")
		}
	}
	if s.profileSet && s.Profile == p {
		return nil, nil
	}
	return []any{eventschema.AgentProfileEdited{TenantID: who.TenantID, AgentID: who.AgentID, Nickname: p.Nickname,
		RealName: p.RealName, Phone: p.Phone, EmployeeID: p.EmployeeID, AvatarURL: p.AvatarURL, Greeting: p.Greeting,
		Language: p.Language}}, nil
}
