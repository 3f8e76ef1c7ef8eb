package api

import (
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
)

// TestCompiledValidationNamesTheSameField sends, to every operation with a
// body, bodies that break its schema in many ways (a missing field, an
// unknown one, each property of the wrong type or null, the example with
// one property broken) and checks that validation with the schemas
// compiled at load refuses exactly what kin-openapi's per-request
// validation of the 3.1 document refuses, naming the same field.
func TestCompiledValidationNamesTheSameField(t *testing.T) {
	d, err := loadDocument()
	if err != nil {
		t.Fatal(err)
	}
	if len(d.bodies.compiled) < 50 {
		t.Fatalf("only %d body schemas compiled", len(d.bodies.compiled))
	}
	param := regexp.MustCompile(`\{[^}]+\}`)
	compared, refused := 0, 0
	for path, item := range d.spec.Paths.Map() {
		for method, op := range item.Operations() {
			schema := jsonBodySchema(op)
			if schema == nil {
				continue
			}
			url := param.ReplaceAllStringFunc(path, func(p string) string {
				name := strings.Trim(p, "{}")
				for _, prm := range append(slices.Clone(item.Parameters), op.Parameters...) {
					if prm.Value.Name == name && prm.Value.Schema != nil && len(prm.Value.Schema.Value.Enum) > 0 {
						return fmt.Sprint(prm.Value.Schema.Value.Enum[0])
					}
				}
				return "0190f3b0-0000-7000-8000-0000000000aa"
			})
			for _, body := range hostileBodies(op, schema) {
				old := kinPerRequest(d, method, url, body)
				now := compiledOnce(d, method, url, body)
				compared++
				if (old == nil) != (now == nil) {
					t.Errorf("%s %s %s: per request %v, compiled %v", method, path, body, old, now)
					continue
				}
				if old == nil {
					continue
				}
				refused++
				po, pn := problemFor(old), problemFor(now)
				if po.Status != pn.Status || po.Field != pn.Field || po.Code != pn.Code {
					t.Errorf("%s %s %s: per request %d %s %q, compiled %d %s %q", method, path, body,
						po.Status, po.Code, po.Field, pn.Status, pn.Code, pn.Field)
				}
			}
		}
	}
	t.Logf("%d bodies compared, %d refused", compared, refused)
	if refused < 500 {
		t.Errorf("only %d of %d bodies were refused: the comparison proves little", refused, compared)
	}
}

// kinPerRequest validates as openapi3filter does for the 3.1 document,
// building its validators for the request.
func kinPerRequest(d *document, method, url, body string) error {
	req := httptest.NewRequest(method, url, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	route, params, err := d.router.FindRoute(req)
	if err != nil {
		return err
	}
	err = openapi3filter.ValidateRequest(req.Context(), &openapi3filter.RequestValidationInput{
		Request: req, PathParams: params, Route: route,
		Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc},
	})
	if err != nil {
		return validationError(err)
	}
	return nil
}

// compiledOnce validates as the validate middleware does (without the
// text rules, which run before either).
func compiledOnce(d *document, method, url, body string) error {
	req := httptest.NewRequest(method, url, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	route, params, err := d.router.FindRoute(req)
	if err != nil {
		return err
	}
	legacy, kinBody := d.bodies.route(route)
	err = openapi3filter.ValidateRequest(req.Context(), &openapi3filter.RequestValidationInput{
		Request: req, PathParams: params, Route: legacy,
		Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc, ExcludeRequestBody: !kinBody},
	})
	if err != nil {
		return validationError(err)
	}
	if !kinBody {
		return d.bodies.validateBody(req, []byte(body), route.Operation)
	}
	return nil
}

// hostileBodies are bodies that break schema in one or more ways.
func hostileBodies(op *openapi3.Operation, schema *openapi3.Schema) []string {
	props := map[string]*openapi3.SchemaRef{}
	var collect func(s *openapi3.Schema)
	collect = func(s *openapi3.Schema) {
		for name, p := range s.Properties {
			props[name] = p
		}
		for _, sub := range s.AllOf {
			collect(sub.Value)
		}
	}
	collect(schema)
	var example map[string]any
	for _, m := range op.RequestBody.Value.Content {
		if raw, err := json.Marshal(m.Example); err == nil {
			_ = json.Unmarshal(raw, &example)
		}
	}
	out := []string{`{}`, `[]`, `"x"`, `1`, `{"zz_unknown":1}`}
	wrong := []any{12345, "not-valid", nil, []any{}, map[string]any{"x": 1}, true, strings.Repeat("x", 70000)}
	for _, name := range slices.Sorted(func(yield func(string) bool) {
		for k := range props {
			if !yield(k) {
				return
			}
		}
	}) {
		for _, w := range wrong {
			one, _ := json.Marshal(map[string]any{name: w})
			out = append(out, string(one))
			if example != nil {
				changed := map[string]any{}
				for k, v := range example {
					changed[k] = v
				}
				changed[name] = w
				full, _ := json.Marshal(changed)
				out = append(out, string(full))
			}
		}
	}
	if example != nil {
		full, _ := json.Marshal(example)
		out = append(out, string(full))
		example["zz_unknown"] = 1
		full, _ = json.Marshal(example)
		out = append(out, string(full))
	}
	return out
}

// TestParameterSchemasNeedNo31 keeps the parameters within what
// kin-openapi's own validator checks, which validates them (bodyschema.go):
// one type, and only the keywords it knows.
func TestParameterSchemasNeedNo31(t *testing.T) {
	d, err := loadDocument()
	if err != nil {
		t.Fatal(err)
	}
	allowed := map[string]bool{"type": true, "format": true, "enum": true, "minimum": true, "maximum": true,
		"minLength": true, "maxLength": true, "pattern": true, "default": true, "description": true, "items": true,
		"example": true}
	var check func(where string, node map[string]any)
	check = func(where string, node map[string]any) {
		for k, v := range node {
			if !allowed[k] {
				t.Errorf("%s: parameter schema keyword %q", where, k)
			}
			if _, many := v.([]any); k == "type" && many {
				t.Errorf("%s: parameter schema with several types", where)
			}
			if sub, ok := v.(map[string]any); ok && k == "items" {
				check(where, sub)
			}
		}
	}
	for path, item := range d.spec.Paths.Map() {
		for method, op := range item.Operations() {
			for _, p := range append(slices.Clone(item.Parameters), op.Parameters...) {
				if p.Value.Schema == nil {
					continue
				}
				raw, _ := json.Marshal(p.Value.Schema.Value)
				var node map[string]any
				if err := json.Unmarshal(raw, &node); err != nil {
					t.Fatal(err)
				}
				check(method+" "+path+" "+p.Value.Name, node)
			}
		}
	}
}

// BenchmarkBodyValidation validates a customer's message as the 3.1
// document's per-request validators did and as the compiled schemas do.
func BenchmarkBodyValidation(b *testing.B) {
	d, err := loadDocument()
	if err != nil {
		b.Fatal(err)
	}
	const url = "/v1/channel/conversations/0190f3b0-0000-7000-8000-0000000000aa/messages"
	const body = `{"type":"text","text":"Where is my order? It has not arrived yet."}`
	for name, validate := range map[string]func(*document, string, string, string) error{
		"per-request": kinPerRequest, "compiled": compiledOnce} {
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				if err := validate(d, "POST", url, body); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
