package commands

import (
	"context"

	"github.com/google/uuid"

	"supportd/domain/note"
)

// RemarkNote writes a remark on a note.
type RemarkNote struct {
	NoteRef
	By       note.Actor
	RemarkID uuid.UUID
	Text     string
}

// RemarkNote handles the RemarkNote command.
func (h *Handler) RemarkNote(ctx context.Context, m Meta, c RemarkNote) (Result, error) {
	return onNote(ctx, h, m, c.NoteRef, func(s note.State) ([]any, error) { return note.Remark(s, c.By, c.RemarkID, c.Text) })
}
