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
)

// hostileUTF8Marker stands for invalid UTF-8 until a body is encoded
// (encoding/json would replace the bytes themselves).
const hostileUTF8Marker = "\u2603invalid-utf-8\u2603"

// unmark puts the invalid UTF-8 in place of its marker.
func unmark(s string) string { return strings.ReplaceAll(s, hostileUTF8Marker, "a\xffb") }

// hostileKinds are what every string field of every write operation is
// tried with: each must be refused with 422 naming the field.
var hostileKinds = []struct {
	name  string
	value func(max uint64) string
}{
	{"NUL", func(uint64) string { return "x\x00y" }},
	{"invalid UTF-8", func(uint64) string { return hostileUTF8Marker }},
	{"control character", func(uint64) string { return "ding\a" }},
	{"over-long", func(max uint64) string { return strings.Repeat("a", int(max)+1) }},
}

// slot is one string field of a request body: its JSON pointer, its
// limit, and how to build the whole body with the field set.
type slot struct {
	ptr   string
	max   uint64
	build func(v string) any
}

// stringSlots finds every string field the schema allows in a body,
// starting from the example body v (fields it lacks are added one at a
// time; the text rules come before the schema, so the rest of the body
// need not be valid for the refusal to name the field).
func stringSlots(s *openapi3.Schema, v any, ptr string, rebuild func(any) any, depth int, out *[]slot) {
	if s == nil || depth > 8 {
		return
	}
	if s.Type != nil && s.Type.Includes(openapi3.TypeString) {
		max := uint64(0)
		if s.MaxLength != nil {
			max = *s.MaxLength
		}
		*out = append(*out, slot{ptr: ptr, max: max, build: func(x string) any { return rebuild(x) }})
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
		stringSlots(props[k], cur[k], ptr+"/"+k, func(x any) any {
			m := make(map[string]any, len(cur)+1)
			for kk, vv := range cur {
				m[kk] = vv
			}
			m[k] = x
			return rebuild(m)
		}, depth+1, out)
	}
	if ap := s.AdditionalProperties.Schema; ap != nil && ap.Value != nil {
		stringSlots(ap.Value, nil, ptr+"/field", func(x any) any {
			m := map[string]any{"field": x}
			for kk, vv := range cur {
				m[kk] = vv
			}
			m["field"] = x
			return rebuild(m)
		}, depth+1, out)
	}
	if s.Items != nil && s.Items.Value != nil {
		var first any
		if arr, ok := v.([]any); ok && len(arr) > 0 {
			first = arr[0]
		}
		stringSlots(s.Items.Value, first, ptr+"/0", func(x any) any { return rebuild([]any{x}) }, depth+1, out)
	}
}

// operationExample is the example of an operation's JSON request body.
func operationExample(mt *openapi3.MediaType) any {
	if mt.Example != nil {
		return mt.Example
	}
	for _, name := range sortedExampleNames(mt.Examples) {
		if ex := mt.Examples[name]; ex != nil && ex.Value != nil {
			return ex.Value.Value
		}
	}
	return nil
}

func sortedExampleNames(m openapi3.Examples) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// paramValue is a valid value of a path parameter.
func paramValue(p *openapi3.Parameter) string {
	if p.Example != nil {
		return fmt.Sprint(p.Example)
	}
	if s := p.Schema; s != nil && s.Value != nil {
		switch {
		case len(s.Value.Enum) > 0:
			return fmt.Sprint(s.Value.Enum[0])
		case s.Value.Format == "uuid":
			return "0190f3b0-0000-7000-8000-0000000000ff"
		case s.Value.Type != nil && s.Value.Type.Includes(openapi3.TypeInteger):
			return "1"
		}
	}
	return "x"
}

// TestHostileInputIsRefused walks every write operation of the served
// OpenAPI document and tries NUL, invalid UTF-8, a control character and
// an over-long string in every string field of its body, in every path
// parameter and in every query parameter: each must be refused with 422
// problem+json naming the field, never accepted and never a 5xx. Each
// operation is called as the caller it is for (operator, tenant admin,
// channel or nobody), so the refusal comes from the request pipeline and
// not from a missing authentication.
func TestHostileInputIsRefused(t *testing.T) {
	base := startServer(t, "postgres", "")
	op := client{t: t, base: base}
	_, admin := newTenant(t, op)
	key := admin.expect(201, "POST", "/v1/channel-keys", `{"channel":"web","name":"Site widget"}`)
	admin.expect(200, "GET", "/v1/channel-keys?min_position="+key["position"].(string), "")
	channelKey := key["key"].(string)
	adminToken := admin.token

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

	type request struct {
		what, method, path, body, field string
	}
	send := func(r request, auth func(*http.Request)) (int, map[string]any, string) {
		req, err := http.NewRequest(r.method, base+r.path, strings.NewReader(r.body))
		if err != nil {
			t.Fatal(err)
		}
		if r.body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		auth(req)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		var p map[string]any
		_ = json.Unmarshal(raw, &p)
		return resp.StatusCode, p, resp.Header.Get("Content-Type")
	}

	paths := doc.Paths.InMatchingOrder()
	sort.Strings(paths)
	operations, tried := 0, 0
	for _, path := range paths {
		item := doc.Paths.Value(path)
		for _, method := range []string{"POST", "PUT", "PATCH", "DELETE"} {
			o := item.GetOperation(method)
			if o == nil {
				continue
			}
			operations++
			auth := func(req *http.Request) { req.Header.Set("Authorization", "Bearer "+adminToken) }
			switch {
			case o.Security != nil && len(*o.Security) == 0:
				auth = func(*http.Request) {}
			case o.Security != nil && len(*o.Security) > 0 && (*o.Security)[0]["channelKey"] != nil:
				auth = func(req *http.Request) { req.Header.Set("X-Channel-Key", channelKey) }
			case strings.HasPrefix(path, "/v1/tenants"):
				auth = func(req *http.Request) { req.Header.Set("Authorization", "Bearer op-token") }
			}

			var pathParams, queryParams []*openapi3.Parameter
			for _, p := range append(append(openapi3.Parameters{}, item.Parameters...), o.Parameters...) {
				switch {
				case p.Value == nil:
				case p.Value.In == openapi3.ParameterInPath:
					pathParams = append(pathParams, p.Value)
				case p.Value.In == openapi3.ParameterInQuery:
					queryParams = append(queryParams, p.Value)
				}
			}
			target := func(hostile map[string]string) string {
				u := path
				for _, p := range pathParams {
					v, ok := hostile[p.Name]
					if !ok {
						v = paramValue(p)
					}
					u = strings.ReplaceAll(u, "{"+p.Name+"}", url.PathEscape(v))
				}
				return u
			}

			var schema *openapi3.Schema
			var example any
			if o.RequestBody != nil && o.RequestBody.Value != nil {
				if mt := o.RequestBody.Value.Content.Get("application/json"); mt != nil && mt.Schema != nil {
					schema, example = mt.Schema.Value, operationExample(mt)
				}
			}
			exampleBody := ""
			if example != nil {
				b, _ := json.Marshal(example)
				exampleBody = string(b)
			}

			var requests []request
			if schema != nil {
				var slots []slot
				stringSlots(schema, example, "", func(x any) any { return x }, 0, &slots)
				for _, s := range slots {
					for _, k := range hostileKinds {
						b, err := json.Marshal(s.build(k.value(s.max)))
						if err != nil {
							t.Fatal(err)
						}
						b = []byte(unmark(string(b)))
						field := s.ptr
						if field == "" {
							field = "/"
						}
						requests = append(requests, request{k.name + " in " + s.ptr, method, target(nil), string(b), field})
					}
				}
			}
			if schema != nil && exampleBody != "" {
				requests = append(requests, request{"data after the body", method, target(nil), exampleBody + ` {}`, "/"})
			}
			for _, p := range pathParams {
				for _, k := range hostileKinds {
					requests = append(requests, request{k.name + " in path parameter " + p.Name, method,
						target(map[string]string{p.Name: unmark(k.value(255))}), exampleBody, p.Name})
				}
			}
			for _, p := range queryParams {
				for _, k := range hostileKinds {
					if k.name == "over-long" {
						continue // only declared limits apply to queries; see the unit tests
					}
					requests = append(requests, request{k.name + " in query parameter " + p.Name, method,
						target(nil) + "?" + p.Name + "=" + url.QueryEscape(unmark(k.value(0))), exampleBody, p.Name})
				}
			}
			for _, r := range requests {
				tried++
				status, p, ct := send(r, auth)
				if status != http.StatusUnprocessableEntity || ct != "application/problem+json" || p["field"] != r.field {
					t.Errorf("%s %s, %s: %d %s %v; want 422 naming %q", method, path, r.what, status, ct, p, r.field)
				}
			}
		}
	}
	// The headers the API reads. (net/http itself refuses NUL and line
	// breaks in headers; invalid UTF-8 and long values get through to us.)
	profile := request{"header", "PUT", "/v1/me/profile", `{"nickname":"Boss"}`, ""}
	message := request{"header", "POST", "/v1/channel/conversations", `{"customer_id":"0190f3b0-0000-7000-8000-000000000c11"}`, ""}
	for _, h := range []struct {
		req          request
		name, value  string
		withoutToken bool
	}{
		{profile, "Idempotency-Key", "k\xff", false},
		{profile, "If-Match", "\"3\xff\"", false},
		{profile, "If-Match", strings.Repeat("1", 2000), false},
		{profile, "Authorization", "Bearer \xff", true},
		{message, "X-Channel-Key", "\xff" + channelKey, true},
	} {
		tried++
		status, p, ct := send(h.req, func(req *http.Request) {
			if !h.withoutToken {
				req.Header.Set("Authorization", "Bearer "+adminToken)
			}
			req.Header.Set(h.name, h.value)
		})
		if status != http.StatusUnprocessableEntity || ct != "application/problem+json" || p["field"] != h.name {
			t.Errorf("%s %q: %d %v; want 422 naming the header", h.name, h.value, status, p)
		}
	}
	t.Logf("%d write operations, %d hostile requests", operations, tried)
	if operations < 50 || tried < 500 {
		t.Errorf("walked %d operations, %d requests: the document was not read", operations, tried)
	}
	// Nothing hostile reached the log: the server still serves, and its
	// projectors applied everything (a stopped projector fails /readyz).
	if status, p := op.do("GET", "/readyz", ""); status != 200 {
		t.Errorf("readyz %d %v", status, p)
	}
}

// A CSV import refuses NUL, invalid UTF-8 and control characters cell by
// cell, naming each bad row's line and column; a phrase may span lines.
func TestHostileCSVImportIsRefused(t *testing.T) {
	op := client{t: t, base: startServer(t, "postgres", "")}
	_, admin := newTenant(t, op)
	bad := "category,subcategory,phrase\n" +
		"Greetings,Welcome,fine\n" + // 2
		"Gree\x00tings,,x\n" + // 3
		"A,B\xff,y\n" + // 4
		"A,,\"two\nlines\tand a tab\"\n" + // 5-6
		"A,,ding\a\n" + // 7
		"A\x1b[31m,,z\n" // 8
	for _, path := range []string{"/v1/phrases/import", "/v1/me/phrases/import"} {
		p := admin.expect(422, "POST", path, bad, "Content-Type", "text/csv")
		var got []string
		errs, _ := p["errors"].([]any)
		for _, e := range errs {
			m := e.(map[string]any)
			got = append(got, fmt.Sprintf("%v:%v", m["line"], m["field"]))
		}
		if fmt.Sprint(got) != "[3:category 4:subcategory 7:text 8:category]" {
			t.Errorf("%s: problems %v", path, p)
		}
		good := strings.NewReplacer("Gree\x00tings", "Greetings", "B\xff", "B", "ding\a", "ding", "\x1b[31m", "").Replace(bad)
		admin.expect(200, "POST", path, good, "Content-Type", "text/csv")
	}
}
