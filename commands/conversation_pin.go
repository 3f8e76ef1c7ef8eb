package commands

import (
	"context"

	"github.com/google/uuid"

	"supportd/domain/conversation"
)

// PinConversation pins a conversation to the top of a user's list, or
// takes the pin off (Pin false).
type PinConversation struct {
	Scope
	ConversationID uuid.UUID
	UserID         uuid.UUID
	Pin            bool
}

// PinConversation handles the PinConversation command.
func (h *Handler) PinConversation(ctx context.Context, m Meta, c PinConversation) (Result, error) {
	return onConversation(ctx, h, m, c.Scope, c.ConversationID, func(s conversation.State) ([]any, error) {
		return conversation.Pin(s, c.UserID, c.Pin)
	})
}
