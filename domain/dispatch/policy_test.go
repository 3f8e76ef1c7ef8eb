package dispatch_test

import (
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"

	"supportd/domain/dispatch"
	"supportd/eventschema"
)

func TestCompareQueue(t *testing.T) {
	t0 := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	w := func(n byte, vip bool, channel string, after time.Duration) dispatch.Waiting {
		return dispatch.Waiting{ConversationID: id(n), VIP: vip, Channel: channel, CreatedAt: t0.Add(after)}
	}
	queue := []dispatch.Waiting{
		w(1, false, "web", 0),
		w(2, false, "whatsapp", time.Second),
		w(3, true, "email", 2*time.Second),
		w(4, false, "email", 3*time.Second),
		w(5, false, "line", 4*time.Second),
		w(6, true, "whatsapp", 5*time.Second),
		w(7, false, "web", 0),
	}
	cases := []struct {
		name   string
		policy dispatch.Policy
		want   []uuid.UUID
	}{
		{"off: VIP first, then the oldest, then the ID", dispatch.Policy{},
			[]uuid.UUID{id(3), id(6), id(1), id(7), id(2), id(4), id(5)}},
		{"on: VIP first, then the channel order, then the oldest; unlisted channels last",
			dispatch.Policy{ChannelOrder: []string{"whatsapp", "email"}},
			[]uuid.UUID{id(6), id(3), id(2), id(4), id(1), id(7), id(5)}},
		{"channel names ignore case", dispatch.Policy{ChannelOrder: []string{"LINE"}},
			[]uuid.UUID{id(3), id(6), id(5), id(1), id(7), id(2), id(4)}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			q := slices.Clone(queue)
			slices.SortFunc(q, c.policy.CompareQueue)
			var got []uuid.UUID
			for _, x := range q {
				got = append(got, x.ConversationID)
			}
			if !reflect.DeepEqual(got, c.want) {
				t.Fatalf("got %v, want %v", got, c.want)
			}
		})
	}
}

func TestFamiliar(t *testing.T) {
	t0 := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	history := []dispatch.Served{
		{AgentID: id(1), Conversations: 3, Last: t0},
		{AgentID: id(2), Conversations: 1, Last: t0.Add(time.Hour)},
		{AgentID: id(3), Conversations: 3, Last: t0.Add(time.Minute)},
	}
	cases := []struct {
		name    string
		policy  dispatch.Policy
		history []dispatch.Served
		want    uuid.UUID
	}{
		{"off", dispatch.Policy{FamiliarityMode: dispatch.FamiliarLast}, history, uuid.Nil},
		{"last agent", dispatch.Policy{Familiarity: true, FamiliarityMode: dispatch.FamiliarLast}, history, id(2)},
		{"no mode means last agent", dispatch.Policy{Familiarity: true}, history, id(2)},
		{"most served, ties to the more recent", dispatch.Policy{Familiarity: true, FamiliarityMode: dispatch.FamiliarMost}, history, id(3)},
		{"full ties to the lower ID", dispatch.Policy{Familiarity: true, FamiliarityMode: dispatch.FamiliarMost},
			[]dispatch.Served{{AgentID: id(5), Conversations: 1, Last: t0}, {AgentID: id(4), Conversations: 1, Last: t0}}, id(4)},
		{"a new customer has nobody", dispatch.Policy{Familiarity: true}, nil, uuid.Nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := c.policy.Familiar(c.history); got != c.want {
				t.Fatalf("got %v, want %v", got, c.want)
			}
		})
	}
}

func TestPreferred(t *testing.T) {
	t0 := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	on := dispatch.Policy{Familiarity: true}
	history := []dispatch.Served{{AgentID: id(9), Conversations: 1, Last: t0}}
	cases := []struct {
		name    string
		policy  dispatch.Policy
		reason  string
		routed  uuid.UUID
		history []dispatch.Served
		want    []uuid.UUID
	}{
		{"nothing to prefer", on, eventschema.QueuedRouted, uuid.Nil, nil, nil},
		{"the rule's agent", dispatch.Policy{}, eventschema.QueuedRouted, id(1), history, []uuid.UUID{id(1)}},
		{"the rule's agent, then the familiar one", on, eventschema.QueuedRouted, id(1), history, []uuid.UUID{id(1), id(9)}},
		{"the rule's agent is the familiar one", on, eventschema.QueuedRouted, id(9), history, []uuid.UUID{id(9)}},
		{"familiar after a robot's hand-over", on, eventschema.QueuedFromRobot, uuid.Nil, history, []uuid.UUID{id(9)}},
		{"not after a transfer to the team", on, eventschema.QueuedTransferredTeam, id(1), history, nil},
		{"not after the agent left", on, eventschema.QueuedAgentLeft, uuid.Nil, history, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := c.policy.Preferred(c.reason, c.routed, c.history); !reflect.DeepEqual(got, c.want) {
				t.Fatalf("got %v, want %v", got, c.want)
			}
		})
	}
}

func TestChoose(t *testing.T) {
	cands := []dispatch.Candidate{
		{AgentID: id(1), Online: true, Capacity: 4, Open: 0},  // 1.0
		{AgentID: id(2), Online: true, Capacity: 4, Open: 3},  // 0.25
		{AgentID: id(3), Online: false, Capacity: 4, Open: 0}, // not online
		{AgentID: id(4), Online: true, Capacity: 2, Open: 2},  // full
		{AgentID: id(5), Online: true, Capacity: 4, Open: 2},  // 0.5
	}
	cases := []struct {
		name      string
		preferred []uuid.UUID
		want      []uuid.UUID
	}{
		{"no preference: by idle rate", nil, []uuid.UUID{id(1), id(5), id(2)}},
		{"an eligible preferred agent goes first", []uuid.UUID{id(2)}, []uuid.UUID{id(2), id(1), id(5)}},
		{"the first eligible preference wins", []uuid.UUID{id(3), id(4), id(5), id(2)}, []uuid.UUID{id(5), id(1), id(2)}},
		{"offline or full preferences fall back to the ranking", []uuid.UUID{id(3), id(4)}, []uuid.UUID{id(1), id(5), id(2)}},
		{"a preference outside the team falls back too", []uuid.UUID{id(8)}, []uuid.UUID{id(1), id(5), id(2)}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var got []uuid.UUID
			for _, r := range dispatch.Choose(cands, c.preferred) {
				got = append(got, r.AgentID)
			}
			if !reflect.DeepEqual(got, c.want) {
				t.Fatalf("got %v, want %v", got, c.want)
			}
		})
	}
}
