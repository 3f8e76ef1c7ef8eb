package main

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"

	"supportd/commands"
	"supportd/eventschema"
	"supportd/eventstore/postgres"
	"supportd/eventstore/postgres/pgtest"
	"supportd/readmodels"
)

// TestDispatchOverHTTP starts conversations over the channel API and lets a
// read-model-fed dispatcher assign them: each goes to the online member of
// the team with the highest idle rate; an agent outside the team gets
// none; closing frees the slot.
func TestDispatchOverHTTP(t *testing.T) {
	t.Parallel()
	base, dbURL := startServerDB(t, "postgres", "")
	ctx := context.Background()
	pool := pgtest.Pool(t, dbURL)
	store := postgres.New(pool)
	t.Cleanup(store.Close)
	d := readModelDispatcher(commands.NewHandler(store, eventschema.Catalog(), commands.SystemClock{}), pool)

	op := client{t: t, base: base}
	tenant, admin := newTenant(t, op)
	annID, ann := teamUser(t, admin, tenant, "ann@acme.example", "Ann", "agent")
	bobID, _ := teamUser(t, admin, tenant, "bob@acme.example", "Bob", "agent")
	cyID, _ := teamUser(t, admin, tenant, "cy@acme.example", "Cy", "agent")
	admin.expect(200, "PUT", "/v1/agents/"+annID+"/capacity", `{"capacity":1}`)
	admin.expect(200, "PUT", "/v1/agents/"+bobID+"/capacity", `{"capacity":4}`)
	admin.expect(200, "PUT", "/v1/agents/"+cyID+"/capacity", `{"capacity":20}`)
	team := admin.expect(201, "POST", "/v1/teams", `{"name":"Support"}`)["team_id"].(string)
	members := admin.expect(200, "PUT", "/v1/teams/"+team+"/members", fmt.Sprintf(`{"add":[%q,%q]}`, annID, bobID))
	admin.expect(200, "GET", "/v1/teams/"+team+"/members"+at(members), "")
	issued := admin.expect(201, "POST", "/v1/channel-keys", `{"channel":"web","name":"Widget"}`)
	admin.expect(200, "GET", "/v1/channel-keys"+at(issued), "")
	key := issued["key"].(string)

	// assign starts a conversation, sweeps once the queue shows it, and
	// answers who serves it.
	assign := func() (string, string) {
		t.Helper()
		start := admin.as("none").expect(201, "POST", "/v1/channel/conversations",
			fmt.Sprintf(`{"customer_id":%q,"entry_team_id":%q}`, uuid.NewString(), team), "X-Channel-Key", key)
		conv := start["conversation_id"].(string)
		admin.expect(200, "GET", "/v1/queue"+at(start), "")
		if err := d.Sweep(ctx); err != nil {
			t.Fatal(err)
		}
		for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
			c := admin.expect(200, "GET", "/v1/conversations/"+conv, "")["conversation"].(map[string]any)
			if c["status"] == "serving" {
				return conv, c["agent_id"].(string)
			}
		}
		t.Fatalf("%s was not assigned", conv)
		return "", ""
	}
	// Ann (1 free of 1) and Bob (4 of 4) are equally idle; whoever gets
	// the first, the other is idler for the second, and Bob (3 of 4, or
	// 2 of 4 against Ann's 0 of 1) gets the third. Cy is in no team.
	c1, first := assign()
	c2, second := assign()
	_, third := assign()
	if first == second || (first != annID && first != bobID) || (second != annID && second != bobID) || third != bobID {
		t.Fatalf("assigned to %s, %s, %s (ann %s, bob %s)", first, second, third, annID, bobID)
	}
	if holders, err := readmodels.SlotHolders(ctx, pool); err != nil || len(holders) > 2 {
		t.Fatalf("holders %v, %v", holders, err)
	}
	// Ann is full. Once she closes her conversation her slot is freed
	// (by whichever dispatcher settles it first: the server runs one too)
	// and, once the read model shows it and Bob being at 2 of 4, the next
	// one is hers.
	annConv := c1
	if second == annID {
		annConv = c2
	}
	ann.expect(200, "POST", "/v1/conversations/"+annConv+"/close", "")
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(10 * time.Millisecond) {
		if err := d.Sweep(ctx); err != nil {
			t.Fatal(err)
		}
		holders, err := readmodels.SlotHolders(ctx, pool)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.ContainsFunc(holders, func(h readmodels.SlotHolder) bool { return h.AgentID.String() == annID }) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("Ann's slot was not released after her close")
		}
	}
	if _, fourth := assign(); fourth != annID {
		t.Fatalf("after her close the next went to %s, not Ann", fourth)
	}
}
