package commands

import (
	"context"

	"github.com/google/uuid"

	"supportd/domain/keywords"
	"supportd/eventschema"
)

func keywordsAggregate(tenantID uuid.UUID) Aggregate[keywords.State] {
	return Aggregate[keywords.State]{Tenant: tenantID, Stream: keywords.Stream(tenantID), Evolve: keywords.Evolve}
}

// DefineKeywordRule adds a keyword rule; it is tried last.
type DefineKeywordRule struct {
	TenantID uuid.UUID
	RuleID   uuid.UUID
	Rule     eventschema.KeywordRule
}

// DefineKeywordRule handles the DefineKeywordRule command.
func (h *Handler) DefineKeywordRule(ctx context.Context, m Meta, c DefineKeywordRule) (Result, error) {
	m.TenantID = c.TenantID
	return Execute(ctx, h, m, keywordsAggregate(c.TenantID), func(s keywords.State) ([]any, error) {
		return keywords.Define(s, c.TenantID, c.RuleID, c.Rule)
	})
}

// ChangeKeywordRule replaces a keyword rule's definition, enabling or
// disabling it too.
type ChangeKeywordRule struct {
	TenantID uuid.UUID
	RuleID   uuid.UUID
	Rule     eventschema.KeywordRule
}

// ChangeKeywordRule handles the ChangeKeywordRule command.
func (h *Handler) ChangeKeywordRule(ctx context.Context, m Meta, c ChangeKeywordRule) (Result, error) {
	m.TenantID = c.TenantID
	return Execute(ctx, h, m, keywordsAggregate(c.TenantID), func(s keywords.State) ([]any, error) {
		return keywords.Change(s, c.TenantID, c.RuleID, c.Rule)
	})
}

// DeleteKeywordRule removes a keyword rule.
type DeleteKeywordRule struct {
	TenantID uuid.UUID
	RuleID   uuid.UUID
}

// DeleteKeywordRule handles the DeleteKeywordRule command.
func (h *Handler) DeleteKeywordRule(ctx context.Context, m Meta, c DeleteKeywordRule) (Result, error) {
	m.TenantID = c.TenantID
	return Execute(ctx, h, m, keywordsAggregate(c.TenantID), func(s keywords.State) ([]any, error) {
		return keywords.Delete(s, c.TenantID, c.RuleID)
	})
}

// ReorderKeywordRules sets the order keyword rules are tried in.
type ReorderKeywordRules struct {
	TenantID uuid.UUID
	RuleIDs  []uuid.UUID
}

// ReorderKeywordRules handles the ReorderKeywordRules command.
func (h *Handler) ReorderKeywordRules(ctx context.Context, m Meta, c ReorderKeywordRules) (Result, error) {
	m.TenantID = c.TenantID
	return Execute(ctx, h, m, keywordsAggregate(c.TenantID), func(s keywords.State) ([]any, error) {
		return keywords.Reorder(s, c.TenantID, c.RuleIDs)
	})
}

// KeywordRules reads a tenant's keyword rules and sensitive words from
// their stream: what a message sent now is matched against.
func (h *Handler) KeywordRules(ctx context.Context, tenantID uuid.UUID) (keywords.State, error) {
	l, err := load(ctx, h, keywordsAggregate(tenantID), uuid.Nil)
	return l.state, err
}
