package commands_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"golang.org/x/crypto/bcrypt"

	"supportd/commands"
	"supportd/credentials"
	"supportd/domain"
	"supportd/domain/agent"
	"supportd/domain/conversation"
	"supportd/eventschema"
	"supportd/eventstore"
	"supportd/eventstore/postgres"
	"supportd/eventstore/postgres/pgtest"
)

// logQueue is the queue as a read model would keep it, projected in the
// test from the live log: the dispatchers read it, lagging like the real
// one. It remembers when each episode was applied and when each reader
// last read, for the order checker.
type logQueue struct {
	mu      sync.Mutex
	created map[uuid.UUID]time.Time // conversation → started
	vip     map[uuid.UUID]bool
	open    map[uuid.UUID]commands.QueuedConversation // by episode
	applied map[uuid.UUID]time.Time                   // episode → applied
	reads   map[int][]time.Time                       // reader → read times
	// agents are the ranking facts as the dispatch read model projects
	// them, lagging like it.
	agents map[uuid.UUID]commands.Candidate
	// slots are the open slots with what their conversation showed.
	slots map[uuid.UUID]*trackedSlot
	// at is the position of the last event followed.
	at eventschema.Position
}

// reached reports whether the follower has applied the event at pos.
func (q *logQueue) reached(pos eventschema.Position) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	return !q.at.Less(pos)
}

type trackedSlot struct {
	ref           commands.SlotRef
	conv, segment uuid.UUID
	reservedAt    time.Time
	joined, ended bool
}

// unsettled lists the open slots that ended or were never confirmed, as
// the dispatch read model does.
func (q *logQueue) unsettled(_ context.Context, reservedBefore time.Time) ([]commands.SlotRef, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	var out []commands.SlotRef
	for _, s := range q.slots {
		if s.ended || (!s.joined && s.reservedAt.Before(reservedBefore)) {
			out = append(out, s.ref)
		}
	}
	return out, nil
}

func newLogQueue() *logQueue {
	return &logQueue{created: map[uuid.UUID]time.Time{}, vip: map[uuid.UUID]bool{},
		open: map[uuid.UUID]commands.QueuedConversation{}, applied: map[uuid.UUID]time.Time{}, reads: map[int][]time.Time{},
		agents: map[uuid.UUID]commands.Candidate{}, slots: map[uuid.UUID]*trackedSlot{}}
}

// followLog calls fn for each event of the log in order until ctx ends,
// as the server's readers do: a failed read (a loaded database times out)
// is tried again from the last event applied, so no event is missed or
// applied twice. It answers the failures it saw.
func followLog(ctx context.Context, store eventstore.Store, fn func(eventschema.Envelope) error) (failures []error) {
	after := eventschema.Start
	for ctx.Err() == nil {
		err := store.Subscribe(ctx, after, func(e eventschema.Envelope) error {
			if err := fn(e); err != nil {
				return err
			}
			after = e.Position
			return nil
		})
		if ctx.Err() == nil && err != nil {
			failures = append(failures, err)
			time.Sleep(50 * time.Millisecond)
		}
	}
	return failures
}

func (q *logQueue) follow(ctx context.Context, store eventstore.Store, reg *eventschema.Registry) error {
	return errors.Join(followLog(ctx, store, func(e eventschema.Envelope) error {
		p, err := reg.Decode(e)
		if err != nil {
			return err
		}
		q.mu.Lock()
		defer q.mu.Unlock()
		q.at = e.Position
		fact := func(id uuid.UUID) commands.Candidate {
			c, ok := q.agents[id]
			if !ok {
				c = commands.Candidate{AgentID: id, Known: true, Status: string(agent.Offline), Capacity: agent.DefaultCapacity}
			}
			c.Version = e.StreamVersion
			return c
		}
		switch p := p.(type) {
		case eventschema.AgentStatusChanged:
			c := fact(p.AgentID)
			c.Status = p.To
			q.agents[p.AgentID] = c
		case eventschema.AgentCapacitySet:
			c := fact(p.AgentID)
			c.Capacity = p.Capacity
			q.agents[p.AgentID] = c
		case eventschema.AgentSlotReserved:
			c := fact(p.AgentID)
			c.Open, c.LastAssigned = c.Open+1, e.Metadata.OccurredAt
			q.agents[p.AgentID] = c
			q.slots[p.ReservationID] = &trackedSlot{ref: commands.SlotRef{TenantID: p.TenantID, AgentID: p.AgentID, ReservationID: p.ReservationID},
				conv: p.ConversationID, reservedAt: e.Metadata.OccurredAt}
		case eventschema.AgentSlotReleased:
			c := fact(p.AgentID)
			c.Open--
			q.agents[p.AgentID] = c
			delete(q.slots, p.ReservationID)
		case eventschema.ConversationStarted:
			q.created[p.ConversationID], q.vip[p.ConversationID] = e.Metadata.OccurredAt, p.VIP
		case eventschema.ConversationQueued:
			q.open[p.EpisodeID] = commands.QueuedConversation{TenantID: p.TenantID, ConversationID: p.ConversationID,
				EpisodeID: p.EpisodeID, TeamID: p.TeamID, VIP: p.VIP, CreatedAt: q.created[p.ConversationID],
				Channel: "web", Reason: p.Reason}
			q.applied[p.EpisodeID] = time.Now()
		case eventschema.AgentJoined:
			delete(q.open, p.EpisodeID)
			if s, ok := q.slots[p.ReservationID]; ok {
				s.joined, s.segment = true, p.SegmentID
			}
		case eventschema.AgentLeft:
			for _, s := range q.slots {
				if s.conv == p.ConversationID && s.segment == p.SegmentID {
					s.ended = true
				}
			}
		case eventschema.ConversationClosed:
			for _, s := range q.slots {
				if s.conv == p.ConversationID && s.joined {
					s.ended = true
				}
			}
		case eventschema.ConversationLeftQueue:
			delete(q.open, p.EpisodeID)
		}
		return nil
	})...)
}

// reader returns the Queue func of dispatcher n.
func (q *logQueue) reader(n int) func(context.Context) ([]commands.QueuedConversation, error) {
	return func(context.Context) ([]commands.QueuedConversation, error) {
		q.mu.Lock()
		defer q.mu.Unlock()
		q.reads[n] = append(q.reads[n], time.Now())
		out := make([]commands.QueuedConversation, 0, len(q.open))
		for _, c := range q.open {
			out = append(out, c)
		}
		return out, nil
	}
}

// only reports whether conv is the only conversation waiting.
func (q *logQueue) only(conv uuid.UUID) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	for _, c := range q.open {
		if c.ConversationID != conv {
			return false
		}
	}
	return len(q.open) == 1
}

func (q *logQueue) waiting() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.open)
}

// snapshotBefore is the latest time before t at which every reader had
// read the queue: a reservation at t was decided on a snapshot at least
// that fresh.
func (q *logQueue) snapshotBefore(t time.Time) time.Time {
	q.mu.Lock()
	defer q.mu.Unlock()
	// Readers that had not read before t cannot have made it.
	var least time.Time
	for _, reads := range q.reads {
		var last time.Time
		for _, r := range reads {
			if r.Before(t) {
				last = r
			}
		}
		if !last.IsZero() && (least.IsZero() || last.Before(least)) {
			least = last
		}
	}
	return least
}

// world is a tenant with teams and signed-in agents.
type world struct {
	h       *commands.Handler
	store   eventstore.Store
	tenant  uuid.UUID
	teams   []uuid.UUID
	members map[uuid.UUID][]uuid.UUID // team → agents
	agents  []uuid.UUID
}

func newWorld(t *testing.T, h *commands.Handler, store eventstore.Store, teams int, agentsOf func(i int) []int, nAgents int) *world {
	t.Helper()
	ctx := context.Background()
	w := &world{h: h, store: store, tenant: uuid.Must(uuid.NewV7()), members: map[uuid.UUID][]uuid.UUID{}}
	if _, err := h.CreateTenant(ctx, admin(), commands.CreateTenant{TenantID: w.tenant, Name: "Acme", TimeZone: "UTC", Admin: boss}); err != nil {
		t.Fatal(err)
	}
	if _, err := h.LicenseSeats(ctx, admin(), commands.LicenseSeats{TenantID: w.tenant, Seats: nAgents + 1}); err != nil {
		t.Fatal(err)
	}
	for i := range teams {
		id := uuid.Must(uuid.NewV7())
		if _, err := h.CreateTeam(ctx, admin(), commands.CreateTeam{TenantID: w.tenant, TeamID: id, Name: fmt.Sprintf("Team %d", i)}); err != nil {
			t.Fatal(err)
		}
		w.teams = append(w.teams, id)
	}
	for i := range nAgents {
		email := fmt.Sprintf("agent%d@acme.example", i)
		a, err := h.AddAgent(ctx, admin(), commands.AddAgent{TenantID: w.tenant, Email: email, Nickname: fmt.Sprintf("Agent %d", i),
			Role: "agent", Password: "correct-horse"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := h.SignIn(ctx, admin(), commands.SignIn{TenantID: w.tenant, Email: email, Password: "correct-horse"}); err != nil {
			t.Fatal(err)
		}
		w.agents = append(w.agents, a.AgentID)
		for _, team := range agentsOf(i) {
			w.members[w.teams[team]] = append(w.members[w.teams[team]], a.AgentID)
		}
	}
	for team, ids := range w.members {
		if _, err := h.UpdateTeamMembers(ctx, admin(), commands.UpdateTeamMembers{TenantID: w.tenant, TeamID: team, Add: ids}); err != nil {
			t.Fatal(err)
		}
	}
	return w
}

// candidates lists a team's members without facts: the dispatcher reads
// each from its stream.
func (w *world) candidates(_ context.Context, _, team uuid.UUID) ([]commands.Candidate, error) {
	var out []commands.Candidate
	for _, a := range w.members[team] {
		out = append(out, commands.Candidate{AgentID: a})
	}
	return out, nil
}

// candidatesFrom lists a team's members with the facts q projected, as
// the dispatch read model gives them: the dispatcher ranks by them.
func (w *world) candidatesFrom(q *logQueue) func(context.Context, uuid.UUID, uuid.UUID) ([]commands.Candidate, error) {
	return func(_ context.Context, _, team uuid.UUID) ([]commands.Candidate, error) {
		q.mu.Lock()
		defer q.mu.Unlock()
		var out []commands.Candidate
		for _, a := range w.members[team] {
			c, ok := q.agents[a]
			if !ok {
				c = commands.Candidate{AgentID: a}
			}
			out = append(out, c)
		}
		return out, nil
	}
}

// openSlots lists every slot the agents hold, read from their streams:
// what the dispatcher is to settle, exactly.
func (w *world) openSlots(ctx context.Context, _ time.Time) ([]commands.SlotRef, error) {
	var out []commands.SlotRef
	reg := eventschema.Catalog()
	for _, a := range w.agents {
		page, err := w.store.ReadStream(ctx, agent.Stream(w.tenant, a), eventstore.Forwards, 0, 10000)
		if err != nil {
			return nil, err
		}
		var s agent.State
		for _, e := range page {
			p, err := reg.Decode(e)
			if err != nil {
				return nil, err
			}
			s = agent.Evolve(s, p)
		}
		for id := range s.Slots {
			out = append(out, commands.SlotRef{TenantID: w.tenant, AgentID: a, ReservationID: id})
		}
	}
	return out, nil
}

func (w *world) start(t *testing.T, team uuid.UUID, vip bool) (uuid.UUID, uuid.UUID) {
	t.Helper()
	conv, customer := uuid.Must(uuid.NewV7()), uuid.Must(uuid.NewV7())
	if _, err := w.h.StartConversation(context.Background(), admin(), commands.StartConversation{TenantID: w.tenant, ConversationID: conv,
		Channel: "web", EntryTeamID: team, CustomerID: customer, VIP: vip}); err != nil {
		t.Error(err)
	}
	return conv, customer
}

func (w *world) status(ctx context.Context, a uuid.UUID, s agent.Status) error {
	_, err := w.h.ChangeStatus(ctx, admin(), commands.ChangeStatus{TenantID: w.tenant, AgentID: a, Status: s, ByAdmin: true})
	return err
}

func (w *world) capacity(ctx context.Context, a uuid.UUID, n int) error {
	_, err := w.h.SetCapacity(ctx, admin(), commands.SetCapacity{TenantID: w.tenant, AgentID: a, Capacity: n, ByAdmin: true})
	return err
}

func newHandlerClock(t *testing.T, clock commands.Clock) (*commands.Handler, eventstore.Store) {
	t.Helper()
	pool := pgtest.NewPool(t)
	if err := postgres.Migrate(context.Background(), pool); err != nil {
		t.Fatal(err)
	}
	store := postgres.New(pool)
	t.Cleanup(store.Close)
	h := commands.NewHandler(store, eventschema.Catalog(), clock)
	h.Passwords = commands.Bcrypt{Cost: bcrypt.MinCost}
	h.Credentials = credentials.Store{DB: pool}
	if err := h.Credentials.(credentials.Store).Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return h, store
}

// readLog reads the whole log, up to a marker event written now: the log
// holds back events while older transactions of the database server (other
// tests' too) are open, so the test waits for everything written before.
func (w *world) readLog(t *testing.T) ([]eventschema.Envelope, []any) {
	t.Helper()
	reg := eventschema.Catalog()
	mark, err := w.h.EditAgentProfile(context.Background(), admin(), commands.EditAgentProfile{
		AgentRef: commands.AgentRef{TenantID: w.tenant, AgentID: w.agents[0]}, Profile: agent.Profile{Nickname: "Marker " + uuid.NewString()[:8]}})
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(time.Minute)
	var (
		envs     []eventschema.Envelope
		payloads []any
	)
	for after := eventschema.Start; ; {
		page, err := w.store.ReadAll(context.Background(), after, 1000)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range page {
			p, err := reg.Decode(e)
			if err != nil {
				t.Fatal(err)
			}
			envs, payloads = append(envs, e), append(payloads, p)
			after = e.Position
		}
		if !after.Less(mark.Position) {
			return envs, payloads
		}
		if len(page) < 1000 {
			if time.Now().After(deadline) {
				t.Fatalf("the log stops at %s before %s", after, mark.Position)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
}

func joinedOf(t *testing.T, store eventstore.Store, reg *eventschema.Registry, tenantID, conv uuid.UUID) []eventschema.AgentJoined {
	t.Helper()
	page, err := store.ReadStream(context.Background(), conversation.Stream(tenantID, conv), eventstore.Forwards, 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	var out []eventschema.AgentJoined
	for _, e := range page {
		p, err := reg.Decode(e)
		if err != nil {
			t.Fatal(err)
		}
		if j, ok := p.(eventschema.AgentJoined); ok {
			out = append(out, j)
		}
	}
	return out
}

func TestDispatcherAssignsTheHighestIdleRate(t *testing.T) {
	t.Parallel()
	h, store := newHandlerClock(t, commands.SystemClock{})
	ctx := context.Background()
	// Agents 0-2 in team 0, agent 3 in team 1 only.
	w := newWorld(t, h, store, 2, func(i int) []int {
		if i == 3 {
			return []int{1}
		}
		return []int{0}
	}, 4)
	a0, a1, a2, a3 := w.agents[0], w.agents[1], w.agents[2], w.agents[3]
	// a0: 1 of 2 free (0.5) after one assignment; a1: 4 free of 4 (1.0)
	// but busy; a2: capacity 10, 10 free (1.0), online; a3: not in team.
	for _, err := range []error{w.capacity(ctx, a0, 2), w.capacity(ctx, a1, 4), w.status(ctx, a1, agent.Busy), w.capacity(ctx, a2, 10)} {
		if err != nil {
			t.Fatal(err)
		}
	}
	q := newLogQueue()
	qctx, stop := context.WithCancel(ctx)
	defer stop()
	go func() { _ = q.follow(qctx, store, eventschema.Catalog()) }()
	d := &commands.Dispatcher{Handler: h, Queue: q.reader(0), Candidates: w.candidatesFrom(q), Unsettled: w.openSlots, Clock: commands.SystemClock{}}
	// sweep waits until the projected queue is exactly conv, then sweeps.
	sweep := func(conv uuid.UUID) {
		t.Helper()
		deadline := time.Now().Add(time.Minute)
		for !q.only(conv) {
			if time.Now().After(deadline) {
				t.Fatalf("the queue never held just %s", conv)
			}
			time.Sleep(5 * time.Millisecond)
		}
		if err := d.Sweep(ctx); err != nil {
			t.Fatal(err)
		}
	}
	assignedTo := func(conv uuid.UUID) uuid.UUID {
		t.Helper()
		js := joinedOf(t, store, eventschema.Catalog(), w.tenant, conv)
		if len(js) != 1 || js[0].How != eventschema.JoinedAuto || js[0].ReservationID == uuid.Nil {
			t.Fatalf("joins of %s: %+v", conv, js)
		}
		return js[0].AgentID
	}

	// a0 (2 of 2 free) and a2 (10 of 10) tie at 1.0 and were never
	// assigned: the lower ID takes the first one, the other the second.
	c1, _ := w.start(t, w.teams[0], false)
	sweep(c1)
	first, lower := assignedTo(c1), a0
	if a2.String() < a0.String() {
		lower = a2
	}
	if first != lower {
		t.Fatalf("c1 went to %s", first)
	}
	c2, _ := w.start(t, w.teams[0], false)
	sweep(c2)
	second := assignedTo(c2)
	if second == first || (second != a0 && second != a2) {
		t.Fatalf("c2 went to %s after %s", second, first)
	}
	// a0 now holds 1 of 2 (0.5), a2 1 of 10 (0.9): a2 again.
	c3, _ := w.start(t, w.teams[0], false)
	sweep(c3)
	if got := assignedTo(c3); got != a2 {
		t.Fatalf("c3 went to %s, want a2 (highest idle rate)", got)
	}
	// Team 1's conversation goes to its only member.
	c4, _ := w.start(t, w.teams[1], false)
	sweep(c4)
	if got := assignedTo(c4); got != a3 {
		t.Fatalf("c4 went to %s, want a3", got)
	}
	// A busy agent gets nothing, however idle.
	if err := w.status(ctx, a2, agent.Busy); err != nil {
		t.Fatal(err)
	}
	if err := w.capacity(ctx, a0, 1); err != nil { // a0 full: 1 of 1
		t.Fatal(err)
	}
	c5, _ := w.start(t, w.teams[0], false)
	sweep(c5)
	if js := joinedOf(t, store, eventschema.Catalog(), w.tenant, c5); len(js) != 0 {
		t.Fatalf("c5 assigned while nobody eligible: %+v", js)
	}
	// The slot a0 holds for c1 or c2 is freed when that conversation closes.
	var a0conv uuid.UUID
	for _, c := range []uuid.UUID{c1, c2} {
		if assignedTo(c) == a0 {
			a0conv = c
		}
	}
	if _, err := h.CloseConversation(ctx, admin(), commands.CloseConversation{Scope: commands.Scope{TenantID: w.tenant},
		ConversationID: a0conv, Reason: eventschema.ClosedByAgent, By: a0.String()}); err != nil {
		t.Fatal(err)
	}
	sweep(c5)
	if got := assignedTo(c5); got != a0 {
		t.Fatalf("c5 went to %s, want a0 once its slot was freed", got)
	}
	_, payloads := w.readLog(t)
	released := 0
	for _, p := range payloads {
		if r, ok := p.(eventschema.AgentSlotReleased); ok && r.AgentID == a0 && r.Reason == eventschema.SlotConversationLeft {
			released++
		}
	}
	if released != 1 {
		t.Fatalf("a0's slot released %d times", released)
	}
}

func TestDispatcherRepairsAnAbandonedReservation(t *testing.T) {
	t.Parallel()
	clock := &movingClock{t: time.Now().UTC()}
	h, store := newHandlerClock(t, clock)
	ctx := context.Background()
	w := newWorld(t, h, store, 1, func(int) []int { return []int{0} }, 2)
	q := newLogQueue()
	qctx, stop := context.WithCancel(ctx)
	defer stop()
	go func() { _ = q.follow(qctx, store, eventschema.Catalog()) }()
	reg := eventschema.Catalog()

	waitQueued := func(n int) []commands.QueuedConversation {
		t.Helper()
		deadline := time.Now().Add(time.Minute)
		for q.waiting() != n {
			if time.Now().After(deadline) {
				t.Fatalf("%d queued, want %d", q.waiting(), n)
			}
			time.Sleep(5 * time.Millisecond)
		}
		list, _ := q.reader(9)(ctx)
		return list
	}
	// Two conversations; a dispatcher reserves a slot for each and stops
	// before confirming. Then one of them is closed.
	keep, _ := w.start(t, w.teams[0], false)
	gone, goneCustomer := w.start(t, w.teams[0], false)
	crashed := &commands.Dispatcher{Handler: h, Queue: q.reader(0), Candidates: w.candidates, Clock: clock}
	reservations := map[uuid.UUID]commands.Reservation{}
	for _, c := range waitQueued(2) {
		r, err := crashed.Reserve(ctx, c, w.agents[0])
		if err != nil {
			t.Fatal(err)
		}
		reservations[c.ConversationID] = r
	}
	if _, err := h.CloseConversation(ctx, admin(), commands.CloseConversation{Scope: commands.Scope{TenantID: w.tenant},
		ConversationID: gone, Reason: eventschema.ClosedByCustomer, By: goneCustomer.String()}); err != nil {
		t.Fatal(err)
	}
	waitQueued(1)

	// A restarted dispatcher (its own agent list, as the server's read
	// model gives it) repairs what the crashed one left once the grace is
	// over: it confirms the one still waiting and releases the one whose
	// conversation closed.
	restarted := &commands.Dispatcher{Handler: h, Queue: q.reader(1), Candidates: w.candidates, Clock: clock, Unsettled: w.openSlots}
	clock.add(10 * time.Second)
	if err := restarted.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	js := joinedOf(t, store, reg, w.tenant, keep)
	if len(js) != 1 || js[0].AgentID != w.agents[0] || js[0].ReservationID != reservations[keep].ID {
		t.Fatalf("the waiting conversation's joins: %+v", js)
	}
	if js := joinedOf(t, store, reg, w.tenant, gone); len(js) != 0 {
		t.Fatalf("the closed conversation's joins: %+v", js)
	}
	_, payloads := w.readLog(t)
	var releases []eventschema.AgentSlotReleased
	for _, p := range payloads {
		if r, ok := p.(eventschema.AgentSlotReleased); ok {
			releases = append(releases, r)
		}
	}
	if len(releases) != 1 || releases[0].ReservationID != reservations[gone].ID || releases[0].Reason != eventschema.SlotCompensated {
		t.Fatalf("releases: %+v", releases)
	}
	// Repairing again changes nothing: every step is idempotent.
	dispatchEvents := func(payloads []any) (n int) {
		for _, p := range payloads {
			switch p.(type) {
			case eventschema.AgentSlotReserved, eventschema.AgentSlotReleased, eventschema.AgentJoined:
				n++
			}
		}
		return n
	}
	before := dispatchEvents(payloads)
	clock.add(time.Second)
	if err := restarted.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	if err := crashed.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	if _, payloads := w.readLog(t); dispatchEvents(payloads) != before {
		t.Fatalf("a second repair wrote %d events", dispatchEvents(payloads)-before)
	}
}

// TestDispatcherGivesBackAnUnusedSeat: a slot taken for a manual join
// whose join never came (the process stopped between the two steps) is
// kept while its command could still land, then given back; one whose
// join came stays until the agent leaves.
func TestDispatcherGivesBackAnUnusedSeat(t *testing.T) {
	t.Parallel()
	clock := &movingClock{t: time.Now().UTC()}
	h, store := newHandlerClock(t, clock)
	ctx := context.Background()
	w := newWorld(t, h, store, 1, func(int) []int { return []int{0} }, 1)
	a := w.agents[0]
	conv, _ := w.start(t, w.teams[0], false)
	unused := uuid.Must(uuid.NewV7())
	who := agent.Identity{TenantID: w.tenant, AgentID: a}
	if _, err := commands.Execute(ctx, h, admin(), commands.Aggregate[agent.State]{Tenant: w.tenant, Stream: agent.Stream(w.tenant, a), Evolve: agent.Evolve},
		func(s agent.State) ([]any, error) {
			return agent.Take(s, who, agent.Slot{ReservationID: unused, ConversationID: conv, How: eventschema.JoinedManual})
		}); err != nil {
		t.Fatal(err)
	}
	// The join that seats the agent for real, with its own slot.
	if _, err := h.JoinFromQueue(ctx, admin(), commands.JoinFromQueue{Scope: commands.Scope{TenantID: w.tenant}, ConversationID: conv, AgentID: a}); err != nil {
		t.Fatal(err)
	}
	d := &commands.Dispatcher{Handler: h, Queue: func(context.Context) ([]commands.QueuedConversation, error) { return nil, nil },
		Candidates: w.candidates, Clock: clock, Unsettled: w.openSlots, SeatGrace: time.Minute}
	held := func() int {
		slots, err := w.openSlots(ctx, time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		return len(slots)
	}
	clock.add(30 * time.Second)
	if err := d.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	if n := held(); n != 2 {
		t.Fatalf("within the seat's grace %d slots held, want 2", n)
	}
	clock.add(time.Minute)
	if err := d.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	if n := held(); n != 1 {
		t.Fatalf("after the seat's grace %d slots held, want the one in use", n)
	}
}

// TestDispatchUnderConcurrency runs two dispatchers (as two replicas
// would) while conversations arrive, close, and agents change status and
// capacity at random; then a checker reads the event log and finds no
// capacity breach, no assignment of an agent not online or not in the
// team, no conversation assigned while one ahead of it in its team's queue
// waited, and no slot leaked.
func TestDispatchUnderConcurrency(t *testing.T) {
	t.Parallel()
	const (
		nConversations = 200
		nAgents        = 30
		nTeams         = 3
	)
	h, store := newHandlerClock(t, commands.SystemClock{})
	reg := eventschema.Catalog()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	w := newWorld(t, h, store, nTeams, func(i int) []int {
		if i%5 == 0 {
			return []int{i % nTeams, (i + 1) % nTeams}
		}
		return []int{i % nTeams}
	}, nAgents)
	q := newLogQueue()
	qctx, stopQueue := context.WithCancel(ctx)
	defer stopQueue()
	followed := make(chan error, 1)
	go func() { followed <- q.follow(qctx, store, reg) }()
	defer func() {
		stopQueue()
		if err := <-followed; err != nil {
			t.Logf("the log queue read again after: %v", err)
		}
	}()

	dctx, stopDispatchers := context.WithCancel(ctx)
	var wg sync.WaitGroup
	for n := range 2 {
		// One ranks by projected facts and hears of queued conversations
		// from the log at once, as a server does; the other reads every
		// candidate's stream and waits for the projected queue.
		cands := w.candidatesFrom(q)
		if n == 1 {
			cands = w.candidates
		}
		wake := make(chan struct{}, 1)
		d := &commands.Dispatcher{Handler: h, Queue: q.reader(n), Candidates: cands, Unsettled: q.unsettled, Clock: commands.SystemClock{},
			Every: 20 * time.Millisecond, Grace: time.Second, Wake: wake}
		if n == 0 {
			wg.Go(func() { _ = announceArrivals(dctx, store, reg, d, wake) })
		}
		wg.Go(func() { _ = d.Run(dctx) })
	}

	// Agents change status and capacity at random.
	chaosCtx, stopChaos := context.WithCancel(ctx)
	var chaos sync.WaitGroup
	for range 3 {
		chaos.Go(func() {
			statuses := []agent.Status{agent.Online, agent.Online, agent.Busy, agent.Away}
			for chaosCtx.Err() == nil {
				a := w.agents[rand.IntN(len(w.agents))]
				var err error
				if rand.IntN(2) == 0 {
					err = w.status(chaosCtx, a, statuses[rand.IntN(len(statuses))])
				} else {
					err = w.capacity(chaosCtx, a, rand.IntN(4))
				}
				if err != nil && chaosCtx.Err() == nil && !errors.Is(err, commands.ErrConflict) {
					t.Errorf("chaos: %v", err)
				}
				time.Sleep(time.Duration(rand.IntN(10)) * time.Millisecond)
			}
		})
	}
	// Conversations arrive; some close while queued or served.
	type started struct{ conv, customer uuid.UUID }
	var (
		mu   sync.Mutex
		all  []started
		arrv sync.WaitGroup
	)
	for g := range 4 {
		arrv.Go(func() {
			for i := range nConversations / 4 {
				c, cu := w.start(t, w.teams[(g+i)%nTeams], rand.IntN(8) == 0)
				mu.Lock()
				all = append(all, started{c, cu})
				mu.Unlock()
				time.Sleep(time.Duration(rand.IntN(30)) * time.Millisecond)
			}
		})
	}
	// pick is one of the conversations started so far (zero: none yet).
	pick := func() started {
		mu.Lock()
		defer mu.Unlock()
		if len(all) == 0 {
			return started{}
		}
		return all[rand.IntN(len(all))]
	}
	closer := make(chan struct{})
	go func() {
		defer close(closer)
		for chaosCtx.Err() == nil {
			if pick := pick(); pick.conv != uuid.Nil {
				_, _ = h.CloseConversation(chaosCtx, admin(), commands.CloseConversation{Scope: commands.Scope{TenantID: w.tenant},
					ConversationID: pick.conv, Reason: eventschema.ClosedByCustomer, By: pick.customer.String()})
			}
			time.Sleep(time.Duration(10+rand.IntN(20)) * time.Millisecond)
		}
	}()
	// Meanwhile agents come to serve by every other way: manual joins,
	// admins' assignments, transfers to an agent and to a team.
	seatings := map[string]int{}
	var seatMu sync.Mutex
	for range 2 {
		chaos.Go(func() {
			for chaosCtx.Err() == nil {
				pick := pick()
				if pick.conv == uuid.Nil {
					time.Sleep(5 * time.Millisecond)
					continue
				}
				a := w.agents[rand.IntN(len(w.agents))]
				sc := commands.Scope{TenantID: w.tenant}
				byAdmin := conversation.Actor{Kind: "admin", ID: "admin-1"}
				var (
					way string
					err error
				)
				switch rand.IntN(4) {
				case 0:
					way = "manual join"
					_, err = h.JoinFromQueue(chaosCtx, admin(), commands.JoinFromQueue{Scope: sc, ConversationID: pick.conv, AgentID: a})
				case 1:
					way = "admin assignment"
					_, err = h.AssignFromQueue(chaosCtx, admin(), sc, pick.conv, a)
				case 2:
					way = "transfer to an agent"
					_, err = h.RequestTransfer(chaosCtx, admin(), commands.RequestTransfer{Scope: sc, ConversationID: pick.conv,
						TransferID: uuid.Must(uuid.NewV7()), By: byAdmin, ToKind: conversation.ToAgent, ToID: a})
				default:
					way = "transfer to a team"
					_, err = h.RequestTransfer(chaosCtx, admin(), commands.RequestTransfer{Scope: sc, ConversationID: pick.conv,
						TransferID: uuid.Must(uuid.NewV7()), By: byAdmin, ToKind: conversation.ToTeam, ToID: w.teams[rand.IntN(nTeams)]})
				}
				var de *domain.Error
				switch {
				case err == nil:
					seatMu.Lock()
					seatings[way]++
					seatMu.Unlock()
				case errors.As(err, &de), errors.Is(err, commands.ErrConflict), chaosCtx.Err() != nil:
				default:
					t.Errorf("%s: %v", way, err)
				}
				time.Sleep(time.Duration(5+rand.IntN(15)) * time.Millisecond)
			}
		})
	}
	arrv.Wait()
	time.Sleep(500 * time.Millisecond)
	stopChaos()
	chaos.Wait()
	<-closer
	// Everyone online with room: the dispatchers drain the queue.
	var last commands.Result
	for _, a := range w.agents {
		if err := w.status(ctx, a, agent.Online); err != nil {
			t.Fatal(err)
		}
		res, err := h.SetCapacity(ctx, admin(), commands.SetCapacity{TenantID: w.tenant, AgentID: a, Capacity: 20, ByAdmin: true})
		if err != nil {
			t.Fatal(err)
		}
		if last.Position.Less(res.Position) {
			last = res
		}
	}
	// The queue the dispatchers read lags the log (as a read model does):
	// it is drained only once it has caught up with everything written.
	deadline := time.Now().Add(time.Minute)
	for (!q.reached(last.Position) || q.waiting() > 0) && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if n := q.waiting(); n > 0 {
		t.Errorf("%d conversations still wait for online agents with free slots", n)
	}
	stopDispatchers()
	wg.Wait()
	// A last repair with no grace settles every reservation.
	final := &commands.Dispatcher{Handler: h, Queue: q.reader(99), Candidates: w.candidates, Clock: commands.SystemClock{}, Grace: time.Nanosecond, SeatGrace: time.Nanosecond,
		Unsettled: w.openSlots}
	if err := final.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	envs, payloads := w.readLog(t)
	checkDispatchLog(t, w, q, envs, payloads)
	t.Logf("done besides the dispatcher: %v", seatings)
	for _, way := range []string{"manual join", "admin assignment", "transfer to an agent", "transfer to a team"} {
		if seatings[way] == 0 {
			t.Errorf("no %s happened: the test did not try that path", way)
		}
	}
}

// announceArrivals tells d of every conversation queued, in log order, as
// the server's log follower does, and wakes it.
func announceArrivals(ctx context.Context, store eventstore.Store, reg *eventschema.Registry, d *commands.Dispatcher, wake chan struct{}) error {
	type start struct {
		at       time.Time
		customer uuid.UUID
		vip      bool
	}
	starts := map[uuid.UUID]start{}
	return errors.Join(followLog(ctx, store, func(e eventschema.Envelope) error {
		p, err := reg.Decode(e)
		if err != nil {
			return err
		}
		switch p := p.(type) {
		case eventschema.ConversationStarted:
			starts[p.ConversationID] = start{at: e.Metadata.OccurredAt, customer: p.CustomerID, vip: p.VIP}
		case eventschema.ConversationQueued:
			st := starts[p.ConversationID]
			d.Arrive(commands.QueuedConversation{TenantID: p.TenantID, ConversationID: p.ConversationID, EpisodeID: p.EpisodeID,
				TeamID: p.TeamID, VIP: p.VIP, CreatedAt: st.at, Channel: "web", CustomerID: st.customer, Reason: p.Reason}, uuid.Nil)
			select {
			case wake <- struct{}{}:
			default:
			}
		}
		return nil
	})...)
}

// checkDispatchLog replays the log and checks the dispatch invariants at
// every reservation and auto join.
func checkDispatchLog(t *testing.T, w *world, q *logQueue, envs []eventschema.Envelope, payloads []any) {
	t.Helper()
	type agentFacts struct {
		status   string
		capacity int
		open     map[uuid.UUID]eventschema.AgentSlotReserved
		// serving: every conversation the agent serves now, however it
		// came to.
		serving map[uuid.UUID]bool
	}
	type waiting struct {
		conv, team uuid.UUID
		vip        bool
		created    time.Time
		applied    time.Time
	}
	agents := map[uuid.UUID]*agentFacts{}
	facts := func(id uuid.UUID) *agentFacts {
		if agents[id] == nil {
			agents[id] = &agentFacts{status: "offline", capacity: agent.DefaultCapacity, open: map[uuid.UUID]eventschema.AgentSlotReserved{},
				serving: map[uuid.UUID]bool{}}
		}
		return agents[id]
	}
	member := map[[2]uuid.UUID]bool{}
	for team, ids := range w.members {
		for _, a := range ids {
			member[[2]uuid.UUID{team, a}] = true
		}
	}
	created := map[uuid.UUID]time.Time{}
	vip := map[uuid.UUID]bool{}
	queued := map[uuid.UUID]waiting{} // by episode
	serving := map[uuid.UUID]uuid.UUID{}
	ahead := func(a, b waiting) bool { // a before b in queue order
		if a.vip != b.vip {
			return a.vip
		}
		if !a.created.Equal(b.created) {
			return a.created.Before(b.created)
		}
		return a.conv.String() < b.conv.String()
	}
	reservations, joins, releases, violations := 0, 0, 0, 0
	seated := map[string]int{}
	report := func(format string, args ...any) {
		violations++
		if violations <= 10 {
			t.Errorf(format, args...)
		}
	}
	for i, p := range payloads {
		e := envs[i]
		switch p := p.(type) {
		case eventschema.AgentStatusChanged:
			facts(p.AgentID).status = p.To
		case eventschema.AgentCapacitySet:
			facts(p.AgentID).capacity = p.Capacity
		case eventschema.ConversationStarted:
			created[p.ConversationID], vip[p.ConversationID] = e.Metadata.OccurredAt, p.VIP
		case eventschema.ConversationQueued:
			q.mu.Lock()
			applied := q.applied[p.EpisodeID]
			q.mu.Unlock()
			queued[p.EpisodeID] = waiting{conv: p.ConversationID, team: p.TeamID, vip: vip[p.ConversationID], created: created[p.ConversationID], applied: applied}
		case eventschema.ConversationLeftQueue:
			delete(queued, p.EpisodeID)
		case eventschema.AgentJoined:
			serving[p.ConversationID] = p.AgentID
			facts(p.AgentID).serving[p.ConversationID] = true
			delete(queued, p.EpisodeID)
			slot, held := facts(p.AgentID).open[p.ReservationID]
			if p.How == eventschema.JoinedAuto {
				joins++
				if !held || slot.EpisodeID != p.EpisodeID {
					report("auto join of %s by %s without a held reservation", p.ConversationID, p.AgentID)
				}
			} else {
				seated[p.How]++
				if !held || slot.How != p.How || slot.ConversationID != p.ConversationID {
					report("%s of %s by %s holds no slot of the agent", p.How, p.ConversationID, p.AgentID)
				}
			}
		case eventschema.AgentLeft:
			if serving[p.ConversationID] == p.AgentID {
				delete(serving, p.ConversationID)
			}
			delete(facts(p.AgentID).serving, p.ConversationID)
		case eventschema.ConversationClosed:
			if a, ok := serving[p.ConversationID]; ok {
				delete(facts(a).serving, p.ConversationID)
				delete(serving, p.ConversationID)
			}
		case eventschema.AgentSlotReserved:
			a := facts(p.AgentID)
			if p.How != "" {
				// A manual join, an assignment or a transfer: taken
				// whatever the status and capacity.
				a.open[p.ReservationID] = p
				break
			}
			reservations++
			if n := len(a.serving); n >= a.capacity {
				report("auto-reserved %s serving %d conversations of capacity %d", p.AgentID, n, a.capacity)
			}
			if a.status != "online" {
				report("reserved %s while %s", p.AgentID, a.status)
			}
			if len(a.open) >= a.capacity {
				report("reserved %s holding %d of %d", p.AgentID, len(a.open), a.capacity)
			}
			if !member[[2]uuid.UUID{p.TeamID, p.AgentID}] {
				report("reserved %s outside team %s", p.AgentID, p.TeamID)
			}
			me, ok := queued[p.EpisodeID]
			if !ok {
				// Taken or closed between the dispatcher's look and its
				// reservation: the confirm fails and the slot is released.
				a.open[p.ReservationID] = p
				break
			}
			snapshot := q.snapshotBefore(e.Metadata.OccurredAt)
			reserved := map[uuid.UUID]bool{}
			for _, f := range agents {
				for _, s := range f.open {
					reserved[s.EpisodeID] = true
				}
			}
			for ep, other := range queued {
				if ep == p.EpisodeID || other.team != me.team || reserved[ep] || !ahead(other, me) {
					continue
				}
				if !other.applied.IsZero() && other.applied.Before(snapshot) {
					report("%s (vip %v, %s) assigned while %s (vip %v, %s) waited ahead of it", me.conv, me.vip, me.created, other.conv, other.vip, other.created)
				}
			}
			a.open[p.ReservationID] = p
		case eventschema.AgentSlotReleased:
			releases++
			delete(facts(p.AgentID).open, p.ReservationID)
		}
	}
	// No leak: every slot still open is a conversation its agent serves.
	open := 0
	for id, a := range agents {
		for _, s := range a.open {
			open++
			if serving[s.ConversationID] != id {
				report("slot of %s for %s leaked", id, s.ConversationID)
			}
		}
	}
	// Nor the other way round: every conversation served holds a slot.
	for conv, id := range serving {
		held := false
		for _, s := range facts(id).open {
			held = held || s.ConversationID == conv
		}
		if !held {
			report("%s serves %s without a slot", id, conv)
		}
	}
	t.Logf("%d reservations, %d auto joins, %v other joins, %d releases, %d slots open at the end", reservations, joins, seated, releases, open)
	if joins == 0 {
		t.Error("nothing was assigned")
	}
}

func TestTeamCandidatesKeepWorkingHours(t *testing.T) {
	office := []byte(`{"weekly":{"monday":[{"from":"09:00","to":"17:00"}]}}`)
	evening := []byte(`{"weekly":{"monday":[{"from":"18:00","to":"23:00"}]}}`)
	plain := commands.Candidate{AgentID: uuid.MustParse("0190f3b0-0000-7000-8000-0000000000b1")}
	owl := commands.Candidate{AgentID: uuid.MustParse("0190f3b0-0000-7000-8000-0000000000b2"), Schedule: evening}
	monday := func(h int) time.Time { return time.Date(2026, 11, 23, h, 0, 0, 0, time.UTC) }
	cases := []struct {
		name  string
		hours commands.Hours
		at    time.Time
		want  []commands.Candidate
	}{
		{"switch off: any time", commands.Hours{Schedule: office, TimeZone: "UTC"}, monday(20), []commands.Candidate{plain, owl}},
		{"inside the hours", commands.Hours{TeamOnly: true, Schedule: office, TimeZone: "UTC"}, monday(10), []commands.Candidate{plain, owl}},
		{"outside the hours", commands.Hours{TeamOnly: true, Schedule: office, TimeZone: "UTC"}, monday(20), nil},
		{"the tenant's zone decides", commands.Hours{TeamOnly: true, Schedule: office, TimeZone: "Asia/Shanghai"}, monday(10), nil}, // 18:00 there
		{"no plan: no hours to keep", commands.Hours{TeamOnly: true, TimeZone: "UTC"}, monday(20), []commands.Candidate{plain, owl}},
		{"personal hours: the owl in the evening, the other by the team's switch (off)",
			commands.Hours{Personal: true, Schedule: office, TimeZone: "UTC"}, monday(20), []commands.Candidate{plain, owl}},
		{"personal hours: not the owl in the morning", commands.Hours{Personal: true, Schedule: office, TimeZone: "UTC"}, monday(10), []commands.Candidate{plain}},
		{"personal hours over the team's", commands.Hours{Personal: true, TeamOnly: true, Schedule: office, TimeZone: "UTC"}, monday(20), []commands.Candidate{owl}},
		{"personal hours in the tenant's zone", commands.Hours{Personal: true, Schedule: office, TimeZone: "Asia/Shanghai"}, monday(10), []commands.Candidate{plain, owl}},
		{"personal plans ignored with source team", commands.Hours{TeamOnly: true, Schedule: office, TimeZone: "UTC"}, monday(10), []commands.Candidate{plain, owl}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := commands.TeamCandidates([]commands.Candidate{plain, owl}, c.hours, c.at)
			if err != nil || !reflect.DeepEqual(got, c.want) {
				t.Fatalf("got %v, %v; want %v", got, err, c.want)
			}
		})
	}
}
