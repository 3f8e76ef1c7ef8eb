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

// TestDispatchReadModel projects agents' and conversations' streams and
// checks what the dispatcher reads: each agent's ranking facts, the slots
// to settle (a segment that ended, not one in use), customers' familiar
// agents (an agent joining the same conversation twice counts once); then
// replays the whole log and finds the rows unchanged.
func TestDispatchReadModel(t *testing.T) {
	e := newEnv(t)
	ctx := testContext(t)
	reg := eventschema.Catalog()
	tenant, lu := uuid.Must(uuid.NewV7()), uuid.Must(uuid.NewV7())
	ann, bob := uuid.Must(uuid.NewV7()), uuid.Must(uuid.NewV7())
	c1, c2, c3 := uuid.Must(uuid.NewV7()), uuid.Must(uuid.NewV7()), uuid.Must(uuid.NewV7())
	r1, r2 := uuid.Must(uuid.NewV7()), uuid.Must(uuid.NewV7())
	team := uuid.Must(uuid.NewV7())
	at := func(minute int) time.Time { return base.Add(time.Duration(minute) * time.Minute) }
	var last eventschema.Position
	appendTo := func(stream string, from uint64, minute int, payloads ...any) {
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
		expected := eventstore.NoStream
		if from > 0 {
			expected = eventstore.Exact(from - 1)
		}
		res, err := e.store.Append(ctx, stream, expected, events)
		if err != nil {
			t.Fatal(err)
		}
		last = res.Position
	}
	seg := func(n byte) uuid.UUID { return uuid.NewSHA1(c1, []byte{n}) }
	started := func(c uuid.UUID) eventschema.ConversationStarted {
		return eventschema.ConversationStarted{TenantID: tenant, ConversationID: c, Channel: "web", CustomerID: lu, EntryTeamID: team}
	}
	joined := func(c, a, s, r uuid.UUID, how string) eventschema.AgentJoined {
		return eventschema.AgentJoined{TenantID: tenant, ConversationID: c, AgentID: a, SegmentID: s, How: how, TeamID: team, ReservationID: r}
	}
	left := func(c, a, s uuid.UUID, how string) eventschema.AgentLeft {
		return eventschema.AgentLeft{TenantID: tenant, ConversationID: c, AgentID: a, SegmentID: s, How: how}
	}
	reserved := func(a, r, c uuid.UUID) eventschema.AgentSlotReserved {
		return eventschema.AgentSlotReserved{TenantID: tenant, AgentID: a, ReservationID: r, ConversationID: c, EpisodeID: c, TeamID: team}
	}
	annStream, bobStream := eventschema.ObjectStream("agent", tenant, ann), eventschema.ObjectStream("agent", tenant, bob)
	appendTo(annStream, 0, 0,
		eventschema.AgentStatusChanged{TenantID: tenant, AgentID: ann, From: "offline", To: "online", Reason: "sign_in"},
		eventschema.AgentCapacitySet{TenantID: tenant, AgentID: ann, Capacity: 3, Previous: 5, SetByAdmin: true})
	appendTo(bobStream, 0, 1,
		eventschema.AgentStatusChanged{TenantID: tenant, AgentID: bob, From: "offline", To: "online", Reason: "sign_in"})
	// c1: Ann auto-assigned, left when the conversation closed.
	appendTo(annStream, 2, 10, reserved(ann, r1, c1))
	appendTo(eventschema.ObjectStream("conversation", tenant, c1), 0, 11, started(c1), joined(c1, ann, seg(1), r1, eventschema.JoinedAuto),
		left(c1, ann, seg(1), "closed"), eventschema.ConversationClosed{TenantID: tenant, ConversationID: c1, Reason: "agent"})
	appendTo(annStream, 3, 20, eventschema.AgentSlotReleased{TenantID: tenant, AgentID: ann, ReservationID: r1, ConversationID: c1,
		Reason: eventschema.SlotConversationLeft})
	// c2: Ann auto-assigned, transfers to Bob, who transfers back: Ann's
	// slot ended with her first segment.
	appendTo(annStream, 4, 30, reserved(ann, r2, c2))
	appendTo(eventschema.ObjectStream("conversation", tenant, c2), 0, 31, started(c2), joined(c2, ann, seg(2), r2, eventschema.JoinedAuto),
		left(c2, ann, seg(2), "transferred"), joined(c2, bob, seg(3), uuid.Nil, eventschema.JoinedTransfer),
		left(c2, bob, seg(3), "transferred"), joined(c2, ann, seg(4), uuid.Nil, eventschema.JoinedTransfer))
	// c3: Bob joins from the queue by hand.
	appendTo(eventschema.ObjectStream("conversation", tenant, c3), 0, 40, started(c3), joined(c3, bob, seg(5), uuid.Nil, eventschema.JoinedManual))

	runner := newTestRunner(t, e, nil, nil, NewDispatch(reg))
	stop := startRunner(t, runner)
	if err := runner.WaitFor(ctx, last); err != nil {
		t.Fatal(err)
	}
	check := func() {
		t.Helper()
		var got []readmodels.DispatchMember
		for _, a := range []uuid.UUID{ann, bob} {
			var m readmodels.DispatchMember
			var lastAt *time.Time
			var version int64
			err := e.pool.QueryRow(ctx, `SELECT agent_id, status, capacity, open_slots, last_assigned_at, version FROM dispatch_agents WHERE agent_id = $1`, a).
				Scan(&m.AgentID, &m.Status, &m.Capacity, &m.Open, &lastAt, &version)
			if err != nil {
				t.Fatal(err)
			}
			if lastAt != nil {
				m.LastAssigned = lastAt.UTC()
			}
			m.Version = uint64(version)
			got = append(got, m)
		}
		want := []readmodels.DispatchMember{
			{AgentID: ann, Status: "online", Capacity: 3, Open: 1, LastAssigned: at(30), Version: 4},
			{AgentID: bob, Status: "online", Capacity: 5, Version: 0},
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("agents\n got %+v\nwant %+v", got, want)
		}
		unsettled, err := readmodels.UnsettledSlots(ctx, e.pool, base)
		if err != nil {
			t.Fatal(err)
		}
		if want := []readmodels.UnsettledSlot{{TenantID: tenant, AgentID: ann, ReservationID: r2}}; !reflect.DeepEqual(unsettled, want) {
			t.Fatalf("unsettled %+v, want %+v", unsettled, want)
		}
		fam, err := readmodels.CustomerFamiliarity(ctx, e.pool, tenant, lu)
		if err != nil {
			t.Fatal(err)
		}
		for i := range fam {
			fam[i].LastServedAt = fam[i].LastServedAt.UTC()
		}
		wantFam := []readmodels.Familiarity{{AgentID: ann, Conversations: 2, LastServedAt: at(36)}, {AgentID: bob, Conversations: 2, LastServedAt: at(41)}}
		if !reflect.DeepEqual(fam, wantFam) {
			t.Fatalf("familiarity\n got %+v\nwant %+v", fam, wantFam)
		}
	}
	check()

	// Replaying the log changes nothing.
	stop()
	if _, err := e.pool.Exec(context.Background(), `UPDATE projection_checkpoints SET commit_position = 0, prepare_position = 0 WHERE projector = 'dispatch'`); err != nil {
		t.Fatal(err)
	}
	runner = newTestRunner(t, e, nil, nil, NewDispatch(reg))
	startRunner(t, runner)
	if err := runner.WaitFor(ctx, last); err != nil {
		t.Fatal(err)
	}
	check()
}
