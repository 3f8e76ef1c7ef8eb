package conversation

import (
	"github.com/google/uuid"

	"supportd/domain"
	"supportd/eventschema"
)

// Pin decides a user pinning an ongoing conversation to the top of their
// list (pin true) or taking the pin off. Pins are per user; pinning twice,
// or unpinning what is not pinned, decides nothing. Who may see the
// conversation, and so pin it, the API's data scope decides.
func Pin(s State, userID uuid.UUID, pin bool) ([]any, error) {
	if pin {
		if err := s.live(); err != nil {
			return nil, err
		}
	} else if !s.Exists {
		return nil, errMissing()
	}
	if userID == uuid.Nil {
		return nil, domain.Errorf(domain.Invalid, "pin.user", "", "a user pins")
	}
	switch {
	case pin && !s.Pins[userID]:
		return []any{eventschema.ConversationPinned{TenantID: s.TenantID, ConversationID: s.ID, UserID: userID}}, nil
	case !pin && s.Pins[userID]:
		return []any{eventschema.ConversationUnpinned{TenantID: s.TenantID, ConversationID: s.ID, UserID: userID}}, nil
	}
	return nil, nil
}
