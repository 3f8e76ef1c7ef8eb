package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"supportd/eventschema"
	"supportd/eventstore/postgres"
	"supportd/eventstore/postgres/pgtest"
)

// conservingBound is how long a queued conversation may wait while an
// eligible agent has a free slot. The goal for dispatch latency is 50 ms;
// the bound leaves room for a loaded test machine and the read models'
// lag, while still failing a dispatcher that lets work wait for a sweep
// that does not come.
const conservingBound = 2 * time.Second

// TestDispatchIsWorkConserving runs the server under a stream of
// conversations while agents close theirs and one agent goes busy and back,
// then replays the log: at no moment did a conversation wait longer than
// conservingBound while an online agent of its team had a free slot.
func TestDispatchIsWorkConserving(t *testing.T) {
	t.Parallel()
	base, dbURL := startServerDB(t, "postgres", "")
	op := client{t: t, base: base}
	tenant, admin := newTenant(t, op)
	team := admin.expect(201, "POST", "/v1/teams", `{"name":"Support"}`)["team_id"].(string)
	const nAgents = 6
	var ids []string
	var agents []client
	for i := range nAgents {
		id, c := teamUser(t, admin, tenant, fmt.Sprintf("a%d@acme.example", i), fmt.Sprintf("A%d", i), "agent")
		admin.expect(200, "PUT", "/v1/agents/"+id+"/capacity", `{"capacity":2}`)
		ids, agents = append(ids, id), append(agents, c)
	}
	body := `{"add":[`
	for i, id := range ids {
		if i > 0 {
			body += ","
		}
		body += fmt.Sprintf("%q", id)
	}
	members := admin.expect(200, "PUT", "/v1/teams/"+team+"/members", body+`]}`)
	admin.expect(200, "GET", "/v1/teams/"+team+"/members"+at(members), "")
	key := admin.expect(201, "POST", "/v1/channel-keys", `{"channel":"web","name":"Widget"}`)
	admin.expect(200, "GET", "/v1/channel-keys"+at(key), "")

	ctx, stop := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	every := func(d time.Duration, f func()) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tick := time.NewTicker(d)
			defer tick.Stop()
			for {
				select {
				case <-ctx.Done():
					return
				case <-tick.C:
					f()
				}
			}
		}()
	}
	// 40 conversations, one every 40 ms: more than the 12 slots hold.
	started := 0
	var mu sync.Mutex
	every(40*time.Millisecond, func() {
		mu.Lock()
		defer mu.Unlock()
		if started == 40 {
			return
		}
		started++
		admin.as("none").do("POST", "/v1/channel/conversations",
			fmt.Sprintf(`{"customer_id":%q,"entry_team_id":%q}`, uuid.NewString(), team), "X-Channel-Key", key["key"].(string))
	})
	// Agents end conversations, which frees their slots.
	every(60*time.Millisecond, func() {
		a := agents[rand.IntN(nAgents)]
		_, list := a.do("GET", "/v1/conversations?status=serving", "")
		if items, _ := list["items"].([]any); len(items) > 0 {
			conv := items[rand.IntN(len(items))].(map[string]any)["conversation_id"].(string)
			a.do("POST", "/v1/conversations/"+conv+"/close", "")
		}
	})
	// One agent goes busy and comes back.
	busy := false
	every(300*time.Millisecond, func() {
		busy = !busy
		status := "online"
		if busy {
			status = "busy"
		}
		agents[0].do("PUT", "/v1/me/status", `{"status":"`+status+`"}`)
	})
	time.Sleep(4 * time.Second)
	stop()
	wg.Wait()
	agents[0].expect(200, "PUT", "/v1/me/status", `{"status":"online"}`)
	time.Sleep(conservingBound + time.Second) // the last arrivals settle

	pool := pgtest.Pool(t, dbURL)
	checkWorkConserving(t, readWholeLog(t, pool), team, ids, conservingBound)
}

// readWholeLog decodes every event of the log.
func readWholeLog(t *testing.T, pool *pgxpool.Pool) []eventschema.Envelope {
	t.Helper()
	store := postgres.New(pool)
	var (
		all  []eventschema.Envelope
		last eventschema.Position
	)
	for {
		page, err := store.ReadAll(context.Background(), last, 1000)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) == 0 {
			return all
		}
		all, last = append(all, page...), page[len(page)-1].Position
	}
}

// checkWorkConserving replays the log of one team's dispatch: agent status,
// capacity and held slots, and the queue. At every event, and at the end,
// the oldest waiting conversation must not have waited longer than bound
// since some agent became eligible (online, below capacity) and stayed so.
func checkWorkConserving(t *testing.T, log []eventschema.Envelope, team string, agentIDs []string, bound time.Duration) {
	t.Helper()
	reg := eventschema.Catalog()
	type agentState struct {
		online        bool
		capacity      int
		held          map[uuid.UUID]bool
		eligibleSince time.Time // zero: not eligible
	}
	agents := map[uuid.UUID]*agentState{}
	for _, id := range agentIDs {
		agents[uuid.MustParse(id)] = &agentState{held: map[uuid.UUID]bool{}}
	}
	queued := map[uuid.UUID]time.Time{} // episode → since
	teamID := uuid.MustParse(team)
	violations, assigned := 0, 0
	var longest time.Duration
	check := func(now time.Time) {
		if len(queued) == 0 {
			return
		}
		var oldest, eligible time.Time
		for _, since := range queued {
			if oldest.IsZero() || since.Before(oldest) {
				oldest = since
			}
		}
		for _, a := range agents {
			if !a.eligibleSince.IsZero() && (eligible.IsZero() || a.eligibleSince.Before(eligible)) {
				eligible = a.eligibleSince
			}
		}
		if eligible.IsZero() {
			return
		}
		from := oldest
		if eligible.After(from) {
			from = eligible
		}
		waited := now.Sub(from)
		longest = max(longest, waited)
		if waited > bound && violations < 5 {
			violations++
			t.Errorf("at %s a conversation waited %s with an eligible agent free", now.Format(time.RFC3339Nano), waited)
		}
	}
	for _, e := range log {
		at := e.RecordedAt
		check(at)
		ev, err := reg.Decode(e)
		if err != nil {
			t.Fatal(err)
		}
		switch ev := ev.(type) {
		case eventschema.ConversationQueued:
			if ev.TeamID == teamID {
				queued[ev.EpisodeID] = at
			}
		case eventschema.ConversationLeftQueue:
			delete(queued, ev.EpisodeID)
		case eventschema.AgentJoined:
			if _, ok := queued[ev.EpisodeID]; ok {
				assigned++
			}
			delete(queued, ev.EpisodeID)
		case eventschema.AgentStatusChanged:
			if a := agents[ev.AgentID]; a != nil {
				a.online = ev.To == "online"
			}
		case eventschema.AgentCapacitySet:
			if a := agents[ev.AgentID]; a != nil {
				a.capacity = ev.Capacity
			}
		case eventschema.AgentSlotReserved:
			if a := agents[ev.AgentID]; a != nil {
				a.held[ev.ReservationID] = true
			}
		case eventschema.AgentSlotReleased:
			if a := agents[ev.AgentID]; a != nil {
				delete(a.held, ev.ReservationID)
			}
		}
		for _, a := range agents {
			ok := a.online && len(a.held) < a.capacity
			switch {
			case ok && a.eligibleSince.IsZero():
				a.eligibleSince = at
			case !ok:
				a.eligibleSince = time.Time{}
			}
		}
	}
	if len(log) > 0 {
		check(time.Now())
	}
	t.Logf("%d assigned from the queue; the longest wait with an eligible agent free was %s", assigned, longest)
	if assigned < 12 {
		t.Errorf("only %d conversations were assigned from the queue", assigned)
	}
}
