package main

import (
	"encoding/json"

	"context"
	"github.com/google/uuid"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// openLiveEnd opens an SSE stream and answers a channel closed when the
// server ends the stream.
func openLiveEnd(t *testing.T, c client, path string) <-chan struct{} {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	req, err := http.NewRequestWithContext(ctx, "GET", c.base+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Accept", "text/event-stream")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		t.Fatalf("live %s: %s", path, resp.Status)
	}
	ended := make(chan struct{})
	go func() {
		defer close(ended)
		defer resp.Body.Close()
		_, _ = io.Copy(io.Discard, resp.Body)
	}()
	return ended
}

func awaitEnd(t *testing.T, ended <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-ended:
	case <-time.After(10 * time.Second):
		t.Fatalf("%s: the live stream is still open", what)
	}
}

func stillOpen(t *testing.T, ended <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-ended:
		t.Fatalf("%s: the live stream ended", what)
	default:
	}
}

// TestSessionsEnd: every path that ends a credential takes effect on the
// very next request, and the live streams opened with it end: sign-out, a
// user changing its own password (its other sessions end, the asking one
// stays), an admin resetting a password, disabling a user, revoking an API
// token.
func TestSessionsEnd(t *testing.T) {
	t.Parallel()
	base := startServer(t, "postgres", "")
	op := client{t: t, base: base}
	id, admin := newTenant(t, op)

	// Sign-out: the next request is refused, the session's streams end,
	// another session's stream goes on.
	other := signIn(t, op, id, "boss@acme.example", "correct-horse")
	ownLive, tenantLive := openLiveEnd(t, admin, "/v1/me/live"), openLiveEnd(t, admin, "/v1/tenant/live")
	otherLive := openLiveEnd(t, other, "/v1/me/live")
	admin.expect(200, "DELETE", "/v1/sessions/current", "")
	admin.expect(401, "GET", "/v1/me", "")
	awaitEnd(t, ownLive, "sign-out /v1/me/live")
	awaitEnd(t, tenantLive, "sign-out /v1/tenant/live")
	other.expect(200, "GET", "/v1/me", "")
	stillOpen(t, otherLive, "another session's sign-out")

	// Own password change: the other sessions end at once, this one stays.
	third := signIn(t, op, id, "boss@acme.example", "correct-horse")
	thirdLive := openLiveEnd(t, third, "/v1/tenant/live")
	other.expect(200, "PUT", "/v1/me/password", `{"current_password":"correct-horse","password":"staple-battery-9"}`)
	third.expect(401, "GET", "/v1/me", "")
	awaitEnd(t, thirdLive, "password change")
	other.expect(200, "GET", "/v1/me", "")
	stillOpen(t, otherLive, "own password change")
	op.as("none").expect(403, "POST", "/v1/sessions", `{"tenant_id":"`+id+`","email":"boss@acme.example","password":"correct-horse"}`)

	// An admin's reset ends every session of the user.
	annID, _ := addAgent(other, "ann@acme.example", "Ann", "")
	ann := signIn(t, op, id, "ann@acme.example", "agent-password")
	annLive := openLiveEnd(t, ann, "/v1/me/live")
	other.expect(200, "PUT", "/v1/agents/"+annID+"/password", `{"password":"river-lantern-4"}`)
	ann.expect(401, "GET", "/v1/me", "")
	awaitEnd(t, annLive, "password reset")
	ann = signIn(t, op, id, "ann@acme.example", "river-lantern-4")

	// Disabling a user.
	annLive = openLiveEnd(t, ann, "/v1/me/live")
	other.expect(200, "PUT", "/v1/agents/"+annID+"/enabled", `{"enabled":false}`)
	ann.expect(401, "GET", "/v1/me", "")
	awaitEnd(t, annLive, "disable")

	// Revoking an API token.
	issued := other.expect(201, "POST", "/v1/api-tokens", `{"name":"Wallboard","role":"admin"}`)
	other.expect(200, "GET", "/v1/api-tokens"+at(issued), "")
	wallboard := op.as(issued["token"].(string))
	wallboard.expect(200, "GET", "/v1/agents", "")
	boardLive := openLiveEnd(t, wallboard, "/v1/tenant/live")
	other.expect(200, "DELETE", "/v1/api-tokens/"+issued["token_id"].(string), "")
	wallboard.expect(401, "GET", "/v1/agents", "")
	awaitEnd(t, boardLive, "token revocation")
	stillOpen(t, otherLive, "the end of other credentials")
}

// TestPasswordRule: on every path that sets a password (tenant creation,
// adding a user, an admin's reset, one's own change), common, blank, short
// and context-derived passwords answer 422 naming the field, and nothing
// changes.
func TestPasswordRule(t *testing.T) {
	t.Parallel()
	base := startServer(t, "postgres", "")
	op := client{t: t, base: base}
	id, admin := newTenant(t, op)
	annID, _ := addAgent(admin, "ann.lee@acme.example", "Annie", "")
	ann := signIn(t, op, id, "ann.lee@acme.example", "agent-password")

	refused := []struct{ name, password string }{
		{"common", "password"},
		{"common, capitalised with digits", "Password123"},
		{"common digits", "12345678"},
		{"eight spaces", "        "},
		{"blank with tabs", "\t\t\t\t\t\t\t\t\t"},
		{"one character repeated", "aaaaaaaaaa"},
		{"too short", "x7#q"},
		{"too long", strings.Repeat("k", 73)},
		{"own e-mail", "ann.lee@acme.example"},
		{"own e-mail, other case", "ANN.LEE@acme.example"},
		{"e-mail's local part", "ann.lee"},
		{"local part with digits", "ann.lee2024"},
		{"nickname", "Annie2024!"},
		{"tenant name", "Acme1234"},
	}
	for _, tc := range refused {
		pw, _ := json.Marshal(tc.password)
		for _, path := range []struct {
			who               client
			method, url, body string
			field             string
		}{
			{admin, "POST", "/v1/agents", `{"email":"ann.lee@acme.example","nickname":"Annie","password":` + string(pw) + `}`, "password"},
			{admin, "PUT", "/v1/agents/" + annID + "/password", `{"password":` + string(pw) + `}`, "password"},
			{ann, "PUT", "/v1/me/password", `{"current_password":"agent-password","password":` + string(pw) + `}`, "password"},
			{op, "POST", "/v1/tenants", `{"tenant_id":"` + uuid.Must(uuid.NewV7()).String() + `","name":"Acme","time_zone":"Europe/Berlin","admin":{"email":"ann.lee@acme.example","nickname":"Annie","password":` + string(pw) + `}}`, "admin.password"},
		} {
			p := path.who.expect(422, path.method, path.url, path.body)
			if f, _ := p["field"].(string); strings.ReplaceAll(strings.TrimPrefix(f, "/"), "/", ".") != path.field {
				t.Errorf("%s, %s %s: %v", tc.name, path.method, path.url, p)
			}
		}
	}
	// Nothing changed: the old password still opens, a good one is taken.
	ann = signIn(t, op, id, "ann.lee@acme.example", "agent-password")
	ann.expect(200, "PUT", "/v1/me/password", `{"current_password":"agent-password","password":"violet-harbour-31"}`)
	signIn(t, op, id, "ann.lee@acme.example", "violet-harbour-31")
}
