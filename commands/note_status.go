package commands

import (
	"context"

	"supportd/domain/note"
)

// ChangeNoteStatus moves a note to open, pending or solved.
type ChangeNoteStatus struct {
	NoteRef
	By     note.Actor
	Status string
}

// ChangeNoteStatus handles the ChangeNoteStatus command.
func (h *Handler) ChangeNoteStatus(ctx context.Context, m Meta, c ChangeNoteStatus) (Result, error) {
	return onNote(ctx, h, m, c.NoteRef, func(s note.State) ([]any, error) { return note.ChangeStatus(s, c.By, c.Status) })
}
