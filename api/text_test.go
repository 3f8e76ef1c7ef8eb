package api

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"supportd/domain"
)

func TestTextProblem(t *testing.T) {
	cases := []struct {
		name      string
		in        string
		multiline bool
		max       int
		want      string // a part of the problem; "" when the text is fine
	}{
		{"plain", "Ann Lee", false, 100, ""},
		{"unicode", "Müller 李 😀", false, 100, ""},
		{"empty", "", false, 100, ""},
		{"replacement character as such", "a\uFFFDb", false, 100, ""},
		{"NUL", "x\x00y", false, 100, "NUL"},
		{"NUL in free text", "hi\x00", true, 100, "NUL"},
		{"invalid UTF-8", "a\xffb", false, 100, "UTF-8"},
		{"truncated UTF-8", "\xe6\x9d", true, 100, "UTF-8"},
		{"line break in a name", "Ann\nLee", false, 100, "U+000A"},
		{"tab in a name", "Ann\tLee", false, 100, "U+0009"},
		{"carriage return in a key", "k\r", false, 100, "U+000D"},
		{"line breaks in free text", "Hello,\r\nline two\tend", true, 100, ""},
		{"bell in free text", "ding\a", true, 100, "U+0007"},
		{"escape", "\x1b[31mred", true, 100, "U+001B"},
		{"DEL", "a\x7f", false, 100, "U+007F"},
		{"C1 control", "a\u0085b", true, 100, "U+0085"},
		{"at the limit", strings.Repeat("é", 5), false, 5, ""},
		{"over the limit", strings.Repeat("é", 6), false, 5, "longer than 5"},
		{"no limit", strings.Repeat("a", 100000), true, 0, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := textProblem(tc.in, tc.multiline, tc.max)
			if (got == "") != (tc.want == "") || !strings.Contains(got, tc.want) {
				t.Errorf("textProblem(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestCheckJSONBody(t *testing.T) {
	max := func(n uint64) *uint64 { return &n }
	schema := &openapi3.Schema{Type: &openapi3.Types{"object"}, Properties: openapi3.Schemas{
		"nickname": {Value: &openapi3.Schema{Type: &openapi3.Types{"string"}, MaxLength: max(5)}},
		"text":     {Value: &openapi3.Schema{Type: &openapi3.Types{"string"}}},
		"labels":   {Value: &openapi3.Schema{Type: &openapi3.Types{"array"}, MaxItems: max(2), Items: &openapi3.SchemaRef{Value: &openapi3.Schema{Type: &openapi3.Types{"string"}}}}},
		"profile":  {Value: &openapi3.Schema{Type: &openapi3.Types{"object"}, AdditionalProperties: openapi3.AdditionalProperties{Schema: &openapi3.SchemaRef{Value: &openapi3.Schema{Type: &openapi3.Types{"string"}, MaxLength: max(3)}}}}},
		"body": {Value: &openapi3.Schema{OneOf: openapi3.SchemaRefs{
			{Value: &openapi3.Schema{Properties: openapi3.Schemas{"url": {Value: &openapi3.Schema{Type: &openapi3.Types{"string"}}}}}},
		}}},
	}}
	cases := []struct {
		name  string
		body  string
		field string // "" when accepted
	}{
		{"fine", `{"nickname":"Ann","text":"a\nb","labels":["x"],"profile":{"city":"Rom"}}`, ""},
		{"NUL", `{"nickname":"x\u0000y"}`, "/nickname"},
		{"too long", `{"nickname":"abcdef"}`, "/nickname"},
		{"line break in a single-line field", `{"nickname":"a\nb"}`, "/nickname"},
		{"free text without its own limit", `{"text":"` + strings.Repeat("a", defaultFreeTextMaxLength+1) + `"}`, "/text"},
		{"unknown field with NUL", `{"Nickname":"\u0000"}`, "/Nickname"},
		{"unknown field too long", `{"other":"` + strings.Repeat("a", defaultMaxLength+1) + `"}`, "/other"},
		{"array item", `{"labels":["ok","b\u0007"]}`, "/labels/1"},
		{"too many items", `{"labels":["a","b","c"]}`, "/labels"},
		{"map value", `{"profile":{"city":"Roma"}}`, "/profile/city"},
		{"map key", `{"profile":{"ci\u0000ty":"x"}}`, "/profile/ci\x00ty"},
		{"through oneOf", `{"body":{"url":"http://x/\u0001"}}`, "/body/url"},
		{"escaped pointer", `{"a/b":{"c~d":"\u0000"}}`, "/a~1b/c~0d"},
		{"invalid UTF-8", "{\"nickname\":\"ok\",\"text\":\"a\xffb\"}", "/text"},
		{"invalid UTF-8 outside strings", "{\"text\":\"a\"}\xff", "/"},
		{"trailing data", `{"text":"a"} {"text":"b"}`, "/"},
		{"trailing garbage", `{"text":"a"}x`, "/"},
		{"a root string", `"\u0000"`, "/"},
		{"nested too deep", strings.Repeat("[", maxJSONDepth+1) + strings.Repeat("]", maxJSONDepth+1), "/"},
		{"brackets in strings are text", `{"text":"` + strings.Repeat(`[{\"`, 100) + `"}`, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := checkJSONBody([]byte(tc.body), schema)
			if tc.field == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			var de *domain.Error
			if !errors.As(err, &de) || de.Kind != domain.Invalid || de.Field != tc.field {
				t.Fatalf("got %v, want a refusal naming %q", err, tc.field)
			}
		})
	}
}

func TestParseQuery(t *testing.T) {
	q, err := parseQuery("a=1&b=x%00y&a=2&c&d=%E6%9D%8E+z")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(q["a"], ",") != "1,2" || q["b"][0] != "x\x00y" || q["c"][0] != "" || q["d"][0] != "李 z" {
		t.Errorf("parsed %q", q)
	}
	for _, bad := range []string{"a=%", "a=%z1", "%g0=1"} {
		if _, err := parseQuery(bad); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}

// Hostile text in a body, a path parameter, the query or a header read
// is refused before any handler runs (no database here: a request that
// got past validation would fail for want of one).
func TestHostileTextIsRefused(t *testing.T) {
	h := newTestAPI(t)
	cases := []struct {
		name    string
		method  string
		path    string
		body    string
		headers map[string]string
		status  int
		field   string // the problem's field, or a part of its detail
	}{
		{"NUL nickname", "PUT", "/v1/me/profile", `{"nickname":"x\u0000y"}`, nil, 422, "/nickname"},
		{"NUL message text", "POST", "/v1/channel/conversations/0190f3b0-0000-7000-8000-000000000c01/messages", `{"type":"text","text":"hi\u0000"}`, nil, 422, "/text"},
		{"invalid UTF-8 name", "POST", "/v1/tenants", "{\"tenant_id\":\"0190f3b0-0000-7000-8000-0000000000aa\",\"name\":\"A\xc3\"}", nil, 422, "/name"},
		{"long real name", "PUT", "/v1/me/profile", `{"real_name":"` + strings.Repeat("a", 1<<20) + `"}`, nil, 422, "/real_name"},
		{"trailing data", "PUT", "/v1/me/profile", `{"nickname":"a"}{"nickname":"b"}`, nil, 422, "/"},
		{"trailing data after whitespace", "PUT", "/v1/me/profile", "{\"nickname\":\"a\"}\n\n[]", nil, 422, "/"},
		{"NUL path parameter", "PUT", "/v1/tenant/settings/a%00b", `{"value":true}`, nil, 422, "key"},
		{"invalid UTF-8 path parameter", "PUT", "/v1/tenant/settings/a%FFb", `{"value":true}`, nil, 422, "key"},
		{"NUL query", "GET", "/v1/tenant/settings?min_position=1%00", ``, nil, 422, "min_position"},
		{"invalid UTF-8 query", "GET", "/v1/agents?q=%FF", ``, nil, 422, "q"},
		{"NUL idempotency key", "PUT", "/v1/me/profile", `{"nickname":"a"}`, map[string]string{"Idempotency-Key": "k\x00"}, 422, "Idempotency-Key"},
		{"invalid UTF-8 If-Match", "PUT", "/v1/me/profile", `{"nickname":"a"}`, map[string]string{"If-Match": "\xff"}, 422, "If-Match"},
		{"NUL channel key", "POST", "/v1/channel/conversations", `{}`, map[string]string{"X-Channel-Key": "k\x00"}, 422, "X-Channel-Key"},
		{"control in the token", "GET", "/v1/tenant", ``, map[string]string{"Authorization": "Bearer \x01"}, 422, "Authorization"},
		{"long idempotency key", "PUT", "/v1/me/profile", `{"nickname":"a"}`, map[string]string{"Idempotency-Key": strings.Repeat("k", 201)}, 422, "Idempotency-Key"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest(tc.method, "/", strings.NewReader(tc.body))
			req.URL.RawQuery = ""
			u, _ := req.URL.Parse(tc.path)
			req.URL = u
			req.RequestURI = tc.path
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", "Bearer secret")
			for k, v := range tc.headers {
				req.Header[http.CanonicalHeaderKey(k)] = []string{v}
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != tc.status {
				t.Fatalf("status %d, want %d: %s", rec.Code, tc.status, rec.Body)
			}
			var p Problem
			if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil || rec.Header().Get("Content-Type") != "application/problem+json" {
				t.Fatalf("not a problem: %s", rec.Body)
			}
			if p.Field != tc.field && !strings.Contains(p.Detail, tc.field) {
				t.Errorf("problem %+v does not name %q", p, tc.field)
			}
		})
	}
}

// The one JSON decoder of handlers refuses data after the body.
func TestStrictJSONRefusesTrailingData(t *testing.T) {
	e, err := New(Deps{})
	if err != nil {
		t.Fatal(err)
	}
	for body, ok := range map[string]bool{`{"a":"x"}`: true, "{\"a\":\"x\"}\n": true, `{"a":"x"} {}`: false, `{"a":"x"}]`: false} {
		req := httptest.NewRequest("POST", "/", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.ContentLength = int64(len(body))
		var v struct {
			A string `json:"a"`
		}
		err := e.NewContext(req, httptest.NewRecorder()).Bind(&v)
		if (err == nil) != ok || (ok && v.A != "x") {
			t.Errorf("%q: %v, %+v", body, err, v)
		}
	}
}

// No string a request carries is without a length limit, and no array
// without an item limit, in the document as served.
func TestEveryRequestStringHasALimit(t *testing.T) {
	d, err := loadDocument()
	if err != nil {
		t.Fatal(err)
	}
	var served openapi3.T
	if err := json.Unmarshal(d.json, &served); err != nil {
		t.Fatal(err)
	}
	strs := 0
	var walk func(where string, s *openapi3.SchemaRef, depth int)
	walk = func(where string, ref *openapi3.SchemaRef, depth int) {
		if ref == nil || ref.Value == nil || depth > 10 {
			return
		}
		s := ref.Value
		if s.Type.Includes(openapi3.TypeString) {
			strs++
			if s.MaxLength == nil {
				t.Errorf("%s: a string without maxLength", where)
			}
		}
		if s.Type.Includes(openapi3.TypeArray) && s.MaxItems == nil {
			t.Errorf("%s: an array without maxItems", where)
		}
		for k, p := range s.Properties {
			walk(where+"/"+k, p, depth+1)
		}
		walk(where+"/0", s.Items, depth+1)
		walk(where+"/*", s.AdditionalProperties.Schema, depth+1)
		for _, group := range []openapi3.SchemaRefs{s.AllOf, s.OneOf, s.AnyOf} {
			for _, sub := range group {
				walk(where, sub, depth+1)
			}
		}
	}
	if err := openapi3.NewLoader().ResolveRefsIn(&served, nil); err != nil {
		t.Fatal(err)
	}
	for path, item := range served.Paths.Map() {
		for method, op := range item.Operations() {
			for _, p := range append(append(openapi3.Parameters{}, item.Parameters...), op.Parameters...) {
				if p.Value != nil {
					walk(method+" "+path+" "+p.Value.Name, p.Value.Schema, 0)
				}
			}
			if op.RequestBody != nil && op.RequestBody.Value != nil {
				if mt := op.RequestBody.Value.Content.Get("application/json"); mt != nil {
					walk(method+" "+path+" body", mt.Schema, 0)
				}
			}
		}
	}
	if strs < 100 {
		t.Errorf("only %d strings seen", strs)
	}
}
