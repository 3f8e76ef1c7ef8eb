package commands

import (
	"context"
	"encoding/json"

	"github.com/google/uuid"

	"supportd/domain/conversation"
	"supportd/domain/keywords"
	"supportd/eventschema"
)

// reaction adds to a message command's events what the message sets off
// (keywords.React): sensitive-word alarms, a keyword prompt or a keyword
// reply.
type reaction func(s conversation.State, decided []any) ([]any, error)

// messageReaction reads, before a message of senderKind is decided, what
// its reaction needs: the tenant's keyword rules and sensitive words, and
// the dispatcher's nickname (agents.scheduler_nickname) when a rule may
// reply. The system's and the robot's messages set nothing off and read
// nothing.
func (h *Handler) messageReaction(ctx context.Context, tenantID uuid.UUID, senderKind string) (reaction, error) {
	none := func(_ conversation.State, decided []any) ([]any, error) { return decided, nil }
	if senderKind != eventschema.SenderCustomer && senderKind != eventschema.SenderAgent {
		return none, nil
	}
	k, err := h.KeywordRules(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	if len(k.Rules) == 0 && len(k.Sensitive) == 0 {
		return none, nil
	}
	var dispatcher string
	if senderKind == eventschema.SenderCustomer && replies(k) {
		t, err := load(ctx, h, tenantAggregate(tenantID), uuid.Nil)
		if err != nil {
			return nil, err
		}
		if raw, ok := t.state.Setting("agents.scheduler_nickname"); ok {
			_ = json.Unmarshal(raw, &dispatcher)
		}
	}
	return func(s conversation.State, decided []any) ([]any, error) {
		for _, e := range decided {
			if sent, ok := e.(eventschema.MessageSent); ok {
				more, err := keywords.React(k, s, sent, dispatcher)
				return append(decided, more...), err
			}
		}
		return decided, nil
	}, nil
}

// replies reports whether an enabled rule of k may reply as the
// dispatcher.
func replies(k keywords.State) bool {
	for _, r := range k.Rules {
		if r.Enabled && r.Action == eventschema.KeywordReplyAsDispatcher {
			return true
		}
	}
	return false
}
