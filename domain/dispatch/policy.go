package dispatch

import (
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"supportd/eventschema"
)

// Familiarity modes (setting dispatch.familiarity_mode).
const (
	FamiliarLast = "last_agent"
	FamiliarMost = "most_served"
)

// Policy is a tenant's dispatch settings that bend the order of the queue
// and the choice of the agent.
type Policy struct {
	// ChannelOrder is dispatch.channel_priority's order when that is
	// enabled; nil when it is off.
	ChannelOrder []string
	// Familiarity is dispatch.familiarity, FamiliarityMode
	// dispatch.familiarity_mode (FamiliarLast when empty).
	Familiarity     bool
	FamiliarityMode string
}

// ChannelRank is the place of channel in the priority order: 0 for the
// first listed channel, len(order) for every unlisted one, and 0 for all
// when channel priority is off. Channel names compare without regard to
// case, as routing compares them.
func (p Policy) ChannelRank(channel string) int {
	if len(p.ChannelOrder) == 0 {
		return 0
	}
	if i := slices.IndexFunc(p.ChannelOrder, func(c string) bool { return strings.EqualFold(c, channel) }); i >= 0 {
		return i
	}
	return len(p.ChannelOrder)
}

// Waiting is a queued conversation as the queue order sees it.
type Waiting struct {
	ConversationID uuid.UUID
	VIP            bool
	Channel        string
	CreatedAt      time.Time
}

// CompareQueue orders two conversations waiting for the same team. The
// order is, exactly:
//  1. VIP before non-VIP (the manual's "VIP first" holds whatever the
//     channel);
//  2. with channel priority on, the higher-priority channel first (listed
//     channels in their order, then the unlisted ones, equal among
//     themselves);
//  3. the older conversation (created first) first;
//  4. the lower conversation ID, so the order is total.
//
// It answers a negative number when a goes before b.
func (p Policy) CompareQueue(a, b Waiting) int {
	if a.VIP != b.VIP {
		if a.VIP {
			return -1
		}
		return 1
	}
	if ra, rb := p.ChannelRank(a.Channel), p.ChannelRank(b.Channel); ra != rb {
		return ra - rb
	}
	if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
		return c
	}
	return strings.Compare(a.ConversationID.String(), b.ConversationID.String())
}

// Served is an agent's past with a customer: how many of the customer's
// conversations the agent joined, and when it last joined one.
type Served struct {
	AgentID       uuid.UUID
	Conversations int
	Last          time.Time
}

// Familiar picks the customer's familiar agent from its history: the agent
// who served the customer last, or (FamiliarMost) the one who served the
// most of its conversations, ties to the more recent, then to the lower ID.
// Zero when there is no history or familiarity is off.
func (p Policy) Familiar(history []Served) uuid.UUID {
	if !p.Familiarity || len(history) == 0 {
		return uuid.Nil
	}
	best := history[0]
	for _, h := range history[1:] {
		if p.moreFamiliar(h, best) {
			best = h
		}
	}
	return best.AgentID
}

func (p Policy) moreFamiliar(a, b Served) bool {
	if p.FamiliarityMode == FamiliarMost && a.Conversations != b.Conversations {
		return a.Conversations > b.Conversations
	}
	if !a.Last.Equal(b.Last) {
		return a.Last.After(b.Last)
	}
	return strings.Compare(a.AgentID.String(), b.AgentID.String()) < 0
}

// Preferred lists the agents a queued conversation goes to before the
// idle-rate ranking decides, most preferred first:
//   - the agent a routing rule named (routedAgent), for the stay in the
//     queue that routing began (reason routed): the rule's choice is the
//     admin's;
//   - with familiarity on, the customer's familiar agent, for a new
//     conversation only (queued by routing or handed over by a robot): a
//     conversation an agent transferred to a team or left should not go
//     back to the agent who served it last.
//
// Each applies only while that agent is eligible (Choose).
func (p Policy) Preferred(reason string, routedAgent uuid.UUID, history []Served) []uuid.UUID {
	var out []uuid.UUID
	if reason == eventschema.QueuedRouted && routedAgent != uuid.Nil {
		out = append(out, routedAgent)
	}
	if reason == eventschema.QueuedRouted || reason == eventschema.QueuedFromRobot {
		if f := p.Familiar(history); f != uuid.Nil && !slices.Contains(out, f) {
			out = append(out, f)
		}
	}
	return out
}

// Choose orders the candidates for one conversation: the first preferred
// agent who is eligible, then the others as Rank orders them. A preferred
// agent who is not eligible (not online, full, not a candidate of the
// team) is passed over, and the conversation is dispatched by the default
// rules, as the manual says of familiarity.
func Choose(cands []Candidate, preferred []uuid.UUID) []Candidate {
	ranked := Rank(cands)
	for _, want := range preferred {
		if i := slices.IndexFunc(ranked, func(c Candidate) bool { return c.AgentID == want }); i >= 0 {
			c := ranked[i]
			copy(ranked[1:i+1], ranked[:i])
			ranked[0] = c
			return ranked
		}
	}
	return ranked
}
