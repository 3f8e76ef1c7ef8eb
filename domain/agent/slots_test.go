package agent_test

import (
	"reflect"
	"testing"

	"github.com/google/uuid"

	"supportd/domain"
	"supportd/domain/agent"
	"supportd/eventschema"
)

func TestReserveAndRelease(t *testing.T) {
	conv := uuid.MustParse("0190f3b1-0000-7000-8000-0000000000f1")
	ep1 := uuid.MustParse("0190f3b1-0000-7000-8000-0000000000e1")
	ep2 := uuid.MustParse("0190f3b1-0000-7000-8000-0000000000e2")
	team := uuid.MustParse("0190f3b0-0000-7000-8000-0000000000c7")
	r1 := uuid.MustParse("0190f3b1-0000-7000-8000-0000000000a1")
	r2 := uuid.MustParse("0190f3b1-0000-7000-8000-0000000000a2")
	slot := func(r, ep uuid.UUID) agent.Slot {
		return agent.Slot{ReservationID: r, ConversationID: conv, EpisodeID: ep, TeamID: team}
	}
	reserved := func(r, ep uuid.UUID) eventschema.AgentSlotReserved {
		return eventschema.AgentSlotReserved{TenantID: tenantID, AgentID: agentID, ReservationID: r, ConversationID: conv, EpisodeID: ep, TeamID: team}
	}
	released := func(r uuid.UUID, reason string) eventschema.AgentSlotReleased {
		return eventschema.AgentSlotReleased{TenantID: tenantID, AgentID: agentID, ReservationID: r, ConversationID: conv, Reason: reason}
	}
	capacity := func(n int) eventschema.AgentCapacitySet {
		return eventschema.AgentCapacitySet{TenantID: tenantID, AgentID: agentID, Capacity: n}
	}
	reserve := func(r, ep uuid.UUID) func(agent.State) ([]any, error) {
		return func(s agent.State) ([]any, error) { return agent.Reserve(s, who, slot(r, ep)) }
	}
	taken := func(r uuid.UUID, how string) eventschema.AgentSlotReserved {
		return eventschema.AgentSlotReserved{TenantID: tenantID, AgentID: agentID, ReservationID: r, ConversationID: conv, How: how}
	}
	take := func(r uuid.UUID, how string) func(agent.State) ([]any, error) {
		return func(s agent.State) ([]any, error) {
			return agent.Take(s, who, agent.Slot{ReservationID: r, ConversationID: conv, How: how})
		}
	}
	release := func(r uuid.UUID, reason string) func(agent.State) ([]any, error) {
		return func(s agent.State) ([]any, error) { return agent.Release(s, who, r, reason) }
	}
	cases := []struct {
		name   string
		given  []any
		decide func(agent.State) ([]any, error)
		want   []any
		code   string
	}{
		{"online with a free slot reserves", []any{signedIn, online}, reserve(r1, ep1), []any{reserved(r1, ep1)}, ""},
		{"offline never reserves", nil, reserve(r1, ep1), nil, "dispatch.agent_not_online"},
		{"busy never reserves", []any{signedIn, online, busy}, reserve(r1, ep1), nil, "dispatch.agent_not_online"},
		{"capacity zero never reserves", []any{signedIn, online, capacity(0)}, reserve(r1, ep1), nil, "dispatch.agent_full"},
		{"the last slot is taken", []any{signedIn, online, capacity(1), reserved(r1, ep1)}, reserve(r2, ep2), nil, "dispatch.agent_full"},
		{"a lowered capacity counts the open slots", []any{signedIn, online, capacity(2), reserved(r1, ep1), capacity(1)}, reserve(r2, ep2), nil, "dispatch.agent_full"},
		{"a released slot is free again", []any{signedIn, online, capacity(1), reserved(r1, ep1), released(r1, eventschema.SlotCompensated)}, reserve(r2, ep2), []any{reserved(r2, ep2)}, ""},
		{"the same reservation twice decides nothing", []any{signedIn, online, capacity(1), reserved(r1, ep1)}, reserve(r1, ep1), nil, ""},
		{"one slot per queue episode", []any{signedIn, online, reserved(r1, ep1)}, reserve(r2, ep1), nil, "dispatch.already_reserved"},
		{"a reservation needs its conversation", []any{signedIn, online}, reserve(r1, uuid.Nil), nil, "dispatch.reservation"},
		{"release frees a held slot", []any{signedIn, online, reserved(r1, ep1)}, release(r1, eventschema.SlotConversationLeft), []any{released(r1, eventschema.SlotConversationLeft)}, ""},
		{"release of a busy agent's slot", []any{signedIn, online, reserved(r1, ep1), busy}, release(r1, eventschema.SlotJoinedElsewhere), []any{released(r1, eventschema.SlotJoinedElsewhere)}, ""},
		{"release twice decides nothing", []any{signedIn, online, reserved(r1, ep1), released(r1, eventschema.SlotCompensated)}, release(r1, eventschema.SlotCompensated), nil, ""},
		{"a manual join takes a slot", []any{signedIn, online}, take(r1, "manual"), []any{taken(r1, "manual")}, ""},
		{"an admin's assignment takes one over capacity", []any{signedIn, online, capacity(1), reserved(r1, ep1)}, take(r2, "admin_assigned"), []any{taken(r2, "admin_assigned")}, ""},
		{"a transfer takes one while busy", []any{signedIn, online, busy}, take(r1, "transfer"), []any{taken(r1, "transfer")}, ""},
		{"a taken slot counts against auto-assignment", []any{signedIn, online, capacity(1), taken(r1, "manual")}, reserve(r2, ep2), nil, "dispatch.agent_full"},
		{"taking the same slot twice decides nothing", []any{signedIn, online, taken(r1, "manual")}, take(r1, "manual"), nil, ""},
		{"auto is the dispatcher's to reserve", []any{signedIn, online}, take(r1, "auto"), nil, "dispatch.slot_how"},
		{"a taken slot is released like any", []any{signedIn, online, taken(r1, "transfer")}, release(r1, eventschema.SlotConversationLeft), []any{released(r1, eventschema.SlotConversationLeft)}, ""},
		{"release needs a known reason", []any{signedIn, online, reserved(r1, ep1)}, release(r1, "bored"), nil, "dispatch.release_reason"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := c.decide(given(c.given...))
			code := ""
			if de, ok := err.(*domain.Error); ok {
				code = de.Code
			} else if err != nil {
				t.Fatalf("untyped error %v", err)
			}
			if code != c.code {
				t.Fatalf("code %q, want %q (%v)", code, c.code, err)
			}
			if !reflect.DeepEqual(got, c.want) {
				t.Fatalf("got %#v\nwant %#v", got, c.want)
			}
		})
	}
	if s := given(signedIn, online, reserved(r1, ep1), reserved(r2, ep2), released(r1, eventschema.SlotCompensated)); s.OpenSlots() != 1 {
		t.Fatalf("open slots %d, want 1", s.OpenSlots())
	}
}
