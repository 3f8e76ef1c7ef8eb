package main

import (
	"context"
	"encoding/csv"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"supportd/eventstore/postgres/pgtest"
)

// TestNotesOverHTTP drives the Notes page: notes left by customers in two
// teams' queues, listed within each user's data scope with the tabs'
// counts, filters and pages; taken, given back, reassigned, moved through
// their statuses and remarked on, by whom the rules allow; exported as
// CSV; isolated between tenants; and rebuilt from the log as they were.
func TestNotesOverHTTP(t *testing.T) {
	t.Parallel()
	base, dbURL := startServerDB(t, "postgres", "")
	op := client{t: t, base: base}
	tenant, admin := newTenant(t, op)
	annID, ann := teamUser(t, admin, tenant, "ann@acme.example", "Ann", "agent")
	bobID, bob := teamUser(t, admin, tenant, "bob@acme.example", "Bob", "agent")
	cidID, cid := teamUser(t, admin, tenant, "cid@acme.example", "Cid", "agent")
	dayID, _ := teamUser(t, admin, tenant, "day@acme.example", "Day", "agent")
	role := admin.expect(201, "POST", "/v1/roles", `{"name":"Chat only","capabilities":["agent.conversations"],"data_scope":"team"}`)["role_id"].(string)
	_, chatOnly := teamUser(t, admin, tenant, "eve@acme.example", "Eve", role)
	auditorRole := admin.expect(201, "POST", "/v1/roles", `{"name":"Auditor","capabilities":["admin.history"],"data_scope":"tenant"}`)["role_id"].(string)
	_, auditor := teamUser(t, admin, tenant, "aud@acme.example", "Aud", auditorRole)
	_, other := newTenant(t, op)

	teamA := admin.expect(201, "POST", "/v1/teams", `{"name":"A"}`)["team_id"].(string)
	teamB := admin.expect(201, "POST", "/v1/teams", `{"name":"B"}`)["team_id"].(string)
	admin.expect(200, "PUT", "/v1/teams/"+teamA+"/members", fmt.Sprintf(`{"add":[%q,%q]}`, annID, bobID))
	admin.expect(200, "PUT", "/v1/teams/"+teamB+"/members", fmt.Sprintf(`{"add":[%q]}`, cidID))
	disabled := admin.expect(200, "PUT", "/v1/agents/"+dayID+"/enabled", `{"enabled":false}`)
	keys := map[string]string{}
	var last map[string]any
	for _, ch := range []string{"web", "app"} {
		last = admin.expect(201, "POST", "/v1/channel-keys", fmt.Sprintf(`{"channel":%q,"name":%q}`, ch, ch))
		keys[ch] = last["key"].(string)
	}
	admin.expect(200, "GET", "/v1/channel-keys"+at(last), "")
	admin.expect(200, "GET", "/v1/agents"+at(disabled), "")
	// Everyone is busy: the conversations wait in the queue for a note.
	ann, bob, cid = signIn(t, ann, tenant, "ann@acme.example", "agent-password"), signIn(t, bob, tenant, "bob@acme.example", "agent-password"),
		signIn(t, cid, tenant, "cid@acme.example", "agent-password")
	for _, a := range []client{admin, ann, bob, cid} {
		a.expect(200, "PUT", "/v1/me/status", `{"status":"busy"}`)
	}

	leave := func(channel, team, customer string) string {
		t.Helper()
		body := fmt.Sprintf(`{"customer_id":%q,"customer_name":%q,"entry_team_id":%q}`, uuid.NewString(), customer, team)
		ch := admin.as("none")
		conv := ch.expect(201, "POST", "/v1/channel/conversations", body, "X-Channel-Key", keys[channel])["conversation_id"].(string)
		last = ch.expect(201, "POST", "/v1/channel/conversations/"+conv+"/note",
			`{"text":"Please call me back.","contact":"+49 30 1234"}`, "X-Channel-Key", keys[channel])
		return last["note_id"].(string)
	}
	var notes []string // by number: notes[0] is number 1
	for i := range 4 {
		notes = append(notes, leave("web", teamA, fmt.Sprintf("Web %d", i+1)))
	}
	notes = append(notes, leave("app", teamA, "App 5"))
	notes = append(notes, leave("web", teamB, "Web 6"), leave("web", teamB, "Web 7"))
	left := last

	type listing struct {
		ids    []string
		next   string
		counts map[string]any
	}
	list := func(c client, query string) listing {
		t.Helper()
		out := c.expect(200, "GET", "/v1/notes"+query, "")
		var l listing
		for _, item := range out["items"].([]any) {
			l.ids = append(l.ids, item.(map[string]any)["note_id"].(string))
		}
		l.next, _ = out["next"].(string)
		l.counts, _ = out["counts"].(map[string]any)
		return l
	}
	newest := func(numbers ...int) []string {
		var out []string
		for _, n := range numbers {
			out = append(out, notes[n-1])
		}
		return out
	}
	counts := func(open, pending, solved, all, unassigned int) string {
		return fmt.Sprint(map[string]any{"open": float64(open), "pending": float64(pending), "solved": float64(solved),
			"all": float64(all), "unassigned": float64(unassigned)})
	}

	// The admin sees every note, newest first, and the tabs count them.
	all := list(admin, at(left))
	if !slices.Equal(all.ids, newest(7, 6, 5, 4, 3, 2, 1)) {
		t.Fatalf("admin lists %v, want %v", all.ids, newest(7, 6, 5, 4, 3, 2, 1))
	}
	if fmt.Sprint(all.counts) != counts(7, 0, 0, 7, 7) {
		t.Errorf("counts %v", all.counts)
	}
	detail := admin.expect(200, "GET", "/v1/notes/"+notes[5], "")["note"].(map[string]any)
	if detail["number"] != float64(6) || detail["channel"] != "web" || detail["customer_name"] != "Web 6" || detail["team_id"] != teamB ||
		detail["text"] != "Please call me back." || detail["contact"] != "+49 30 1234" || detail["status"] != "open" ||
		detail["assignee_id"] != nil || detail["version"] != nil || detail["created_at"] != detail["updated_at"] {
		t.Errorf("note %v", detail)
	}
	// Agents see their teams' unassigned notes; other tenants and roles
	// without the page see none.
	if got := list(ann, ""); !slices.Equal(got.ids, newest(5, 4, 3, 2, 1)) || fmt.Sprint(got.counts) != counts(5, 0, 0, 5, 5) {
		t.Errorf("Ann lists %v %v", got.ids, got.counts)
	}
	if got := list(cid, ""); !slices.Equal(got.ids, newest(7, 6)) {
		t.Errorf("Cid lists %v", got.ids)
	}
	ann.expect(404, "GET", "/v1/notes/"+notes[5], "")
	cid.expect(200, "GET", "/v1/notes/"+notes[5], "")
	if got := list(other, ""); len(got.ids) != 0 || fmt.Sprint(got.counts) != counts(0, 0, 0, 0, 0) {
		t.Errorf("another tenant lists %v %v", got.ids, got.counts)
	}
	other.expect(404, "GET", "/v1/notes/"+notes[0], "")
	other.expect(404, "POST", "/v1/notes/"+notes[0]+"/assign", fmt.Sprintf(`{"agent_id":%q}`, adminID(t, other)))
	other.expect(404, "POST", "/v1/notes/"+notes[0]+"/status", `{"status":"solved"}`)
	other.expect(404, "POST", "/v1/notes/"+notes[0]+"/remarks", `{"text":"hi"}`)
	chatOnly.expect(403, "GET", "/v1/notes", "")
	chatOnly.expect(403, "GET", "/v1/notes/export.csv", "")
	// The admin console's Notes page needs admin.history only.
	auditor.expect(200, "GET", "/v1/notes", "")
	admin.expect(404, "GET", "/v1/notes/"+uuid.NewString(), "")

	// Pages follow the numbers; the counts come with the first page.
	var paged []string
	query := "?limit=3"
	for pages := 0; ; pages++ {
		p := list(admin, query)
		if (pages == 0) != (p.counts != nil) {
			t.Errorf("page %d: counts %v", pages, p.counts)
		}
		paged = append(paged, p.ids...)
		if p.next == "" {
			if pages != 2 {
				t.Errorf("%d pages, want 3", pages+1)
			}
			break
		}
		query = "?limit=3&after=" + p.next
	}
	if !slices.Equal(paged, all.ids) {
		t.Errorf("pages %v, want %v", paged, all.ids)
	}
	admin.expect(422, "GET", "/v1/notes?after=garbage", "")
	filters := []struct {
		query string
		want  []string
	}{
		{"?channel=app", newest(5)},
		{"?channel=web&team_id=" + teamB, newest(7, 6)},
		{"?number=3", newest(3)},
		{"?status=open&assignee=none", newest(7, 6, 5, 4, 3, 2, 1)},
		{"?status=solved", nil},
		{"?from=2100-01-01T00:00:00Z", nil},
		{"?from=2000-01-01T00:00:00Z&to=2100-01-01T00:00:00Z&channel=app", newest(5)},
	}
	for _, f := range filters {
		if got := list(admin, f.query); !slices.Equal(got.ids, f.want) {
			t.Errorf("%s lists %v, want %v", f.query, got.ids, f.want)
		}
	}
	if got := list(admin, "?channel=app"); fmt.Sprint(got.counts) != counts(1, 0, 0, 1, 1) {
		t.Errorf("counts of the app notes %v", got.counts)
	}
	admin.expect(422, "GET", "/v1/notes?assignee=someone", "")

	// Ann takes a note; only admins hand notes to others.
	assign := func(c client, status int, note string, agent any) map[string]any {
		t.Helper()
		body := `{"agent_id":null}`
		if agent != nil {
			body = fmt.Sprintf(`{"agent_id":%q}`, agent)
		}
		return c.expect(status, "POST", "/v1/notes/"+note+"/assign", body)
	}
	took := assign(ann, 200, notes[0], annID)
	if took["events"] != float64(1) || took["stream"] != objectStream("note", tenant, notes[0]) || took["version"] != float64(0) {
		t.Errorf("take %v", took)
	}
	if again := assign(ann, 200, notes[0], annID); again["events"] != float64(0) {
		t.Errorf("taking again wrote %v events", again["events"])
	}
	if p := assign(ann, 403, notes[1], bobID); p["code"] != "note.assign_others" {
		t.Errorf("problem %v", p)
	}
	if p := ann.expect(403, "POST", "/v1/notes/"+notes[1]+"/status", `{"status":"pending"}`); p["code"] != "note.not_assignee" {
		t.Errorf("status of an unassigned note by an agent: %v", p)
	}
	ann.expect(403, "POST", "/v1/notes/"+notes[1]+"/remarks", `{"text":"Not mine yet"}`)
	cid.expect(404, "POST", "/v1/notes/"+notes[0]+"/assign", fmt.Sprintf(`{"agent_id":%q}`, cidID))
	if p := assign(admin, 404, notes[1], uuid.NewString()); p["code"] != "agent.not_found" {
		t.Errorf("assign to nobody: %v", p)
	}
	if p := assign(admin, 409, notes[1], dayID); p["code"] != "agent.disabled" {
		t.Errorf("assign to a disabled agent: %v", p)
	}
	// Held by Ann, the note leaves Bob's list; the admin hands it to Bob.
	if got := list(bob, at(took)); !slices.Equal(got.ids, newest(5, 4, 3, 2)) {
		t.Errorf("Bob lists %v", got.ids)
	}
	bob.expect(404, "GET", "/v1/notes/"+notes[0], "")
	bobLive := openLive(t, bob, "/v1/me/live")
	moved := assign(admin, 200, notes[0], bobID)
	await(t, bobLive, "NoteAssigned") // the new holder hears of it
	ann.expect(404, "GET", "/v1/notes/"+notes[0]+at(moved), "")
	if got := list(bob, "?assignee=me"); !slices.Equal(got.ids, newest(1)) {
		t.Errorf("Bob's own notes %v", got.ids)
	}

	// Bob works the note: pending, a remark, solved, opened again, solved.
	status := func(c client, code int, note, to string, headers ...string) map[string]any {
		t.Helper()
		return c.expect(code, "POST", "/v1/notes/"+note+"/status", fmt.Sprintf(`{"status":%q}`, to), headers...)
	}
	status(bob, 200, notes[0], "pending")
	status(bob, 422, notes[0], "closed")
	remark := bob.expect(201, "POST", "/v1/notes/"+notes[0]+"/remarks", `{"text":"Called back; the invoice is corrected."}`, "Idempotency-Key", "r-1")
	if again := bob.expect(201, "POST", "/v1/notes/"+notes[0]+"/remarks", `{"text":"Called back; the invoice is corrected."}`, "Idempotency-Key", "r-1"); again["id"] != remark["id"] || again["version"] != remark["version"] {
		t.Errorf("retried remark %v, first %v", again, remark)
	}
	bob.expect(422, "POST", "/v1/notes/"+notes[0]+"/remarks", `{"text":"   "}`)
	status(bob, 412, notes[0], "solved", "If-Match", `"2"`)
	solved := status(bob, 200, notes[0], "solved", "If-Match", fmt.Sprintf(`"%v"`, remark["version"]))
	status(bob, 200, notes[0], "open")
	solved = status(bob, 200, notes[0], "solved")
	if solved["version"] != float64(6) {
		t.Errorf("note stream at %v, want 6", solved["version"])
	}
	got := bob.expect(200, "GET", "/v1/notes/"+notes[0]+at(solved), "")
	n, remarks := got["note"].(map[string]any), got["remarks"].([]any)
	if n["status"] != "solved" || n["assignee_id"] != bobID || n["assignee_name"] != "Bob" || n["remarks"] != float64(1) ||
		n["version"] != float64(6) || n["updated_at"] == n["created_at"] {
		t.Errorf("worked note %v", n)
	}
	if len(remarks) != 1 || remarks[0].(map[string]any)["author_name"] != "Bob" ||
		remarks[0].(map[string]any)["remark_id"] != remark["id"] || remarks[0].(map[string]any)["text"] != "Called back; the invoice is corrected." {
		t.Errorf("remarks %v", remarks)
	}
	// Admins work any note they see; Cid takes a team B note.
	status(admin, 200, notes[1], "pending")
	admin.expect(201, "POST", "/v1/notes/"+notes[5]+"/remarks", `{"text":"Spam"}`)
	took = assign(cid, 200, notes[6], cidID)
	if got := list(admin, at(took)); fmt.Sprint(got.counts) != counts(5, 1, 1, 7, 5) {
		t.Errorf("counts after the work %v", got.counts)
	}
	if got := list(admin, "?from=2000-01-01T00:00:00Z"); fmt.Sprint(got.counts) != counts(5, 1, 1, 7, 5) {
		t.Errorf("counts over a time range %v", got.counts) // counted from the notes, not the tallies
	}
	if got := list(ann, ""); fmt.Sprint(got.counts) != counts(3, 1, 0, 4, 4) {
		t.Errorf("Ann's counts after the work %v", got.counts)
	}
	if got := list(admin, "?sort=updated&limit=2"); !slices.Equal(got.ids, newest(7, 6)) {
		t.Errorf("most recently worked %v", got.ids)
	} else if more := list(admin, "?sort=updated&limit=2&after="+got.next); !slices.Equal(more.ids, newest(2, 1)) {
		t.Errorf("most recently worked, page 2 %v", more.ids)
	}
	if got := list(admin, "?assignee="+cidID); !slices.Equal(got.ids, newest(7)) {
		t.Errorf("Cid's notes %v", got.ids)
	}
	// Bob gives his note back: Ann sees it again.
	back := assign(bob, 200, notes[0], nil)
	if got := list(ann, at(back)+"&status=solved"); !slices.Equal(got.ids, newest(1)) {
		t.Errorf("Ann's solved notes %v", got.ids)
	}

	// The export holds what the list shows, in the tenant's zone.
	export := func(c client, query string) [][]string {
		t.Helper()
		raw := c.expect(200, "GET", "/v1/notes/export.csv"+query, "")["raw"].(string)
		records, err := csv.NewReader(strings.NewReader(raw)).ReadAll()
		if err != nil {
			t.Fatalf("export %q: %v", raw, err)
		}
		return records
	}
	rows := export(admin, "?channel=web")
	if len(rows) != 7 || strings.Join(rows[0], ",") != "number,created_by,created_at,updated_at,channel,assigned_to,status,contact,text,remarks,note_id,conversation_id" {
		t.Fatalf("export %v", rows)
	}
	first := rows[1]
	if first[0] != "7" || first[1] != "Web 7" || first[4] != "web" || first[5] != "Cid" || first[6] != "open" ||
		first[7] != "'+49 30 1234" || first[8] != "Please call me back." || first[10] != notes[6] {
		t.Errorf("first row %v", first)
	}
	berlin, _ := time.LoadLocation("Europe/Berlin")
	if at, err := time.Parse(time.RFC3339, first[2]); err != nil || at.Format("-07:00") != at.In(berlin).Format("-07:00") {
		t.Errorf("created_at %q is not in the tenant's zone (%v)", first[2], err)
	}
	if rows[6][0] != "1" || rows[6][6] != "solved" || rows[6][5] != "" || rows[6][9] != "1" {
		t.Errorf("last row %v", rows[6])
	}
	if rows := export(cid, ""); len(rows) != 3 || rows[1][10] != notes[6] || rows[2][10] != notes[5] {
		t.Errorf("Cid's export %v", rows)
	}
	if rows := export(admin, "?status=pending"); len(rows) != 2 || rows[1][10] != notes[1] {
		t.Errorf("pending export %v", rows)
	}
	admin.expect(422, "GET", "/v1/notes/export.csv?sort=oldest", "")

	// The notes read model rebuilt from the log equals the live one.
	ctx := context.Background()
	pool := pgtest.Pool(t, dbURL)
	requireRebuildEqualsLive(t, ctx, pool)
}
