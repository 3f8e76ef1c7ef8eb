package conversation_test

import (
	"testing"

	"github.com/google/uuid"

	c "supportd/domain/conversation"
	"supportd/domain/routing"
	"supportd/eventschema"
)

func TestPlace(t *testing.T) {
	rule, robot, defTeam := id(71), id(72), id(73)
	plain := eventschema.ConversationStarted{TenantID: tenant, ConversationID: conv, Channel: "web", CustomerID: customer}
	routed := func(d routing.Decision) eventschema.ConversationRouted { return d.Event(tenant, conv) }
	q := func(team uuid.UUID) eventschema.ConversationQueued {
		return eventschema.ConversationQueued{TenantID: tenant, ConversationID: conv, EpisodeID: ep1, TeamID: team, Reason: "routed"}
	}
	alarm := func(kind string, level int, detail string) eventschema.AlarmRaised {
		return eventschema.AlarmRaised{TenantID: tenant, ConversationID: conv, Kind: kind, Level: level, Detail: detail}
	}
	toTeam := routing.Decision{RuleID: rule, Binding: "channel", TargetKind: "team", TargetID: otherTm}
	toAgent := routing.Decision{RuleID: rule, Binding: "entry", TargetKind: "agent", TargetID: ann}
	toRobot := routing.Decision{RuleID: rule, Binding: "channel", TargetKind: "robot", TargetID: robot}
	unmatched := routing.Decision{Binding: "default", TargetKind: "team", TargetID: defTeam, Unmatched: true}
	nowhere := routing.Decision{Binding: "default", TargetKind: "team", Unmatched: true}
	place := func(p c.Placement) func(c.State) ([]any, error) {
		p.EpisodeID = ep1
		return func(s c.State) ([]any, error) { return c.Place(s, p) }
	}
	run(t, []tcase{
		{"a rule's team queues the conversation, over the entry team", []any{started},
			place(c.Placement{Decision: toTeam, EntryTeamID: team, AlertUnmatched: true}), []any{routed(toTeam), q(otherTm)}, ""},
		{"an agent target queues for the agent's first team", []any{plain},
			place(c.Placement{Decision: toAgent, AgentTeamID: team}), []any{routed(toAgent), q(team)}, ""},
		{"an agent in no team: unrouted, with an alarm", []any{plain},
			place(c.Placement{Decision: toAgent}), []any{routed(toAgent),
				alarm("unroutable", 2, "agent "+ann.String()+" is in no team; the conversation waits unrouted")}, ""},
		{"a robot target hosts the conversation", []any{plain},
			place(c.Placement{Decision: toRobot}), []any{routed(toRobot)}, ""},
		{"unmatched with an entry team: the entry team, no alarm", []any{started},
			place(c.Placement{Decision: unmatched, EntryTeamID: team, AlertUnmatched: true}), []any{q(team)}, ""},
		{"unmatched: the default team and an alarm", []any{plain},
			place(c.Placement{Decision: unmatched, AlertUnmatched: true}), []any{routed(unmatched), q(defTeam),
				alarm("unmatched_routing_rule", 1, "no routing rule matched; queued for the default team "+defTeam.String())}, ""},
		{"unmatched without alerts: the default team only", []any{plain},
			place(c.Placement{Decision: unmatched}), []any{routed(unmatched), q(defTeam)}, ""},
		{"unmatched without a default team: an alarm even with alerts off", []any{plain},
			place(c.Placement{Decision: nowhere}), []any{routed(nowhere),
				alarm("unmatched_routing_rule", 2, "no routing rule matched and no default team is set; the conversation waits unrouted")}, ""},
		{"a closed conversation is not placed", []any{plain, closed}, place(c.Placement{Decision: toTeam}), nil, "conversation.closed"},
	})
}

func TestRequestAgent(t *testing.T) {
	robot := id(72)
	plain := eventschema.ConversationStarted{TenantID: tenant, ConversationID: conv, Channel: "web", CustomerID: customer}
	hosted := eventschema.ConversationRouted{TenantID: tenant, ConversationID: conv, Binding: "channel", TargetKind: "robot", TargetID: robot}
	ask := func(team uuid.UUID) func(c.State) ([]any, error) {
		return func(s c.State) ([]any, error) { return c.RequestAgent(s, ep1, team) }
	}
	handed := eventschema.ConversationQueued{TenantID: tenant, ConversationID: conv, EpisodeID: ep1, TeamID: team, Reason: "handed_over_by_robot"}
	run(t, []tcase{
		{"the robot hands over to the team", []any{plain, hosted}, ask(team), []any{handed}, ""},
		{"asked twice: already with the agents", []any{plain, hosted, handed}, ask(team), nil, "conversation.not_with_robot"},
		{"no robot hosts it", []any{plain}, ask(team), nil, "conversation.not_with_robot"},
		{"no team to hand over to", []any{plain, hosted}, ask(uuid.Nil), nil, "conversation.no_team"},
		{"closed", []any{plain, hosted, closed}, ask(team), nil, "conversation.closed"},
	})
}
