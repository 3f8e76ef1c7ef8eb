package commands

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"time"

	"github.com/google/uuid"

	"supportd/domain/agent"
	"supportd/domain/tenant"
	"supportd/eventschema"
)

// SessionTTL is how long a sign-in token lives.
const SessionTTL = 12 * time.Hour

// SignIn opens a console session for a user of a tenant.
type SignIn struct {
	TenantID  uuid.UUID
	Email     string
	Password  string
	ClientIP  string
	Invisible bool
}

// SignedIn is the answer to a sign-in: the bearer token is shown once and
// only its hash is stored.
type SignedIn struct {
	Result
	Token     string    `json:"token"`
	SessionID uuid.UUID `json:"session_id"`
	AgentID   uuid.UUID `json:"agent_id"`
	Role      string    `json:"role"`
	ExpiresAt time.Time `json:"expires_at"`
}

// dummyHash is verified against when the e-mail is unknown, so that an
// unknown address costs as much time as a wrong password.
const dummyHash = "$2a$10$7EqJtq98hPqEX7fNZaFWoOhi5BWX4Z3Q3Ef2S1D1oBh3hGm4i8e2W"

// SignIn handles the SignIn command.
func (h *Handler) SignIn(ctx context.Context, m Meta, c SignIn) (SignedIn, error) {
	t, err := load(ctx, h, tenantAggregate(c.TenantID), uuid.Nil)
	if err != nil {
		return SignedIn{}, err
	}
	acct, known := t.state.ByEmail(c.Email)
	ok := false
	if known {
		if ok, err = h.passwordMatches(ctx, c.TenantID, acct.ID, c.Password); err != nil {
			return SignedIn{}, err
		}
	} else {
		h.Passwords.Verify(dummyHash, c.Password) // an unknown address costs as much as a known one
	}
	acct, err = tenant.SignInCheck(t.state, c.Email, ok)
	if err != nil {
		return SignedIn{}, err
	}
	token, tokenHash := NewSecret()
	session := uuid.Must(uuid.NewV7())
	expires := h.clock.Now().Add(SessionTTL)
	m.TenantID = c.TenantID
	if m.Actor.Kind == "" {
		m.Actor = eventschema.Actor{Kind: actorKind(acct.Role), ID: acct.ID.String()}
	}
	who := agent.Identity{TenantID: c.TenantID, AgentID: acct.ID}
	res, err := Execute(ctx, h, m, agentAggregate(m.TenantID, acct.ID), func(s agent.State) ([]any, error) {
		return agent.SignIn(s, who, session, tokenHash, expires, c.ClientIP, c.Invisible)
	})
	if err != nil {
		return SignedIn{}, err
	}
	return SignedIn{Result: res, Token: token, SessionID: session, AgentID: acct.ID, Role: acct.Role, ExpiresAt: expires}, nil
}

// SignOut ends a console session.
type SignOut struct {
	TenantID  uuid.UUID
	AgentID   uuid.UUID
	SessionID uuid.UUID
	ClientIP  string
	// Reason is one of the eventschema.SignOut… constants.
	Reason string
}

// SignOut handles the SignOut command.
func (h *Handler) SignOut(ctx context.Context, m Meta, c SignOut) (Result, error) {
	m.TenantID = c.TenantID
	who := agent.Identity{TenantID: c.TenantID, AgentID: c.AgentID}
	return Execute(ctx, h, m, agentAggregate(m.TenantID, c.AgentID), func(s agent.State) ([]any, error) {
		return agent.SignOut(s, who, c.SessionID, c.ClientIP, c.Reason)
	})
}

func agentAggregate(tenantID, id uuid.UUID) Aggregate[agent.State] {
	return Aggregate[agent.State]{Tenant: tenantID, Stream: agent.Stream(tenantID, id), Evolve: agent.Evolve, Cache: true}
}

func actorKind(role string) eventschema.ActorKind {
	if role == "admin" {
		return eventschema.ActorAdmin
	}
	return eventschema.ActorAgent
}

// NewSecret returns a random bearer secret and the hex SHA-256 hash under
// which it is stored and looked up.
func NewSecret() (secret, hash string) {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	secret = base64.RawURLEncoding.EncodeToString(b)
	return secret, HashSecret(secret)
}

// HashSecret is the stored form of a bearer secret.
func HashSecret(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}
