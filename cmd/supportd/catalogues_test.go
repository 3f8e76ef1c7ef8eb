package main

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/uuid"
)

// The catalogues over HTTP against a real database: every endpoint, the
// tag limits, the CSV round trip, and who may do what — another tenant's
// token finds nothing, an agent reads but cannot write the tenant's
// catalogues and keeps a phrase book of its own.

// ids lists the values of key in a list answer.
func ids(list map[string]any, key string) []string {
	var out []string
	for _, item := range list["items"].([]any) {
		out = append(out, fmt.Sprint(item.(map[string]any)[key]))
	}
	return out
}

func TestConversationTagsOverHTTP(t *testing.T) {
	t.Parallel()
	op := client{t: t, base: startServer(t, "postgres", "")}
	_, admin := newTenant(t, op)

	root := admin.expect(201, "POST", "/v1/conversation-tags", `{"name":"Consultation"}`)["id"].(string)
	child := admin.expect(201, "POST", "/v1/conversation-tags", fmt.Sprintf(`{"name":"Price","parent_id":%q}`, root))["id"].(string)
	other := admin.expect(201, "POST", "/v1/conversation-tags", `{"name":"Complaint"}`)["id"].(string)
	if p := admin.expect(409, "POST", "/v1/conversation-tags", fmt.Sprintf(`{"name":"price","parent_id":%q}`, root)); p["code"] != "tag.name_taken" {
		t.Errorf("duplicate sibling: %v", p)
	}
	res := admin.expect(200, "PATCH", "/v1/conversation-tags/"+child, fmt.Sprintf(`{"name":"Prices","parent_id":%q,"enabled":false}`, other))
	if res["events"] != float64(3) {
		t.Errorf("rename+move+disable wrote %v events", res["events"])
	}
	if p := admin.expect(422, "PATCH", "/v1/conversation-tags/"+other, fmt.Sprintf(`{"parent_id":%q}`, child)); p["code"] != "tag.cycle" {
		t.Errorf("cycle: %v", p)
	}
	res = admin.expect(200, "PUT", "/v1/conversation-tags/order", fmt.Sprintf(`{"order":[%q,%q]}`, other, root))

	flat := admin.expect(200, "GET", "/v1/conversation-tags"+at(res), "")
	if got := fmt.Sprint(ids(flat, "name")); got != "[Complaint Prices Consultation]" {
		t.Errorf("flat list %s", got)
	}
	prices := flat["items"].([]any)[1].(map[string]any)
	if prices["level"] != float64(2) || prices["enabled"] != false || fmt.Sprint(prices["path"]) != "[Complaint Prices]" {
		t.Errorf("moved tag %v", prices)
	}
	tree := admin.expect(200, "GET", "/v1/conversation-tags/tree", "")
	first := tree["items"].([]any)[0].(map[string]any)
	if first["name"] != "Complaint" || len(first["children"].([]any)) != 1 {
		t.Errorf("tree %v", tree)
	}

	res = admin.expect(200, "DELETE", "/v1/conversation-tags/"+other, "")
	if got := ids(admin.expect(200, "GET", "/v1/conversation-tags"+at(res), ""), "name"); fmt.Sprint(got) != "[Consultation]" {
		t.Errorf("after deleting a subtree: %v", got)
	}

	// The limit of 20 roots holds over HTTP: the 21st is refused, naming
	// the rule.
	for i := 1; i < 20; i++ {
		admin.expect(201, "POST", "/v1/conversation-tags", fmt.Sprintf(`{"name":"Root %d"}`, i))
	}
	if p := admin.expect(422, "POST", "/v1/conversation-tags", `{"name":"One too many"}`); p["code"] != "tag.root_limit" {
		t.Errorf("21st root: %v", p)
	}

	// Another tenant sees none of it and finds none of its IDs.
	_, stranger := newTenant(t, op)
	if got := stranger.expect(200, "GET", "/v1/conversation-tags", "")["items"].([]any); len(got) != 0 {
		t.Errorf("another tenant sees %v", got)
	}
	stranger.expect(404, "PATCH", "/v1/conversation-tags/"+root, `{"name":"Mine"}`)
	stranger.expect(404, "DELETE", "/v1/conversation-tags/"+root, "")
	admin.expect(404, "DELETE", "/v1/conversation-tags/"+uuid.NewString(), "")
}

func TestCataloguesOverHTTP(t *testing.T) {
	t.Parallel()
	op := client{t: t, base: startServer(t, "postgres", "")}
	tenant, admin := newTenant(t, op)
	_, stranger := newTenant(t, op)
	addAgent(admin, "ann@acme.example", "Ann", "")
	agent := signIn(t, op, tenant, "ann@acme.example", "agent-password")

	// Customer tags.
	vip := admin.expect(201, "POST", "/v1/customer-tags", `{"name":"VIP","color":"#FF9900"}`)["id"].(string)
	admin.expect(409, "POST", "/v1/customer-tags", `{"name":"vip"}`)
	res := admin.expect(200, "PUT", "/v1/customer-tags/"+vip, `{"name":"Gold","color":"#ffd700"}`)
	list := agent.expect(200, "GET", "/v1/customer-tags"+at(res), "")
	if got := list["items"].([]any); len(got) != 1 || got[0].(map[string]any)["color"] != "#ffd700" {
		t.Errorf("customer tags %v", got)
	}

	// Profile fields: system fields first, a custom select field, a system
	// field made read-only and one that cannot be deleted.
	tier := admin.expect(201, "POST", "/v1/profile-fields", `{"name":"Tier","type":"select","options":["Basic","Pro"]}`)["id"].(string)
	admin.expect(422, "POST", "/v1/profile-fields", `{"name":"Birthday","type":"select"}`)
	admin.expect(200, "PUT", "/v1/profile-fields/phone", `{"enabled":true,"read_only":true}`)
	if p := admin.expect(409, "DELETE", "/v1/profile-fields/email", ""); p["code"] != "profile_field.system" {
		t.Errorf("deleting a system field: %v", p)
	}
	res = admin.expect(200, "PUT", "/v1/profile-fields/"+tier, `{"name":"Tier","type":"select","options":["Basic","Pro","Max"],"enabled":false}`)
	fields := agent.expect(200, "GET", "/v1/profile-fields"+at(res), "")
	names := ids(fields, "name")
	if len(names) != 10 || names[0] != "Nickname" || names[9] != "Tier" {
		t.Errorf("fields %v", names)
	}
	for _, f := range fields["items"].([]any) {
		m := f.(map[string]any)
		if m["field_id"] == "phone" && m["read_only"] != true {
			t.Errorf("phone %v", m)
		}
	}
	res = admin.expect(200, "DELETE", "/v1/profile-fields/"+tier, "")
	if n := len(admin.expect(200, "GET", "/v1/profile-fields"+at(res), "")["items"].([]any)); n != 9 {
		t.Errorf("%d fields after removing the custom one", n)
	}

	// Review categories.
	rc := admin.expect(201, "POST", "/v1/review-categories", `{"name":"Polite greeting","kind":"plus","score":5}`)["id"].(string)
	admin.expect(422, "POST", "/v1/review-categories", `{"name":"Too much","kind":"plus","score":101}`)
	res = admin.expect(200, "PUT", "/v1/review-categories/"+rc, `{"name":"Rude wording","kind":"minus","score":10}`)
	if got := admin.expect(200, "GET", "/v1/review-categories"+at(res), "")["items"].([]any); len(got) != 1 || got[0].(map[string]any)["kind"] != "minus" {
		t.Errorf("review categories %v", got)
	}

	// Knowledge: agents read published articles only.
	cat := admin.expect(201, "POST", "/v1/knowledge/categories", `{"name":"After-sales"}`)["id"].(string)
	admin.expect(200, "PUT", "/v1/knowledge/categories/"+cat, `{"name":"After sales"}`)
	art := admin.expect(201, "POST", "/v1/knowledge/articles", fmt.Sprintf(`{"category_id":%q,"title":"Returns","body":"30 days.","attachments":[{"name":"form.pdf","url":"https://cdn.acme.example/form.pdf"}]}`, cat))["id"].(string)
	draft := admin.expect(201, "POST", "/v1/knowledge/articles", fmt.Sprintf(`{"category_id":%q,"title":"Draft"}`, cat))
	if got := ids(agent.expect(200, "GET", "/v1/knowledge/articles"+at(draft), ""), "title"); len(got) != 0 {
		t.Errorf("agent sees drafts %v", got)
	}
	agent.expect(404, "GET", "/v1/knowledge/articles/"+art, "")
	admin.expect(200, "PUT", "/v1/knowledge/articles/"+art, fmt.Sprintf(`{"category_id":%q,"title":"Returns and refunds","body":"30 days."}`, cat))
	res = admin.expect(200, "POST", "/v1/knowledge/articles/"+art+"/publish", "")
	got := agent.expect(200, "GET", "/v1/knowledge/articles/"+art+at(res), "")
	if got["title"] != "Returns and refunds" || got["status"] != "published" {
		t.Errorf("published article %v", got)
	}
	if got := ids(admin.expect(200, "GET", "/v1/knowledge/articles?limit=1", ""), "title"); len(got) != 1 {
		t.Errorf("first page %v", got)
	}
	page := admin.expect(200, "GET", "/v1/knowledge/articles?limit=1", "")
	if next := admin.expect(200, "GET", "/v1/knowledge/articles?limit=1&after="+page["next"].(string), ""); fmt.Sprint(ids(next, "title")) != "[Draft]" {
		t.Errorf("second page %v", next)
	}
	if got := ids(agent.expect(200, "GET", "/v1/knowledge/categories", ""), "name"); fmt.Sprint(got) != "[After sales]" {
		t.Errorf("categories %v", got)
	}
	if p := admin.expect(409, "DELETE", "/v1/knowledge/categories/"+cat, ""); p["code"] != "knowledge_category.not_empty" {
		t.Errorf("deleting a full category: %v", p)
	}
	admin.expect(200, "POST", "/v1/knowledge/articles/"+art+"/unpublish", "")
	admin.expect(200, "DELETE", "/v1/knowledge/articles/"+art, "")
	admin.expect(200, "DELETE", "/v1/knowledge/articles/"+draft["id"].(string), "")
	admin.expect(200, "DELETE", "/v1/knowledge/categories/"+cat, "")

	// An agent may not write the tenant's catalogues.
	for _, r := range []struct{ method, path, body string }{
		{"POST", "/v1/conversation-tags", `{"name":"X"}`},
		{"POST", "/v1/customer-tags", `{"name":"X"}`},
		{"DELETE", "/v1/customer-tags/" + vip, ``},
		{"POST", "/v1/profile-fields", `{"name":"X","type":"text"}`},
		{"PUT", "/v1/review-categories/" + rc, `{"name":"X","kind":"plus","score":1}`},
		{"POST", "/v1/knowledge/categories", `{"name":"X"}`},
		{"POST", "/v1/phrase-categories", `{"name":"X"}`},
		{"GET", "/v1/phrases/export.csv", ``},
	} {
		agent.expect(403, r.method, r.path, r.body)
	}

	// Another tenant sees none of these rows and finds none of the IDs.
	for _, path := range []string{"/v1/customer-tags", "/v1/review-categories", "/v1/knowledge/articles", "/v1/knowledge/categories"} {
		if got := stranger.expect(200, "GET", path, "")["items"].([]any); len(got) != 0 {
			t.Errorf("%s: another tenant sees %v", path, got)
		}
	}
	if n := len(stranger.expect(200, "GET", "/v1/profile-fields", "")["items"].([]any)); n != 9 {
		t.Errorf("another tenant's form has %d fields", n)
	}
	stranger.expect(404, "PUT", "/v1/customer-tags/"+vip, `{"name":"Mine"}`)
	stranger.expect(404, "DELETE", "/v1/review-categories/"+rc, "")
	stranger.expect(404, "GET", "/v1/knowledge/articles/"+art, "")
	stranger.expect(404, "POST", "/v1/knowledge/articles/"+art+"/publish", "")
	stranger.expect(404, "DELETE", "/v1/profile-fields/"+tier, "")
	admin.expect(200, "DELETE", "/v1/review-categories/"+rc, "")
	admin.expect(200, "DELETE", "/v1/customer-tags/"+vip, "")
}

func TestPhrasesOverHTTP(t *testing.T) {
	t.Parallel()
	op := client{t: t, base: startServer(t, "postgres", "")}
	tenant, admin := newTenant(t, op)
	otherTenant, stranger := newTenant(t, op)
	addAgent(admin, "ann@acme.example", "Ann", "")
	addAgent(admin, "bob@acme.example", "Bob", "")
	ann := signIn(t, op, tenant, "ann@acme.example", "agent-password")
	bob := signIn(t, op, tenant, "bob@acme.example", "agent-password")
	_ = otherTenant

	// Public phrases: two category levels, ##dear## kept verbatim.
	greet := admin.expect(201, "POST", "/v1/phrase-categories", `{"name":"Greetings"}`)["id"].(string)
	morning := admin.expect(201, "POST", "/v1/phrase-categories", fmt.Sprintf(`{"name":"Morning","parent_id":%q}`, greet))["id"].(string)
	if p := admin.expect(422, "POST", "/v1/phrase-categories", fmt.Sprintf(`{"name":"Early","parent_id":%q}`, morning)); p["code"] != "phrase_category.level_limit" {
		t.Errorf("third level: %v", p)
	}
	hello := admin.expect(201, "POST", "/v1/phrases", fmt.Sprintf(`{"category_id":%q,"text":"##dear##, good morning!"}`, morning))["id"].(string)
	admin.expect(201, "POST", "/v1/phrases", fmt.Sprintf(`{"category_id":%q,"text":"Hi there. How can I help you?"}`, greet))
	bye := admin.expect(201, "POST", "/v1/phrases", fmt.Sprintf(`{"category_id":%q,"text":"Bye for now"}`, greet))["id"].(string)
	admin.expect(200, "PUT", "/v1/phrase-categories/"+greet, `{"name":"Welcome"}`)
	admin.expect(200, "PUT", "/v1/phrases/"+hello, `{"text":"##dear##, good morning! How can I help?"}`)
	res := admin.expect(200, "DELETE", "/v1/phrases/"+bye, "")

	page := ann.expect(200, "GET", "/v1/phrases?limit=1"+strings.Replace(at(res), "?", "&", 1), "")
	first := page["items"].([]any)[0].(map[string]any)
	if first["text"] != "##dear##, good morning! How can I help?" || first["category"] != "Welcome" || first["subcategory"] != "Morning" {
		t.Errorf("first phrase %v", first)
	}
	if next := ann.expect(200, "GET", "/v1/phrases?limit=1&after="+page["next"].(string), ""); fmt.Sprint(ids(next, "text")) != "[Hi there. How can I help you?]" || next["next"] != nil {
		t.Errorf("second page %v", next)
	}
	if got := ids(ann.expect(200, "GET", "/v1/phrases?q=HOW+CAN&category_id="+morning, ""), "text"); len(got) != 1 {
		t.Errorf("search %v", got)
	}
	if got := ids(ann.expect(200, "GET", "/v1/phrase-categories", ""), "name"); fmt.Sprint(got) != "[Welcome Morning]" {
		t.Errorf("categories %v", got)
	}

	// CSV: the template, an export, and an import into another tenant
	// giving the same phrases.
	template := ann.expect(200, "GET", "/v1/phrases/template.csv", "")["raw"].(string)
	if lines := strings.Split(strings.TrimSpace(template), "\n"); len(lines) != 2 || lines[0] != "category,subcategory,phrase" || !strings.Contains(lines[1], "##dear##") {
		t.Errorf("template %q", template)
	}
	export := admin.expect(200, "GET", "/v1/phrases/export.csv", "")["raw"].(string)
	imported := stranger.expect(200, "POST", "/v1/phrases/import", export, "Content-Type", "text/csv")
	if imported["events"] != float64(4) { // two categories, two phrases
		t.Errorf("import wrote %v events", imported["events"])
	}
	again := stranger.expect(200, "GET", "/v1/phrases/export.csv"+at(imported), "")["raw"].(string)
	if again != export {
		t.Errorf("round trip changed the phrases:\n%s\nvs\n%s", export, again)
	}
	if repeat := stranger.expect(200, "POST", "/v1/phrases/import", export, "Content-Type", "text/csv"); repeat["events"] != float64(0) {
		t.Errorf("repeated import wrote %v events", repeat["events"])
	}
	bad := "category,subcategory,phrase\nGreetings,,fine\n,,no category\nGreetings,,\nA,B\n"
	p := stranger.expect(422, "POST", "/v1/phrases/import", bad, "Content-Type", "text/csv")
	// A row of the wrong shape is not CSV of the template: the request
	// validator refuses the body, naming its line.
	if detail, _ := p["detail"].(string); !strings.Contains(detail, "line 5") {
		t.Errorf("bad shape: %v", p)
	}
	bad = "category,subcategory,phrase\nGreetings,,fine\n,,no category\nGreetings,,\n"
	p = stranger.expect(422, "POST", "/v1/phrases/import", bad, "Content-Type", "text/csv")
	if fmt.Sprint(lines(p)) != "[3 4]" || !strings.Contains(p["detail"].(string), "3, 4") {
		t.Errorf("bad rows: %v", p)
	}
	if p := stranger.expect(422, "POST", "/v1/phrases/import", "name,text\nx,y\n", "Content-Type", "text/csv"); fmt.Sprint(lines(p)) != "[1]" {
		t.Errorf("bad header: %v", p)
	}

	// Personal phrases: each agent its own book; admins' rules do not
	// apply, another agent's IDs are not found.
	mine := ann.expect(201, "POST", "/v1/me/phrase-categories", `{"name":"My phrases"}`)["id"].(string)
	pid := ann.expect(201, "POST", "/v1/me/phrases", fmt.Sprintf(`{"category_id":%q,"text":"##dear##, one moment please."}`, mine))["id"].(string)
	ann.expect(200, "PUT", "/v1/me/phrases/"+pid, `{"text":"##dear##, one moment, please."}`)
	ann.expect(200, "PUT", "/v1/me/phrase-categories/"+mine, `{"name":"Mine"}`)
	res = ann.expect(200, "POST", "/v1/me/phrases/import", "category,subcategory,phrase\nMine,Waiting,Thanks for waiting\n", "Content-Type", "text/csv")
	if got := ids(ann.expect(200, "GET", "/v1/me/phrases"+at(res), ""), "text"); fmt.Sprint(got) != "[##dear##, one moment, please. Thanks for waiting]" {
		t.Errorf("personal phrases %v", got)
	}
	if got := ids(ann.expect(200, "GET", "/v1/me/phrase-categories", ""), "name"); fmt.Sprint(got) != "[Mine Waiting]" {
		t.Errorf("personal categories %v", got)
	}
	if csv := ann.expect(200, "GET", "/v1/me/phrases/export.csv", "")["raw"].(string); !strings.Contains(csv, "Mine,Waiting,Thanks for waiting") {
		t.Errorf("personal export %q", csv)
	}
	if got := bob.expect(200, "GET", "/v1/me/phrases", "")["items"].([]any); len(got) != 0 {
		t.Errorf("Bob sees Ann's phrases: %v", got)
	}
	bob.expect(404, "PUT", "/v1/me/phrases/"+pid, `{"text":"mine now"}`)
	bob.expect(404, "DELETE", "/v1/me/phrase-categories/"+mine, "")
	ann.expect(403, "POST", "/v1/phrases", fmt.Sprintf(`{"category_id":%q,"text":"x"}`, greet))
	ann.expect(403, "PUT", "/v1/phrases/"+hello, `{"text":"x"}`)
	ann.expect(403, "POST", "/v1/phrases/import", export, "Content-Type", "text/csv")

	// Another tenant finds none of this tenant's phrase IDs.
	stranger.expect(404, "PUT", "/v1/phrases/"+hello, `{"text":"x"}`)
	stranger.expect(404, "DELETE", "/v1/phrase-categories/"+greet, "")

	ann.expect(200, "DELETE", "/v1/me/phrases/"+pid, "")
	ann.expect(200, "DELETE", "/v1/me/phrase-categories/"+mine, "")
	res = admin.expect(200, "DELETE", "/v1/phrase-categories/"+greet, "")
	if got := admin.expect(200, "GET", "/v1/phrases"+at(res), "")["items"].([]any); len(got) != 0 {
		t.Errorf("phrases left after deleting their category: %v", got)
	}
}

// lines lists the line numbers of a refused import's problem.
func lines(p map[string]any) []int {
	var out []int
	errs, _ := p["errors"].([]any)
	for _, e := range errs {
		out = append(out, int(e.(map[string]any)["line"].(float64)))
	}
	return out
}
