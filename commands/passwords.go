package commands

import (
	"time"

	"context"
	"errors"
	"unicode/utf8"

	"github.com/google/uuid"
	"golang.org/x/crypto/bcrypt"

	"supportd/domain"
)

// Passwords hashes and verifies user passwords. Hashing is slow on purpose;
// tests use a cheap cost.
type Passwords interface {
	Hash(password string) (string, error)
	Verify(hash, password string) bool
}

// Bcrypt hashes passwords with bcrypt at Cost (bcrypt.DefaultCost if 0).
type Bcrypt struct{ Cost int }

// Hash implements Passwords. It enforces the password rules: 8 to 72 bytes
// (bcrypt's limit).
func (b Bcrypt) Hash(password string) (string, error) {
	if utf8.RuneCountInString(password) < 8 || len(password) > 72 {
		return "", domain.Errorf(domain.Invalid, "agent.password", "password", "must be 8 to 72 bytes long")
	}
	cost := b.Cost
	if cost == 0 {
		cost = bcrypt.DefaultCost
	}
	h, err := bcrypt.GenerateFromPassword([]byte(password), cost)
	if err != nil {
		return "", errors.Join(errors.New("hash password"), err)
	}
	return string(h), nil
}

// Verify implements Passwords.
func (Bcrypt) Verify(hash, password string) bool {
	return bcrypt.CompareHashAndPassword([]byte(hash), []byte(password)) == nil
}

// prefixField points a rule violation at a nested input ("admin.password").
func prefixField(err error, prefix string) error {
	var de *domain.Error
	if errors.As(err, &de) && de.Field != "" {
		c := *de
		c.Field = prefix + c.Field
		return &c
	}
	return err
}

// CredentialStore keeps users' password hashes, keyed by user, and forgets
// them with the user (credentials.Store).
type CredentialStore interface {
	// SetPassword stores the hash; the user's sessions begun before at,
	// but keepSession, end with the old password.
	SetPassword(ctx context.Context, tenantID, agentID uuid.UUID, hash string, at time.Time, keepSession uuid.UUID) error
	// PasswordHash answers the user's hash, or an error if it has none.
	PasswordHash(ctx context.Context, tenantID, agentID uuid.UUID) (string, error)
	Forget(ctx context.Context, tenantID, agentID uuid.UUID) error
}

var errNoCredentialStore = errors.New("commands: no credential store configured")

// storePassword hashes password and stores it for the user before any
// event names the user or the change: a crash in between leaves a hash
// nobody uses yet, never a user without a usable password.
func (h *Handler) storePassword(ctx context.Context, tenantID, agentID uuid.UUID, password string, keepSession uuid.UUID) error {
	if h.Credentials == nil {
		return errNoCredentialStore
	}
	hash, err := h.Passwords.Hash(password)
	if err != nil {
		return err
	}
	return h.Credentials.SetPassword(ctx, tenantID, agentID, hash, h.clock.Now(), keepSession)
}

// passwordMatches checks password against the user's stored hash; a user
// without one matches nothing (at the cost of a real check).
func (h *Handler) passwordMatches(ctx context.Context, tenantID, agentID uuid.UUID, password string) (bool, error) {
	if h.Credentials == nil {
		return false, errNoCredentialStore
	}
	hash, err := h.Credentials.PasswordHash(ctx, tenantID, agentID)
	if err != nil || hash == "" {
		h.Passwords.Verify(dummyHash, password)
		return false, nil
	}
	return h.Passwords.Verify(hash, password), nil
}
