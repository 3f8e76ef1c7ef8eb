package commands

import (
	"context"
	"fmt"

	"github.com/google/uuid"

	"supportd/domain"
	"supportd/domain/conversation"
	"supportd/domain/note"
	"supportd/eventschema"
	"supportd/eventstore"
)

// NoteRef names a customer's note: its tenant, its ID and the
// conversation it was left in (the read model tells the API which).
type NoteRef struct {
	TenantID       uuid.UUID
	NoteID         uuid.UUID
	ConversationID uuid.UUID
}

func noteAggregate(tenantID, id uuid.UUID) Aggregate[note.State] {
	return Aggregate[note.State]{Tenant: tenantID, Stream: note.Stream(tenantID, id), Evolve: note.Evolve}
}

// onNote runs decide on the note: its own stream folded, with the NoteLeft
// that began it. NoteLeft never changes, so it is read once, before the
// note's stream is loaded (and loaded again on a conflict).
func onNote(ctx context.Context, h *Handler, m Meta, ref NoteRef, decide func(note.State) ([]any, error)) (Result, error) {
	left, err := h.noteLeft(ctx, ref)
	if err != nil {
		return Result{}, err
	}
	m.TenantID = ref.TenantID
	return Execute(ctx, h, m, noteAggregate(m.TenantID, ref.NoteID), func(s note.State) ([]any, error) {
		return decide(note.Evolve(s, left))
	})
}

// notePage is how many events a search for NoteLeft reads at a time. The
// note closes its conversation, so NoteLeft is among the last events of
// the stream: only tags and ratings may follow it.
const notePage = 32

// noteLeft finds the note's NoteLeft, reading the conversation's stream
// from its end. A conversation takes one note at most.
func (h *Handler) noteLeft(ctx context.Context, ref NoteRef) (eventschema.NoteLeft, error) {
	stream := conversation.Stream(ref.TenantID, ref.ConversationID)
	for from := eventstore.End; ; {
		page, err := h.readStream(ctx, ref.TenantID, stream, eventstore.Backwards, from, notePage)
		if err != nil {
			return eventschema.NoteLeft{}, err
		}
		for _, e := range page {
			if e.Type != "NoteLeft" {
				continue
			}
			payload, err := h.registry.Decode(e)
			if err != nil {
				return eventschema.NoteLeft{}, fmt.Errorf("read %s@%d: %w", stream, e.StreamVersion, err)
			}
			if left, ok := payload.(eventschema.NoteLeft); ok && left.NoteID == ref.NoteID && left.TenantID == ref.TenantID {
				return left, nil
			}
			return eventschema.NoteLeft{}, domain.Errorf(domain.NotFound, "note.not_found", "", "no such note")
		}
		if len(page) < notePage || page[len(page)-1].StreamVersion == 0 {
			return eventschema.NoteLeft{}, domain.Errorf(domain.NotFound, "note.not_found", "", "no such note")
		}
		from = page[len(page)-1].StreamVersion - 1
	}
}
