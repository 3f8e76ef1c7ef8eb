package commands

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"supportd/internal/sweep"
	"sync"
	"time"

	"github.com/google/uuid"

	"supportd/domain"
	"supportd/domain/agent"
	"supportd/domain/conversation"
	"supportd/domain/dispatch"
	"supportd/domain/routing"
	"supportd/domain/tenant"
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
	Channel        string
	CustomerID     uuid.UUID
	// Reason is why it was queued (eventschema.Queued…).
	Reason string
}

// Candidate is a member of a team whom the rules outside the agent's
// stream allow to be assigned now: member of the team, enabled, and inside
// its working hours when the tenant dispatches only then (TeamCandidates). When
// Known, the rest are the read model's facts as of the agent stream's
// Version, which the dispatcher ranks by; otherwise it reads them from the
// agent's stream.
type Candidate struct {
	AgentID      uuid.UUID
	Known        bool
	Status       string
	Capacity     int
	Open         int
	LastAssigned time.Time
	Version      uint64
	// Schedule is the agent's personal time plan as stored, nil when none.
	Schedule json.RawMessage
}

// SlotRef names an open slot: a reservation on an agent's stream.
type SlotRef struct {
	TenantID      uuid.UUID
	AgentID       uuid.UUID
	ReservationID uuid.UUID
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
// steps is repaired by a later sweep (dispatch.Fate).
//
// It ranks agents by the read model's facts (Candidates) and reads only the
// chosen agent's stream, and only the events it has not seen (agentCache):
// read-model facts may lag, which costs at most a failed reservation and a
// try of the next agent, never an invariant.
type Dispatcher struct {
	Handler *Handler
	// Queue lists the queued conversations of every tenant; within a team
	// the order does not matter, the dispatcher sorts them
	// (dispatch.Policy.CompareQueue).
	Queue func(ctx context.Context) ([]QueuedConversation, error)
	// Candidates lists the agents of team who may be assigned now.
	Candidates func(ctx context.Context, tenantID, teamID uuid.UUID) ([]Candidate, error)
	// Policy answers a tenant's dispatch settings (see PolicyOf); nil:
	// the defaults (no channel priority, no familiarity).
	Policy func(ctx context.Context, tenantID uuid.UUID) (dispatch.Policy, error)
	// Familiarity lists the agents who served a customer; nil: nobody.
	Familiarity func(ctx context.Context, tenantID, customerID uuid.UUID) ([]dispatch.Served, error)
	// Unsettled lists the open slots that may need settling: those whose
	// conversation ended, and those reserved before reservedBefore and never
	// confirmed. Listing more is safe; each listed slot costs a read of its
	// conversation. Nil: slots are never settled.
	Unsettled func(ctx context.Context, reservedBefore time.Time) ([]SlotRef, error)
	Clock     Clock
	Log       *slog.Logger
	// Every is the sweep interval (100 ms by default); Wake, when set,
	// starts a sweep at once (e.g. on a relevant change).
	Every time.Duration
	Wake  <-chan struct{}
	// Grace is how long a reservation is left to the dispatcher that made
	// it before a sweep repairs it (3 s by default).
	Grace time.Duration
	// SeatGrace is how long a slot taken for a manual join, an assignment
	// or a transfer is left to its command before a sweep gives it back
	// unused (2 minutes by default): longer than any request may take, so
	// that a slow join never lands on a slot already given back.
	SeatGrace time.Duration

	agents agentCache

	mu sync.Mutex
	// confirming are the episodes whose reservation is being confirmed;
	// slots bound how many are at once. over are the episodes found taken
	// or gone, with when: the queue read model may show them a while yet.
	confirming map[uuid.UUID]bool
	over       map[uuid.UUID]time.Time
	slots      chan struct{}
	greeting   chan struct{}
	// greetings are the confirmations with their greetings still under
	// way; Run waits for them before it returns.
	greetings sync.WaitGroup
	// arrivals are conversations just queued that the queue read model may
	// not show yet (Arrive), by episode, with when they arrived.
	arrivals map[uuid.UUID]arrival
}

type arrival struct {
	q QueuedConversation
	// routedAgent is the agent the routing rule named, from the same
	// append as the queueing.
	routedAgent uuid.UUID
	at          time.Time
	// shown: the queue read model showed it; once it no longer does, it
	// waits no more.
	shown bool
}

// arrivalTTL is how long an arrival is kept when the queue read model
// never shows it and no sweep handles it.
const arrivalTTL = 30 * time.Second

// Arrive tells the dispatcher of a conversation just queued, as the log
// announces it, with the agent the routing rule named (or none): the next
// sweep considers it along with the queue read model's, so that assigning
// it need not wait for the projection, nor read the conversation again
// (the announcement is as fresh as such a read; should the conversation
// have moved on, the join fails and the slot is released). The caller
// announces in log order, so that a sweep knows every conversation queued
// before the last arrival (queue order).
func (d *Dispatcher) Arrive(q QueuedConversation, routedAgent uuid.UUID) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.arrivals == nil {
		d.arrivals = map[uuid.UUID]arrival{}
	}
	d.arrivals[q.EpisodeID] = arrival{q: q, routedAgent: routedAgent, at: d.Clock.Now()}
}

// overTTL is how long an episode found over is remembered: longer than
// the queue read model lags.
const overTTL = 30 * time.Second

// pending is the queue to dispatch: the read model's, without the episodes
// being confirmed or found over, with the arrivals it does not show yet.
// Arrivals it showed before and shows no more (taken or gone) are
// forgotten, as are the expired ones.
func (d *Dispatcher) pending(queue []QueuedConversation) []QueuedConversation {
	d.mu.Lock()
	defer d.mu.Unlock()
	now := d.Clock.Now()
	for ep, at := range d.over {
		if now.Sub(at) > overTTL {
			delete(d.over, ep)
		}
	}
	out := queue[:0]
	shown := make(map[uuid.UUID]bool, len(queue))
	for _, q := range queue {
		shown[q.EpisodeID] = true
		if a, ok := d.arrivals[q.EpisodeID]; ok {
			a.shown = true
			d.arrivals[q.EpisodeID] = a
		}
		if _, over := d.over[q.EpisodeID]; !over && !d.confirming[q.EpisodeID] {
			out = append(out, q)
		}
	}
	for ep, a := range d.arrivals {
		_, over := d.over[ep]
		switch {
		case shown[ep]:
		case over, a.shown, now.Sub(a.at) > arrivalTTL:
			delete(d.arrivals, ep)
		case !d.confirming[ep]:
			out = append(out, a.q)
		}
	}
	return out
}

// ended records that an episode waits no more (joined, or gone).
func (d *Dispatcher) ended(episodeID uuid.UUID) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.over == nil {
		d.over = map[uuid.UUID]time.Time{}
	}
	d.over[episodeID] = d.Clock.Now()
	delete(d.arrivals, episodeID)
}

// arrived answers the arrival of episodeID, if it is one.
func (d *Dispatcher) arrived(episodeID uuid.UUID) (arrival, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	a, ok := d.arrivals[episodeID]
	return a, ok
}

var dispatchNamespace = uuid.MustParse("5b3c1f0e-7a2d-4f61-9e0b-2c4d6a8e1f37")

// Run sweeps every d.Every, and whenever Wake fires, until ctx ends. The
// first sweep repairs what a previous run left half done.
func (d *Dispatcher) Run(ctx context.Context) error {
	every := d.Every
	if every <= 0 {
		every = 100 * time.Millisecond
	}
	l := sweep.Loop{Every: every, Wake: d.Wake, Failed: func(err error, failures int, pause time.Duration) {
		d.log().Warn("dispatch sweep failed", "err", err, "failures", failures, "retry_in", pause)
	}}
	l.Run(ctx, func(ctx context.Context) error { return d.sweep(ctx, &joins{log: d.log()}) })
	d.greetings.Wait()
	return nil
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

// graceOf is the grace of slot: a dispatcher's reservation's, or a seat's.
func (d *Dispatcher) graceOf(slot agent.Slot) time.Duration {
	if slot.Auto() {
		return d.grace()
	}
	if d.SeatGrace <= 0 {
		return 2 * time.Minute
	}
	return d.SeatGrace
}

// Sweep settles the slots that need it (freeing those whose conversation
// the agent left, repairing abandoned reservations) and assigns queued
// conversations, each team's in queue order. A team is not looked at past
// a conversation nobody can take: every later conversation of the team has
// the same candidates, so assigning one would jump the queue. It returns
// once the joins it started are recorded (or failed).
func (d *Dispatcher) Sweep(ctx context.Context) error {
	js := &joins{}
	err := d.sweep(ctx, js)
	js.wg.Wait()
	return errors.Join(append([]error{err}, js.errs...)...)
}

// sweep is Sweep without waiting for the joins: Run's next sweep need not
// wait for them either, since the episodes being confirmed count as taken.
func (d *Dispatcher) sweep(ctx context.Context, js *joins) error {
	// The slots to settle are read alongside the queue.
	var (
		slots   []SlotRef
		slotErr error
		read    sync.WaitGroup
	)
	if d.Unsettled != nil {
		read.Go(func() { slots, slotErr = d.Unsettled(ctx, d.Clock.Now().Add(-d.grace())) })
	}
	queue, err := d.Queue(ctx)
	read.Wait()
	var errs []error
	if slotErr != nil {
		errs = append(errs, slotErr)
	}
	for _, s := range slots {
		if err := d.settle(ctx, s); err != nil {
			errs = append(errs, fmt.Errorf("settle %s: %w", s.ReservationID, err))
		}
	}
	if err != nil {
		return errors.Join(append(errs, err)...)
	}
	queue = d.pending(queue)
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
	// Every team's candidates and every tenant's policy are read at once
	// (a few at a time).
	cands := make([][]Candidate, len(order))
	candErrs := make([]error, len(order))
	policies := map[uuid.UUID]*dispatch.Policy{}
	policyErrs := map[uuid.UUID]*error{}
	var reads sync.WaitGroup
	bound := make(chan struct{}, maxReads)
	fetch := func(f func()) {
		bound <- struct{}{}
		reads.Go(func() {
			defer func() { <-bound }()
			f()
		})
	}
	for i, k := range order {
		fetch(func() { cands[i], candErrs[i] = d.Candidates(ctx, k.tenant, k.team) })
		if _, ok := policies[k.tenant]; !ok {
			pol, perr := new(dispatch.Policy), new(error)
			policies[k.tenant], policyErrs[k.tenant] = pol, perr
			if d.Policy != nil {
				fetch(func() { *pol, *perr = d.Policy(ctx, k.tenant) })
			}
		}
	}
	reads.Wait()
	for i, k := range order {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if err := cmp.Or(*policyErrs[k.tenant], candErrs[i]); err != nil {
			errs = append(errs, fmt.Errorf("team %s: %w", k.team, err))
			continue
		}
		if err := d.dispatchTeam(ctx, js, *policies[k.tenant], k.tenant, k.team, teams[k], cands[i]); err != nil {
			errs = append(errs, fmt.Errorf("team %s: %w", k.team, err))
		}
	}
	return errors.Join(errs...)
}

// Hours is how a team's working hours gate its candidates.
type Hours struct {
	// TeamOnly is the tenant's dispatch.team_business_hours_only: nobody
	// is a candidate outside the working hours of the team's plan.
	TeamOnly bool
	// Personal is dispatch.working_hours_source = agent: an agent with a
	// personal plan (Candidate.Schedule) is a candidate only inside its
	// hours, whatever TeamOnly says; one without follows the team's rule.
	Personal bool
	// TimeZone is the tenant's; Schedule the team's plan as stored (nil:
	// the team has no plan, so no hours to keep).
	TimeZone string
	Schedule json.RawMessage
}

// TeamCandidates applies the team-level rules to a team's members: the
// working hours of hours at now (seed 000: "new conversations are assigned
// only when agents are within their working hours").
func TeamCandidates(members []Candidate, hours Hours, now time.Time) ([]Candidate, error) {
	if !hours.TeamOnly && !hours.Personal {
		return members, nil
	}
	loc, err := time.LoadLocation(hours.TimeZone)
	if err != nil {
		return nil, err
	}
	teamWorking := true
	if hours.TeamOnly {
		if teamWorking, err = workingAt(hours.Schedule, loc, now); err != nil {
			return nil, err
		}
	}
	var out []Candidate
	for _, m := range members {
		working := teamWorking
		if hours.Personal && hasPlan(m.Schedule) {
			if working, err = workingAt(m.Schedule, loc, now); err != nil {
				return nil, fmt.Errorf("personal time plan of %s: %w", m.AgentID, err)
			}
		}
		if working {
			out = append(out, m)
		}
	}
	return out, nil
}

func hasPlan(schedule json.RawMessage) bool { return len(schedule) > 0 && string(schedule) != "null" }

// workingAt reports whether now is working time under schedule; without a
// plan every hour is.
func workingAt(schedule json.RawMessage, loc *time.Location, now time.Time) (bool, error) {
	if !hasPlan(schedule) {
		return true, nil
	}
	var sc eventschema.TimePlanSchedule
	if err := json.Unmarshal(schedule, &sc); err != nil {
		return false, fmt.Errorf("time plan schedule: %w", err)
	}
	plan, _, err := timeplan.ParseSchedule(sc)
	if err != nil {
		return false, err
	}
	return plan.IsWorkingTime(now, loc), nil
}

// PolicyOf reads a tenant's dispatch policy from its dispatch.* settings
// (by key, as stored); a setting missing takes its documented default.
func PolicyOf(settings map[string]json.RawMessage) dispatch.Policy {
	get := func(key string) json.RawMessage {
		if v, ok := settings[key]; ok {
			return v
		}
		return tenant.Settings[key].Default
	}
	var p dispatch.Policy
	var priority struct {
		Enabled bool     `json:"enabled"`
		Order   []string `json:"order"`
	}
	if json.Unmarshal(get("dispatch.channel_priority"), &priority) == nil && priority.Enabled {
		p.ChannelOrder = priority.Order
	}
	p.Familiarity = string(get("dispatch.familiarity")) == "true"
	_ = json.Unmarshal(get("dispatch.familiarity_mode"), &p.FamiliarityMode)
	return p
}

func (q QueuedConversation) waiting() dispatch.Waiting {
	return dispatch.Waiting{ConversationID: q.ConversationID, VIP: q.VIP, Channel: q.Channel, CreatedAt: q.CreatedAt}
}

// dispatchTeam assigns a team's queued conversations in queue order to
// its candidates, each to the preferred agent while eligible, else to the
// best ranked (dispatch.Choose), until one cannot be assigned.
func (d *Dispatcher) dispatchTeam(ctx context.Context, js *joins, pol dispatch.Policy, tenantID, teamID uuid.UUID, queue []QueuedConversation, cands []Candidate) error {
	slices.SortStableFunc(queue, func(a, b QueuedConversation) int { return pol.CompareQueue(a.waiting(), b.waiting()) })
	facts, err := d.facts(ctx, tenantID, cands)
	if err != nil {
		return err
	}
	for _, q := range queue {
		if len(dispatch.Rank(facts)) == 0 {
			return nil // nobody can take any
		}
		var read *conversationFacts
		c := conversationFacts{queuedFor: q.Reason}
		if a, ok := d.arrived(q.EpisodeID); ok {
			c.routedAgent = a.routedAgent
		} else {
			if c, err = d.readConversation(ctx, q.TenantID, q.ConversationID); err != nil {
				return err
			}
			if s := c.state; s.IsClosed || s.Segment.ID != uuid.Nil || s.Episode.ID != q.EpisodeID {
				d.ended(q.EpisodeID)
				continue // the read model lags: this one is no longer waiting
			}
			read = &c
		}
		var history []dispatch.Served
		if pol.Familiarity && d.Familiarity != nil {
			if history, err = d.Familiarity(ctx, tenantID, q.CustomerID); err != nil {
				return err
			}
		}
		settled := false
		for _, cand := range dispatch.Choose(facts, pol.Preferred(c.queuedFor, c.routedAgent, history)) {
			r, err := d.Reserve(ctx, q, cand.AgentID)
			var de *domain.Error
			if errors.As(err, &de) || errors.Is(err, ErrConflict) {
				// The agent changed since its facts were read (status,
				// capacity, another replica's reservation): take what the
				// attempt read, try the next one.
				d.refresh(facts, tenantID, cand.AgentID)
				continue
			}
			if err != nil {
				return err
			}
			// Assigned, or taken elsewhere meanwhile (and compensated):
			// either way this conversation waits no more.
			d.confirmLater(ctx, r, read, js)
			d.refresh(facts, tenantID, cand.AgentID)
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

// conversationFacts is a conversation's stream as the dispatcher reads it
// before assigning: the state, why its current stay in the queue began,
// and the agent a routing rule named, if one did.
type conversationFacts struct {
	state       conversation.State
	queuedFor   string
	routedAgent uuid.UUID
	// version is where the stream stood when read.
	version uint64
}

func (d *Dispatcher) readConversation(ctx context.Context, tenantID, id uuid.UUID) (conversationFacts, error) {
	var c conversationFacts
	err := d.readStream(ctx, tenantID, conversation.Stream(tenantID, id), func(env eventschema.Envelope, payload any) {
		c.state = conversation.Evolve(c.state, payload)
		c.version = env.StreamVersion
		switch e := payload.(type) {
		case eventschema.ConversationRouted:
			if e.TargetKind == routing.TargetAgent {
				c.routedAgent = e.TargetID
			}
		case eventschema.ConversationQueued:
			c.queuedFor = e.Reason
		}
	})
	return c, err
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
// the agent and the stream version it is appended after, so two replicas
// deciding the same reservation from the same state write it once (the
// second append finds the same events in place), while a later one (after
// a release, or after another writer moved the stream) is a new
// reservation.
func (d *Dispatcher) Reserve(ctx context.Context, q QueuedConversation, agentID uuid.UUID) (Reservation, error) {
	r := Reservation{Who: agent.Identity{TenantID: q.TenantID, AgentID: agentID}}
	err := d.onAgent(ctx, r.Who, func(v agentView) (Meta, []any, error) {
		key := make([]byte, 0, 40)
		key = append(key, q.EpisodeID[:]...)
		key = append(key, agentID[:]...)
		key = fmt.Appendf(key, "@%d", v.version)
		r.ID = uuid.NewSHA1(dispatchNamespace, key)
		r.Slot = agent.Slot{ReservationID: r.ID, ConversationID: q.ConversationID, EpisodeID: q.EpisodeID, TeamID: q.TeamID}
		events, err := agent.Reserve(v.state, r.Who, r.Slot)
		return d.meta(q.TenantID, r.ID, "reserve"), events, err
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

// join is the second step: the agent joins the conversation, naming the
// reservation. When the conversation no longer waits for it, the slot is
// released instead; join then answers false. read, when set, is the
// conversation as read before the reservation: the join is appended after
// it, guarded by its version, and decided again on a fresh read only when
// the stream moved on.
func (d *Dispatcher) join(ctx context.Context, r Reservation, read *conversationFacts) (bool, Result, error) {
	m, sc := d.meta(r.Who.TenantID, r.ID, "confirm"), Scope{TenantID: r.Who.TenantID}
	decide := func(s conversation.State) ([]any, error) {
		return dispatch.Confirm(s, r.Slot.EpisodeID, r.Who.AgentID, uuid.NewSHA1(r.ID, []byte("segment")), r.ID)
	}
	if read != nil && sc.check(read.state) == nil {
		if events, err := decide(read.state); err == nil {
			res, err := d.appendConversation(ctx, *read, m, events)
			if err == nil {
				return true, res, nil
			}
			if !errors.Is(err, eventstore.ErrWrongExpectedVersion) {
				return false, res, err
			}
		}
	}
	res, err := onConversation(ctx, d.Handler, m, sc, r.Slot.ConversationID, decide)
	var de *domain.Error
	if errors.As(err, &de) {
		return false, res, d.release(ctx, r.Who, r.ID, dispatch.ReleaseReason(err))
	}
	return err == nil, res, err
}

// appendConversation appends a decision made on c, guarded by its version.
// A retried join finds its events in place: the store answers as if it
// appended them.
func (d *Dispatcher) appendConversation(ctx context.Context, c conversationFacts, m Meta, payloads []any) (Result, error) {
	m.TenantID = c.state.TenantID
	events, err := d.Handler.encode(m, payloads)
	if err != nil {
		return Result{}, err
	}
	stream := conversation.Stream(c.state.TenantID, c.state.ID)
	res, err := d.Handler.store.Append(ctx, stream, eventstore.Exact(c.version), events)
	if err != nil {
		return Result{}, err
	}
	return Result{Stream: stream, Version: res.Version, Position: res.Position, Events: len(events)}, nil
}

// greet sends the greetings of the agent a confirmed reservation joined.
// The join is recorded: a failed greeting does not undo it. A conversation
// closed meanwhile refuses greetings; that is no fault.
func (d *Dispatcher) greet(ctx context.Context, r Reservation, res Result) {
	m, sc := d.meta(r.Who.TenantID, r.ID, "confirm"), Scope{TenantID: r.Who.TenantID}
	if _, err := d.Handler.greetAfter(ctx, m, sc, r.Slot.ConversationID, res, nil); err != nil && ctx.Err() == nil {
		var de *domain.Error
		if !errors.As(err, &de) {
			d.log().Warn("greeting an auto-assigned agent failed", "conversation", r.Slot.ConversationID, "err", err)
		}
	}
}

// confirm joins and greets, answering whether the agent joined.
func (d *Dispatcher) confirm(ctx context.Context, r Reservation) (bool, error) {
	ok, res, err := d.join(ctx, r, nil)
	if ok {
		d.greet(ctx, r, res)
	}
	return ok, err
}

// joins are the confirmations a sweep started: Sweep returns once they are
// recorded, Run's sweeps do not wait for them; the greetings that follow
// may still be on their way in either case.
type joins struct {
	wg   sync.WaitGroup
	mu   sync.Mutex
	errs []error
	// log, when set, takes the failures instead of errs: nobody waits.
	log *slog.Logger
}

// maxConfirming bounds the confirmations under way at once; maxGreeting
// the greetings, which wait without holding anyone up: a join is what
// the customer waits for.
const (
	maxConfirming = 16
	maxGreeting   = 4
)

// maxReads bounds the read-model queries a sweep runs at once.
const maxReads = 8

// confirmLater confirms r while the sweep goes on reserving for the next
// conversations: the reservation already holds the agent's slot and takes
// the conversation out of the queue order, so the next reservation need
// not wait for this join (nor for its greetings). Until the join is
// recorded the episode counts as taken, so that a sweep reading a queue
// that does not show the join yet does not reserve it again; after it,
// the episode is over.
func (d *Dispatcher) confirmLater(ctx context.Context, r Reservation, read *conversationFacts, js *joins) {
	d.mu.Lock()
	if d.confirming == nil {
		d.confirming = map[uuid.UUID]bool{}
		d.slots = make(chan struct{}, maxConfirming)
		d.greeting = make(chan struct{}, maxGreeting)
	}
	d.confirming[r.Slot.EpisodeID] = true
	slots, greeting := d.slots, d.greeting
	d.mu.Unlock()
	slots <- struct{}{}
	js.wg.Add(1)
	d.greetings.Add(1)
	go func() {
		defer d.greetings.Done()
		ok, res, err := d.join(ctx, r, read)
		if err == nil {
			d.ended(r.Slot.EpisodeID) // joined, or no longer waiting
		}
		d.mu.Lock()
		delete(d.confirming, r.Slot.EpisodeID)
		d.mu.Unlock()
		<-slots
		switch {
		case err != nil && js.log != nil:
			if ctx.Err() == nil {
				js.log.Warn("dispatch: confirming a reservation failed", "reservation", r.ID, "err", err)
			}
		case err != nil:
			js.mu.Lock()
			js.errs = append(js.errs, fmt.Errorf("confirm %s: %w", r.ID, err))
			js.mu.Unlock()
		}
		js.wg.Done()
		if ok {
			greeting <- struct{}{}
			d.greet(ctx, r, res)
			<-greeting
		}
	}()
}

func (d *Dispatcher) release(ctx context.Context, who agent.Identity, reservationID uuid.UUID, reason string) error {
	return d.onAgent(ctx, who, func(v agentView) (Meta, []any, error) {
		events, err := agent.Release(v.state, who, reservationID, reason)
		return d.meta(who.TenantID, reservationID, "release"), events, err
	})
}

func occurred(e eventschema.Envelope) time.Time {
	if e.Metadata.OccurredAt.IsZero() {
		return e.RecordedAt
	}
	return e.Metadata.OccurredAt
}

func (d *Dispatcher) readStream(ctx context.Context, tenantID uuid.UUID, stream string, fn func(eventschema.Envelope, any)) error {
	for from := uint64(0); ; {
		page, err := d.Handler.readStream(ctx, tenantID, stream, eventstore.Forwards, from, readPage)
		if err != nil {
			return err
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

// settle decides an open slot's future by what its conversation's stream
// shows (dispatch.Fate): released when the agent left, confirmed when its
// dispatcher stopped before confirming, released when that conversation
// waits for it no more.
func (d *Dispatcher) settle(ctx context.Context, ref SlotRef) error {
	v, err := d.readAgent(ctx, agent.Identity{TenantID: ref.TenantID, AgentID: ref.AgentID})
	if err != nil {
		return err
	}
	slot, held := v.state.Slots[ref.ReservationID]
	if !held {
		return nil // released meanwhile
	}
	view, err := d.slotView(ctx, ref.TenantID, slot)
	if err != nil {
		return err
	}
	view.Age = d.Clock.Now().Sub(v.reservedAt[ref.ReservationID])
	who := agent.Identity{TenantID: ref.TenantID, AgentID: ref.AgentID}
	switch action, reason := dispatch.Fate(view, d.graceOf(slot)); action {
	case dispatch.ConfirmIt:
		d.log().Info("dispatch: confirming an abandoned reservation", "reservation", ref.ReservationID, "agent", ref.AgentID)
		_, err = d.confirm(ctx, Reservation{ID: ref.ReservationID, Slot: slot, Who: who})
	case dispatch.ReleaseIt:
		err = d.release(ctx, who, ref.ReservationID, reason)
	}
	return err
}

// slotView reads what the conversation's stream tells about slot.
func (d *Dispatcher) slotView(ctx context.Context, tenantID uuid.UUID, slot agent.Slot) (dispatch.SlotView, error) {
	var (
		s       conversation.State
		v       dispatch.SlotView
		segment uuid.UUID
	)
	err := d.readStream(ctx, tenantID, conversation.Stream(tenantID, slot.ConversationID), func(_ eventschema.Envelope, payload any) {
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
	// Only the dispatcher's reservations are rolled forward from the
	// queue; a slot taken for another way of joining is released once it
	// is over or was never used.
	v.Waiting = slot.Auto() && !s.IsClosed && s.Segment.ID == uuid.Nil && s.Episode.ID == slot.EpisodeID
	return v, err
}
