package eventschema

import "github.com/google/uuid"

// Notes (seed 002, "Notes"): a customer who does not want to wait leaves a
// note (NoteLeft, on the conversation's stream, which then closes). Agents
// and admins work the note on its own stream, "note-{note id}": who holds
// it, its status (open, pending, solved) and their remarks. Every event
// names the conversation the note came from.

// Note statuses: a new note is open; an agent working on it marks it
// pending, then solved; a solved or pending note may be opened again.
const (
	NoteOpen    = "open"
	NotePending = "pending"
	NoteSolved  = "solved"
)

// NoteAssigned records that AgentID holds the note from now on.
// PreviousAgentID is who held it before (zero: nobody).
type NoteAssigned struct {
	TenantID        uuid.UUID `json:"tenant_id"`
	NoteID          uuid.UUID `json:"note_id"`
	ConversationID  uuid.UUID `json:"conversation_id"`
	AgentID         uuid.UUID `json:"agent_id"`
	PreviousAgentID uuid.UUID `json:"previous_agent_id"`
}

// NoteUnassigned records that AgentID no longer holds the note: it is
// unassigned again, for any agent of its team to take.
type NoteUnassigned struct {
	TenantID       uuid.UUID `json:"tenant_id"`
	NoteID         uuid.UUID `json:"note_id"`
	ConversationID uuid.UUID `json:"conversation_id"`
	AgentID        uuid.UUID `json:"agent_id"`
}

// NoteStatusChanged records the note's move from one status to another.
type NoteStatusChanged struct {
	TenantID       uuid.UUID `json:"tenant_id"`
	NoteID         uuid.UUID `json:"note_id"`
	ConversationID uuid.UUID `json:"conversation_id"`
	From           string    `json:"from" jsonschema:"enum=open,enum=pending,enum=solved"`
	To             string    `json:"to" jsonschema:"enum=open,enum=pending,enum=solved"`
}

// NoteRemarked records a remark an agent or admin wrote on the note: what
// was done about it, the answer given to the customer.
type NoteRemarked struct {
	TenantID       uuid.UUID `json:"tenant_id"`
	NoteID         uuid.UUID `json:"note_id"`
	ConversationID uuid.UUID `json:"conversation_id"`
	RemarkID       uuid.UUID `json:"remark_id"`
	AuthorID       uuid.UUID `json:"author_id"`
	Text           string    `json:"text" jsonschema:"minLength=1"`
}

func registerNotes(r *Registry) {
	Register[NoteAssigned](r, "NoteAssigned", 1)
	Register[NoteUnassigned](r, "NoteUnassigned", 1)
	Register[NoteStatusChanged](r, "NoteStatusChanged", 1)
	Register[NoteRemarked](r, "NoteRemarked", 1)
}
