package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/labstack/echo/v4"
	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"

	"supportd/domain"
)

// Request validation compiles every schema once, when the document loads.
//
// kin-openapi validates the schemas of an OpenAPI 3.1 document with a JSON
// Schema 2020-12 validator that it builds anew for every parameter and body
// of every request (marshal, compile, validate): that was most of the CPU
// time of a request. So:
//
//   - Parameters are validated by kin-openapi's own schema validator, which
//     needs no compilation: the route given to openapi3filter names a copy
//     of the document declared as 3.0. The document's parameter schemas
//     use no 3.1-only keyword (TestParameterSchemasNeedNo31 keeps it so),
//     and a refused parameter is named by the parameter, as before.
//   - Bodies are validated against JSON Schemas compiled here, once, with
//     the same validator and formats that kin-openapi uses for 3.1, and a
//     refusal names the same field.
//     The few body schemas that kin-openapi validates with its own
//     validator even in a 3.1 document (those that reference a component
//     schema and use no 2020-12 keyword) keep going through openapi3filter,
//     as before, so that their defaults and errors do not change.
type bodySchemas struct {
	legacy   *openapi3.T                                // the document, declared 3.0
	compiled map[*openapi3.Operation]*jsonschema.Schema // bodies validated here
}

// docResource is the URL under which the document is given to the compiler.
const docResource = "https://supportd.invalid/openapi.json"

func compileBodies(spec *openapi3.T, doc []byte) (*bodySchemas, error) {
	legacy := *spec
	legacy.OpenAPI = "3.0.3"
	out := &bodySchemas{legacy: &legacy, compiled: map[*openapi3.Operation]*jsonschema.Schema{}}

	root, err := jsonschema.UnmarshalJSON(bytes.NewReader(doc))
	if err != nil {
		return nil, err
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	formats := map[string]struct{}{}
	collectFormatNames(root, formats)
	for name := range formats {
		c.RegisterFormat(&jsonschema.Format{Name: name, Validate: stringFormat(name)})
	}
	c.AssertFormat()
	if err := c.AddResource(docResource, root); err != nil {
		return nil, err
	}
	for path, item := range spec.Paths.Map() {
		for method, op := range item.Operations() {
			body := op.RequestBody
			if body == nil || body.Value == nil {
				continue
			}
			if len(body.Value.Content) != 1 {
				continue // several media types: openapi3filter picks one
			}
			for mt, media := range body.Value.Content {
				if !isJSON(mt) || media.Schema == nil || media.Schema.Value == nil {
					continue
				}
				if kinValidatesItself(media.Schema.Value) {
					continue
				}
				at := "#/paths/" + escapePointer(path) + "/" + strings.ToLower(method) + "/requestBody"
				if ref := body.Ref; ref != "" {
					at = ref
				}
				at += "/content/" + escapePointer(mt) + "/schema"
				s, err := c.Compile(docResource + at)
				if err != nil {
					return nil, fmt.Errorf("%s %s: body schema: %w", method, path, err)
				}
				out.compiled[op] = s
			}
		}
	}
	return out, nil
}

// kinValidatesItself tells the body schemas that kin-openapi validates
// with its built-in validator in a 3.1 document: those referencing a
// component schema and using none of the 2020-12 keywords its fallback
// checks for.
func kinValidatesItself(s *openapi3.Schema) bool {
	raw, err := json.Marshal(s)
	if err != nil || !bytes.Contains(raw, []byte(`"#/components/schemas/`)) {
		return false
	}
	uses2020 := errors.New("2020-12 keyword")
	err = openapi3.NewSchemaRef("", s).WalkSubtree(func(_ string, ref *openapi3.SchemaRef) error {
		if v := ref.Value; v != nil && (v.Const != nil || len(v.PrefixItems) != 0 || v.Contains != nil ||
			len(v.PatternProperties) != 0 || len(v.DependentSchemas) != 0 || v.PropertyNames != nil ||
			v.UnevaluatedItems.Has != nil || v.UnevaluatedItems.Schema != nil ||
			v.UnevaluatedProperties.Has != nil || v.UnevaluatedProperties.Schema != nil ||
			v.If != nil || v.Then != nil || v.Else != nil || len(v.DependentRequired) != 0 ||
			len(v.Defs) != 0 || v.ContentSchema != nil) {
			return uses2020
		}
		return nil
	})
	return !errors.Is(err, uses2020)
}

func collectFormatNames(node any, into map[string]struct{}) {
	switch n := node.(type) {
	case map[string]any:
		if f, ok := n["format"].(string); ok && f != "" {
			into[f] = struct{}{}
		}
		for _, v := range n {
			collectFormatNames(v, into)
		}
	case []any:
		for _, v := range n {
			collectFormatNames(v, into)
		}
	}
}

// stringFormat checks a string against the format kin-openapi knows by
// name (defineFormats adds uuid); other values and unknown formats pass.
func stringFormat(name string) func(any) error {
	return func(v any) error {
		s, ok := v.(string)
		if !ok {
			return nil
		}
		if f, ok := openapi3.SchemaStringFormats[name]; ok {
			return f.Validate(s)
		}
		return nil
	}
}

// route answers the route to give openapi3filter: the same operation in
// the document declared 3.0, and whether the body is left to it.
func (b *bodySchemas) route(r *routers.Route) (*routers.Route, bool) {
	legacy := *r
	legacy.Spec = b.legacy
	_, compiled := b.compiled[r.Operation]
	return &legacy, !compiled
}

// validateBody checks a body against the operation's compiled schema, as
// openapi3filter would: a required body, a declared content type, one
// JSON value, then the schema. It answers nil for operations whose body
// openapi3filter checks.
func (b *bodySchemas) validateBody(req *http.Request, body []byte, op *openapi3.Operation) error {
	schema, ok := b.compiled[op]
	if !ok {
		return nil
	}
	rb := op.RequestBody.Value
	if len(body) == 0 {
		if rb.Required {
			return validationError(&openapi3filter.RequestError{RequestBody: rb, Err: openapi3filter.ErrInvalidRequired})
		}
		return nil
	}
	ct := req.Header.Get(echo.HeaderContentType)
	media := rb.Content.Get(ct)
	if media == nil {
		return validationError(&openapi3filter.RequestError{RequestBody: rb,
			Reason: fmt.Sprintf("header Content-Type has unexpected value %q", ct)})
	}
	if !isJSON(ct) {
		return nil
	}
	value, err := jsonschema.UnmarshalJSON(bytes.NewReader(body))
	if err != nil {
		return validationError(&openapi3filter.RequestError{RequestBody: rb, Reason: "failed to decode request body", Err: err})
	}
	err = schema.Validate(value)
	var verr *jsonschema.ValidationError
	if err == nil || !errors.As(err, &verr) {
		return err
	}
	// The field is the one kin-openapi's errors name (see innermost).
	e := innermostCause(verr)
	ptr := jsonPointer(failingCause(e).InstanceLocation)
	return domain.Errorf(domain.Invalid, "request.invalid_body", ptr, "body %s: error at %q: %s", ptr, ptr, e.Error())
}

// failingCause is the error a wrapper with a single chain of causes (the
// schema itself, a group, a $ref) is about, as kin-openapi reads it.
func failingCause(e *jsonschema.ValidationError) *jsonschema.ValidationError {
	for len(e.Causes) == 1 && isWrapperKind(e.ErrorKind) {
		e = e.Causes[0]
	}
	return e
}

func isWrapperKind(k jsonschema.ErrorKind) bool {
	switch k.(type) {
	case *kind.Schema, *kind.Group, *kind.Reference:
		return true
	}
	return false
}

// innermostCause is innermost (openapi.go) on the validator's own errors:
// under an allOf, the cause whose field lies deepest, the first of those.
func innermostCause(e *jsonschema.ValidationError) *jsonschema.ValidationError {
	kw := failingCause(e).ErrorKind.KeywordPath()
	if len(kw) == 0 || kw[len(kw)-1] != "allOf" {
		return e
	}
	best := e
	for _, c := range e.Causes {
		if inner := innermostCause(c); len(failingCause(inner).InstanceLocation) > len(failingCause(best).InstanceLocation) {
			best = inner
		}
	}
	return best
}
