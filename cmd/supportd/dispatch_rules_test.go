package main

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"supportd/eventstore/postgres/pgtest"
)

// dispatchDesk is a tenant whose server dispatches on its own: a team of
// agents, channel keys, and what the tests look at.
type dispatchDesk struct {
	t      *testing.T
	admin  client
	tenant string
	team   string
	agents map[string]client // by agent ID
	keys   map[string]string // channel → key
	pool   *pgxpool.Pool
}

func newDispatchDesk(t *testing.T) *dispatchDesk {
	t.Helper()
	base, dbURL := startServerDB(t, "postgres", "")
	pool := pgtest.Pool(t, dbURL)
	op := client{t: t, base: base}
	tenant, admin := newTenant(t, op)
	d := &dispatchDesk{t: t, admin: admin, tenant: tenant, agents: map[string]client{}, keys: map[string]string{}, pool: pool}
	d.team = admin.expect(201, "POST", "/v1/teams", `{"name":"Support"}`)["team_id"].(string)
	return d
}

// agent adds a signed-in member of the team with capacity, busy until
// the test says otherwise.
func (d *dispatchDesk) agent(nickname string, capacity int) string {
	d.t.Helper()
	id, c := teamUser(d.t, d.admin, d.tenant, nickname+"@acme.example", nickname, "agent")
	c.expect(200, "PUT", "/v1/me/status", `{"status":"busy"}`)
	d.admin.expect(200, "PUT", "/v1/agents/"+id+"/capacity", fmt.Sprintf(`{"capacity":%d}`, capacity))
	res := d.admin.expect(200, "PUT", "/v1/teams/"+d.team+"/members", fmt.Sprintf(`{"add":[%q]}`, id))
	d.admin.expect(200, "GET", "/v1/teams/"+d.team+"/members"+at(res), "")
	d.agents[id] = c
	return id
}

func (d *dispatchDesk) status(agentID, status string) {
	d.t.Helper()
	d.agents[agentID].expect(200, "PUT", "/v1/me/status", fmt.Sprintf(`{"status":%q}`, status))
}

// setting changes a tenant setting and waits until it is projected.
func (d *dispatchDesk) setting(key, value string) {
	d.t.Helper()
	res := d.admin.expect(200, "PUT", "/v1/tenant/settings/"+key, `{"value":`+value+`}`)
	d.admin.expect(200, "GET", "/v1/tenant/settings"+at(res), "")
}

// start starts a conversation of customer on channel for the team (or
// where the routing rules send it).
func (d *dispatchDesk) start(channel, customer string, vip bool) string {
	d.t.Helper()
	key, ok := d.keys[channel]
	if !ok {
		res := d.admin.expect(201, "POST", "/v1/channel-keys", fmt.Sprintf(`{"channel":%q,"name":%q}`, channel, channel))
		d.admin.expect(200, "GET", "/v1/channel-keys"+at(res), "")
		key = res["key"].(string)
		d.keys[channel] = key
	}
	res := d.admin.as("none").expect(201, "POST", "/v1/channel/conversations",
		fmt.Sprintf(`{"customer_id":%q,"entry_team_id":%q,"vip":%v}`, customer, d.team, vip), "X-Channel-Key", key)
	return res["conversation_id"].(string)
}

// served waits until conv is served and answers by whom.
func (d *dispatchDesk) served(conv string) string {
	d.t.Helper()
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		status, body := d.admin.do("GET", "/v1/conversations/"+conv, "")
		if status == 404 {
			continue // not projected yet
		}
		if c, _ := body["conversation"].(map[string]any); c["status"] == "serving" {
			return c["agent_id"].(string)
		}
	}
	d.t.Fatalf("%s was not assigned", conv)
	return ""
}

// close has the serving agent close conv.
func (d *dispatchDesk) close(conv, agentID string) {
	d.t.Helper()
	d.agents[agentID].expect(200, "POST", "/v1/conversations/"+conv+"/close", "")
}

// capacity sets an agent's capacity and waits until the dispatch read
// model shows it.
func (d *dispatchDesk) capacity(agentID string, n int) {
	d.t.Helper()
	d.admin.expect(200, "PUT", "/v1/agents/"+agentID+"/capacity", fmt.Sprintf(`{"capacity":%d}`, n))
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(10 * time.Millisecond) {
		var got int
		err := d.pool.QueryRow(context.Background(), `SELECT coalesce((SELECT capacity FROM dispatch_agents WHERE agent_id = $1), -1)`, agentID).Scan(&got)
		if err != nil {
			d.t.Fatal(err)
		}
		if got == n {
			return
		}
		if time.Now().After(deadline) {
			d.t.Fatalf("capacity %d, want %d", got, n)
		}
	}
}

// holding waits until the dispatch read model shows each agent holding
// the given number of slots (closed conversations' slots released).
func (d *dispatchDesk) holding(want map[string]int) {
	d.t.Helper()
	got := map[string]int{}
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		ok := true
		for id, n := range want {
			var open int
			if err := d.pool.QueryRow(context.Background(), `SELECT coalesce((SELECT open_slots FROM dispatch_agents WHERE agent_id = $1), 0)`, id).Scan(&open); err != nil {
				d.t.Fatal(err)
			}
			got[id] = open
			ok = ok && open == n
		}
		if ok {
			return
		}
	}
	d.t.Fatalf("slots held %v, want %v", got, want)
}

// TestDispatchRoutedAgent: a routing rule that targets an agent queues the
// conversation for the agent's team, and the dispatcher gives it to that
// agent while eligible, although another is idler; once the agent is full
// it goes to the team's best as any other.
func TestDispatchRoutedAgent(t *testing.T) {
	t.Parallel()
	d := newDispatchDesk(t)
	ann, bob := d.agent("ann", 10), d.agent("bob", 2)
	d.admin.expect(201, "POST", "/v1/routing-rules", fmt.Sprintf(`{"binding":"channel","channels":["app"],"enabled":true,
		"target":{"kind":"agent","id":%q}}`, bob))
	d.admin.expect(201, "POST", "/v1/routing-rules", fmt.Sprintf(`{"binding":"channel","channels":["web"],"enabled":true,
		"target":{"kind":"team","id":%q}}`, d.team))
	// Bob holds one of 2 (0.5), Ann none of 10 (1.0).
	d.status(bob, "online")
	if got := d.served(d.start("web", uuid.NewString(), false)); got != bob {
		t.Fatalf("the first went to %s, not Bob (the only one online)", got)
	}
	d.status(ann, "online")
	d.holding(map[string]int{bob: 1, ann: 0})
	if got := d.served(d.start("app", uuid.NewString(), false)); got != bob {
		t.Fatalf("the rule's conversation went to %s, not Bob", got)
	}
	// Bob is full now: the rule's next conversation is the team's.
	if got := d.served(d.start("app", uuid.NewString(), false)); got != ann {
		t.Fatalf("with Bob full the rule's conversation went to %s, not Ann", got)
	}
	// A web conversation is not Bob's, even with room: Ann is idler.
	d.holding(map[string]int{bob: 2, ann: 1})
	d.capacity(bob, 10) // 8 of 10 free against 9 of 10
	if got := d.served(d.start("web", uuid.NewString(), false)); got != ann {
		t.Fatalf("a web conversation went to %s, not Ann", got)
	}
}

// TestDispatchFamiliarity: with familiarity on, a returning customer goes
// to the agent who served it most often (most_served) or last
// (last_agent), ahead of an idler colleague, while that agent is
// eligible; otherwise, and for a new customer, the default rules decide.
func TestDispatchFamiliarity(t *testing.T) {
	t.Parallel()
	d := newDispatchDesk(t)
	ann, bob := d.agent("ann", 10), d.agent("bob", 5)
	lu := uuid.NewString()
	// served starts a conversation of customer while only agent is
	// online, checks it gets it, and closes it.
	serve := func(customer, agent string) {
		t.Helper()
		c := d.start("web", customer, false)
		if got := d.served(c); got != agent {
			t.Fatalf("%s went to %s, want %s", c, got, agent)
		}
		d.close(c, agent)
	}
	// Lu's history: Ann twice, then Bob.
	d.status(ann, "online")
	serve(lu, ann)
	serve(lu, ann)
	d.status(ann, "busy")
	d.status(bob, "online")
	serve(lu, bob)
	// Ann keeps a conversation of another customer: 9 of 10 free (0.9)
	// against Bob's 5 of 5.
	d.status(bob, "busy")
	d.status(ann, "online")
	if got := d.served(d.start("web", uuid.NewString(), false)); got != ann {
		t.Fatalf("the other customer went to %s", got)
	}
	d.status(bob, "online")
	d.holding(map[string]int{ann: 1, bob: 0})

	d.setting("dispatch.familiarity", "true")
	d.setting("dispatch.familiarity_mode", `"most_served"`)
	c := d.start("web", lu, false)
	if got := d.served(c); got != ann {
		t.Fatalf("most served: Lu went to %s, not Ann", got)
	}
	d.close(c, ann)
	// A new customer is dispatched by idle rate.
	c = d.start("web", uuid.NewString(), false)
	if got := d.served(c); got != bob {
		t.Fatalf("a new customer went to %s, not Bob", got)
	}
	d.close(c, bob)
	// The familiar agent not online: the default rules.
	d.status(ann, "busy")
	serve(lu, bob) // Lu: Ann 3, Bob 2, last Bob
	// Bob keeps a conversation of another customer: 4 of 5 (0.8) against
	// Ann's 9 of 10.
	if got := d.served(d.start("web", uuid.NewString(), false)); got != bob {
		t.Fatalf("the other customer went to %s", got)
	}
	d.status(ann, "online")
	d.holding(map[string]int{ann: 1, bob: 1})

	d.setting("dispatch.familiarity_mode", `"last_agent"`)
	if got := d.served(d.start("web", lu, false)); got != bob {
		t.Fatalf("last agent: Lu went to %s, not Bob", got)
	}
}

// TestDispatchChannelPriority: with channel priority on, queued
// conversations are assigned VIP first, then by the channels' order
// (unlisted channels last), then oldest first.
func TestDispatchChannelPriority(t *testing.T) {
	t.Parallel()
	d := newDispatchDesk(t)
	ann := d.agent("ann", 1)
	d.setting("dispatch.channel_priority", `{"enabled":true,"order":["whatsapp","email"]}`)
	webOld := d.start("web", uuid.NewString(), false)
	email := d.start("email", uuid.NewString(), false)
	whatsapp := d.start("whatsapp", uuid.NewString(), false)
	webVIP := d.start("web", uuid.NewString(), true)
	whatsappNew := d.start("whatsapp", uuid.NewString(), false)
	queued := d.admin.expect(200, "GET", "/v1/queue?limit=50", "")["items"].([]any)
	for deadline := time.Now().Add(time.Minute); len(queued) < 5; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d queued", len(queued))
		}
		queued = d.admin.expect(200, "GET", "/v1/queue?limit=50", "")["items"].([]any)
	}
	// Ann takes one at a time.
	d.status(ann, "online")
	want := []string{webVIP, whatsapp, whatsappNew, email, webOld}
	var got []string
	for range want {
		var next string
		for deadline := time.Now().Add(time.Minute); next == ""; time.Sleep(10 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("nothing assigned after %v", got)
			}
			for _, c := range want {
				if slices.Contains(got, c) {
					continue
				}
				conv := d.admin.expect(200, "GET", "/v1/conversations/"+c, "")["conversation"].(map[string]any)
				if conv["status"] == "serving" {
					next = c
				}
			}
		}
		got = append(got, next)
		d.close(next, ann)
	}
	if !slices.Equal(got, want) {
		t.Fatalf("assigned in the order %v, want %v", got, want)
	}
}

// TestDispatchPersonalHours: with dispatch.working_hours_source = agent,
// an agent whose personal time plan is not working now is passed over
// although idler, an agent without one is dispatched by the team's rule,
// and with the source back to team the personal plan no longer counts. A
// plan in use as personal hours cannot be deleted.
func TestDispatchPersonalHours(t *testing.T) {
	t.Parallel()
	d := newDispatchDesk(t)
	ann, bob := d.agent("ann", 10), d.agent("bob", 10)
	never := d.admin.expect(201, "POST", "/v1/time-plans", `{"name":"Never","schedule":{"weekly":{}}}`)["plan_id"].(string)
	bound := d.admin.expect(200, "PUT", "/v1/agents/"+ann+"/time-plan", fmt.Sprintf(`{"plan_id":%q}`, never))
	if a := d.admin.expect(200, "GET", "/v1/agents/"+ann+at(bound), ""); a["time_plan_id"] != never {
		t.Errorf("ann's personal plan %v", a["time_plan_id"])
	}
	if p := d.admin.expect(409, "DELETE", "/v1/time-plans/"+never, ""); p["code"] != "timeplan.in_use" {
		t.Errorf("deleting a personal plan: %v", p)
	}
	d.admin.expect(422, "PUT", "/v1/agents/"+ann+"/time-plan", fmt.Sprintf(`{"plan_id":%q}`, uuid.NewString()))
	d.admin.expect(404, "PUT", "/v1/agents/"+uuid.NewString()+"/time-plan", fmt.Sprintf(`{"plan_id":%q}`, never))
	d.setting("dispatch.working_hours_source", `"agent"`)
	d.status(ann, "online")
	d.status(bob, "online")
	// Ann is idler, but outside her hours: both go to Bob.
	for i := range 2 {
		if got := d.served(d.start("web", uuid.NewString(), false)); got != bob {
			t.Fatalf("conversation %d went to %s, not Bob (Ann is outside her personal hours)", i, got)
		}
	}
	// Without the personal plan, Ann (10 free) comes before Bob (8 free).
	unbound := d.admin.expect(200, "PUT", "/v1/agents/"+ann+"/time-plan", `{"plan_id":null}`)
	d.admin.expect(200, "GET", "/v1/agents/"+ann+at(unbound), "")
	d.holding(map[string]int{bob: 2, ann: 0})
	if got := d.served(d.start("web", uuid.NewString(), false)); got != ann {
		t.Fatalf("with no personal plan the conversation went to %s, not Ann", got)
	}
	// With the source back to team, a personal plan does not count.
	rebound := d.admin.expect(200, "PUT", "/v1/agents/"+ann+"/time-plan", fmt.Sprintf(`{"plan_id":%q}`, never))
	d.admin.expect(200, "GET", "/v1/agents/"+ann+at(rebound), "")
	d.setting("dispatch.working_hours_source", `"team"`)
	d.holding(map[string]int{bob: 2, ann: 1})
	if got := d.served(d.start("web", uuid.NewString(), false)); got != ann {
		t.Fatalf("with source team the conversation went to %s, not Ann", got)
	}
}
