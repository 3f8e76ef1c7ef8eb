package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/google/uuid"

	"supportd/domain/access"
)

// anyUserRoutes are the operations every signed-in user may call whatever
// its role: its own session, status, profile, phrases and notifications,
// its colleagues, the team list, the catalogues consoles pick from, and
// the notes assigned to it. Every other operation needs a capability.
var anyUserRoutes = map[string]bool{
	"GET /v1/me": true, "PUT /v1/me/profile": true, "PUT /v1/me/status": true, "GET /v1/me/notifications": true,
	"POST /v1/sessions/current/heartbeat": true,
	"GET /v1/teams":                       true, "GET /v1/teams/{team_id}": true, "GET /v1/teams/{team_id}/members": true,
	"GET /v1/teams/{team_id}/rating-options": true,
	// The catalogues the consoles pick from (tags, profile fields, review
	// categories, public phrases and their template).
	"GET /v1/conversation-tags": true, "GET /v1/conversation-tags/tree": true, "GET /v1/customer-tags": true,
	"GET /v1/profile-fields": true, "GET /v1/review-categories": true,
	"GET /v1/phrase-categories": true, "GET /v1/phrases": true, "GET /v1/phrases/template.csv": true,
}

// endsSession are the operations that end the caller's session.
var endsSession = map[string]bool{"DELETE /v1/sessions/current": true, "PUT /v1/me/password": true}

// TestCapabilityRouteWalk walks every operation of the served document
// with a user whose role grants no capability, and with a robot's token:
// the user is refused (403) everywhere but on anyUserRoutes, the robot
// everywhere but on its own robot routes, so no route is reachable without
// the capability its page needs. A team-scoped user with every capability
// walks the operations that name a conversation, a note, a customer or a
// user, with those of another team: each is refused as if it did not exist.
func TestCapabilityRouteWalk(t *testing.T) {
	t.Parallel()
	base, _ := startServerDB(t, "postgres", "")
	op := client{t: t, base: base}
	f := seedWalkTenant(t, op)
	role := f.admin.expect(201, "POST", "/v1/roles", `{"name":"Nobody","capabilities":[],"data_scope":"tenant"}`)
	f.admin.expect(200, "GET", "/v1/roles"+at(role), "")
	_, nobody := teamUser(t, f.admin, f.tenant, "nobody@acme.example", "Nobody", role["role_id"].(string))
	robot := f.admin.expect(201, "POST", "/v1/robots", `{"name":"Bot"}`)
	f.admin.expect(200, "GET", "/v1/robots"+at(robot), "")
	// A lead of the "Other" team (not the conversation's "Entry" team)
	// with every capability, its data scope the team.
	caps, _ := json.Marshal(append(append([]access.Capability{}, access.AgentMode...), access.AdminMode...))
	lead := f.admin.expect(201, "POST", "/v1/roles", fmt.Sprintf(`{"name":"Lead","capabilities":%s,"data_scope":"team"}`, caps))
	f.admin.expect(200, "GET", "/v1/roles"+at(lead), "")
	leadID, leader := teamUser(t, f.admin, f.tenant, "lead@acme.example", "Lead", lead["role_id"].(string))
	other := f.admin.expect(201, "POST", "/v1/teams", `{"name":"Elsewhere"}`)["team_id"].(string)
	joined := f.admin.expect(200, "PUT", "/v1/teams/"+other+"/members", fmt.Sprintf(`{"add":[%q]}`, leadID))
	f.admin.expect(200, "GET", "/v1/teams/"+other+"/members"+at(joined), "")

	// A note left on another conversation of the "Entry" team.
	noted := f.admin.as("none").expect(201, "POST", "/v1/channel/conversations",
		fmt.Sprintf(`{"customer_id":%q,"entry_team_id":%q}`, uuid.NewString(), f.ids["team_id"]), "X-Channel-Key", f.channelKey)
	note := f.admin.as("none").expect(201, "POST", "/v1/channel/conversations/"+noted["conversation_id"].(string)+"/note",
		`{"text":"Please call me back.","contact":"+49 30 1234"}`, "X-Channel-Key", f.channelKey)
	f.ids["note_id"] = note["note_id"].(string)
	f.admin.expect(200, "GET", "/v1/notes/"+f.ids["note_id"]+at(note), "")

	resp, err := http.Get(base + "/v1/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	doc, err := openapi3.NewLoader().LoadFromData(raw)
	if err != nil {
		t.Fatal(err)
	}
	paths := doc.Paths.InMatchingOrder()
	sort.Strings(paths)
	walked, scoped := 0, 0
	var invalid []string
	for _, path := range paths {
		if strings.HasPrefix(path, "/v1/tenants") || strings.HasSuffix(path, "/live") || strings.HasPrefix(path, "/v1/channel") {
			continue // the operator's routes, endless streams, and the customer side (channel keys)
		}
		item := doc.Paths.Value(path)
		for _, method := range []string{"GET", "POST", "PUT", "PATCH", "DELETE"} {
			o := item.GetOperation(method)
			if o == nil || (o.Security != nil && len(*o.Security) == 0) {
				continue
			}
			u := path
			for _, p := range append(append(openapi3.Parameters{}, item.Parameters...), o.Parameters...) {
				if p.Value == nil || p.Value.In != openapi3.ParameterInPath {
					continue
				}
				v, ok := f.idFor(p.Value.Name, path)
				if !ok {
					v = paramValue(p.Value)
				}
				u = strings.ReplaceAll(u, "{"+p.Value.Name+"}", url.PathEscape(v))
			}
			// The example body; for the team-scope walk with the fixture's
			// own objects in every field that names one, so that only the
			// conversation can be what is refused.
			body, ownBody := "", ""
			var headers []string
			if o.RequestBody != nil && o.RequestBody.Value != nil {
				if mt := o.RequestBody.Value.Content.Get("text/csv"); mt != nil {
					body, _ = mt.Example.(string)
					ownBody, headers = body, []string{"Content-Type", "text/csv"}
				}
				if mt := o.RequestBody.Value.Content.Get("application/json"); mt != nil && mt.Schema != nil {
					v := operationExample(mt)
					b, _ := json.Marshal(v)
					body = string(b)
					var slots []idSlot
					idSlots(mt.Schema.Value, v, "", "", func(x any) any { return x }, 0, &slots)
					for _, sl := range slots {
						if id, ok := f.idFor(sl.name, path); ok {
							v = rebuildAt(v, sl.ptr, id)
						}
					}
					b, _ = json.Marshal(v)
					ownBody = string(b)
				}
			}
			key := method + " " + path
			if endsSession[key] {
				continue // walked last: it would end the walk's own session
			}
			walked++
			status, p := nobody.do(method, u, body, headers...)
			switch {
			case anyUserRoutes[key] || strings.HasPrefix(path, "/v1/robot/") || path == "/v1/robot":
			case status == 422:
				invalid = append(invalid, key) // the input is refused before the caller: nothing done
			case status != 403:
				t.Errorf("%s as a user without capabilities: %d %v; want 403", key, status, p)
			}
			status, p = op.as(robot["token"].(string)).do(method, u, body, headers...)
			isRobotRoute := strings.HasPrefix(path, "/v1/robot/") || path == "/v1/robot"
			if !isRobotRoute && status != 403 && status != 422 {
				t.Errorf("%s with a robot's token: %d %v; want 403", key, status, p)
			}
			// Colleague chat reaches the whole tenant by design (the
			// manual's colleague list).
			otherTeams := strings.Contains(path, "{conversation_id}") || strings.Contains(path, "{note_id}") ||
				strings.Contains(path, "{customer_id}") ||
				(strings.Contains(path, "{agent_id}") && !strings.HasPrefix(path, "/v1/colleagues"))
			if otherTeams {
				scoped++
				if status, p := leader.do(method, u, ownBody, headers...); status != 404 && status != 403 {
					t.Errorf("%s on another team's conversation, note, customer or agent: %d %v; want 404", key, status, p)
				}
			}
		}
	}
	// The lead lists only the customers and the users of its team.
	if l := leader.expect(200, "GET", "/v1/customers", "")["items"].([]any); len(l) != 0 {
		t.Errorf("a team-scoped lead lists customers of another team: %v", l)
	}
	if l := leader.expect(200, "GET", "/v1/agents", "")["items"].([]any); len(l) != 1 || l[0].(map[string]any)["agent_id"] != leadID {
		t.Errorf("a team-scoped lead lists %v", l)
	}
	t.Logf("%d operations walked, %d naming another team's conversation, note, customer or agent; refused for their input first: %v", walked, scoped, invalid)
	if len(invalid) > 3 {
		t.Errorf("%d operations refused the example input before the caller: the walk proves little for them", len(invalid))
	}
	if walked < 150 || scoped < 20 {
		t.Errorf("walked %d operations (%d on a conversation): the document was not read", walked, scoped)
	}
}
