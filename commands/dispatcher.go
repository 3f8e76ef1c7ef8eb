package commands

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/google/uuid"

	"supportd/domain"
	"supportd/domain/agent"
	"supportd/domain/conversation"
	"supportd/domain/dispatch"
	"supportd/domain/timeplan"
	"supportd/eventschema"
	"supportd/eventstore"
)

// QueuedConversation is one open queue episode as the queue read model
// lists it.
type QueuedConversation struct {
	TenantID       uuid.UUID
	ConversationID uuid.UUID
	EpisodeID      uuid.UUID
	TeamID         uuid.UUID
	VIP            bool
	CreatedAt      time.Time
}

// Candidate is a member of a team whom the rules outside the agent's
// stream allow to be assigned now: member of the team, enabled, and inside
// the team's working hours when the tenant dispatches only then. Status,
// capacity and open slots are read from the agent's stream.
type Candidate struct {
	AgentID uuid.UUID
}

// Dispatcher is the auto-assignment process manager. There are no
// multi-stream transactions, so each assignment takes two steps, each
// guarded by its own stream: reserve a slot on the agent's stream (where
// status and capacity live, so the expected version makes the capacity rule
// hold even against another replica), then confirm on the conversation's
// stream (an AgentJoined naming the reservation, accepted only while the
// conversation still waits in the reserved episode). A confirm that cannot
// happen is compensated by releasing the slot. Every step's command ID is
// derived from the reservation, so a step repeated by a restarted or a
// second dispatcher applies once; a dispatcher that stopped between the
// steps is repaired by the next sweep (dispatch.Fate).
type Dispatcher struct {
	Handler *Handler
	// Queue lists the queued conversations of every tenant; within a team
	// the order does not matter, the dispatcher sorts VIP first, then oldest.
	Queue func(ctx context.Context) ([]QueuedConversation, error)
	// Candidates lists the agents of team who may be assigned now.
	Candidates func(ctx context.Context, tenantID, teamID uuid.UUID) ([]Candidate, error)
	// Holders, when set, lists the agents holding slots, so that slots of
	// agents no queued team asks for are freed too; without it only the
	// candidates' slots are maintained (which are the only ones that count).
	// They are swept every HoldersEvery (1 s by default).
	Holders      func(ctx context.Context) ([]AgentRef, error)
	HoldersEvery time.Duration
	Clock        Clock
	Log          *slog.Logger
	// Every is the sweep interval (100 ms by default); Wake, when set,
	// starts a sweep at once (e.g. on a live change).
	Every time.Duration
	Wake  <-chan struct{}
	// Grace is how long a reservation is left to the dispatcher that made
	// it before a sweep repairs it (3 s by default).
	Grace time.Duration

	mu sync.Mutex
	// serving remembers slots seen confirmed and in use, so they are not
	// read again at every sweep.
	serving map[uuid.UUID]time.Time
	// holdersAt is when the holders were last swept.
	holdersAt time.Time
}

// servingRecheck is how long a slot seen in use is trusted to still be.
const servingRecheck = 250 * time.Millisecond

var dispatchNamespace = uuid.MustParse("5b3c1f0e-7a2d-4f61-9e0b-2c4d6a8e1f37")

// Run sweeps every d.Every, and whenever Wake fires, until ctx ends. The
// first sweep repairs what a previous run left half done.
func (d *Dispatcher) Run(ctx context.Context) error {
	every := d.Every
	if every <= 0 {
		every = 100 * time.Millisecond
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if err := d.Sweep(ctx); err != nil && ctx.Err() == nil {
			d.log().Warn("dispatch sweep failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		case <-d.Wake:
		}
	}
}

func (d *Dispatcher) log() *slog.Logger {
	if d.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return d.Log
}

func (d *Dispatcher) grace() time.Duration {
	if d.Grace <= 0 {
		return 3 * time.Second
	}
	return d.Grace
}

// Sweep maintains the slots of the agents it looks at (freeing those whose
// conversation they left, repairing abandoned reservations) and assigns
// queued conversations, each team's in queue order. A team is not looked
// at past a conversation nobody can take: every later conversation of the
// team has the same candidates, so assigning one would jump the queue.
func (d *Dispatcher) Sweep(ctx context.Context) error {
	var errs []error
	if d.Holders != nil && d.holdersDue() {
		holders, err := d.Holders(ctx)
		if err != nil {
			errs = append(errs, err)
		}
		for _, a := range holders {
			if _, err := d.maintain(ctx, a.TenantID, a.AgentID); err != nil {
				errs = append(errs, err)
			}
		}
	}
	queue, err := d.Queue(ctx)
	if err != nil {
		return errors.Join(append(errs, err)...)
	}
	type teamKey struct{ tenant, team uuid.UUID }
	teams := map[teamKey][]QueuedConversation{}
	var order []teamKey
	for _, q := range queue {
		k := teamKey{q.TenantID, q.TeamID}
		if _, ok := teams[k]; !ok {
			order = append(order, k)
		}
		teams[k] = append(teams[k], q)
	}
	for _, k := range order {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if err := d.dispatchTeam(ctx, k.tenant, k.team, teams[k]); err != nil {
			errs = append(errs, fmt.Errorf("team %s: %w", k.team, err))
		}
	}
	return errors.Join(errs...)
}

// holdersDue reports whether the holders are to be swept now: at the first
// sweep, then every HoldersEvery.
func (d *Dispatcher) holdersDue() bool {
	every := d.HoldersEvery
	if every <= 0 {
		every = time.Second
	}
	now := d.Clock.Now()
	d.mu.Lock()
	defer d.mu.Unlock()
	if !d.holdersAt.IsZero() && now.Sub(d.holdersAt) < every && now.After(d.holdersAt) {
		return false
	}
	d.holdersAt = now
	return true
}

// TeamCandidates applies the team-level rules to a team's members: with
// hoursOnly (the tenant's dispatch.team_business_hours_only) nobody is a
// candidate outside the working hours of the team's time plan (schedule,
// as stored; timeZone the tenant's). A team without any plan has no hours
// to keep, so the switch does not stop its dispatch.
func TeamCandidates(members []uuid.UUID, hoursOnly bool, timeZone string, schedule json.RawMessage, now time.Time) ([]Candidate, error) {
	if hoursOnly && len(schedule) > 0 && string(schedule) != "null" {
		var sc eventschema.TimePlanSchedule
		if err := json.Unmarshal(schedule, &sc); err != nil {
			return nil, fmt.Errorf("time plan schedule: %w", err)
		}
		plan, _, err := timeplan.ParseSchedule(sc)
		if err != nil {
			return nil, err
		}
		loc, err := time.LoadLocation(timeZone)
		if err != nil {
			return nil, err
		}
		if !plan.IsWorkingTime(now, loc) {
			return nil, nil
		}
	}
	out := make([]Candidate, len(members))
	for i, m := range members {
		out[i] = Candidate{AgentID: m}
	}
	return out, nil
}

// QueueOrder sorts conversations of one team into queue order: VIP first,
// then the oldest, then by ID.
func QueueOrder(qs []QueuedConversation) {
	slices.SortStableFunc(qs, func(a, b QueuedConversation) int {
		if a.VIP != b.VIP {
			if a.VIP {
				return -1
			}
			return 1
		}
		if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
			return c
		}
		return cmp.Compare(a.ConversationID.String(), b.ConversationID.String())
	})
}

func (d *Dispatcher) dispatchTeam(ctx context.Context, tenantID, teamID uuid.UUID, queue []QueuedConversation) error {
	QueueOrder(queue)
	cands, err := d.Candidates(ctx, tenantID, teamID)
	if err != nil {
		return err
	}
	facts := make([]dispatch.Candidate, 0, len(cands))
	for _, c := range cands {
		f, err := d.maintain(ctx, tenantID, c.AgentID)
		if err != nil {
			return err
		}
		facts = append(facts, f)
	}
	for _, q := range queue {
		l, err := load(ctx, d.Handler, conversationAggregate(q.ConversationID), uuid.Nil)
		if err != nil {
			return err
		}
		if s := l.state; s.IsClosed || s.Segment.ID != uuid.Nil || s.Episode.ID != q.EpisodeID {
			continue // the read model lags: this one is no longer waiting
		}
		settled := false
		for _, c := range dispatch.Rank(facts) {
			r, err := d.Reserve(ctx, q, c.AgentID)
			var de *domain.Error
			if errors.As(err, &de) || errors.Is(err, ErrConflict) {
				// The agent changed since it was read (status, capacity,
				// another replica's reservation): read it again, try the
				// next one.
				if facts, err = d.refresh(ctx, tenantID, facts, c.AgentID); err != nil {
					return err
				}
				continue
			}
			if err != nil {
				return err
			}
			// Assigned, or taken elsewhere meanwhile (and compensated):
			// either way this conversation waits no more.
			if _, err := d.confirm(ctx, r); err != nil {
				return err
			}
			if facts, err = d.refresh(ctx, tenantID, facts, c.AgentID); err != nil {
				return err
			}
			settled = true
			break
		}
		if !settled {
			// Nobody can take it, so the later ones must wait too.
			return nil
		}
	}
	return nil
}

// refresh reads agentID's facts again after its stream changed.
func (d *Dispatcher) refresh(ctx context.Context, tenantID uuid.UUID, facts []dispatch.Candidate, agentID uuid.UUID) ([]dispatch.Candidate, error) {
	v, err := d.readAgent(ctx, agentID)
	if err != nil {
		return facts, err
	}
	for i := range facts {
		if facts[i].AgentID == agentID {
			facts[i] = v.candidate()
		}
	}
	return facts, nil
}

// Reservation is the first step of an assignment, done on the agent's
// stream.
type Reservation struct {
	ID   uuid.UUID
	Slot agent.Slot
	Who  agent.Identity
}

// Reserve takes a slot of agentID for q: the first step of an assignment,
// on the agent's stream. The reservation ID is derived from the episode,
// the agent and the agent's stream version, so two replicas deciding the
// same reservation from the same state write it once, while a later one
// (after a release) is a new reservation.
func (d *Dispatcher) Reserve(ctx context.Context, q QueuedConversation, agentID uuid.UUID) (Reservation, error) {
	v, err := d.readAgent(ctx, agentID)
	if err != nil {
		return Reservation{}, err
	}
	key := make([]byte, 0, 40)
	key = append(key, q.EpisodeID[:]...)
	key = append(key, agentID[:]...)
	key = fmt.Appendf(key, "@%d", v.version)
	r := Reservation{ID: uuid.NewSHA1(dispatchNamespace, key), Who: agent.Identity{TenantID: q.TenantID, AgentID: agentID}}
	r.Slot = agent.Slot{ReservationID: r.ID, ConversationID: q.ConversationID, EpisodeID: q.EpisodeID, TeamID: q.TeamID}
	_, err = Execute(ctx, d.Handler, d.meta(q.TenantID, r.ID, "reserve"), agentAggregate(agentID), func(s agent.State) ([]any, error) {
		return agent.Reserve(s, r.Who, r.Slot)
	})
	return r, err
}

// meta is the metadata of one step of reservation id: its command ID is
// derived from the reservation and the step, and the reservation
// correlates the steps.
func (d *Dispatcher) meta(tenantID, reservationID uuid.UUID, step string) Meta {
	return Meta{TenantID: tenantID, Actor: eventschema.Actor{Kind: eventschema.ActorSystem, ID: "dispatcher"},
		CommandID: uuid.NewSHA1(reservationID, []byte(step)), CorrelationID: reservationID}
}

// confirm is the second step: the agent joins the conversation, naming the
// reservation. When the conversation no longer waits for it, the slot is
// released instead; confirm then answers false.
func (d *Dispatcher) confirm(ctx context.Context, r Reservation) (bool, error) {
	m, sc := d.meta(r.Who.TenantID, r.ID, "confirm"), Scope{TenantID: r.Who.TenantID}
	res, err := onConversation(ctx, d.Handler, m, sc, r.Slot.ConversationID,
		func(s conversation.State) ([]any, error) {
			return dispatch.Confirm(s, r.Slot.EpisodeID, r.Who.AgentID, uuid.NewSHA1(r.ID, []byte("segment")), r.ID)
		})
	if err == nil {
		// The join is recorded: a failed greeting does not undo it. A
		// conversation closed meanwhile refuses greetings; that is no fault.
		if _, gerr := d.Handler.greetAfter(ctx, m, sc, r.Slot.ConversationID, res, nil); gerr != nil && d.Log != nil {
			var de *domain.Error
			if !errors.As(gerr, &de) {
				d.Log.Warn("greeting an auto-assigned agent failed", "conversation", r.Slot.ConversationID, "err", gerr)
			}
		}
		return true, nil
	}
	var de *domain.Error
	if errors.As(err, &de) {
		return false, d.release(ctx, r.Who, r.ID, dispatch.ReleaseReason(err))
	}
	return err == nil, err
}

func (d *Dispatcher) release(ctx context.Context, who agent.Identity, reservationID uuid.UUID, reason string) error {
	_, err := Execute(ctx, d.Handler, d.meta(who.TenantID, reservationID, "release"), agentAggregate(who.AgentID), func(s agent.State) ([]any, error) {
		return agent.Release(s, who, reservationID, reason)
	})
	return err
}

// agentView is an agent's stream folded, with when each open slot was
// reserved (event times live in the metadata, not in the state).
type agentView struct {
	state        agent.State
	version      uint64
	reservedAt   map[uuid.UUID]time.Time
	lastAssigned time.Time
}

func (v agentView) candidate() dispatch.Candidate {
	return dispatch.Candidate{AgentID: v.state.ID, Online: v.state.CurrentStatus().AutoAssignable(),
		Capacity: v.state.CurrentCapacity(), Open: v.state.OpenSlots(), LastAssigned: v.lastAssigned}
}

func (d *Dispatcher) readAgent(ctx context.Context, agentID uuid.UUID) (agentView, error) {
	v := agentView{reservedAt: map[uuid.UUID]time.Time{}}
	v.state.ID = agentID
	stream := agent.Stream(agentID)
	err := d.readStream(ctx, stream, func(e eventschema.Envelope, payload any) {
		v.state = agent.Evolve(v.state, payload)
		v.version = e.StreamVersion
		if r, ok := payload.(eventschema.AgentSlotReserved); ok {
			v.reservedAt[r.ReservationID] = occurred(e)
			v.lastAssigned = occurred(e)
		}
	})
	v.state.ID = agentID
	return v, err
}

func occurred(e eventschema.Envelope) time.Time {
	if e.Metadata.OccurredAt.IsZero() {
		return e.RecordedAt
	}
	return e.Metadata.OccurredAt
}

func (d *Dispatcher) readStream(ctx context.Context, stream string, fn func(eventschema.Envelope, any)) error {
	for from := uint64(0); ; {
		page, err := d.Handler.store.ReadStream(ctx, stream, eventstore.Forwards, from, readPage)
		if err != nil {
			return fmt.Errorf("read %s: %w", stream, err)
		}
		for _, e := range page {
			payload, err := d.Handler.registry.Decode(e)
			if err != nil {
				return fmt.Errorf("read %s@%d: %w", stream, e.StreamVersion, err)
			}
			fn(e, payload)
		}
		if len(page) < readPage {
			return nil
		}
		from = page[len(page)-1].StreamVersion + 1
	}
}

// maintain settles every open slot of agentID by what its conversation's
// stream shows (dispatch.Fate) and answers the agent's facts afterwards.
func (d *Dispatcher) maintain(ctx context.Context, tenantID, agentID uuid.UUID) (dispatch.Candidate, error) {
	v, err := d.readAgent(ctx, agentID)
	if err != nil {
		return dispatch.Candidate{}, err
	}
	now := d.Clock.Now()
	changed := false
	// A full agent's slots are all read: one of them may just have been
	// freed, and only then can the agent take more.
	full := v.state.OpenSlots() >= v.state.CurrentCapacity()
	for id, slot := range v.state.Slots {
		if !full && d.trustedServing(id, now) {
			continue
		}
		view, err := d.slotView(ctx, slot)
		if err != nil {
			return dispatch.Candidate{}, err
		}
		view.Age = now.Sub(v.reservedAt[id])
		action, reason := dispatch.Fate(view, d.grace())
		who := agent.Identity{TenantID: tenantID, AgentID: agentID}
		switch action {
		case dispatch.Keep:
			if view.Joined {
				d.markServing(id, now)
			}
		case dispatch.ConfirmIt:
			d.log().Info("dispatch: confirming an abandoned reservation", "reservation", id, "agent", agentID)
			if _, err := d.confirm(ctx, Reservation{ID: id, Slot: slot, Who: who}); err != nil {
				return dispatch.Candidate{}, err
			}
			changed = true
		case dispatch.ReleaseIt:
			if err := d.release(ctx, who, id, reason); err != nil {
				return dispatch.Candidate{}, err
			}
			changed = true
		}
	}
	if changed {
		if v, err = d.readAgent(ctx, agentID); err != nil {
			return dispatch.Candidate{}, err
		}
	}
	return v.candidate(), nil
}

func (d *Dispatcher) trustedServing(reservationID uuid.UUID, now time.Time) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	at, ok := d.serving[reservationID]
	if ok && now.Sub(at) > servingRecheck {
		delete(d.serving, reservationID)
		return false
	}
	return ok
}

func (d *Dispatcher) markServing(reservationID uuid.UUID, now time.Time) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.serving == nil {
		d.serving = map[uuid.UUID]time.Time{}
	}
	d.serving[reservationID] = now
}

// slotView reads what the conversation's stream tells about slot.
func (d *Dispatcher) slotView(ctx context.Context, slot agent.Slot) (dispatch.SlotView, error) {
	var (
		s       conversation.State
		v       dispatch.SlotView
		segment uuid.UUID
	)
	err := d.readStream(ctx, conversation.Stream(slot.ConversationID), func(_ eventschema.Envelope, payload any) {
		s = conversation.Evolve(s, payload)
		switch e := payload.(type) {
		case eventschema.AgentJoined:
			if e.ReservationID == slot.ReservationID {
				v.Joined, segment = true, e.SegmentID
			}
		case eventschema.AgentLeft:
			if v.Joined && e.SegmentID == segment {
				v.Ended = true
			}
		}
	})
	if s.IsClosed {
		v.Ended = true
	}
	v.Waiting = !s.IsClosed && s.Segment.ID == uuid.Nil && s.Episode.ID == slot.EpisodeID
	return v, err
}
