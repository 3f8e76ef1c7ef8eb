package commands

import (
	"context"

	"github.com/google/uuid"

	"supportd/domain/tenant"
)

// Long-lived credentials: API tokens for integrations (acting with a role)
// and channel keys for the customer-side API. Their secrets are shown once,
// when issued; only SHA-256 hashes are stored (HashSecret).

// IssueAPIToken issues a token for an integration.
type IssueAPIToken struct {
	TenantID uuid.UUID
	Name     string
	Role     string
	// IssuedBy is the admin issuing it (zero for another token).
	IssuedBy uuid.UUID
}

// SecretIssued answers the issue of a credential. Secret is set only by
// the request that issued it: a retry (same Idempotency-Key) answers the
// same ID without it, since only its hash was kept.
type SecretIssued struct {
	Result
	ID     uuid.UUID `json:"id"`
	Secret string    `json:"secret,omitempty"`
}

// IssueAPIToken handles the IssueAPIToken command.
func (h *Handler) IssueAPIToken(ctx context.Context, m Meta, c IssueAPIToken) (SecretIssued, error) {
	m = withCommandID(m)
	id := createdID(c.TenantID, m)
	secret, hash := NewSecret()
	return h.issue(ctx, m, c.TenantID, id, secret, func(s tenant.State) ([]any, error) {
		return tenant.IssueAPIToken(s, id, c.Name, hash, c.Role, c.IssuedBy)
	})
}

// RevokeAPIToken stops a token from working.
type RevokeAPIToken struct {
	TenantID uuid.UUID
	TokenID  uuid.UUID
}

// RevokeAPIToken handles the RevokeAPIToken command.
func (h *Handler) RevokeAPIToken(ctx context.Context, m Meta, c RevokeAPIToken) (Result, error) {
	return h.onRoster(ctx, m, c.TenantID, func(s tenant.State) ([]any, error) {
		return tenant.RevokeAPIToken(s, c.TokenID)
	})
}

// IssueChannelKey issues a key for a channel's customer-side calls.
type IssueChannelKey struct {
	TenantID uuid.UUID
	Channel  string
	Name     string
}

// IssueChannelKey handles the IssueChannelKey command.
func (h *Handler) IssueChannelKey(ctx context.Context, m Meta, c IssueChannelKey) (SecretIssued, error) {
	m = withCommandID(m)
	id := createdID(c.TenantID, m)
	secret, hash := NewSecret()
	return h.issue(ctx, m, c.TenantID, id, secret, func(s tenant.State) ([]any, error) {
		return tenant.IssueChannelKey(s, id, c.Channel, c.Name, hash)
	})
}

// RevokeChannelKey stops a channel key from working.
type RevokeChannelKey struct {
	TenantID uuid.UUID
	KeyID    uuid.UUID
}

// RevokeChannelKey handles the RevokeChannelKey command.
func (h *Handler) RevokeChannelKey(ctx context.Context, m Meta, c RevokeChannelKey) (Result, error) {
	return h.onRoster(ctx, m, c.TenantID, func(s tenant.State) ([]any, error) {
		return tenant.RevokeChannelKey(s, c.KeyID)
	})
}

// issue appends a credential and answers its secret, unless the command had
// already been applied (decide never ran): then the stored hash is not of
// this secret, and showing it would hand out a secret that opens nothing.
func (h *Handler) issue(ctx context.Context, m Meta, tenantID, id uuid.UUID, secret string, decide func(tenant.State) ([]any, error)) (SecretIssued, error) {
	decided := false
	res, err := h.onRoster(ctx, m, tenantID, func(s tenant.State) ([]any, error) {
		decided = true
		return decide(s)
	})
	if err != nil {
		return SecretIssued{}, err
	}
	out := SecretIssued{Result: res, ID: id}
	if decided {
		out.Secret = secret
	}
	return out, nil
}
