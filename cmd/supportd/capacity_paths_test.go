package main

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"
)

// TestCapacityCountsEveryPath: whichever way an agent comes to serve a
// conversation (a manual join, an admin's assignment, a transfer to it,
// with or without confirmation), the conversation holds one of the agent's
// slots: the agent's stream says so (the dispatch read model's open
// slots), auto-assignment leaves a full agent alone, and the slot is free
// again when the agent leaves the conversation (closed, or transferred
// away).
func TestCapacityCountsEveryPath(t *testing.T) {
	t.Parallel()
	d := newDispatchDesk(t)
	d.setting("queue.allow_manual_join", "true")
	ann := d.agent("Ann", 1)
	bob := d.agent("Bob", 5)

	openSlots := func(agentID string, want int) {
		t.Helper()
		var got int
		for deadline := time.Now().Add(time.Minute); ; time.Sleep(10 * time.Millisecond) {
			err := d.pool.QueryRow(context.Background(), `SELECT coalesce((SELECT open_slots FROM dispatch_agents WHERE agent_id = $1), 0)`, agentID).Scan(&got)
			if err != nil {
				t.Fatal(err)
			}
			if got == want {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("agent %s holds %d slots, want %d", agentID, got, want)
			}
		}
	}
	// queued waits until conv shows in the read model, then tells whether
	// it still waits in the queue.
	queued := func(conv string) bool {
		t.Helper()
		for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
			_, body := d.admin.do("GET", "/v1/conversations/"+conv, "")
			if c, _ := body["conversation"].(map[string]any); c != nil {
				return c["status"] == "queued"
			}
		}
		t.Fatalf("%s never showed", conv)
		return false
	}
	transfer := func(from, to, conv string) {
		t.Helper()
		d.agents[from].expect(200, "POST", "/v1/conversations/"+conv+"/transfer", fmt.Sprintf(`{"to_kind":"agent","to_id":%q}`, to))
	}

	for _, path := range []struct {
		name string
		// seat has Ann serve conv (busy: no auto-assignment meanwhile).
		seat func(conv string)
		// leave ends Ann's part in conv.
		leave func(conv string)
	}{
		{"manual join, then close", func(conv string) {
			d.agents[ann].expect(200, "POST", "/v1/queue/"+conv+"/join", "")
		}, func(conv string) { d.close(conv, ann) }},
		{"admin assignment, then transfer away", func(conv string) {
			d.admin.expect(200, "POST", "/v1/queue/"+conv+"/assign", fmt.Sprintf(`{"agent_id":%q}`, ann))
		}, func(conv string) {
			transfer(ann, bob, conv)
			d.servedBy(conv, bob)
			d.close(conv, bob)
		}},
		{"transfer to the agent, then close", func(conv string) {
			d.admin.expect(200, "POST", "/v1/queue/"+conv+"/assign", fmt.Sprintf(`{"agent_id":%q}`, bob))
			transfer(bob, ann, conv)
		}, func(conv string) { d.close(conv, ann) }},
		{"accepted transfer, then close", func(conv string) {
			d.setting("transfer.require_confirmation", "true")
			defer d.setting("transfer.require_confirmation", "false")
			d.admin.expect(200, "POST", "/v1/queue/"+conv+"/assign", fmt.Sprintf(`{"agent_id":%q}`, bob))
			transfer(bob, ann, conv)
			d.agents[ann].expect(200, "POST", "/v1/conversations/"+conv+"/transfer/accept", "")
		}, func(conv string) { d.close(conv, ann) }},
	} {
		// The desk's helpers fail the whole test: one path after another.
		t.Log(path.name)
		{
			d.status(ann, "busy")
			d.status(bob, "busy")
			x := d.start("web", uuid.NewString(), false)
			path.seat(x)
			d.servedBy(x, ann)
			openSlots(ann, 1)
			openSlots(bob, 0)

			// Ann is full: a new conversation waits, though she is online.
			d.status(ann, "online")
			y := d.start("web", uuid.NewString(), false)
			time.Sleep(time.Second) // the dispatcher answers an arrival within milliseconds
			if !queued(y) {
				t.Fatalf("%s: %s was assigned (to %s) while Ann served %s at capacity 1", path.name, y, d.agentOf(y), x)
			}
			// Her part in x ends: the slot is free and y is hers.
			path.leave(x)
			d.servedBy(y, ann)
			openSlots(ann, 1)
			d.close(y, ann)
			openSlots(ann, 0)
			openSlots(bob, 0)
		}
	}
}

// servedBy waits until agentID serves conv.
func (d *dispatchDesk) servedBy(conv, agentID string) {
	d.t.Helper()
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if d.agentOf(conv) == agentID {
			return
		}
	}
	d.t.Fatalf("%s is served by %q, want %s", conv, d.agentOf(conv), agentID)
}

// agentOf answers who serves conv now ("" for nobody).
func (d *dispatchDesk) agentOf(conv string) string {
	_, body := d.admin.do("GET", "/v1/conversations/"+conv, "")
	c, _ := body["conversation"].(map[string]any)
	if c["status"] != "serving" {
		return ""
	}
	id, _ := c["agent_id"].(string)
	return id
}
