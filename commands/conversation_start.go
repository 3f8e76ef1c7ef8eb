package commands

import (
	"context"

	"github.com/google/uuid"

	"supportd/eventschema"
)

// saveStartProfile saves the profile a customer's conversation start
// brings, as the automatic save of the conversation: fields the catalogue
// does not know are dropped by SaveCustomerProfile, values an agent edited
// are kept. A blacklisted customer's start is refused, so nothing is saved;
// an outbound start carries no customer profile. A value the catalogue
// rejects fails the start with that violation, so the channel learns of
// it instead of losing it.
func (h *Handler) saveStartProfile(ctx context.Context, m Meta, c StartConversation, blacklisted bool) error {
	if len(c.Profile) == 0 || blacklisted || c.StartedBy != uuid.Nil || c.CustomerID == uuid.Nil {
		return nil
	}
	m.CommandID = derivedID(m, "profile")
	_, err := h.SaveCustomerProfile(ctx, m, SaveCustomerProfile{TenantID: c.TenantID, CustomerID: c.CustomerID,
		Source: eventschema.ProfileFromConversation, Values: c.Profile})
	return err
}
