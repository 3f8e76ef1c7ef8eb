package main

import (
	"fmt"
	"strings"
	"testing"
)

// TestKnowledgeCSV: the knowledge base goes out and back in as CSV in the
// template's columns; an import is all or nothing, repeatable, and names
// every bad line.
func TestKnowledgeCSV(t *testing.T) {
	t.Parallel()
	op := client{t: t, base: startServer(t, "postgres", "")}
	_, admin := newTenant(t, op)
	_, other := newTenant(t, op)
	cat := admin.expect(201, "POST", "/v1/knowledge/categories", `{"name":"Billing"}`)["id"].(string)
	art := admin.expect(201, "POST", "/v1/knowledge/articles", fmt.Sprintf(`{"category_id":%q,"title":"Refunds","body":"Within 30 days,\nby bank transfer."}`, cat))["id"].(string)
	admin.expect(200, "POST", "/v1/knowledge/articles/"+art+"/publish", "")
	last := admin.expect(201, "POST", "/v1/knowledge/articles", fmt.Sprintf(`{"category_id":%q,"title":"Invoices","body":"Monthly."}`, cat))

	template := admin.expect(200, "GET", "/v1/knowledge/template.csv", "")["raw"].(string)
	if !strings.HasPrefix(template, "category,title,content,published\n") {
		t.Errorf("template %q", template)
	}
	export := admin.expect(200, "GET", "/v1/knowledge/export.csv"+at(last), "")["raw"].(string)
	if !strings.Contains(export, "Billing,Refunds,\"Within 30 days,\nby bank transfer.\",yes") || !strings.Contains(export, "Billing,Invoices,Monthly.,no") {
		t.Errorf("export %q", export)
	}
	imported := other.expect(200, "POST", "/v1/knowledge/import", export, "Content-Type", "text/csv")
	if imported["events"] != float64(4) { // a category, two articles, one publication
		t.Errorf("import wrote %v events", imported["events"])
	}
	if again := other.expect(200, "GET", "/v1/knowledge/export.csv"+at(imported), "")["raw"].(string); again != export {
		t.Errorf("round trip changed the knowledge base:\n%s\nvs\n%s", export, again)
	}
	if repeat := other.expect(200, "POST", "/v1/knowledge/import", export, "Content-Type", "text/csv"); repeat["events"] != float64(0) {
		t.Errorf("repeated import wrote %v events", repeat["events"])
	}
	bad := "category,title,content,published\nBilling,Fine,ok,no\n,No category,x,no\nBilling,,no title,no\nBilling,Odd,x,maybe\n"
	p := other.expect(422, "POST", "/v1/knowledge/import", bad, "Content-Type", "text/csv")
	if fmt.Sprint(lines(p)) != "[5]" {
		t.Errorf("a bad published value: %v", p)
	}
	bad = "category,title,content,published\nBilling,Fine,ok,no\n,No category,x,no\nBilling,,no title,no\n"
	p = other.expect(422, "POST", "/v1/knowledge/import", bad, "Content-Type", "text/csv")
	if fmt.Sprint(lines(p)) != "[3 4]" {
		t.Errorf("bad rows: %v", p)
	}
	if got := other.expect(200, "GET", "/v1/knowledge/export.csv", "")["raw"].(string); got != export {
		t.Errorf("a refused import changed the knowledge base: %q", got)
	}
	if p := other.expect(422, "POST", "/v1/knowledge/import", "title,body\nx,y\n", "Content-Type", "text/csv"); fmt.Sprint(lines(p)) != "[1]" {
		t.Errorf("bad header: %v", p)
	}
}

// TestConversationTagCSV: the tag tree goes out depth first as CSV and
// back in, levels and enabled flags kept; an import is all or nothing,
// repeatable, and names every bad line.
func TestConversationTagCSV(t *testing.T) {
	t.Parallel()
	op := client{t: t, base: startServer(t, "postgres", "")}
	_, admin := newTenant(t, op)
	_, other := newTenant(t, op)
	orders := admin.expect(201, "POST", "/v1/conversation-tags", `{"name":"Orders"}`)["id"].(string)
	late := admin.expect(201, "POST", "/v1/conversation-tags", fmt.Sprintf(`{"name":"Late","parent_id":%q}`, orders))["id"].(string)
	admin.expect(201, "POST", "/v1/conversation-tags", fmt.Sprintf(`{"name":"Courier","parent_id":%q}`, late))
	admin.expect(200, "PATCH", "/v1/conversation-tags/"+late, `{"enabled":false}`)
	last := admin.expect(201, "POST", "/v1/conversation-tags", `{"name":"Billing"}`)

	export := admin.expect(200, "GET", "/v1/conversation-tags/export.csv"+at(last), "")["raw"].(string)
	if want := "level,name,enabled\n1,Orders,yes\n2,Late,no\n3,Courier,yes\n1,Billing,yes\n"; export != want {
		t.Errorf("export %q, want %q", export, want)
	}
	imported := other.expect(200, "POST", "/v1/conversation-tags/import", export, "Content-Type", "text/csv")
	if imported["events"] != float64(5) { // four tags, one disabled
		t.Errorf("import wrote %v events", imported["events"])
	}
	if again := other.expect(200, "GET", "/v1/conversation-tags/export.csv"+at(imported), "")["raw"].(string); again != export {
		t.Errorf("round trip changed the tree:\n%s\nvs\n%s", export, again)
	}
	if repeat := other.expect(200, "POST", "/v1/conversation-tags/import", export, "Content-Type", "text/csv"); repeat["events"] != float64(0) {
		t.Errorf("repeated import wrote %v events", repeat["events"])
	}
	bad := "level,name,enabled\n1,Fine,yes\n3,Jump,yes\nx,Level,yes\n1,Odd,maybe\n"
	if p := other.expect(422, "POST", "/v1/conversation-tags/import", bad, "Content-Type", "text/csv"); fmt.Sprint(lines(p)) != "[4 5]" {
		t.Errorf("bad cells: %v", p)
	}
	bad = "level,name,enabled\n1,Fine,yes\n3,Jump,yes\n2, ,yes\n"
	if p := other.expect(422, "POST", "/v1/conversation-tags/import", bad, "Content-Type", "text/csv"); fmt.Sprint(lines(p)) != "[3 4]" {
		t.Errorf("bad rows: %v", p)
	}
	if got := other.expect(200, "GET", "/v1/conversation-tags/export.csv", "")["raw"].(string); got != export {
		t.Errorf("a refused import changed the tree: %q", got)
	}
}
