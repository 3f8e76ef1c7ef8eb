package projections

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/google/uuid"

	"supportd/eventschema"
)

// Change is a fact that consoles may want to see, announced once every
// projector has applied it: a console that refetches on it reads the new
// state (read-your-writes for live updates).
type Change struct {
	TenantID uuid.UUID            `json:"tenant_id"`
	Type     string               `json:"type"`
	Stream   string               `json:"stream"`
	Version  uint64               `json:"version"`
	Position eventschema.Position `json:"position"`
	// Agents are the users the fact concerns: the owner of an agent
	// stream, and any agent the payload names (agent_id, to_id of a
	// transfer to an agent, to_agent_id of a colleague's message, …).
	Agents []uuid.UUID `json:"agents,omitempty"`
	// Event is the event itself, for feeds that pass on its content (the
	// customer-side conversation streams).
	Event eventschema.Envelope `json:"-"`
}

// FollowChanges calls announce for every event after the most advanced
// projector's checkpoint at start (what came before, consoles read as
// state), in log order, once every running projector of the runner has
// applied it; a stopped projector does not hold the changes back (Health
// reports it). Failures to read the log are retried, resuming after the
// last change announced. It returns when ctx ends, with nil.
func (r *Runner) FollowChanges(ctx context.Context, announce func(Change)) error {
	r.follow(ctx, "follow changes", func(e eventschema.Envelope) error {
		if err := r.waitFor(ctx, e.Position, true); err != nil {
			return err
		}
		announce(ChangeOf(e))
		return nil
	})
	return nil
}

// ChangeOf describes an event as a change.
func ChangeOf(e eventschema.Envelope) Change {
	c := Change{TenantID: e.Metadata.TenantID, Type: e.Type, Stream: e.Stream, Version: e.StreamVersion, Position: e.Position, Event: e}
	seen := map[uuid.UUID]bool{}
	add := func(id uuid.UUID) {
		if id != uuid.Nil && !seen[id] {
			seen[id] = true
			c.Agents = append(c.Agents, id)
		}
	}
	if _, id, ok := eventschema.ObjectOf("agent", e.Stream); ok {
		add(id)
	}
	var named struct {
		AgentID     uuid.UUID `json:"agent_id"`
		FromAgentID uuid.UUID `json:"from_agent_id"`
		ToKind      string    `json:"to_kind"`
		ToID        uuid.UUID `json:"to_id"`
		ToAgentID   uuid.UUID `json:"to_agent_id"`
	}
	if json.Unmarshal(e.Data, &named) == nil {
		add(named.AgentID)
		add(named.FromAgentID)
		if named.ToKind == "agent" {
			add(named.ToID)
		}
		add(named.ToAgentID)
	}
	return c
}

// fastest returns the most advanced committed checkpoint of the runner's
// projectors.
func (r *Runner) fastest(ctx context.Context) (eventschema.Position, error) {
	var max eventschema.Position
	for _, st := range r.states {
		if err := ensureCheckpoint(ctx, r.pool, st.p.Name()); err != nil {
			return max, fmt.Errorf("projections: %w", err)
		}
		cp, err := loadCheckpoint(ctx, r.pool, st.p.Name())
		if err != nil {
			return max, fmt.Errorf("projections: %w", err)
		}
		if max.Less(cp) {
			max = cp
		}
	}
	return max, nil
}
