package conversation

import (
	"fmt"

	"github.com/google/uuid"

	"supportd/domain"
	"supportd/domain/routing"
	"supportd/eventschema"
)

// Placement is what places a new customer conversation: the routing
// decision (routing.Decide) and the facts the caller looked up for it.
type Placement struct {
	Decision routing.Decision
	// EntryTeamID is the team the channel bound the customer's entry to,
	// as the start names it.
	EntryTeamID uuid.UUID
	// AgentTeamID is the first team of the agent a rule targets (zero when
	// the target is no agent or the agent is in no team).
	AgentTeamID uuid.UUID
	EpisodeID   uuid.UUID
	// AlertUnmatched is the setting alerts.unmatched_routing_rule.
	AlertUnmatched bool
}

// Place decides where a new customer conversation goes after routing.
//
// The manual makes the entry a binding of the routing rules: the rules
// decide first, an entry rule included. A start that names an entry team
// only takes the place of the default: when no rule matches, the entry team
// receives the conversation, without an alarm (the channel bound the entry
// itself) and without ConversationRouted (no rule decided).
//
// Otherwise ConversationRouted records the decision and:
//   - a team target queues the conversation for the team;
//   - an agent target queues it for the agent's first team: the dispatcher
//     assigns from the queue under its rules (online, capacity, working
//     hours), and the routed event tells it which agent the rule named;
//   - a robot target leaves it open, hosted by the robot, until the
//     customer asks for an agent (RequestAgent).
//
// A conversation no rule matched raises an alarm when the tenant wants
// one; one that cannot be queued at all (no default team, an agent in no
// team) raises an alarm in any case, since nobody would see it otherwise.
func Place(s State, p Placement) ([]any, error) {
	if err := s.live(); err != nil {
		return nil, err
	}
	d := p.Decision
	if d.Unmatched && p.EntryTeamID != uuid.Nil {
		return Queue(s, p.EpisodeID, p.EntryTeamID, eventschema.QueuedRouted)
	}
	out := []any{d.Event(s.TenantID, s.ID)}
	team := uuid.Nil
	switch d.TargetKind {
	case routing.TargetTeam:
		team = d.TargetID
	case routing.TargetAgent:
		team = p.AgentTeamID
	case routing.TargetRobot:
		if d.Unmatched && p.AlertUnmatched {
			out = append(out, alarm(s, eventschema.AlarmUnmatchedRouting, eventschema.AlarmLow, "no routing rule matched; the robot hosts the conversation"))
		}
		return out, nil
	default:
		return nil, domain.Errorf(domain.Invalid, "routing.target", "target_kind", "unknown target kind %q", d.TargetKind)
	}
	if team == uuid.Nil {
		kind, detail := eventschema.AlarmUnroutable, fmt.Sprintf("agent %s is in no team; the conversation waits unrouted", d.TargetID)
		if d.Unmatched {
			kind, detail = eventschema.AlarmUnmatchedRouting, "no routing rule matched and no default team is set; the conversation waits unrouted"
		}
		return append(out, alarm(s, kind, eventschema.AlarmMedium, detail)), nil
	}
	queued, err := Queue(fold(s, out), p.EpisodeID, team, eventschema.QueuedRouted)
	if err != nil {
		return nil, err
	}
	out = append(out, queued...)
	if d.Unmatched && p.AlertUnmatched {
		out = append(out, alarm(s, eventschema.AlarmUnmatchedRouting, eventschema.AlarmLow,
			fmt.Sprintf("no routing rule matched; queued for the default team %s", team)))
	}
	return out, nil
}

// RequestAgent decides the customer's request for an agent while a robot
// hosts the conversation: it is queued for team (routing.HandOver's
// answer), reason handed_over_by_robot.
func RequestAgent(s State, episodeID, team uuid.UUID) ([]any, error) {
	if err := s.live(); err != nil {
		return nil, err
	}
	if s.Robot == uuid.Nil {
		return nil, domain.Errorf(domain.Conflict, "conversation.not_with_robot", "", "no robot hosts the conversation; it is already with the agents")
	}
	if team == uuid.Nil {
		return nil, domain.Errorf(domain.Conflict, "conversation.no_team", "", "no team takes the conversation over: set a default team or a routing rule with a team")
	}
	return Queue(s, episodeID, team, eventschema.QueuedFromRobot)
}

func alarm(s State, kind string, level int, detail string) eventschema.AlarmRaised {
	return eventschema.AlarmRaised{TenantID: s.TenantID, ConversationID: s.ID, Kind: kind, Level: level, Detail: detail}
}

func fold(s State, events []any) State {
	for _, e := range events {
		s = Evolve(s, e)
	}
	return s
}
