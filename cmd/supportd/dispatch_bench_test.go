package main

import (
	"context"
	"flag"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"supportd/cmd/internal/connect"
	"supportd/eventschema"
	"supportd/eventstore"
	"supportd/eventstore/postgres/pgtest"
)

var (
	dispatchAgents = flag.Int("dispatch.agents", 100, "online agents of BenchmarkDispatchLatency")
	dispatchRate   = flag.Int("dispatch.rate", 50, "new conversations per second of BenchmarkDispatchLatency")
	dispatchFor    = flag.Duration("dispatch.duration", 10*time.Second, "how long BenchmarkDispatchLatency starts conversations")
)

// BenchmarkDispatchLatency: dispatch.agents agents are online in one team
// with room to spare; customers start dispatch.rate conversations a second
// for dispatch.duration. Dispatch latency is, per conversation, the time
// between the append of its ConversationStarted and that of its AgentJoined
// (both as the store recorded them). Baseline in the same run: the latency
// of the start requests themselves. Run with -benchtime=1x.
func BenchmarkDispatchLatency(b *testing.B) {
	base, dbURL := startServerDB(b, "postgres", "")
	op := client{t: b, base: base}
	tenant, admin := newTenant(b, op)
	op.expect(200, "PUT", "/v1/tenants/"+tenant+"/seats", fmt.Sprintf(`{"licensed_seats":%d}`, *dispatchAgents+1))
	team := admin.expect(201, "POST", "/v1/teams", `{"name":"Support"}`)["team_id"].(string)
	ids := make([]string, *dispatchAgents)
	for i := range ids {
		added := admin.expect(201, "POST", "/v1/agents", fmt.Sprintf(`{"email":"agent%d@acme.example","nickname":"A%d","password":"agent-password","capacity":20}`, i, i))
		ids[i] = fmt.Sprintf("%q", added["agent_id"].(string))
		signIn(b, op, tenant, fmt.Sprintf("agent%d@acme.example", i), "agent-password")
	}
	members := admin.expect(200, "PUT", "/v1/teams/"+team+"/members", fmt.Sprintf(`{"add":[%s]}`, joinComma(ids)))
	key := admin.expect(201, "POST", "/v1/channel-keys", `{"channel":"web","name":"Load"}`)
	admin.expect(200, "GET", "/v1/channel-keys"+at(key), "")
	admin.expect(200, "GET", "/v1/teams/"+team+"/members"+at(members), "")

	for range b.N {
		total := int(float64(*dispatchRate) * dispatchFor.Seconds())
		convs := make([]string, total)
		starts := make([]time.Duration, total)
		var wg sync.WaitGroup
		tick := time.NewTicker(time.Second / time.Duration(*dispatchRate))
		for i := range total {
			<-tick.C
			wg.Go(func() {
				t0 := time.Now()
				res := admin.as("none").expect(201, "POST", "/v1/channel/conversations",
					fmt.Sprintf(`{"customer_id":%q,"customer_name":"C%d","entry_team_id":%q}`, uuid.NewString(), i, team), "X-Channel-Key", key["key"].(string))
				starts[i] = time.Since(t0)
				convs[i] = res["conversation_id"].(string)
			})
		}
		tick.Stop()
		wg.Wait()
		lat := dispatchLatencies(b, dbURL, tenant, convs)
		slices.Sort(lat)
		slices.Sort(starts)
		ms := func(d []time.Duration, p float64) float64 {
			return float64(d[min(len(d)-1, int(p*float64(len(d))))].Microseconds()) / 1000
		}
		b.ReportMetric(float64(len(lat)), "assigned")
		b.ReportMetric(ms(lat, 0.5), "dispatch-p50-ms")
		b.ReportMetric(ms(lat, 0.99), "dispatch-p99-ms")
		b.ReportMetric(ms(starts, 0.5), "start-p50-ms")
		b.ReportMetric(ms(starts, 0.99), "start-p99-ms")
	}
}

func joinComma(s []string) string {
	out := ""
	for i, x := range s {
		if i > 0 {
			out += ","
		}
		out += x
	}
	return out
}

// dispatchLatencies waits until every conversation was joined and answers
// the started → joined times.
func dispatchLatencies(b *testing.B, dbURL, tenant string, convs []string) []time.Duration {
	ctx := context.Background()
	pool := pgtest.Pool(b, dbURL)
	store, release, err := connect.EventStore(ctx, "postgres", pool, "")
	if err != nil {
		b.Fatal(err)
	}
	defer release()
	var out []time.Duration
	deadline := time.Now().Add(60 * time.Second)
	for _, c := range convs {
		for {
			events, err := store.ReadStream(ctx, objectStream("conversation", tenant, c), eventstore.Forwards, 0, 100)
			if err != nil {
				b.Fatal(err)
			}
			started, joined := findRecorded(events, "ConversationStarted"), findRecorded(events, "AgentJoined")
			if !joined.IsZero() {
				out = append(out, joined.Sub(started))
				break
			}
			if time.Now().After(deadline) {
				b.Fatalf("conversation %s was not assigned", c)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	return out
}

func findRecorded(events []eventschema.Envelope, typ string) time.Time {
	for _, e := range events {
		if e.Type == typ {
			return e.RecordedAt
		}
	}
	return time.Time{}
}
