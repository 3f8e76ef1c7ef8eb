package dispatch_test

import (
	"reflect"
	"testing"
	"time"

	"github.com/google/uuid"

	"supportd/domain"
	"supportd/domain/conversation"
	"supportd/domain/dispatch"
	"supportd/eventschema"
)

func id(n byte) uuid.UUID { return uuid.UUID{15: n} }

func TestRank(t *testing.T) {
	t0 := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	cases := []struct {
		name  string
		cands []dispatch.Candidate
		want  []uuid.UUID
	}{
		{"highest idle rate first", []dispatch.Candidate{
			{AgentID: id(1), Online: true, Capacity: 5, Open: 3},  // 0.4
			{AgentID: id(2), Online: true, Capacity: 2, Open: 0},  // 1
			{AgentID: id(3), Online: true, Capacity: 10, Open: 5}, // 0.5
		}, []uuid.UUID{id(2), id(3), id(1)}},
		{"ties go to the longest waiting", []dispatch.Candidate{
			{AgentID: id(1), Online: true, Capacity: 4, Open: 2, LastAssigned: t0.Add(time.Second)},
			{AgentID: id(2), Online: true, Capacity: 2, Open: 1, LastAssigned: t0},
			{AgentID: id(3), Online: true, Capacity: 2, Open: 1},
		}, []uuid.UUID{id(3), id(2), id(1)}},
		{"the ineligible are left out", []dispatch.Candidate{
			{AgentID: id(1), Online: false, Capacity: 5},
			{AgentID: id(2), Online: true, Capacity: 2, Open: 2},
			{AgentID: id(3), Online: true, Capacity: 0},
			{AgentID: id(4), Online: true, Capacity: 3, Open: 2},
		}, []uuid.UUID{id(4)}},
		{"nobody", nil, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var got []uuid.UUID
			for _, r := range dispatch.Rank(c.cands) {
				got = append(got, r.AgentID)
			}
			if !reflect.DeepEqual(got, c.want) {
				t.Fatalf("got %v, want %v", got, c.want)
			}
		})
	}
}

func TestConfirm(t *testing.T) {
	tenant, conv, ep, team, seg, res := id(1), id(2), id(3), id(4), id(5), id(6)
	agentA, agentB := id(7), id(8)
	started := eventschema.ConversationStarted{TenantID: tenant, ConversationID: conv, Channel: "web", EntryTeamID: team}
	queued := eventschema.ConversationQueued{TenantID: tenant, ConversationID: conv, EpisodeID: ep, TeamID: team}
	given := func(events ...any) conversation.State {
		var s conversation.State
		for _, e := range events {
			s = conversation.Evolve(s, e)
		}
		return s
	}
	joined := eventschema.AgentJoined{TenantID: tenant, ConversationID: conv, AgentID: agentA, SegmentID: seg,
		How: eventschema.JoinedAuto, EpisodeID: ep, TeamID: team, ReservationID: res}
	cases := []struct {
		name string
		s    conversation.State
		want []any
		code string
	}{
		{"waiting in the episode: joins", given(started, queued), []any{joined}, ""},
		{"another agent serves", given(started, queued, eventschema.AgentJoined{ConversationID: conv, AgentID: agentB, SegmentID: id(9), EpisodeID: ep}), nil, dispatch.CodeJoinedElsewhere},
		{"closed", given(started, queued, eventschema.ConversationClosed{ConversationID: conv}), nil, dispatch.CodeEpisodeOver},
		{"left the queue", given(started, queued, eventschema.ConversationLeftQueue{ConversationID: conv, EpisodeID: ep}), nil, dispatch.CodeEpisodeOver},
		{"queued again in another episode", given(started, eventschema.ConversationQueued{ConversationID: conv, EpisodeID: id(10), TeamID: team}), nil, dispatch.CodeEpisodeOver},
		{"no such conversation", conversation.State{}, nil, dispatch.CodeEpisodeOver},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := dispatch.Confirm(c.s, ep, agentA, seg, res)
			code := ""
			if de, ok := err.(*domain.Error); ok {
				code = de.Code
			}
			if code != c.code || !reflect.DeepEqual(got, c.want) {
				t.Fatalf("got %#v, %v; want %#v, %s", got, err, c.want, c.code)
			}
		})
	}
	if r := dispatch.ReleaseReason(domain.Errorf(domain.Conflict, dispatch.CodeJoinedElsewhere, "", "x")); r != eventschema.SlotJoinedElsewhere {
		t.Fatal(r)
	}
	if r := dispatch.ReleaseReason(domain.Errorf(domain.Conflict, dispatch.CodeEpisodeOver, "", "x")); r != eventschema.SlotCompensated {
		t.Fatal(r)
	}
}

func TestFate(t *testing.T) {
	grace := 3 * time.Second
	cases := []struct {
		name   string
		v      dispatch.SlotView
		action dispatch.Action
		reason string
	}{
		{"serving", dispatch.SlotView{Joined: true, Age: time.Hour}, dispatch.Keep, ""},
		{"served and left", dispatch.SlotView{Joined: true, Ended: true}, dispatch.ReleaseIt, eventschema.SlotConversationLeft},
		{"fresh reservation: its dispatcher confirms", dispatch.SlotView{Waiting: true, Age: time.Second}, dispatch.Keep, ""},
		{"fresh and stale: still its dispatcher's", dispatch.SlotView{Age: time.Second}, dispatch.Keep, ""},
		{"abandoned, conversation waits: confirm", dispatch.SlotView{Waiting: true, Age: grace}, dispatch.ConfirmIt, ""},
		{"abandoned, conversation gone: release", dispatch.SlotView{Age: grace}, dispatch.ReleaseIt, eventschema.SlotCompensated},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a, r := dispatch.Fate(c.v, grace)
			if a != c.action || r != c.reason {
				t.Fatalf("got %v %q, want %v %q", a, r, c.action, c.reason)
			}
		})
	}
}
