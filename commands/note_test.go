package commands_test

import (
	"context"
	"testing"

	"github.com/google/uuid"

	"supportd/commands"
	"supportd/domain/conversation"
	"supportd/domain/note"
	"supportd/eventschema"
	"supportd/eventstore"
)

// TestNoteCommandsFindTheirNote: a note command finds the note's NoteLeft
// at the end of its conversation's stream, past the tags added after the
// close, and names nothing of another tenant or another conversation.
func TestNoteCommandsFindTheirNote(t *testing.T) {
	t.Parallel()
	h, store := newHandler(t)
	ctx := context.Background()
	reg := eventschema.Catalog()
	tenantID, convID, noteID := uuid.Must(uuid.NewV7()), uuid.Must(uuid.NewV7()), uuid.Must(uuid.NewV7())
	appendAll := func(conv uuid.UUID, payloads ...any) {
		t.Helper()
		events := make([]eventschema.Proposed, len(payloads))
		for i, p := range payloads {
			e, err := reg.Encode(uuid.Must(uuid.NewV7()), p, eventschema.Metadata{TenantID: tenantID, OccurredAt: now})
			if err != nil {
				t.Fatal(err)
			}
			events[i] = e
		}
		if _, err := store.Append(ctx, conversation.Stream(tenantID, conv), eventstore.Any, events); err != nil {
			t.Fatal(err)
		}
	}
	started := func(conv uuid.UUID) eventschema.ConversationStarted {
		return eventschema.ConversationStarted{TenantID: tenantID, ConversationID: conv, Channel: "web", CustomerID: uuid.Must(uuid.NewV7())}
	}
	tagged := eventschema.ConversationTagged{TenantID: tenantID, ConversationID: convID, TagIDs: []uuid.UUID{uuid.Must(uuid.NewV7())}}
	appendAll(convID, started(convID),
		eventschema.NoteLeft{TenantID: tenantID, ConversationID: convID, NoteID: noteID, Text: "Call me"},
		eventschema.ConversationClosed{TenantID: tenantID, ConversationID: convID, Reason: "note"})
	for range 70 { // more than two pages of the backward search
		appendAll(convID, tagged)
	}
	// A conversation without a note, longer than a page.
	plain := uuid.Must(uuid.NewV7())
	appendAll(plain, started(plain))
	for range 40 {
		appendAll(plain, eventschema.MessageSent{TenantID: tenantID, ConversationID: plain, MessageID: uuid.Must(uuid.NewV7()),
			SenderKind: "customer", Type: "text", Text: "hello"})
	}

	boss := note.Actor{ID: uuid.Must(uuid.NewV7()), Admin: true}
	ref := commands.NoteRef{TenantID: tenantID, NoteID: noteID, ConversationID: convID}
	res, err := h.ChangeNoteStatus(ctx, admin(), commands.ChangeNoteStatus{NoteRef: ref, By: boss, Status: "solved"})
	if err != nil || res.Stream != note.Stream(tenantID, noteID) || res.Version != 0 || res.Events != 1 {
		t.Fatalf("status: %+v, %v", res, err)
	}
	m := admin()
	res, err = h.RemarkNote(ctx, m, commands.RemarkNote{NoteRef: ref, By: boss, RemarkID: commands.NewID(m, 0), Text: "Done"})
	if err != nil || res.Version != 1 {
		t.Fatalf("remark: %+v, %v", res, err)
	}
	events, err := store.ReadStream(ctx, note.Stream(tenantID, noteID), eventstore.Forwards, 0, 10)
	if err != nil || len(events) != 2 || events[0].Type != "NoteStatusChanged" || events[1].Type != "NoteRemarked" ||
		events[1].Metadata.TenantID != tenantID || events[1].ID != commands.EventID(m.CommandID, 0) {
		t.Fatalf("note stream %v, %v", events, err)
	}

	missing := []struct {
		name string
		ref  commands.NoteRef
	}{
		{"another tenant", commands.NoteRef{TenantID: uuid.Must(uuid.NewV7()), NoteID: noteID, ConversationID: convID}},
		{"another note ID", commands.NoteRef{TenantID: tenantID, NoteID: uuid.Must(uuid.NewV7()), ConversationID: convID}},
		{"a conversation without a note", commands.NoteRef{TenantID: tenantID, NoteID: noteID, ConversationID: plain}},
		{"no conversation", commands.NoteRef{TenantID: tenantID, NoteID: noteID, ConversationID: uuid.Must(uuid.NewV7())}},
	}
	for _, c := range missing {
		_, err := h.ChangeNoteStatus(ctx, admin(), commands.ChangeNoteStatus{NoteRef: c.ref, By: boss, Status: "open"})
		if codeOf(err) != "note.not_found" {
			t.Errorf("%s: %v, want note.not_found", c.name, err)
		}
	}
}
