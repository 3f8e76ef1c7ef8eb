// Package dispatch holds the rules of auto-assignment: which eligible agent
// gets a queued conversation, when a reservation on the agent's stream may
// be confirmed on the conversation's stream, and what becomes of a
// reservation found later (kept, confirmed after a crash, or released).
// The capacity rule itself is the agent's (agent.Reserve), because only the
// agent's stream can guard it.
package dispatch

import (
	"strings"
	"time"

	"github.com/google/uuid"

	"supportd/domain"
	"supportd/domain/conversation"
	"supportd/eventschema"
)

// Candidate is an agent the dispatcher may choose, as its stream shows it.
type Candidate struct {
	AgentID  uuid.UUID
	Online   bool
	Capacity int
	// Open is how many slots it holds (reserved or confirmed).
	Open int
	// LastAssigned is when it last got a slot; zero: never.
	LastAssigned time.Time
}

// Eligible reports whether c may get one more conversation: online with a
// free slot. Team membership and working hours are decided before an agent
// becomes a candidate.
func (c Candidate) Eligible() bool { return c.Online && c.Capacity > 0 && c.Open < c.Capacity }

// better reports whether a is preferred over b: the higher idle rate (free
// slots / capacity), then the agent who waited longest since its last
// assignment, then the lower ID so the choice is deterministic.
func better(a, b Candidate) bool {
	// free_a/cap_a > free_b/cap_b without division.
	ra, rb := (a.Capacity-a.Open)*b.Capacity, (b.Capacity-b.Open)*a.Capacity
	if ra != rb {
		return ra > rb
	}
	if !a.LastAssigned.Equal(b.LastAssigned) {
		return a.LastAssigned.Before(b.LastAssigned)
	}
	return strings.Compare(a.AgentID.String(), b.AgentID.String()) < 0
}

// Rank orders the eligible candidates best first; the ineligible are left
// out.
func Rank(cands []Candidate) []Candidate {
	var out []Candidate
	for _, c := range cands {
		if c.Eligible() {
			out = append(out, c)
		}
	}
	// Insertion sort: a team has few members, and it keeps ties stable.
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && better(out[j], out[j-1]); j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

// Codes of confirmations that cannot happen; the reservation is then
// compensated.
const (
	CodeJoinedElsewhere = "dispatch.joined_elsewhere"
	CodeEpisodeOver     = "dispatch.episode_over"
)

// Confirm decides the second step of an auto-assignment on the
// conversation's stream: agentID joins (how auto, naming the reservation)
// if the conversation still waits in the episode the reservation is for.
// Otherwise the reservation is stale and must be released: CodeJoinedElsewhere
// when another agent serves, CodeEpisodeOver when the conversation closed or
// left that stay in the queue.
func Confirm(s conversation.State, episodeID, agentID, segmentID, reservationID uuid.UUID) ([]any, error) {
	switch {
	case s.Exists && !s.IsClosed && s.Segment.ID != uuid.Nil:
		return nil, domain.Errorf(domain.Conflict, CodeJoinedElsewhere, "", "another agent serves the conversation")
	case !s.Exists || s.IsClosed || s.Episode.ID != episodeID:
		return nil, domain.Errorf(domain.Conflict, CodeEpisodeOver, "", "the conversation no longer waits in this queue episode")
	}
	return conversation.JoinConversation(s, conversation.Join{AgentID: agentID, SegmentID: segmentID,
		How: eventschema.JoinedAuto, ReservationID: reservationID})
}

// ReleaseReason is the reason a slot is released after Confirm failed with
// err.
func ReleaseReason(err error) string {
	if de, ok := err.(*domain.Error); ok && de.Code == CodeJoinedElsewhere {
		return eventschema.SlotJoinedElsewhere
	}
	return eventschema.SlotCompensated
}

// SlotView is what the conversation's stream tells about one open slot.
type SlotView struct {
	// Joined: the conversation has the AgentJoined naming the reservation.
	Joined bool
	// Ended: that segment ended (AgentLeft) or the conversation closed.
	Ended bool
	// Waiting: the conversation still waits in the reserved episode.
	Waiting bool
	// Age is how long ago the slot was reserved.
	Age time.Duration
}

// Action is what to do with an open slot.
type Action int

// The actions.
const (
	// Keep: the slot is in use, or a dispatcher may still be confirming it.
	Keep Action = iota
	// ConfirmIt: the reserving dispatcher stopped before confirming and
	// the conversation still waits: finish its confirm.
	ConfirmIt
	// ReleaseIt: free the slot, with the reason Fate returns.
	ReleaseIt
)

// Fate decides an open slot's future. A reservation younger than grace is
// left to the dispatcher that made it. An older one that was never
// confirmed is rolled forward while its conversation still waits, with the
// very command the reserving dispatcher would have issued (the same command
// ID, so the two can never both apply), and released only once the
// conversation no longer waits for it: releasing a reservation whose
// confirm could still land would let the agent exceed its capacity.
func Fate(v SlotView, grace time.Duration) (Action, string) {
	switch {
	case v.Joined && v.Ended:
		return ReleaseIt, eventschema.SlotConversationLeft
	case v.Joined, v.Age < grace:
		return Keep, ""
	case v.Waiting:
		return ConfirmIt, ""
	}
	return ReleaseIt, eventschema.SlotCompensated
}
