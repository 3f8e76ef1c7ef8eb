package faulttest

import (
	"context"
	"testing"
	"time"
)

// TestDatabaseAwayAtStart: supportd started while PostgreSQL is down does
// not exit. It answers at once: /healthz 200 ("starting": the process is
// alive, restarting it would not help), /readyz and the API 503 with
// Retry-After. Once PostgreSQL is up it serves without a restart.
func TestDatabaseAwayAtStart(t *testing.T) {
	pg := startCluster(t)
	if err := pg.ctl("stop", "-m", "fast"); err != nil {
		t.Fatal(err)
	}
	srv := newSupportd(t, pg.url())
	srv.launch()
	srv.await("/healthz")
	ctx := context.Background()

	for _, r := range []struct{ method, path, token, body string }{
		{"GET", "/readyz", "", ""},
		{"POST", "/v1/tenants", operatorToken, `{"name":"Acme"}`},
		{"GET", "/v1/me", "any-token", ""},
	} {
		code, retry, out, err := call(ctx, r.method, srv.base+r.path, r.token, r.body)
		if err != nil || code != 503 || retry == "" {
			t.Errorf("%s %s while PostgreSQL is down: %d Retry-After %q %v %v; want 503 with Retry-After", r.method, r.path, code, retry, out, err)
		}
		if r.path != "/readyz" && out["type"] != "https://supportd.dev/problems/unavailable" {
			t.Errorf("%s %s while PostgreSQL is down: %v, want the unavailable problem", r.method, r.path, out)
		}
	}
	time.Sleep(3 * time.Second) // several tries to connect fail meanwhile
	srv.running("while PostgreSQL was down at start")

	pg.start()
	srv.await("/readyz")
	_, token := setUp(t, srv.base)
	if code, _, out, err := call(ctx, "POST", srv.base+"/v1/teams", token, `{"name":"Support"}`); err != nil || code != 201 {
		t.Fatalf("create a team once PostgreSQL is up: %d %v %v", code, out, err)
	}
	srv.running("once PostgreSQL was up")
}
