package projections

import (
	"context"
	"encoding/json"
	"flag"
	"testing"
	"time"

	"github.com/google/uuid"

	"supportd/eventschema"
	"supportd/eventstore"
)

var timersConversations = flag.Int("timers.conversations", 2000, "conversations in BenchmarkTimersRebuild's log; each has 24 events")

// appendConversations appends a log of n conversations of one tenant that
// has switched the no-reply timeouts on: each is started, queued, joined,
// has 10 customer and 10 agent messages in turn, and is closed (24
// events, 20 of them messages that start and end timers).
func appendConversations(ctx context.Context, store eventstore.Store, n int) error {
	reg := eventschema.Catalog()
	tenant := uuid.Must(uuid.NewV7())
	at := base
	encode := func(p any) (eventschema.Proposed, error) {
		at = at.Add(time.Second)
		return reg.Encode(uuid.Must(uuid.NewV7()), p, eventschema.Metadata{TenantID: tenant,
			Actor: eventschema.Actor{Kind: eventschema.ActorSystem, ID: "bench"}, OccurredAt: at})
	}
	var setup []eventschema.Proposed
	for _, p := range []any{
		eventschema.TenantCreated{TenantID: tenant, Name: "Acme", TimeZone: "UTC"},
		eventschema.TenantSettingChanged{TenantID: tenant, Key: "conversation.agent_no_reply", Value: json.RawMessage(`{"enabled":true,"timeout_seconds":60}`)},
		eventschema.TenantSettingChanged{TenantID: tenant, Key: "conversation.customer_no_reply", Value: json.RawMessage(`{"enabled":true,"timeout_seconds":120}`)},
	} {
		e, err := encode(p)
		if err != nil {
			return err
		}
		setup = append(setup, e)
	}
	if _, err := store.Append(ctx, "tenant-"+tenant.String(), eventstore.NoStream, setup); err != nil {
		return err
	}
	for range n {
		conv, team, agent, seg, ep := uuid.Must(uuid.NewV7()), uuid.New(), uuid.New(), uuid.New(), uuid.New()
		events := []any{
			eventschema.ConversationStarted{TenantID: tenant, ConversationID: conv, Channel: "web", CustomerID: uuid.New()},
			eventschema.ConversationQueued{TenantID: tenant, ConversationID: conv, EpisodeID: ep, TeamID: team, Reason: "routed"},
			eventschema.AgentJoined{TenantID: tenant, ConversationID: conv, AgentID: agent, SegmentID: seg, How: "auto", EpisodeID: ep, TeamID: team},
		}
		for i := range 20 {
			kind, sender := "customer", ""
			if i%2 == 1 {
				kind, sender = "agent", agent.String()
			}
			events = append(events, eventschema.MessageSent{TenantID: tenant, ConversationID: conv, MessageID: uuid.New(),
				SenderKind: kind, SenderID: sender, Type: "text", Text: "…", SegmentID: seg})
		}
		events = append(events, eventschema.ConversationClosed{TenantID: tenant, ConversationID: conv, Reason: "agent", ClosedBy: agent.String()})
		batch := make([]eventschema.Proposed, len(events))
		for i, p := range events {
			e, err := encode(p)
			if err != nil {
				return err
			}
			batch[i] = e
		}
		if _, err := store.Append(ctx, eventschema.ObjectStream("conversation", tenant, conv), eventstore.NoStream, batch); err != nil {
			return err
		}
	}
	return nil
}

// BenchmarkTimersRebuild rebuilds the timers from a log of
// timers.conversations conversations (48,000 events by default), every
// message of which starts and ends timers by the settings as of its
// position, and reports the replay rate. As a same-run baseline it also
// rebuilds the conversations read model from the same log. Run with
// -benchtime=1x.
func BenchmarkTimersRebuild(b *testing.B) {
	e := newEnv(b)
	ctx := testContext(b)
	if err := appendConversations(ctx, e.store, *timersConversations); err != nil {
		b.Fatal(err)
	}
	reg := eventschema.Catalog()
	p := NewTimers(reg, TimerRules()...)
	b.ResetTimer()
	var events int64
	for range b.N {
		res, err := Rebuild(ctx, e.store, e.pool, p, nil)
		if err != nil {
			b.Fatal(err)
		}
		events += res.Events
	}
	b.ReportMetric(float64(events)/b.Elapsed().Seconds(), "events/s")
	b.StopTimer()
	start := time.Now()
	res, err := Rebuild(ctx, e.store, e.pool, NewConversations(reg), nil)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(res.Events)/time.Since(start).Seconds(), "conversations-events/s")
}
