package projections

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/google/uuid"

	"supportd/eventschema"
	"supportd/eventstore"
	"supportd/readmodels"
)

// TestNotesReadModel: a note copies its conversation's channel, customer
// and the team it waited for; notes are numbered per tenant in log order;
// the work on a note moves its row; only ongoing conversations are kept
// for notes to come; and replaying the log changes no row.
func TestNotesReadModel(t *testing.T) {
	e := newEnv(t)
	ctx := testContext(t)
	reg := eventschema.Catalog()
	acme, other := uuid.Must(uuid.NewV7()), uuid.Must(uuid.NewV7())
	entry, queue, ann := uuid.Must(uuid.NewV7()), uuid.Must(uuid.NewV7()), uuid.Must(uuid.NewV7())
	at := func(minute int) time.Time { return base.Add(time.Duration(minute) * time.Minute) }
	var last eventschema.Position
	appendTo := func(tenant uuid.UUID, stream string, minute int, payloads ...any) {
		t.Helper()
		var events []eventschema.Proposed
		for i, p := range payloads {
			md := eventschema.Metadata{TenantID: tenant, Actor: eventschema.Actor{Kind: eventschema.ActorSystem, ID: "test"},
				OccurredAt: at(minute + i)}
			ev, err := reg.Encode(uuid.Must(uuid.NewV7()), p, md)
			if err != nil {
				t.Fatal(err)
			}
			events = append(events, ev)
		}
		res, err := e.store.Append(ctx, stream, eventstore.Any, events)
		if err != nil {
			t.Fatal(err)
		}
		last = res.Position
	}
	leaveNote := func(tenant uuid.UUID, minute int, channel string) (conv, note uuid.UUID) {
		conv, note = uuid.Must(uuid.NewV7()), uuid.Must(uuid.NewV7())
		ep := uuid.Must(uuid.NewV7())
		appendTo(tenant, eventschema.ObjectStream("conversation", tenant, conv), minute,
			eventschema.ConversationStarted{TenantID: tenant, ConversationID: conv, Channel: channel, ChannelAccount: "main",
				CustomerID: ann, CustomerName: "Lu", EntryTeamID: entry},
			eventschema.ConversationQueued{TenantID: tenant, ConversationID: conv, EpisodeID: ep, TeamID: queue, Reason: "routed"},
			eventschema.NoteLeft{TenantID: tenant, ConversationID: conv, NoteID: note, Text: "Call me", Contact: "+49"},
			eventschema.ConversationLeftQueue{TenantID: tenant, ConversationID: conv, EpisodeID: ep, Reason: "note"},
			eventschema.ConversationClosed{TenantID: tenant, ConversationID: conv, Reason: "note"})
		return conv, note
	}
	c1, n1 := leaveNote(acme, 0, "web")
	_, n2 := leaveNote(other, 10, "app")
	_, n3 := leaveNote(acme, 20, "app")
	ongoing := uuid.Must(uuid.NewV7())
	appendTo(acme, eventschema.ObjectStream("conversation", acme, ongoing), 30,
		eventschema.ConversationStarted{TenantID: acme, ConversationID: ongoing, Channel: "web", CustomerID: ann, CustomerName: "Mo"})
	work := func(payloads ...any) { appendTo(acme, eventschema.ObjectStream("note", acme, n1), 40, payloads...) }
	remark := uuid.Must(uuid.NewV7())
	work(eventschema.NoteAssigned{TenantID: acme, NoteID: n1, ConversationID: c1, AgentID: ann},
		eventschema.NoteStatusChanged{TenantID: acme, NoteID: n1, ConversationID: c1, From: "open", To: "pending"},
		eventschema.NoteRemarked{TenantID: acme, NoteID: n1, ConversationID: c1, RemarkID: remark, AuthorID: ann, Text: "Called"})

	runner := newTestRunner(t, e, nil, nil, NewNotes(reg))
	stop := startRunner(t, runner)
	if err := runner.WaitFor(ctx, last); err != nil {
		t.Fatal(err)
	}
	check := func() {
		t.Helper()
		got, err := readmodels.GetNote(ctx, e.pool, acme, n1)
		if err != nil {
			t.Fatal(err)
		}
		got.CreatedAt, got.UpdatedAt = got.CreatedAt.UTC(), got.UpdatedAt.UTC()
		two := uint64(2)
		want := readmodels.Note{NoteID: n1, Number: 1, ConversationID: c1, Channel: "web", ChannelAccount: "main", CustomerID: ann,
			CustomerName: "Lu", TeamID: &queue, Text: "Call me", Contact: "+49", Status: "pending", AssigneeID: &ann, Remarks: 1,
			CreatedAt: at(2), UpdatedAt: at(42), Version: &two}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("note\n got %+v\nwant %+v", got, want)
		}
		numbers := map[uuid.UUID]int64{}
		for _, n := range []struct{ tenant, id uuid.UUID }{{acme, n3}, {other, n2}} {
			note, err := readmodels.GetNote(ctx, e.pool, n.tenant, n.id)
			if err != nil {
				t.Fatal(err)
			}
			numbers[n.id] = note.Number
		}
		if numbers[n3] != 2 || numbers[n2] != 1 {
			t.Errorf("numbers %v", numbers)
		}
		if _, err := readmodels.GetNote(ctx, e.pool, other, n1); err != readmodels.ErrNotFound {
			t.Errorf("another tenant's note: %v", err)
		}
		remarks, err := readmodels.ListNoteRemarks(ctx, e.pool, acme, n1)
		if err != nil || len(remarks) != 1 || remarks[0].RemarkID != remark || remarks[0].Text != "Called" {
			t.Errorf("remarks %+v, %v", remarks, err)
		}
		// The tabs' counts from the tallies are those of the notes.
		since := at(-1)
		for _, f := range []readmodels.NoteFilter{{}, {Channel: "app"}, {Reach: &readmodels.NoteReach{User: ann, Teams: []uuid.UUID{queue}}},
			{Reach: &readmodels.NoteReach{User: uuid.Must(uuid.NewV7()), Teams: []uuid.UUID{entry}}}} {
			tallied, err := readmodels.CountNotes(ctx, e.pool, acme, f)
			if err != nil {
				t.Fatal(err)
			}
			f.From = &since
			counted, err := readmodels.CountNotes(ctx, e.pool, acme, f)
			if err != nil {
				t.Fatal(err)
			}
			if tallied != counted {
				t.Errorf("%+v: tallies %+v, notes %+v", f, tallied, counted)
			}
		}
		if c, _ := readmodels.CountNotes(ctx, e.pool, acme, readmodels.NoteFilter{}); c != (readmodels.NoteCounts{Open: 1, Pending: 1, All: 2, Unassigned: 1}) {
			t.Errorf("counts %+v", c)
		}
		var kept []uuid.UUID
		rows, err := e.pool.Query(ctx, `SELECT conversation_id FROM note_conversations`)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var id uuid.UUID
			if err := rows.Scan(&id); err != nil {
				t.Fatal(err)
			}
			kept = append(kept, id)
		}
		if !reflect.DeepEqual(kept, []uuid.UUID{ongoing}) {
			t.Errorf("conversations kept for notes %v, want the ongoing one", kept)
		}
	}
	check()
	before := dump(t, ctx, e.pool, NewNotes(reg).Tables())

	// Replaying the log changes nothing.
	stop()
	if _, err := e.pool.Exec(context.Background(), `UPDATE projection_checkpoints SET commit_position = 0, prepare_position = 0 WHERE projector = 'notes'`); err != nil {
		t.Fatal(err)
	}
	runner = newTestRunner(t, e, nil, nil, NewNotes(reg))
	startRunner(t, runner)
	if err := runner.WaitFor(ctx, last); err != nil {
		t.Fatal(err)
	}
	check()
	sameRows(t, "notes after a replay", before, dump(t, ctx, e.pool, NewNotes(reg).Tables()))
}
