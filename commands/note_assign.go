package commands

import (
	"context"

	"github.com/google/uuid"

	"supportd/domain/note"
)

// AssignNote gives a note to an agent, or back to its team (AgentID
// uuid.Nil).
type AssignNote struct {
	NoteRef
	By      note.Actor
	AgentID uuid.UUID
}

// AssignNote handles the AssignNote command. It reads the tenant's roster
// for the agent the note goes to.
func (h *Handler) AssignNote(ctx context.Context, m Meta, c AssignNote) (Result, error) {
	if c.AgentID == uuid.Nil {
		return onNote(ctx, h, m, c.NoteRef, func(s note.State) ([]any, error) { return note.Unassign(s, c.By) })
	}
	t, err := load(ctx, h, tenantAggregate(c.TenantID), uuid.Nil)
	if err != nil {
		return Result{}, err
	}
	a, known := t.state.Account(c.AgentID)
	to := note.Candidate{ID: c.AgentID, Known: known, Enabled: a.Enabled}
	return onNote(ctx, h, m, c.NoteRef, func(s note.State) ([]any, error) { return note.Assign(s, c.By, to) })
}
