package commands_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/google/uuid"

	"supportd/commands"
	"supportd/domain/agent"
	"supportd/domain/conversation"
	"supportd/eventschema"
	"supportd/eventstore"
)

// TestAutoReassignAvoidsTheSilentAgent: when an agent's silence sends a
// conversation back to the team, it goes to another eligible agent even
// where the dispatcher's ranking would give it back to the silent one (the
// slot it freed makes it the idlest); with nobody else eligible it waits
// for the dispatcher, which may give it back.
func TestAutoReassignAvoidsTheSilentAgent(t *testing.T) {
	t.Parallel()
	clock := &movingClock{t: time.Now().UTC()}
	h, store := newHandlerClock(t, clock)
	ctx := context.Background()
	w := newWorld(t, h, store, 1, func(int) []int { return []int{0} }, 2)
	if _, err := h.ChangeTenantSetting(ctx, admin(), commands.ChangeTenantSetting{TenantID: w.tenant, Key: "transfer.auto_reassign",
		Value: json.RawMessage(`{"enabled":true,"agent_reply_timeout_seconds":60}`)}); err != nil {
		t.Fatal(err)
	}
	q := newLogQueue()
	qctx, stop := context.WithCancel(ctx)
	defer stop()
	go func() { _ = q.follow(qctx, store, eventschema.Catalog()) }()
	d := &commands.Dispatcher{Handler: h, Queue: q.reader(0), Candidates: w.candidates, Clock: commands.SystemClock{}}
	settled := func(want int) {
		t.Helper()
		for deadline := time.Now().Add(time.Minute); q.waiting() != want; time.Sleep(5 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("the projected queue holds %d, want %d", q.waiting(), want)
			}
		}
	}
	servedBy := func(conv uuid.UUID) uuid.UUID {
		t.Helper()
		var s conversation.State
		page, err := store.ReadStream(ctx, conversation.Stream(w.tenant, conv), eventstore.Forwards, 0, 1000)
		if err != nil {
			t.Fatal(err)
		}
		reg := eventschema.Catalog()
		for _, e := range page {
			p, err := reg.Decode(e)
			if err != nil {
				t.Fatal(err)
			}
			s = conversation.Evolve(s, p)
		}
		return s.Segment.AgentID
	}
	// assign starts a conversation and lets the dispatcher assign it,
	// sweeping as the server's loop would until the queue is empty.
	assign := func() uuid.UUID {
		t.Helper()
		conv, _ := w.start(t, w.teams[0], false)
		settled(1)
		for deadline := time.Now().Add(time.Minute); q.waiting() != 0; time.Sleep(20 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("the projected queue holds %d after sweeping for a minute", q.waiting())
			}
			if err := d.Sweep(ctx); err != nil {
				t.Fatal(err)
			}
		}
		return conv
	}
	// silence: the customer writes, the agent does not answer in time.
	silence := func(conv uuid.UUID) {
		t.Helper()
		msg := uuid.Must(uuid.NewV7())
		if _, err := h.SendMessage(ctx, admin(), commands.SendMessage{Scope: commands.Scope{TenantID: w.tenant}, ConversationID: conv,
			MessageID: msg, Sender: conversation.Actor{Kind: eventschema.SenderCustomer}, Type: "text", Text: "Hello?"}); err != nil {
			t.Fatal(err)
		}
		clock.add(61 * time.Second)
		run := conversation.Run{Kind: eventschema.TimeoutAutoReassign, ID: msg, N: 1}
		res, err := h.ElapseTimeout(ctx, commands.Meta{Actor: eventschema.Actor{Kind: eventschema.ActorSystem, ID: "timer"}, CommandID: run.Key()},
			commands.ElapseTimeout{Scope: commands.Scope{TenantID: w.tenant}, ConversationID: conv, Run: run, Reassign: d.ReassignElsewhere})
		if err != nil || res.Events == 0 {
			t.Fatalf("elapse: %+v, %v", res, err)
		}
	}

	// Two conversations: one each. Then the first one's agent is silent.
	c1 := assign()
	c2 := assign()
	silent, other := servedBy(c1), servedBy(c2)
	if silent == other || silent == uuid.Nil || other == uuid.Nil {
		t.Fatalf("served by %s and %s", silent, other)
	}
	silence(c1)
	if got := servedBy(c1); got != other {
		t.Fatalf("after the automatic transfer %s serves, want the other agent %s", got, other)
	}

	// The other agent goes busy; the silent one is the only one left
	// eligible, so the conversation waits for the dispatcher.
	c3 := assign()
	if servedBy(c3) != silent {
		t.Fatalf("c3 went to %s, want %s", servedBy(c3), silent)
	}
	if err := w.status(ctx, other, agent.Busy); err != nil {
		t.Fatal(err)
	}
	silence(c3)
	if got := servedBy(c3); got != uuid.Nil {
		t.Fatalf("c3 is served by %s at once, want it queued", got)
	}
	settled(1)
	if err := d.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	if got := servedBy(c3); got != silent {
		t.Fatalf("the dispatcher gave c3 to %s, want %s", got, silent)
	}
}
