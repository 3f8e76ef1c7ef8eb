package commands

import (
	"context"
	"strconv"

	"github.com/google/uuid"

	"supportd/domain/knowledge"
	"supportd/domain/phrases"
	"supportd/domain/profilefields"
	"supportd/domain/reviewcats"
	"supportd/domain/tags"
)

// The catalogue commands run one decision of domain/ on one catalogue
// aggregate of the tenant. The caller chooses the decision (add, rename,
// …); the handler loads the aggregate, tells it whose it is, and appends
// what the decision decides, deciding again on a conflict.

// NewID is the ID of the thing a command creates: derived from the
// command ID, so a retried command (same Idempotency-Key) creates the same
// thing, and the i-th of several things gets the i-th ID.
func NewID(m Meta, i int) uuid.UUID {
	if i == 0 {
		return m.CommandID
	}
	return uuid.NewSHA1(m.CommandID, []byte("id-"+strconv.Itoa(i)))
}

// WithCommandID gives m a fresh command ID unless it has one, so that
// NewID can name what the command creates before it runs.
func WithCommandID(m Meta) Meta {
	if m.CommandID == uuid.Nil {
		m.CommandID = uuid.Must(uuid.NewV7())
	}
	return m
}

// ConversationTags decides on tenant's conversation-tag tree.
func (h *Handler) ConversationTags(ctx context.Context, m Meta, tenantID uuid.UUID, decide func(tags.Tree) ([]any, error)) (Result, error) {
	m.TenantID = tenantID
	agg := Aggregate[tags.Tree]{Tenant: tenantID, Stream: tags.TreeStream(tenantID), Evolve: tags.EvolveTree}
	return Execute(ctx, h, m, agg, func(s tags.Tree) ([]any, error) {
		s.TenantID = tenantID
		return decide(s)
	})
}

// CustomerTags decides on tenant's customer tags.
func (h *Handler) CustomerTags(ctx context.Context, m Meta, tenantID uuid.UUID, decide func(tags.Customer) ([]any, error)) (Result, error) {
	m.TenantID = tenantID
	agg := Aggregate[tags.Customer]{Tenant: tenantID, Stream: tags.CustomerStream(tenantID), Evolve: tags.EvolveCustomer}
	return Execute(ctx, h, m, agg, func(s tags.Customer) ([]any, error) {
		s.TenantID = tenantID
		return decide(s)
	})
}

// ProfileFields decides on tenant's customer-profile form.
func (h *Handler) ProfileFields(ctx context.Context, m Meta, tenantID uuid.UUID, decide func(profilefields.State) ([]any, error)) (Result, error) {
	m.TenantID = tenantID
	agg := Aggregate[profilefields.State]{Tenant: tenantID, Stream: profilefields.Stream(tenantID), Evolve: profilefields.Evolve}
	return Execute(ctx, h, m, agg, func(s profilefields.State) ([]any, error) {
		s.TenantID = tenantID
		if s.Fields == nil {
			s.Fields = profilefields.System()
		}
		return decide(s)
	})
}

// Phrases decides on a phrase book: the tenant's public one when ownerID
// is uuid.Nil, else the personal one of agent ownerID.
func (h *Handler) Phrases(ctx context.Context, m Meta, tenantID, ownerID uuid.UUID, decide func(phrases.Book) ([]any, error)) (Result, error) {
	m.TenantID = tenantID
	stream := phrases.PublicStream(tenantID)
	if ownerID != uuid.Nil {
		stream = phrases.PersonalStream(tenantID, ownerID)
	}
	agg := Aggregate[phrases.Book]{Tenant: tenantID, Stream: stream, Evolve: phrases.Evolve}
	return Execute(ctx, h, m, agg, func(s phrases.Book) ([]any, error) {
		s.TenantID, s.OwnerID = tenantID, ownerID
		return decide(s)
	})
}

// Knowledge decides on tenant's knowledge base.
func (h *Handler) Knowledge(ctx context.Context, m Meta, tenantID uuid.UUID, decide func(knowledge.State) ([]any, error)) (Result, error) {
	m.TenantID = tenantID
	agg := Aggregate[knowledge.State]{Tenant: tenantID, Stream: knowledge.Stream(tenantID), Evolve: knowledge.Evolve}
	return Execute(ctx, h, m, agg, func(s knowledge.State) ([]any, error) {
		s.TenantID = tenantID
		return decide(s)
	})
}

// ReviewCategories decides on tenant's review form.
func (h *Handler) ReviewCategories(ctx context.Context, m Meta, tenantID uuid.UUID, decide func(reviewcats.State) ([]any, error)) (Result, error) {
	m.TenantID = tenantID
	agg := Aggregate[reviewcats.State]{Tenant: tenantID, Stream: reviewcats.Stream(tenantID), Evolve: reviewcats.Evolve}
	return Execute(ctx, h, m, agg, func(s reviewcats.State) ([]any, error) {
		s.TenantID = tenantID
		return decide(s)
	})
}
