// Package note is the work on a customer's note after it was left (seed
// 002, "Notes"): who holds it, its status (open → pending → solved, and
// opened again) and the remarks written on it; and who sees which notes.
//
// The note is left on the conversation's stream (eventschema.NoteLeft,
// decided by conversation.LeaveNote), which closes the conversation in
// the same append. The work on it lives on a stream of its own,
// "note-{tenant id}_{note id}", not on the conversation's stream, because:
//   - a closed conversation takes only tags and ratings; its rules, its
//     reports (METRICS.md counts the conversation's log) and its live feed to
//     the channel would all have to learn about note work otherwise;
//   - a note is worked for days after its conversation ended, by other
//     people: its own stream keeps its versions (If-Match) and its conflicts
//     apart from tagging or rating the conversation;
//   - NoteLeft never changes once written, so a note command reads it once
//     (Evolve takes it in any order) and then decides on the short note
//     stream alone.
package note

import (
	"strings"
	"unicode/utf8"

	"github.com/google/uuid"

	"supportd/domain"
	"supportd/domain/access"
	"supportd/eventschema"
)

// Stream returns the stream name of note id.
func Stream(tenantID, id uuid.UUID) string { return eventschema.ObjectStream("note", tenantID, id) }

// MaxRemark bounds a remark's text.
const MaxRemark = 2000

// State is what the decisions about a note need.
type State struct {
	// Exists: the note was left (its NoteLeft was folded in).
	Exists         bool
	TenantID       uuid.UUID
	NoteID         uuid.UUID
	ConversationID uuid.UUID
	// Status is eventschema.NoteOpen, NotePending or NoteSolved.
	Status string
	// AssigneeID holds the note; uuid.Nil: unassigned.
	AssigneeID uuid.UUID
}

// Evolve folds an event into the state: the note's NoteLeft (from the
// conversation's stream) and the events of its own stream, the NoteLeft
// in any place among them.
func Evolve(s State, event any) State {
	switch e := event.(type) {
	case eventschema.NoteLeft:
		s.Exists, s.TenantID, s.NoteID, s.ConversationID = true, e.TenantID, e.NoteID, e.ConversationID
		if s.Status == "" {
			s.Status = eventschema.NoteOpen
		}
	case eventschema.NoteAssigned:
		s.AssigneeID = e.AgentID
	case eventschema.NoteUnassigned:
		s.AssigneeID = uuid.Nil
	case eventschema.NoteStatusChanged:
		s.Status = e.To
	}
	return s
}

// Actor is who works on a note. Admin: the user may work on any note it
// sees (the admin-mode notes page, admin.history); others only on the
// notes they hold.
type Actor struct {
	ID    uuid.UUID
	Admin bool
}

// ActorOf is how a signed-in user works on notes.
func ActorOf(p access.Principal) Actor {
	id, _ := uuid.Parse(p.AgentID)
	return Actor{ID: id, Admin: p.Role.Allows(access.AdminHistory)}
}

// Candidate is the agent a note is to go to, as the tenant's roster knows
// it.
type Candidate struct {
	ID      uuid.UUID
	Known   bool
	Enabled bool
}

func errMissing() error {
	return domain.Errorf(domain.NotFound, "note.not_found", "", "no such note")
}

// works checks that by may work on the note: admins on any, others on
// those they hold.
func (s State) works(by Actor) error {
	if by.Admin || (by.ID != uuid.Nil && s.AssigneeID == by.ID) {
		return nil
	}
	if s.AssigneeID == uuid.Nil {
		return domain.Errorf(domain.Forbidden, "note.not_assignee", "", "take the note first: agents work on the notes assigned to them")
	}
	return domain.Errorf(domain.Forbidden, "note.not_assignee", "", "the note is assigned to another agent")
}

// Assign decides giving the note to an enabled agent. An agent takes an
// unassigned note for itself; giving a note to someone else, or taking it
// from its holder, is for admins. Assigning the holder again changes
// nothing.
func Assign(s State, by Actor, to Candidate) ([]any, error) {
	if !s.Exists {
		return nil, errMissing()
	}
	if to.ID == uuid.Nil || !to.Known {
		return nil, domain.Errorf(domain.NotFound, "agent.not_found", "agent_id", "no such agent")
	}
	if !to.Enabled {
		return nil, domain.Errorf(domain.Conflict, "agent.disabled", "agent_id", "the account is disabled")
	}
	if to.ID == s.AssigneeID {
		return nil, nil
	}
	if !by.Admin {
		if to.ID != by.ID {
			return nil, domain.Errorf(domain.Forbidden, "note.assign_others", "agent_id", "only admins assign notes to other agents")
		}
		if s.AssigneeID != uuid.Nil {
			return nil, domain.Errorf(domain.Forbidden, "note.not_assignee", "", "the note is assigned to another agent")
		}
	}
	return []any{eventschema.NoteAssigned{TenantID: s.TenantID, NoteID: s.NoteID, ConversationID: s.ConversationID,
		AgentID: to.ID, PreviousAgentID: s.AssigneeID}}, nil
}

// Unassign decides giving the note back to its team: its holder or an
// admin does. An unassigned note stays as it is.
func Unassign(s State, by Actor) ([]any, error) {
	if !s.Exists {
		return nil, errMissing()
	}
	if s.AssigneeID == uuid.Nil {
		return nil, nil
	}
	if err := s.works(by); err != nil {
		return nil, err
	}
	return []any{eventschema.NoteUnassigned{TenantID: s.TenantID, NoteID: s.NoteID, ConversationID: s.ConversationID,
		AgentID: s.AssigneeID}}, nil
}

// Statuses lists the statuses of a note.
var Statuses = []string{eventschema.NoteOpen, eventschema.NotePending, eventschema.NoteSolved}

// ChangeStatus decides moving the note to another status: any move among
// open, pending and solved (reopening included), by its holder or an
// admin. The status it has already changes nothing.
func ChangeStatus(s State, by Actor, to string) ([]any, error) {
	if !s.Exists {
		return nil, errMissing()
	}
	switch to {
	case eventschema.NoteOpen, eventschema.NotePending, eventschema.NoteSolved:
	default:
		return nil, domain.Errorf(domain.Invalid, "note.status", "status", "must be open, pending or solved")
	}
	if err := s.works(by); err != nil {
		return nil, err
	}
	if to == s.Status {
		return nil, nil
	}
	return []any{eventschema.NoteStatusChanged{TenantID: s.TenantID, NoteID: s.NoteID, ConversationID: s.ConversationID,
		From: s.Status, To: to}}, nil
}

// Remark decides a remark on the note by its holder or an admin, in any
// status: what was done, what the customer was told.
func Remark(s State, by Actor, remarkID uuid.UUID, text string) ([]any, error) {
	if !s.Exists {
		return nil, errMissing()
	}
	if strings.TrimSpace(text) == "" || utf8.RuneCountInString(text) > MaxRemark {
		return nil, domain.Errorf(domain.Invalid, "note.remark", "text", "must be 1 to %d characters", MaxRemark)
	}
	if err := s.works(by); err != nil {
		return nil, err
	}
	return []any{eventschema.NoteRemarked{TenantID: s.TenantID, NoteID: s.NoteID, ConversationID: s.ConversationID,
		RemarkID: remarkID, AuthorID: by.ID, Text: text}}, nil
}
