package projections

import (
	"context"

	"github.com/google/uuid"

	"supportd/eventschema"
	"supportd/readmodels"
)

// Notes projects customers' notes (NoteLeft) and the work on them (the
// note streams) into the Notes page (readmodels/notes.go), with tallies
// per team, holder, channel and status for the page's tabs. NoteLeft names
// only its conversation, so the projector keeps, for conversations not yet
// closed, what a note copies from them: channel, customer and the team
// they were routed to (note_conversations).
type Notes struct {
	reg *eventschema.Registry
}

// NewNotes returns the notes projector.
func NewNotes(reg *eventschema.Registry) *Notes { return &Notes{reg: reg} }

// Name implements Projector.
func (*Notes) Name() string { return "notes" }

// Tables implements Projector.
func (*Notes) Tables() []string {
	return []string{readmodels.NotesTable, readmodels.NoteRemarksTable, readmodels.NoteConversationsTable, readmodels.NoteTalliesTable}
}

// nilID stands for no team and no holder in the tallies' keys.
const nilID = `'00000000-0000-0000-0000-000000000000'::uuid`

var noteEvents = map[string]bool{
	"ConversationStarted": true, "ConversationQueued": true, "AgentJoined": true, "ConversationClosed": true,
	"NoteLeft": true, "NoteAssigned": true, "NoteUnassigned": true, "NoteStatusChanged": true, "NoteRemarked": true,
}

// Apply implements Projector. Rows are guarded by the version of the
// stream that wrote them, so a replayed event changes nothing.
func (p *Notes) Apply(ctx context.Context, db DB, e eventschema.Envelope) error {
	if !noteEvents[e.Type] {
		return nil
	}
	payload, err := p.reg.Decode(e)
	if err != nil {
		return err
	}
	// Note and conversation IDs are chosen by clients: rows are found by
	// tenant and ID.
	v, at, tenant := int64(e.StreamVersion), occurredAt(e), e.Metadata.TenantID
	// work moves the note row to this event of its stream, setting more
	// columns ($5… are args; $4 is the tenant).
	work := func(noteID uuid.UUID, set string, args ...any) error {
		return db.Exec(ctx, `UPDATE notes SET version = $2, updated_at = $3, `+set+`
			WHERE tenant_id = $4 AND note_id = $1 AND version < $2`, append([]any{noteID, v, at, tenant}, args...)...)
	}
	// retally moves the note from the tally of its holder and status to
	// that of the new ones (SQL expressions over the note row n, $4 an
	// arg), before its row moves to this event.
	retally := func(noteID uuid.UUID, holder, status string, args ...any) error {
		if err := db.Exec(ctx, `UPDATE note_tallies t SET notes = t.notes - 1 FROM notes n
			WHERE n.tenant_id = $3 AND n.note_id = $1 AND n.version < $2 AND t.tenant_id = n.tenant_id AND t.team_id = COALESCE(n.team_id, `+nilID+`)
				AND t.assignee_id = COALESCE(n.assignee_id, `+nilID+`) AND t.channel = n.channel AND t.status = n.status`,
			noteID, v, tenant); err != nil {
			return err
		}
		return db.Exec(ctx, `INSERT INTO note_tallies (tenant_id, team_id, assignee_id, channel, status, notes)
			SELECT n.tenant_id, COALESCE(n.team_id, `+nilID+`), `+holder+`, n.channel, `+status+`, 1
			FROM notes n WHERE n.tenant_id = $3 AND n.note_id = $1 AND n.version < $2
			ON CONFLICT (tenant_id, team_id, assignee_id, channel, status) DO UPDATE SET notes = note_tallies.notes + 1`,
			append([]any{noteID, v, tenant}, args...)...)
	}
	switch ev := payload.(type) {
	case eventschema.ConversationStarted:
		return db.Exec(ctx, `
			INSERT INTO note_conversations (conversation_id, tenant_id, channel, channel_account, customer_id, customer_name,
				team_id, version)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (tenant_id, conversation_id) DO NOTHING`,
			ev.ConversationID, tenant, ev.Channel, ev.ChannelAccount, ev.CustomerID, ev.CustomerName, nullID(ev.EntryTeamID), v)
	case eventschema.ConversationQueued:
		return db.Exec(ctx, `UPDATE note_conversations SET team_id = $3, version = $2
			WHERE tenant_id = $4 AND conversation_id = $1 AND version < $2`, ev.ConversationID, v, ev.TeamID, tenant)
	case eventschema.AgentJoined:
		return db.Exec(ctx, `UPDATE note_conversations SET team_id = COALESCE($3, team_id), version = $2
			WHERE tenant_id = $4 AND conversation_id = $1 AND version < $2`, ev.ConversationID, v, nullID(ev.TeamID), tenant)
	case eventschema.ConversationClosed:
		// NoteLeft comes before the close it causes: its note has its copy.
		return db.Exec(ctx, `DELETE FROM note_conversations WHERE tenant_id = $2 AND conversation_id = $1`, ev.ConversationID, tenant)
	case eventschema.NoteLeft:
		// Numbers follow the log's order, per tenant, so a rebuild gives
		// every note its number again.
		return db.Exec(ctx, `
			WITH note AS (
				INSERT INTO notes (note_id, tenant_id, number, conversation_id, channel, channel_account, customer_id, customer_name,
					team_id, text, contact, status, created_at, updated_at)
				SELECT $1, $2, (SELECT COALESCE(max(number), 0) + 1 FROM notes WHERE tenant_id = $2), $3,
					COALESCE(c.channel, ''), COALESCE(c.channel_account, ''), COALESCE(c.customer_id, `+nilID+`),
					COALESCE(c.customer_name, ''), c.team_id, $4, $5, 'open', $6, $6
				FROM (SELECT 1) AS one LEFT JOIN note_conversations c ON c.tenant_id = $2 AND c.conversation_id = $3
				ON CONFLICT (tenant_id, note_id) DO NOTHING
				RETURNING tenant_id, team_id, channel)
			INSERT INTO note_tallies (tenant_id, team_id, assignee_id, channel, status, notes)
			SELECT tenant_id, COALESCE(team_id, `+nilID+`), `+nilID+`, channel, 'open', 1 FROM note
			ON CONFLICT (tenant_id, team_id, assignee_id, channel, status) DO UPDATE SET notes = note_tallies.notes + 1`,
			ev.NoteID, tenant, ev.ConversationID, ev.Text, ev.Contact, at)
	case eventschema.NoteAssigned:
		if err := retally(ev.NoteID, `$4::uuid`, `n.status`, ev.AgentID); err != nil {
			return err
		}
		return work(ev.NoteID, `assignee_id = $5`, ev.AgentID)
	case eventschema.NoteUnassigned:
		if err := retally(ev.NoteID, nilID, `n.status`); err != nil {
			return err
		}
		return work(ev.NoteID, `assignee_id = NULL`)
	case eventschema.NoteStatusChanged:
		if err := retally(ev.NoteID, `COALESCE(n.assignee_id, `+nilID+`)`, `$4::text`, ev.To); err != nil {
			return err
		}
		return work(ev.NoteID, `status = $5`, ev.To)
	case eventschema.NoteRemarked:
		if err := db.Exec(ctx, `
			INSERT INTO note_remarks (remark_id, note_id, tenant_id, author_id, text, seq, created_at)
			SELECT $3, $1, $4, $5, $6, $2, $7 WHERE EXISTS (SELECT 1 FROM notes WHERE tenant_id = $4 AND note_id = $1 AND version < $2)
			ON CONFLICT (tenant_id, note_id, remark_id) DO NOTHING`, ev.NoteID, v, ev.RemarkID, tenant, ev.AuthorID, ev.Text, at); err != nil {
			return err
		}
		return work(ev.NoteID, `remarks = remarks + 1`)
	}
	return nil
}

// EventTypes implements Selective.
func (*Notes) EventTypes() []string { return typesOf(noteEvents) }
