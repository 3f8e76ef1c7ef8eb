package main

import (
	"context"
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
	"github.com/jackc/pgx/v5/pgxpool"

	"supportd/eventschema"
	"supportd/eventstore/postgres"
)

// walkFixture is one tenant with one object of every kind the API names
// by ID, and how to call the API as that tenant.
type walkFixture struct {
	tenant     string
	admin      client
	adminID    string
	channelKey string
	ids        map[string]string // by the field or parameter that names it
}

// idOf is the ID a create answered.
func idOf(res map[string]any) string {
	for _, k := range []string{"id", "team_id", "plan_id", "endpoint_id", "rule_id", "agent_id", "conversation_id", "key_id", "token_id", "role_id", "category_id", "tag_id", "message_id", "phrase_id", "article_id"} {
		if s, ok := res[k].(string); ok && s != "" {
			return s
		}
	}
	return ""
}

// seedWalkTenant creates a tenant holding one object of each kind.
func seedWalkTenant(t *testing.T, op client) walkFixture {
	t.Helper()
	tenant, admin := newTenant(t, op)
	f := walkFixture{tenant: tenant, admin: admin, ids: map[string]string{}}
	me := admin.expect(200, "GET", "/v1/me", "")
	f.adminID = me["agent_id"].(string)
	create := func(name, path, body string) string {
		t.Helper()
		id := idOf(admin.expect(201, "POST", path, body))
		if id == "" {
			t.Fatalf("POST %s answered no ID", path)
		}
		f.ids[name] = id
		return id
	}
	team := create("team_id", "/v1/teams", `{"name":"Entry"}`)
	admin.expect(200, "GET", "/v1/teams/"+team+"?min_position="+admin.expect(201, "POST", "/v1/teams", `{"name":"Other"}`)["position"].(string), "")
	create("plan_id", "/v1/time-plans", `{"name":"Hours","schedule":{"weekly":{"monday":[{"from":"08:00","to":"12:00"}]}}}`)
	create("endpoint_id", "/v1/webhooks", `{"url":"https://hooks.example/h"}`)
	create("routing_rule_id", "/v1/routing-rules", fmt.Sprintf(`{"binding":"customer_profile","name":"VIP","conditions":[{"field":"level","op":"eq","values":["vip"]}],"target":{"kind":"team","id":%q}}`, team))
	create("keyword_rule_id", "/v1/keyword-rules", `{"name":"Refunds","pattern":"refund","action":"prompt_agent","text":"t"}`)
	ann, _ := addAgent(admin, "ann@acme.example", "Ann", "")
	f.ids["agent_id"] = ann
	admin.expect(200, "PUT", "/v1/teams/"+team+"/members", fmt.Sprintf(`{"add":[%q]}`, ann))
	create("conversation_tag_id", "/v1/conversation-tags", `{"name":"Price"}`)
	create("customer_tag_id", "/v1/customer-tags", `{"name":"Loyal"}`)
	create("phrase_category_id", "/v1/phrase-categories", `{"name":"Greetings"}`)
	create("knowledge_category_id", "/v1/knowledge/categories", `{"name":"Billing"}`)
	create("role_id", "/v1/roles", `{"name":"Viewer","capabilities":["admin.dashboard"]}`)
	create("token_id", "/v1/api-tokens", `{"name":"ERP","role":"agent"}`)
	key := admin.expect(201, "POST", "/v1/channel-keys", `{"channel":"web","name":"Widget"}`)
	f.ids["key_id"], f.channelKey = idOf(key), key["key"].(string)
	admin.expect(200, "GET", "/v1/channel-keys"+at(key), "")
	customer := uuid.Must(uuid.NewV7()).String()
	f.ids["customer_id"] = customer
	conv := admin.as("none").expect(201, "POST", "/v1/channel/conversations",
		fmt.Sprintf(`{"customer_id":%q,"customer_name":"Lu","entry_team_id":%q}`, customer, team), "X-Channel-Key", f.channelKey)
	f.ids["conversation_id"] = conv["conversation_id"].(string)
	msg := admin.as("none").expect(201, "POST", "/v1/channel/conversations/"+f.ids["conversation_id"]+"/messages",
		`{"type":"text","text":"hello"}`, "X-Channel-Key", f.channelKey)
	if id := idOf(msg); id != "" {
		f.ids["message_id"] = id
	}
	last := admin.expect(201, "POST", "/v1/teams", `{"name":"Last"}`)
	admin.expect(200, "GET", "/v1/teams"+at(last), "")
	return f
}

// idFor is the fixture's ID for a parameter or field name on path.
func (f walkFixture) idFor(name, path string) (string, bool) {
	switch {
	case name == "rule_id" && strings.HasPrefix(path, "/v1/keyword-rules"):
		name = "keyword_rule_id"
	case name == "rule_id":
		name = "routing_rule_id"
	case name == "tag_id" && strings.Contains(path, "customer"):
		name = "customer_tag_id"
	case name == "tag_id" || name == "tag_ids" || name == "parent_id" && strings.HasPrefix(path, "/v1/conversation-tags"):
		name = "conversation_tag_id"
	case (name == "category_id" || name == "parent_id") && strings.HasPrefix(path, "/v1/knowledge"):
		name = "knowledge_category_id"
	case name == "category_id" || name == "parent_id":
		name = "phrase_category_id"
	case name == "user_id" || name == "to_id" || name == "assignee_id":
		name = "agent_id"
	case name == "id" && strings.HasPrefix(path, "/v1/routing-rules"):
		name = "agent_id" // the examples' targets are agents
	case name == "entry_team_id":
		name = "team_id"
	case strings.HasSuffix(name, "_ids"):
		name = strings.TrimSuffix(name, "s")
	}
	id, ok := f.ids[name]
	return id, ok
}

// namesObject tells whether a body field or parameter names an object.
func namesObject(name string, s *openapi3.Schema) bool {
	if name == "tenant_id" {
		return false
	}
	if strings.HasSuffix(name, "_id") || strings.HasSuffix(name, "_ids") || name == "id" {
		return true
	}
	return s != nil && s.Format == "uuid"
}

// idSlot is a body field that names an object.
type idSlot struct {
	name  string
	ptr   string
	build func(id string) any
}

// idSlots finds the fields of a body schema that name objects, starting
// from the example body v.
func idSlots(s *openapi3.Schema, v any, ptr, name string, rebuild func(any) any, depth int, out *[]idSlot) {
	if s == nil || depth > 6 {
		return
	}
	isString := s.Type != nil && s.Type.Includes(openapi3.TypeString)
	if isString && namesObject(name, s) {
		*out = append(*out, idSlot{name: name, ptr: ptr, build: func(id string) any { return rebuild(id) }})
		return
	}
	if s.Items != nil && s.Items.Value != nil {
		idSlots(s.Items.Value, nil, ptr+"/0", name, func(x any) any { return rebuild([]any{x}) }, depth+1, out)
		return
	}
	props := map[string]*openapi3.Schema{}
	var collect func(s *openapi3.Schema, depth int)
	collect = func(s *openapi3.Schema, depth int) {
		if s == nil || depth > 4 {
			return
		}
		for k, p := range s.Properties {
			if p != nil && p.Value != nil && props[k] == nil {
				props[k] = p.Value
			}
		}
		for _, group := range []openapi3.SchemaRefs{s.AllOf, s.OneOf, s.AnyOf} {
			for _, sub := range group {
				if sub != nil {
					collect(sub.Value, depth+1)
				}
			}
		}
	}
	collect(s, 0)
	cur, _ := v.(map[string]any)
	names := make([]string, 0, len(props))
	for k := range props {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		idSlots(props[k], cur[k], ptr+"/"+k, k, func(x any) any {
			m := make(map[string]any, len(cur)+1)
			for kk, vv := range cur {
				m[kk] = vv
			}
			m[k] = x
			return rebuild(m)
		}, depth+1, out)
	}
}

// tenantSnapshot is what tenant B holds: a digest of each of its read-model
// tables, and its streams' versions.
type tenantSnapshot struct {
	tables  map[string]string
	streams map[string]uint64
	at      eventschema.Position
}

// walkTables are the read models a request of another tenant could reach
// through an ID; the ones background work changes on its own (sessions,
// presence, dispatch, timers, notifications) are left out.
var walkTables = []string{"webhook_endpoints", "routing_rules", "keyword_rules", "teams", "team_members", "time_plans",
	"customers", "customer_tag_links", "blacklist", "conversation_tags", "customer_tags", "phrase_categories", "phrases",
	"knowledge_categories", "knowledge_articles", "roles", "api_tokens", "channel_keys", "colleague_messages",
	"conversation_messages", "conversation_transfers", "conversation_pins", "notes", "note_remarks"}

func snapshotTenant(t *testing.T, pool *pgxpool.Pool, tenant string) tenantSnapshot {
	t.Helper()
	ctx := context.Background()
	s := tenantSnapshot{tables: map[string]string{}, streams: map[string]uint64{}}
	for _, table := range walkTables {
		var digest *string
		if err := pool.QueryRow(ctx, `SELECT md5(string_agg(r::text, '|' ORDER BY r::text)) FROM `+table+` r WHERE tenant_id = $1`, tenant).Scan(&digest); err != nil {
			t.Fatalf("%s: %v", table, err)
		}
		if digest != nil {
			s.tables[table] = *digest
		}
	}
	store := postgres.New(pool)
	for after := eventschema.Start; ; {
		page, err := store.ReadAll(ctx, after, 1000)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range page {
			if e.Metadata.TenantID.String() == tenant {
				s.streams[e.Stream] = e.StreamVersion
			}
			after = e.Position
		}
		s.at = after
		if len(page) < 1000 {
			return s
		}
	}
}

// TestCrossTenantRouteWalk walks every operation of the served document as
// tenant A with tenant B's real object IDs, first in the path (with A's own
// IDs in the body), then in each body field that names an object (with A's
// own IDs in the path). A path that names B's object must be refused (404,
// or 403/422 where the caller or the input is refused first); a body field
// that names B's object must be refused too, except the ID a create
// chooses for its own new object, which creates A's object. Afterwards B's
// read models and streams must be as they were, and no event of A's may be
// in a stream of B's.
func TestCrossTenantRouteWalk(t *testing.T) {
	base, dbURL := startServerDB(t, "postgres", "")
	op := client{t: t, base: base}
	a, b := seedWalkTenant(t, op), seedWalkTenant(t, op)
	pool, err := pgxpool.New(context.Background(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	before := snapshotTenant(t, pool, b.tenant)

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
	send := func(method, path, body string, auth func(*http.Request)) (int, map[string]any) {
		req, err := http.NewRequest(method, base+path, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		auth(req)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		raw, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		var p map[string]any
		_ = json.Unmarshal(raw, &p)
		return resp.StatusCode, p
	}
	refused := func(status int) bool { return status == 404 || status == 403 || status == 422 }

	paths := doc.Paths.InMatchingOrder()
	sort.Strings(paths)
	operations, pathTries, bodyTries := 0, 0, 0
	var pathPass, bodyPass []func()
	var ownCreated []ownObject
	for _, path := range paths {
		if strings.HasPrefix(path, "/v1/tenants") || strings.HasSuffix(path, "/live") {
			continue // the operator's own routes cross tenants by design; live streams do not end
		}
		item := doc.Paths.Value(path)
		for _, method := range []string{"GET", "POST", "PUT", "PATCH", "DELETE"} {
			o := item.GetOperation(method)
			if o == nil {
				continue
			}
			operations++
			auth := func(req *http.Request) { req.Header.Set("Authorization", "Bearer "+a.admin.token) }
			switch {
			case o.Security != nil && len(*o.Security) == 0:
				auth = func(*http.Request) {}
			case o.Security != nil && len(*o.Security) > 0 && (*o.Security)[0]["channelKey"] != nil:
				auth = func(req *http.Request) { req.Header.Set("X-Channel-Key", a.channelKey) }
			}
			var pathParams []*openapi3.Parameter
			for _, p := range append(append(openapi3.Parameters{}, item.Parameters...), o.Parameters...) {
				if p.Value != nil && p.Value.In == openapi3.ParameterInPath {
					pathParams = append(pathParams, p.Value)
				}
			}
			target := func(f walkFixture) (string, bool) {
				u, named := path, false
				for _, p := range pathParams {
					v, ok := f.idFor(p.Name, path)
					if ok {
						named = true
					} else {
						v = paramValue(p)
					}
					u = strings.ReplaceAll(u, "{"+p.Name+"}", url.PathEscape(v))
				}
				return u, named
			}
			var schema *openapi3.Schema
			var example any
			if o.RequestBody != nil && o.RequestBody.Value != nil {
				if mt := o.RequestBody.Value.Content.Get("application/json"); mt != nil && mt.Schema != nil {
					schema, example = mt.Schema.Value, operationExample(mt)
				}
			}
			var slots []idSlot
			if schema != nil {
				idSlots(schema, example, "", "", func(x any) any { return x }, 0, &slots)
			}
			// The example with every ID field set to f's objects.
			bodyOf := func(f walkFixture, except int, other walkFixture) string {
				if schema == nil {
					return ""
				}
				v := example
				for i, s := range slots {
					id, ok := f.idFor(s.name, path)
					switch {
					case i == except:
						id, ok = other.idFor(s.name, path)
					case method == "POST" && createsOwn(path, s.name):
						id, ok = uuid.Must(uuid.NewV7()).String(), true // a new object of A's
					}
					if ok {
						v = rebuildAt(v, s.ptr, id)
					}
				}
				out, _ := json.Marshal(v)
				return string(out)
			}

			// B's IDs in the path.
			if u, named := target(b); named {
				pathTries++
				pathPass = append(pathPass, func() {
					status, p := send(method, u, bodyOf(a, -1, a), auth)
					if !refused(status) {
						t.Errorf("%s %s with B's IDs in the path: %d %v; want 404", method, path, status, p)
					}
				})
			}
			// B's ID in each body field, A's own in the path: after every
			// path try, since a create with B's ID makes an object of A's
			// that A may then rightly reach under that ID.
			u, _ := target(a)
			for i, s := range slots {
				if _, ok := b.idFor(s.name, path); !ok {
					continue
				}
				bodyTries++
				bodyPass = append(bodyPass, func() {
					status, p := send(method, u, bodyOf(a, i, b), auth)
					ownID := method == "POST" && strings.Count(s.ptr, "/") == 1 && !strings.Contains(s.ptr[1:], "/") &&
						createsOwn(path, s.name)
					if ownID {
						// A's new object under that ID (B's is checked below),
						// or a refusal that is not about the ID.
						if status == 409 || status >= 500 {
							t.Errorf("%s %s with B's %s as the new object's ID: %d %v; want A's own object", method, path, s.name, status, p)
						}
						if item, ok := ownItemPaths[path]; ok && status == 201 && item.field == s.name {
							id, _ := b.idFor(s.name, path)
							pos, _ := p["position"].(string)
							ownCreated = append(ownCreated, ownObject{item.path + id, pos})
						}
						return
					}
					if !refused(status) && status != 409 {
						t.Errorf("%s %s with B's %s in %s: %d %v; want a refusal", method, path, s.name, s.ptr, status, p)
					}
				})
			}
		}
	}
	for _, try := range pathPass {
		try()
	}
	for _, try := range bodyPass {
		try()
	}
	// Each object A created under one of B's IDs is A's: A reads it, B
	// reads its own under the same ID, and A's delete (where there is one)
	// leaves B's in place.
	if len(ownCreated) < 4 {
		t.Errorf("%d creates under B's IDs, want one per create that takes its ID", len(ownCreated))
	}
	for _, o := range ownCreated {
		a.admin.expect(200, "GET", o.path+"?min_position="+url.QueryEscape(o.position), "")
		b.admin.expect(200, "GET", o.path, "")
		if strings.HasPrefix(o.path, "/v1/webhooks/") {
			a.admin.expect(200, "DELETE", o.path, "")
			b.admin.expect(200, "GET", o.path, "")
		}
	}
	t.Logf("%d operations, %d with B's IDs in the path, %d with B's IDs in the body", operations, pathTries, bodyTries)
	if operations < 100 || pathTries < 40 || bodyTries < 20 {
		t.Errorf("walked %d operations (%d path, %d body tries): the document was not read", operations, pathTries, bodyTries)
	}

	// B is as it was: its read models, its streams, and no event of A's
	// in any stream of B's.
	last := a.admin.expect(201, "POST", "/v1/teams", `{"name":"Mark"}`)
	if status, p := a.admin.do("GET", "/v1/teams"+at(last), ""); status != 200 {
		t.Errorf("the read models do not catch up after the walk (a projector stopped?): %d %v", status, p)
	}
	after := snapshotTenant(t, pool, b.tenant)
	for _, table := range walkTables {
		if before.tables[table] != after.tables[table] {
			t.Errorf("B's %s changed", table)
		}
	}
	store := postgres.New(pool)
	for from := before.at; ; {
		page, err := store.ReadAll(context.Background(), from, 1000)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range page {
			if _, ours := before.streams[e.Stream]; ours && e.Metadata.TenantID.String() != b.tenant {
				t.Errorf("%s of tenant %s in B's stream %s", e.Type, e.Metadata.TenantID, e.Stream)
			}
			if e.Metadata.TenantID.String() == b.tenant && e.Metadata.Actor.ID != "" && e.Metadata.Actor.ID == a.adminID {
				t.Errorf("A's admin wrote %s into B's %s", e.Type, e.Stream)
			}
			from = e.Position
		}
		if len(page) < 1000 {
			break
		}
	}

	// Every stream the walk wrote is named as the event store's upgrade
	// check expects: run again, it finds no stream without its tenant.
	if _, err := pool.Exec(context.Background(), `DELETE FROM eventstore_migrations WHERE version_id >= 2`); err != nil {
		t.Fatal(err)
	}
	if err := postgres.Migrate(context.Background(), pool); err != nil {
		t.Errorf("the upgrade check refuses the walk's own log: %v", err)
	}
}

// ownItemPaths maps a create that takes its new object's ID to that
// field and the path that reads the object.
var ownItemPaths = map[string]struct{ field, path string }{
	"/v1/teams": {"team_id", "/v1/teams/"}, "/v1/time-plans": {"plan_id", "/v1/time-plans/"},
	"/v1/webhooks": {"endpoint_id", "/v1/webhooks/"}, "/v1/routing-rules": {"rule_id", "/v1/routing-rules/"},
	"/v1/keyword-rules": {"rule_id", "/v1/keyword-rules/"}, "/v1/channel/conversations": {"conversation_id", "/v1/conversations/"},
}

// ownObject is an object A created under one of B's IDs, and the log
// position of its creation.
type ownObject struct{ path, position string }

// createsOwn tells whether name is the ID a create on path chooses for
// its new object.
func createsOwn(path, name string) bool {
	own := map[string]string{
		"/v1/teams": "team_id", "/v1/time-plans": "plan_id", "/v1/webhooks": "endpoint_id",
		"/v1/routing-rules": "rule_id", "/v1/keyword-rules": "rule_id", "/v1/channel/conversations": "conversation_id",
	}
	if own[path] == name {
		return true
	}
	// A customer's own ID on the customer side, a message's or a
	// transfer's own ID: chosen by the client for the new object.
	switch name {
	case "message_id", "transfer_id":
		return true
	case "customer_id":
		return strings.HasPrefix(path, "/v1/channel/")
	}
	return false
}

// rebuildAt sets the value at JSON pointer ptr (objects and first array
// items only) in a copy of v.
func rebuildAt(v any, ptr, id string) any {
	if ptr == "" {
		return id
	}
	key, rest, _ := strings.Cut(strings.TrimPrefix(ptr, "/"), "/")
	if rest != "" {
		rest = "/" + rest
	}
	if key == "0" {
		arr, _ := v.([]any)
		var first any
		if len(arr) > 0 {
			first = arr[0]
		}
		return []any{rebuildAt(first, rest, id)}
	}
	m, _ := v.(map[string]any)
	out := make(map[string]any, len(m)+1)
	for k, x := range m {
		out[k] = x
	}
	out[key] = rebuildAt(m[key], rest, id)
	return out
}
