package customer

import (
	"time"

	"github.com/google/uuid"

	"supportd/eventschema"
)

// A customer has at most one ongoing conversation per channel and channel
// account: a second start there while the first is open is the first (the
// customer reopening the chat window, or two tabs racing, must not queue
// twice). The rule lives on the customer's stream, so that racing starts
// are decided one after the other: each start claims the channel, and a
// claim holds while its conversation is open.

// ChannelKey is where a conversation comes from: the channel and the
// channel account (one website, one app, one official account).
type ChannelKey struct {
	Channel string
	Account string
}

// Claim is the conversation that holds a channel for the customer.
type Claim struct {
	ConversationID uuid.UUID
	At             time.Time
}

// ClaimTimeout is how long a claim whose conversation has not started
// holds: longer than any start takes, short enough that a start that
// crashed after claiming does not keep the customer out for long.
const ClaimTimeout = time.Minute

// Claimed is what the start knows of the conversation that holds the
// channel now.
type Claimed int

const (
	// ClaimedOpen: started and not closed.
	ClaimedOpen Claimed = iota
	// ClaimedClosed: the conversation has closed.
	ClaimedClosed
	// ClaimedNotStarted: the claim's start has not (yet) happened.
	ClaimedNotStarted
)

// ClaimConversation decides whether conversationID may start as the
// customer's conversation on key. It answers the claim event, or none and
// the ongoing conversation that the start is instead. claimed tells about
// the conversation of the current claim, if any; it is asked only then.
func ClaimConversation(s State, tenantID, id uuid.UUID, key ChannelKey, conversationID uuid.UUID, now time.Time,
	claimed func(uuid.UUID) (Claimed, error)) (events []any, ongoing uuid.UUID, err error) {
	if c, ok := s.Claims[key]; ok && c.ConversationID != conversationID {
		state, err := claimed(c.ConversationID)
		if err != nil {
			return nil, uuid.Nil, err
		}
		if state == ClaimedOpen || (state == ClaimedNotStarted && now.Sub(c.At) < ClaimTimeout) {
			return nil, c.ConversationID, nil
		}
	} else if ok {
		return nil, uuid.Nil, nil // this start's own claim: a retry
	}
	return []any{eventschema.CustomerConversationClaimed{TenantID: tenantID, CustomerID: id, Channel: key.Channel,
		ChannelAccount: key.Account, ConversationID: conversationID, ClaimedAt: now}}, uuid.Nil, nil
}
