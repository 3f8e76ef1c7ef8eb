package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"supportd/eventschema"
	"supportd/eventstore"
	"supportd/eventstore/postgres"
	"supportd/eventstore/postgres/pgtest"
)

// TestPoisonEventStopsOnlyItsProjector appends events straight to the log,
// as an older release or another writer could have: one whose text
// PostgreSQL refuses (a NUL) is sanitised by the projection layer and
// shown; one its projector cannot decode stops that projector alone, which
// /readyz and /metrics name with its position (no database error text),
// while commands, the other projectors and the live streams go on.
func TestPoisonEventStopsOnlyItsProjector(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	base, dbURL := startServerDB(t, "postgres", "")
	op := client{t: t, base: base}
	tenantID, admin := newTenant(t, op)
	tenantLive := openLive(t, admin, "/v1/tenant/live")
	agentID, _ := addAgent(admin, "ann@acme.example", "Ann", "")

	store := postgres.New(pgtest.Pool(t, dbURL))
	appendProfile := func(nickname string) eventschema.Position {
		t.Helper()
		data := fmt.Sprintf(`{"tenant_id":%q,"agent_id":%q,"nickname":%s,"real_name":"","phone":"","employee_id":"","avatar_url":"","greeting":"","language":"en"}`,
			tenantID, agentID, nickname)
		res, err := store.Append(ctx, objectStream("agent", tenantID, agentID), eventstore.Any, []eventschema.Proposed{{
			ID: uuid.Must(uuid.NewV7()), Type: "AgentProfileEdited", Version: 1, Data: json.RawMessage(data),
			Metadata: eventschema.Metadata{TenantID: uuid.MustParse(tenantID), Actor: eventschema.Actor{Kind: eventschema.ActorSystem, ID: "test"},
				OccurredAt: time.Now().UTC(), CorrelationID: uuid.New(), CausationID: uuid.New(), CommandID: uuid.New()},
		}})
		if err != nil {
			t.Fatal(err)
		}
		return res.Position
	}

	// Text PostgreSQL refuses: cleaned on its way into the read model.
	appendProfile(`"Nu\u0000lly"`)
	eventually(t, "the sanitised nickname is shown", func() bool {
		_, a := admin.do("GET", "/v1/agents/"+agentID, "")
		return a["nickname"] == "Nully"
	})
	if code, _ := admin.do("GET", "/readyz", ""); code != 200 {
		t.Fatalf("readyz after a sanitised event: %d", code)
	}

	// An event its projector cannot decode: it stops, visibly, alone.
	poison := appendProfile(`5`)
	var ready struct {
		Status     string `json:"status"`
		Projectors []struct {
			Name, State, Position, Error string
			FailedAt                     string `json:"failed_at"`
			FailedType                   string `json:"failed_type"`
		} `json:"projectors"`
	}
	var raw string
	eventually(t, "readyz names the stopped projector", func() bool {
		code, body := get(t, base+"/readyz")
		raw = body
		if err := json.Unmarshal([]byte(body), &ready); err != nil {
			t.Fatalf("readyz: %v: %s", err, body)
		}
		return code == 503
	})
	for _, p := range ready.Projectors {
		switch {
		case p.Name == "accounts":
			if p.State != "stopped" || p.FailedAt != poison.String() || p.FailedType != "AgentProfileEdited" || p.Position == "" {
				t.Errorf("accounts: %+v, want stopped at %s", p, poison)
			}
		case p.State != "running":
			t.Errorf("%s is %s; only accounts should stop", p.Name, p.State)
		}
	}
	for _, leak := range []string{"cannot unmarshal", "json:", "SQLSTATE", "ERROR"} {
		if strings.Contains(raw, leak) {
			t.Errorf("readyz shows error text %q: %s", leak, raw)
		}
	}
	metrics := op.expect(200, "GET", "/metrics", "")["raw"].(string)
	for _, want := range []string{
		`supportd_projector_up{projector="accounts"} 0`,
		`failed_at="` + poison.String() + `",failed_type="AgentProfileEdited",projector="accounts"} 1`,
		`supportd_projector_up{projector="tenants"} 1`,
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("metrics lack %s", want)
		}
	}

	// The rest goes on: commands, another projector's read model, the live
	// streams (which no longer wait for the stopped projector).
	admin.expect(200, "PUT", "/v1/tenant/settings/dispatch.familiarity", `{"value":true}`)
	await(t, tenantLive, "TenantSettingChanged")
	eventually(t, "the tenants projector shows the new setting", func() bool {
		_, body := admin.do("GET", "/v1/tenant/settings", "")
		b, _ := json.Marshal(body)
		return strings.Contains(string(b), `"dispatch.familiarity"`) && strings.Contains(string(b), `true`)
	})
	addAgent(admin, "bob@acme.example", "Bob", "")
	if code, _ := op.do("GET", "/healthz", ""); code != 200 {
		t.Errorf("healthz: %d", code)
	}
}

// get answers the status and body of a GET without credentials.
func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}
