package commands

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"sync"
	"time"

	"github.com/google/uuid"

	"supportd/domain/agent"
	"supportd/domain/dispatch"
	"supportd/eventschema"
	"supportd/eventstore"
)

// agentView is an agent's stream folded up to version, with when each
// open slot was reserved and when the agent last got one (event times live
// in the metadata, not in the state). A view is never changed once made.
type agentView struct {
	tenantID     uuid.UUID
	state        agent.State
	version      uint64
	exists       bool
	reservedAt   map[uuid.UUID]time.Time
	lastAssigned time.Time
}

func (v agentView) candidate() dispatch.Candidate {
	return dispatch.Candidate{AgentID: v.state.ID, Online: v.state.CurrentStatus().AutoAssignable(),
		Capacity: v.state.CurrentCapacity(), Open: v.state.OpenSlots(), LastAssigned: v.lastAssigned}
}

// fold applies one event of the agent's stream, recorded at at.
func (v *agentView) fold(version uint64, at time.Time, payload any) {
	v.state = agent.Evolve(v.state, payload)
	v.version, v.exists = version, true
	switch e := payload.(type) {
	case eventschema.AgentSlotReserved:
		v.reservedAt[e.ReservationID] = at
		v.lastAssigned = at
	case eventschema.AgentSlotReleased:
		delete(v.reservedAt, e.ReservationID)
	}
}

// agentCache keeps the agents the dispatcher has read, so that bringing
// one up to date reads only the events appended since (one short read),
// and so that its own appends need no read at all. It is a copy: every
// decision is still appended guarded by the version it was made at.
type agentCache struct {
	mu    sync.Mutex
	views map[agent.Identity]agentView
}

func (c *agentCache) get(id agent.Identity) (agentView, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	v, ok := c.views[id]
	return v, ok
}

// put stores v unless the cache already holds a later version.
func (c *agentCache) put(id agent.Identity, v agentView) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if old, ok := c.views[id]; ok && old.exists && (!v.exists || old.version > v.version) {
		return
	}
	if c.views == nil {
		c.views = map[agent.Identity]agentView{}
	}
	c.views[id] = v
}

// readAgent brings the cached view of agentID up to date with its stream.
func (d *Dispatcher) readAgent(ctx context.Context, who agent.Identity) (agentView, error) {
	v, ok := d.agents.get(who)
	if !ok {
		v = agentView{tenantID: who.TenantID, state: agent.State{ID: who.AgentID}}
	}
	v.reservedAt = maps.Clone(v.reservedAt)
	if v.reservedAt == nil {
		v.reservedAt = map[uuid.UUID]time.Time{}
	}
	from := uint64(0)
	if v.exists {
		from = v.version + 1
	}
	stream := agent.Stream(who.TenantID, who.AgentID)
	for {
		page, err := d.Handler.readStream(ctx, who.TenantID, stream, eventstore.Forwards, from, readPage)
		if err != nil {
			return agentView{}, err
		}
		for _, e := range page {
			payload, err := d.Handler.registry.Decode(e)
			if err != nil {
				return agentView{}, fmt.Errorf("read %s@%d: %w", stream, e.StreamVersion, err)
			}
			v.fold(e.StreamVersion, occurred(e), payload)
		}
		if len(page) < readPage {
			break
		}
		from = page[len(page)-1].StreamVersion + 1
	}
	v.tenantID, v.state.ID = who.TenantID, who.AgentID
	d.agents.put(who, v)
	return v, nil
}

// appendAgent appends the events an agent decision made on v, guarded by
// v's version, and answers the view with them folded in. It fails with
// eventstore.ErrWrongExpectedVersion when the stream moved on since v.
func (d *Dispatcher) appendAgent(ctx context.Context, v agentView, m Meta, payloads []any) (agentView, error) {
	events, err := d.Handler.encode(m, payloads)
	if err != nil {
		return v, err
	}
	expected := eventstore.NoStream
	if v.exists {
		expected = eventstore.Exact(v.version)
	}
	res, err := d.Handler.store.Append(ctx, agent.Stream(v.tenantID, v.state.ID), expected, events)
	if err != nil {
		return v, err
	}
	v.reservedAt = maps.Clone(v.reservedAt)
	if v.reservedAt == nil {
		v.reservedAt = map[uuid.UUID]time.Time{}
	}
	first := res.Version + 1 - uint64(len(payloads))
	for i, p := range payloads {
		v.fold(first+uint64(i), events[i].Metadata.OccurredAt, p)
	}
	d.agents.put(agent.Identity{TenantID: v.tenantID, AgentID: v.state.ID}, v)
	return v, nil
}

// onAgent decides on agentID's stream from the cached view, and appends
// guarded by its version. A view that was not read just now may be behind
// the stream: when the append finds the stream moved on, or the decision
// is a refusal or nothing (the agent may have come online, got room, or
// another replica reserved meanwhile), it reads the new events and decides
// again. decide answers the command's
// metadata with the events, since a reservation's ID (and so its command
// ID) derives from the version it is decided at.
func (d *Dispatcher) onAgent(ctx context.Context, who agent.Identity, decide func(agentView) (Meta, []any, error)) error {
	v, fresh := d.agents.get(who)
	fresh = !fresh || !v.exists
	for attempt := 0; ; attempt++ {
		if fresh {
			var err error
			if v, err = d.readAgent(ctx, who); err != nil {
				return err
			}
		}
		m, payloads, err := decide(v)
		if (err != nil || len(payloads) == 0) && !fresh {
			fresh = true
			continue
		}
		if err != nil || len(payloads) == 0 {
			return err
		}
		_, err = d.appendAgent(ctx, v, m, payloads)
		if !errors.Is(err, eventstore.ErrWrongExpectedVersion) {
			return err
		}
		if attempt >= d.Handler.Retries {
			return fmt.Errorf("%s: %w", agent.Stream(who.TenantID, who.AgentID), ErrConflict)
		}
		fresh = true
	}
}

// facts answers the ranking facts of the candidates: the read model's, or
// the cached view's when that is at least as recent (it holds the
// dispatcher's own reservations before the read model does); an agent the
// read model does not know is read from its stream. Facts may be stale:
// the reservation decides on the stream, so staleness costs a retry at
// worst.
func (d *Dispatcher) facts(ctx context.Context, tenantID uuid.UUID, cands []Candidate) ([]dispatch.Candidate, error) {
	out := make([]dispatch.Candidate, 0, len(cands))
	for _, c := range cands {
		who := agent.Identity{TenantID: tenantID, AgentID: c.AgentID}
		v, cached := d.agents.get(who)
		switch {
		case cached && v.exists && (!c.Known || v.version >= c.Version):
			out = append(out, v.candidate())
		case c.Known:
			out = append(out, dispatch.Candidate{AgentID: c.AgentID, Online: agent.Status(c.Status).AutoAssignable(),
				Capacity: c.Capacity, Open: c.Open, LastAssigned: c.LastAssigned})
		default:
			v, err := d.readAgent(ctx, who)
			if err != nil {
				return nil, err
			}
			out = append(out, v.candidate())
		}
	}
	return out, nil
}

// refresh replaces agentID's facts by the cached view, which a reservation
// attempt has just brought up to date.
func (d *Dispatcher) refresh(facts []dispatch.Candidate, tenantID, agentID uuid.UUID) {
	v, ok := d.agents.get(agent.Identity{TenantID: tenantID, AgentID: agentID})
	if !ok {
		return
	}
	for i := range facts {
		if facts[i].AgentID == agentID {
			facts[i] = v.candidate()
		}
	}
}

// maintain answers agentID's ranking facts as its stream shows them now.
// Slots are settled by the sweeps (Unsettled), not here.
func (d *Dispatcher) maintain(ctx context.Context, tenantID, agentID uuid.UUID) (dispatch.Candidate, error) {
	v, err := d.readAgent(ctx, agent.Identity{TenantID: tenantID, AgentID: agentID})
	if err != nil {
		return dispatch.Candidate{}, err
	}
	return v.candidate(), nil
}
