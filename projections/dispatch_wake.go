package projections

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"

	"supportd/domain/conversation"
	"supportd/eventschema"
	"supportd/eventstore"
	"supportd/readmodels"
)

// dispatchWakes are the events after which the dispatcher may have work
// besides a conversation queued: an agent online or given room, a slot
// freed, a team's members, hours or a setting changed (something to
// assign), its agent left or its conversation closed (a slot to settle).
// Each names the projectors whose tables the dispatcher then reads.
var dispatchWakes = map[string][]string{
	"AgentStatusChanged":          {"dispatch"},
	"AgentCapacitySet":            {"dispatch"},
	"AgentSlotReleased":           {"dispatch"},
	"AgentLeft":                   {"dispatch"},
	"ConversationClosed":          {"dispatch"},
	"TeamMembersUpdated":          {"teams"},
	"TeamTimePlanBound":           {"teams"},
	"AgentEnabled":                {"accounts"},
	"TenantSettingChanged":        {"tenants"},
	"TimePlanChanged":             {"time_plans"},
	"TenantDefaultTimePlanChosen": {"time_plans"},
}

// startFacts are what a queue entry takes from the conversation's start.
type startFacts struct {
	createdAt   time.Time
	channel     string
	customerID  uuid.UUID
	routedAgent uuid.UUID
}

// maxStarts bounds the starts remembered until their conversation is
// queued (those never queued, e.g. hosted by a robot, are forgotten when
// it is reached; a queued one whose start is forgotten is read back).
const maxStarts = 4096

// FollowDispatch gives the dispatcher its work as the log shows it, from
// the most advanced projector's checkpoint at start (a sweep at start
// covers what came before):
//   - every ConversationQueued is handed to arrive at once, as the queue
//     read model will show it (created_at as that model stores it), with
//     the agent the routing rule named (if one did), and wake is called: the dispatcher does not wait for the
//     conversations projector, and since arrivals come in log order, an
//     arrival's sweep knows every conversation queued before it;
//   - after the other events of dispatchWakes wake is called once the
//     projectors the dispatcher reads have applied them, so that the sweep
//     sees them; waiting for those never holds back the arrivals.
//
// A projector that stopped does not hold the wake-ups back: the dispatcher
// is woken anyway and finds what the read models show. Failures to read
// the log or an event's conversation are retried, resuming at the event
// that failed. It returns when ctx ends, with nil.
func (r *Runner) FollowDispatch(ctx context.Context, reg *eventschema.Registry, wake func(), arrive func(q readmodels.QueuedEpisode, routedAgent uuid.UUID)) error {
	type pending struct {
		pos   eventschema.Position
		names []string
	}
	waits := make(chan pending, 1024)
	waiterDone := make(chan struct{})
	wctx, stop := context.WithCancel(ctx)
	go func() {
		defer close(waiterDone)
		for {
			select {
			case <-wctx.Done():
				return
			case w := <-waits:
				if err := r.WaitFor(wctx, w.pos, w.names...); err != nil && wctx.Err() != nil {
					return
				}
				wake()
			}
		}
	}()
	defer func() {
		stop()
		<-waiterDone
	}()
	starts := map[string]startFacts{} // by stream: conversation IDs are unique per tenant only
	r.follow(ctx, "follow dispatch wake-ups", func(e eventschema.Envelope) error {
		switch e.Type {
		case "ConversationStarted":
			p, err := reg.Decode(e)
			if err != nil {
				return err
			}
			s := p.(eventschema.ConversationStarted)
			if len(starts) >= maxStarts {
				clear(starts)
			}
			starts[e.Stream] = startFacts{createdAt: occurredAt(e).Truncate(time.Microsecond), channel: s.Channel, customerID: s.CustomerID}
			return nil
		case "ConversationRouted":
			p, err := reg.Decode(e)
			if err != nil {
				return err
			}
			if r := p.(eventschema.ConversationRouted); r.TargetKind == "agent" {
				if st, ok := starts[e.Stream]; ok {
					st.routedAgent = r.TargetID
					starts[e.Stream] = st
				}
			}
			return nil
		case "ConversationQueued":
			p, err := reg.Decode(e)
			if err != nil {
				return err
			}
			q := p.(eventschema.ConversationQueued)
			st, ok := starts[e.Stream]
			if !ok {
				if st, err = readStart(ctx, r.store, reg, e.Metadata.TenantID, q.ConversationID); err != nil {
					return err
				}
			}
			delete(starts, e.Stream)
			arrive(readmodels.QueuedEpisode{TenantID: q.TenantID, ConversationID: q.ConversationID, EpisodeID: q.EpisodeID, TeamID: q.TeamID,
				VIP: q.VIP, CreatedAt: st.createdAt, Channel: st.channel, CustomerID: st.customerID, Reason: q.Reason}, st.routedAgent)
			wake()
			return nil
		}
		names, ok := dispatchWakes[e.Type]
		if !ok {
			return nil
		}
		select {
		case waits <- pending{e.Position, names}:
		default:
			wake() // the waiter is far behind: wake now, a later wake-up follows
		}
		return nil
	})
	return nil
}

// readStart reads a conversation's start, and the agent a routing rule
// named, from its stream (routing decides in the start's append).
func readStart(ctx context.Context, store eventstore.Store, reg *eventschema.Registry, tenantID, id uuid.UUID) (startFacts, error) {
	page, err := store.ReadStream(ctx, conversation.Stream(tenantID, id), eventstore.Forwards, 0, 16)
	if err != nil {
		return startFacts{}, fmt.Errorf("read the start of %s: %w", id, err)
	}
	var st startFacts
	for i, e := range page {
		p, err := reg.Decode(e)
		if err != nil {
			return startFacts{}, err
		}
		switch x := p.(type) {
		case eventschema.ConversationStarted:
			st = startFacts{createdAt: occurredAt(e).Truncate(time.Microsecond), channel: x.Channel, customerID: x.CustomerID}
		case eventschema.ConversationRouted:
			if x.TargetKind == "agent" {
				st.routedAgent = x.TargetID
			}
		default:
			if i == 0 {
				return startFacts{}, fmt.Errorf("conversation %s begins with %s", id, e.Type)
			}
		}
	}
	if len(page) == 0 {
		return startFacts{}, fmt.Errorf("read the start of %s: no events", id)
	}
	return st, nil
}
