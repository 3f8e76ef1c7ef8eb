package commands

import (
	"context"

	"github.com/google/uuid"

	"supportd/domain/customer"
	"supportd/eventschema"
)

// saveStartProfile saves the profile a customer's conversation start
// brings, as the automatic save of the conversation: fields the catalogue
// does not know are dropped by SaveCustomerProfile, values an agent edited
// are kept. The customer's name is its nickname unless the profile names
// one. The first start creates the customer even without a profile, so
// every customer who ever started a conversation can be tagged, made VIP
// or blacklisted; a later start with nothing new writes nothing. A
// blacklisted customer's start is refused, so nothing is saved; an
// outbound start carries no customer profile. A value the catalogue
// rejects fails the start with that violation, so the channel learns of
// it instead of losing it.
func (h *Handler) saveStartProfile(ctx context.Context, m Meta, c StartConversation, blacklisted bool) error {
	if blacklisted || c.StartedBy != uuid.Nil || c.CustomerID == uuid.Nil {
		return nil
	}
	m.CommandID = derivedID(m, "profile")
	_, err := h.SaveCustomerProfile(ctx, m, SaveCustomerProfile{TenantID: c.TenantID, CustomerID: c.CustomerID,
		Source: eventschema.ProfileFromConversation, Values: customer.StartValues(c.Profile, c.CustomerName)})
	return err
}
