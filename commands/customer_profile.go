package commands

import (
	"context"

	"github.com/google/uuid"

	"supportd/domain/customer"
	"supportd/domain/profilefields"
	"supportd/domain/tags"
)

func customerAggregate(tenantID, id uuid.UUID) Aggregate[customer.State] {
	return Aggregate[customer.State]{Tenant: tenantID, Stream: customer.Stream(tenantID, id), Evolve: customer.Evolve, Cache: true}
}

// SaveCustomerProfile saves profile values of a customer, checked against
// the tenant's profile-field catalogue and merged by the rule of
// customer.SaveProfile. Source is eventschema.ProfileFromConversation for
// the automatic save of a conversation start (which creates the customer),
// ProfileFromAgent for an agent's edit.
type SaveCustomerProfile struct {
	TenantID   uuid.UUID
	CustomerID uuid.UUID
	Source     string
	Values     map[string]string
}

// SaveCustomerProfile handles the SaveCustomerProfile command. The form is
// read first, outside the customer's append: a field changed in between is
// checked against its older definition, as if the save had come first.
func (h *Handler) SaveCustomerProfile(ctx context.Context, m Meta, c SaveCustomerProfile) (Result, error) {
	form, err := load(ctx, h, Aggregate[profilefields.State]{Tenant: c.TenantID, Stream: profilefields.Stream(c.TenantID), Evolve: profilefields.Evolve}, uuid.Nil)
	if err != nil {
		return Result{}, err
	}
	f := form.state
	f.TenantID = c.TenantID
	if f.Fields == nil {
		f.Fields = profilefields.System()
	}
	m.TenantID = c.TenantID
	return Execute(ctx, h, m, customerAggregate(m.TenantID, c.CustomerID), func(s customer.State) ([]any, error) {
		return customer.SaveProfile(s, f, c.TenantID, c.CustomerID, c.Source, c.Values)
	})
}

// TagCustomer adds a tag of the tenant's customer-tag catalogue to a
// customer.
type TagCustomer struct {
	TenantID   uuid.UUID
	CustomerID uuid.UUID
	TagID      uuid.UUID
}

// TagCustomer handles the TagCustomer command.
func (h *Handler) TagCustomer(ctx context.Context, m Meta, c TagCustomer) (Result, error) {
	catalogue, err := load(ctx, h, Aggregate[tags.Customer]{Tenant: c.TenantID, Stream: tags.CustomerStream(c.TenantID), Evolve: tags.EvolveCustomer}, uuid.Nil)
	if err != nil {
		return Result{}, err
	}
	m.TenantID = c.TenantID
	return Execute(ctx, h, m, customerAggregate(m.TenantID, c.CustomerID), func(s customer.State) ([]any, error) {
		return customer.Tag(s, catalogue.state, c.TenantID, c.CustomerID, c.TagID)
	})
}

// UntagCustomer takes a customer tag off a customer.
type UntagCustomer struct {
	TenantID   uuid.UUID
	CustomerID uuid.UUID
	TagID      uuid.UUID
}

// UntagCustomer handles the UntagCustomer command.
func (h *Handler) UntagCustomer(ctx context.Context, m Meta, c UntagCustomer) (Result, error) {
	m.TenantID = c.TenantID
	return Execute(ctx, h, m, customerAggregate(m.TenantID, c.CustomerID), func(s customer.State) ([]any, error) {
		return customer.Untag(s, c.TenantID, c.CustomerID, c.TagID)
	})
}

// SetCustomerVIP sets or clears a customer's VIP flag.
type SetCustomerVIP struct {
	TenantID   uuid.UUID
	CustomerID uuid.UUID
	VIP        bool
}

// SetCustomerVIP handles the SetCustomerVIP command.
func (h *Handler) SetCustomerVIP(ctx context.Context, m Meta, c SetCustomerVIP) (Result, error) {
	m.TenantID = c.TenantID
	return Execute(ctx, h, m, customerAggregate(m.TenantID, c.CustomerID), func(s customer.State) ([]any, error) {
		return customer.SetVIP(s, c.TenantID, c.CustomerID, c.VIP)
	})
}
