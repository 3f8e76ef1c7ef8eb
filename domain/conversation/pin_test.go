package conversation_test

import (
	"testing"

	"github.com/google/uuid"

	c "supportd/domain/conversation"
	"supportd/eventschema"
)

func TestPin(t *testing.T) {
	pinned := eventschema.ConversationPinned{TenantID: tenant, ConversationID: conv, UserID: ann}
	unpinned := eventschema.ConversationUnpinned{TenantID: tenant, ConversationID: conv, UserID: ann}
	pin := func(user uuid.UUID, on bool) func(c.State) ([]any, error) {
		return func(s c.State) ([]any, error) { return c.Pin(s, user, on) }
	}
	run(t, []tcase{
		{"pin", serving, pin(ann, true), []any{pinned}, ""},
		{"pin twice", with(serving, pinned), pin(ann, true), nil, ""},
		{"pins are per user", with(serving, pinned), pin(bob, true),
			[]any{eventschema.ConversationPinned{TenantID: tenant, ConversationID: conv, UserID: bob}}, ""},
		{"unpin", with(serving, pinned), pin(ann, false), []any{unpinned}, ""},
		{"unpin what is not pinned", serving, pin(ann, false), nil, ""},
		{"unpin after close", with(serving, pinned, closed), pin(ann, false), []any{unpinned}, ""},
		{"no pin on a closed conversation", with(serving, closed), pin(ann, true), nil, "conversation.closed"},
		{"unknown conversation", nil, pin(ann, true), nil, "conversation.not_found"},
		{"nobody", serving, pin(uuid.Nil, true), nil, "pin.user"},
	})
}
