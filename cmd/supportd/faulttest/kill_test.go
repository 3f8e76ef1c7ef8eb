package faulttest

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"supportd/eventschema"
	"supportd/eventstore/postgres"
	"supportd/eventstore/postgres/pgtest"
	"supportd/projections"
)

// TestKilledUnderLoad: supportd is killed with SIGKILL under load from 16
// clients and started again, three times. Every acknowledged command's
// events are in the log exactly once, the read models equal a rebuild
// from the log, and each pending timer (a queue reminder 10 s after a
// conversation queued, due across the kills) fires exactly once.
func TestKilledUnderLoad(t *testing.T) {
	ctx := context.Background()
	dbURL := pgtest.NewDatabase(t)
	srv := startSupportd(t, dbURL)
	tenantID, token := setUp(t, srv.base)

	// Conversations that wait in a queue nobody serves, each reminded once
	// 10 s after it queued.
	mustCall := func(want int, method, path, body string, headers ...string) map[string]any {
		t.Helper()
		code, _, out, err := call(ctx, method, srv.base+path, token, body, headers...)
		if err != nil || code != want {
			t.Fatalf("%s %s: %d %v %v", method, path, code, out, err)
		}
		return out
	}
	team := mustCall(201, "POST", "/v1/teams", `{"name":"Nobody"}`)["team_id"].(string)
	set := mustCall(200, "PUT", "/v1/tenant/settings/queue.remind_customers",
		`{"value":{"enabled":true,"message":"Thanks for waiting.","effective_time":"all_day","remind_after_seconds":10,"count":1,"interval_seconds":10}}`)
	key := mustCall(201, "POST", "/v1/channel-keys", `{"channel":"web","name":"site"}`)
	mustCall(200, "GET", "/v1/channel-keys?min_position="+key["position"].(string), "")
	mustCall(200, "GET", "/v1/tenant/settings?min_position="+set["position"].(string), "")
	var convs []string
	startConversations := func(n int) {
		t.Helper()
		for range n {
			out := mustCall(201, "POST", "/v1/channel/conversations",
				fmt.Sprintf(`{"customer_id":%q,"customer_name":"Lu","entry_team_id":%q}`, uuid.NewString(), team), "X-Channel-Key", key["key"].(string))
			convs = append(convs, out["conversation_id"].(string))
		}
	}

	l := startLoad(srv.base, token)
	defer l.stop()
	for cycle := range 3 {
		startConversations(4)
		awaitOK(t, srv, l, time.Now(), fmt.Sprintf("before kill %d", cycle+1))
		time.Sleep(2 * time.Second) // load before the kill
		srv.kill()
		srv.start()
		awaitOK(t, srv, l, time.Now(), fmt.Sprintf("after restart %d", cycle+1))
	}
	time.Sleep(time.Second)
	l.stop()

	pool := pgtest.Pool(t, dbURL)

	// Each reminder fires once: wait for all, then require one each.
	reminders := func() map[string]int {
		rows, err := pool.Query(ctx, `SELECT data->>'conversation_id', count(*) FROM events
			WHERE type = 'ConversationTimedOut' AND data->>'timeout' = 'queue_reminder' GROUP BY 1`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		out := map[string]int{}
		for rows.Next() {
			var id string
			var n int
			if err := rows.Scan(&id, &n); err != nil {
				t.Fatal(err)
			}
			out[id] = n
		}
		return out
	}
	for deadline := time.Now().Add(40 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		got := reminders()
		all := true
		for _, c := range convs {
			all = all && got[c] > 0
		}
		if all {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("reminders %v, want one for each of %v", got, convs)
		}
	}
	awaitCaughtUp(t, ctx, pool)
	srv.stop()
	for c, n := range reminders() {
		if n != 1 {
			t.Errorf("conversation %s reminded %d times", c, n)
		}
	}
	checkLog(t, dbURL, tenantID, l)

	// The read models are what a rebuild from the log makes.
	store := postgres.New(pool)
	for _, p := range projections.All(eventschema.Catalog()) {
		live := dumpTables(t, ctx, pool, p.Tables())
		if _, err := projections.Rebuild(ctx, store, pool, p, nil); err != nil {
			t.Fatalf("rebuild %s: %v", p.Name(), err)
		}
		rebuilt := dumpTables(t, ctx, pool, p.Tables())
		for _, table := range p.Tables() {
			if !slices.Equal(live[table], rebuilt[table]) {
				t.Errorf("%s: table %s differs from its rebuild (%d rows live, %d rebuilt)", p.Name(), table, len(live[table]), len(rebuilt[table]))
			}
		}
	}
}

// awaitCaughtUp waits until every projector's checkpoint is at the end of
// the log.
func awaitCaughtUp(t *testing.T, ctx context.Context, pool *pgxpool.Pool) {
	t.Helper()
	var last eventschema.Position
	store := postgres.New(pool)
	for {
		page, err := store.ReadAll(ctx, last, 1000)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) == 0 {
			break
		}
		last = page[len(page)-1].Position
	}
	want := len(projections.All(eventschema.Catalog()))
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		var done int
		if err := pool.QueryRow(ctx, `SELECT count(*) FROM projection_checkpoints
			WHERE (commit_position, prepare_position) >= ($1, $2)`, int64(last.Commit), int64(last.Prepare)).Scan(&done); err != nil {
			t.Fatal(err)
		}
		if done >= want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d projectors still behind %s", want-done, last)
		}
	}
}

// dumpTables reads every row of tables as JSON text, in a fixed order.
func dumpTables(t *testing.T, ctx context.Context, pool *pgxpool.Pool, tables []string) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for _, table := range tables {
		rows, err := pool.Query(ctx, `SELECT to_jsonb(t)::text FROM `+table+` t ORDER BY 1`)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var row string
			if err := rows.Scan(&row); err != nil {
				t.Fatal(err)
			}
			out[table] = append(out[table], row)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
	}
	return out
}
