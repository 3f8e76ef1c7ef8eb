package commands

import (
	"context"
	"fmt"

	"github.com/google/uuid"

	"supportd/domain/customer"
	"supportd/eventschema"
)

// OngoingError answers a start for a customer who already has an ongoing
// conversation on the channel: the start is that conversation. Position
// is where its stream stood, for reading it back.
type OngoingError struct {
	ConversationID uuid.UUID
	Position       eventschema.Position
}

func (e *OngoingError) Error() string {
	return fmt.Sprintf("the customer's conversation %s on this channel is ongoing", e.ConversationID)
}

// claimChannel claims the start's channel for its conversation on the
// customer's stream (customer.ClaimConversation) and tells whether the
// customer is a VIP. A start that must be another ongoing conversation
// fails with *OngoingError.
func (h *Handler) claimChannel(ctx context.Context, m Meta, c StartConversation) (vip bool, err error) {
	m.CommandID = derivedID(m, "claim")
	key := customer.ChannelKey{Channel: c.Channel, Account: c.ChannelAccount}
	var ongoing *OngoingError
	_, err = Execute(ctx, h, m, customerAggregate(c.TenantID, c.CustomerID), func(s customer.State) ([]any, error) {
		vip, ongoing = s.IsVIP(c.TenantID), nil
		var at eventschema.Position
		out, id, err := customer.ClaimConversation(s, c.TenantID, c.CustomerID, key, c.ConversationID, h.clock.Now(),
			func(id uuid.UUID) (customer.Claimed, error) {
				l, err := load(ctx, h, conversationAggregate(c.TenantID, id), uuid.Nil)
				switch {
				case err != nil:
					return 0, fmt.Errorf("conversation claiming the channel: %w", err)
				case !l.state.Exists:
					return customer.ClaimedNotStarted, nil
				case l.state.IsClosed:
					return customer.ClaimedClosed, nil
				}
				at = l.position
				return customer.ClaimedOpen, nil
			})
		if id != uuid.Nil {
			ongoing = &OngoingError{ConversationID: id, Position: at}
		}
		return out, err
	})
	if err != nil {
		return false, fmt.Errorf("claim channel %s of customer %s: %w", c.Channel, c.CustomerID, err)
	}
	if ongoing != nil {
		return false, ongoing
	}
	return vip, nil
}

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
