package api

import (
	"bytes"
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
	"github.com/google/uuid"
	"github.com/labstack/echo/v4"
	"gopkg.in/yaml.v3"

	"supportd/domain"
)

// The OpenAPI document is kept in parts, one file per area of the API
// (openapi/base.yaml holds info, security and shared components); they are
// merged into one document at start-up.
//
//go:embed openapi/*.yaml
var openapiParts embed.FS

// document is the loaded OpenAPI description, its JSON form and a router
// that finds the operation of a request for validation.
type document struct {
	spec   *openapi3.T
	json   []byte
	router routers.Router
	bodies *bodySchemas // compiled once (bodyschema.go)
}

// defineFormats teaches the validator the string formats the document uses.
// The library keeps them process-wide. A uuid is never the nil UUID: it
// names nothing, so a path or body field holding it is refused (422 naming
// the field) like a malformed one; an optional ID is omitted instead.
var defineFormats = sync.OnceFunc(func() {
	re := regexp.MustCompile(openapi3.FormatOfStringForUUIDOfRFC9562)
	openapi3.DefineStringFormatValidator("uuid", openapi3.NewCallbackValidator(func(s string) error {
		if !re.MatchString(s) {
			return errors.New("is not a UUID")
		}
		if id, err := uuid.Parse(s); err != nil || id == uuid.Nil {
			return errors.New("is the nil UUID, which names nothing")
		}
		return nil
	}))
})

func loadDocument() (*document, error) {
	defineFormats()
	merged, err := mergeParts(openapiParts, "openapi")
	if err != nil {
		return nil, fmt.Errorf("openapi document: %w", err)
	}
	loader := openapi3.NewLoader()
	spec, err := loader.LoadFromData(merged)
	if err != nil {
		return nil, fmt.Errorf("openapi document: %w", err)
	}
	if err := spec.Validate(context.Background()); err != nil {
		return nil, fmt.Errorf("openapi document: %w", err)
	}
	applyDefaultLimits(spec)
	js, err := json.Marshal(spec)
	if err != nil {
		return nil, fmt.Errorf("openapi document: %w", err)
	}
	r, err := gorillamux.NewRouter(spec)
	if err != nil {
		return nil, fmt.Errorf("openapi router: %w", err)
	}
	bodies, err := compileBodies(spec, js)
	if err != nil {
		return nil, fmt.Errorf("openapi document: %w", err)
	}
	return &document{spec: spec, json: js, router: r, bodies: bodies}, nil
}

// Document returns the API's OpenAPI document as JSON.
func Document() ([]byte, error) {
	d, err := loadDocument()
	if err != nil {
		return nil, err
	}
	return d.json, nil
}

func (d *document) serve(c echo.Context) error {
	return c.Blob(http.StatusOK, echo.MIMEApplicationJSON, d.json)
}

// validate checks a request's parameters and body against the document.
// Authentication is checked by its own middleware, before this one. The
// text rules (text.go) come first, so that a refusal names the field
// whatever the schema says about it; then the schema.
func (d *document) validate(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		req := c.Request()
		route, params, err := d.router.FindRoute(req)
		if err != nil {
			return next(c) // echo answers 404/405 itself
		}
		for _, name := range sortedKeys(params) {
			// The router answers parameters as escaped in the URL; the
			// handlers see them unescaped.
			v, err := url.PathUnescape(params[name])
			if err != nil {
				return domain.Errorf(domain.Invalid, "request.invalid_text", name, "path parameter %q is not escaped properly", name)
			}
			if p := textProblem(v, false, defaultMaxLength); p != "" {
				return domain.Errorf(domain.Invalid, "request.invalid_text", name, "path parameter %q %s", name, p)
			}
		}
		body, err := checkBody(c, route.Operation)
		if err != nil {
			return err
		}
		legacy, kinBody := d.bodies.route(route)
		in := &openapi3filter.RequestValidationInput{
			Request: req, PathParams: params, Route: legacy,
			Options: &openapi3filter.Options{
				AuthenticationFunc: openapi3filter.NoopAuthenticationFunc,
				MultiError:         false,
				ExcludeRequestBody: !kinBody,
			},
		}
		if err := openapi3filter.ValidateRequest(req.Context(), in); err != nil {
			return validationError(err)
		}
		if !kinBody {
			if err := d.bodies.validateBody(req, body, route.Operation); err != nil {
				return err
			}
		}
		return next(c)
	}
}

// checkBody reads the request body once, applies the text rules to a JSON
// body, puts the body back for the handler and answers it for the schema
// check.
func checkBody(c echo.Context, op *openapi3.Operation) ([]byte, error) {
	req := c.Request()
	if req.Body == nil || req.Body == http.NoBody {
		return nil, nil
	}
	body, err := io.ReadAll(req.Body)
	if err != nil {
		return nil, err // the body limit answers 413 itself
	}
	_ = req.Body.Close()
	req.Body = io.NopCloser(bytes.NewReader(body))
	if len(bytes.TrimSpace(body)) == 0 || !isJSON(req.Header.Get(echo.HeaderContentType)) {
		return body, nil
	}
	return body, checkJSONBody(body, jsonBodySchema(op))
}

// jsonBodySchema is the schema of an operation's JSON request body, or nil.
func jsonBodySchema(op *openapi3.Operation) *openapi3.Schema {
	if op == nil || op.RequestBody == nil || op.RequestBody.Value == nil {
		return nil
	}
	for mt, m := range op.RequestBody.Value.Content {
		if isJSON(mt) && m.Schema != nil {
			return m.Schema.Value
		}
	}
	return nil
}

// validationError turns a schema violation into a 422 naming the field:
// the parameter, or the JSON pointer of the body's field.
func validationError(err error) error {
	var re *openapi3filter.RequestError
	if errors.As(err, &re) {
		if re.Parameter != nil {
			return domain.Errorf(domain.Invalid, "request.invalid_parameter", re.Parameter.Name,
				"%s parameter %q: %v", re.Parameter.In, re.Parameter.Name, re.Err)
		}
		var se *openapi3.SchemaError
		if errors.As(re.Err, &se) {
			// A body that breaks one schema of an allOf names the field
			// that breaks it, not the whole body.
			se = innermost(se)
			ptr := jsonPointer(se.JSONPointer())
			return domain.Errorf(domain.Invalid, "request.invalid_body", ptr, "body %s: %s", ptr, se.Reason)
		}
	}
	return echo.NewHTTPError(http.StatusUnprocessableEntity, validationDetail(err))
}

// innermost is the most specific error under an allOf error: the one
// whose field lies deepest, the first of those.
func innermost(se *openapi3.SchemaError) *openapi3.SchemaError {
	if se.SchemaField != "allOf" {
		return se
	}
	var all openapi3.MultiError
	if !errors.As(se.Origin, &all) {
		return se
	}
	best := se
	for _, e := range all {
		var inner *openapi3.SchemaError
		if errors.As(e, &inner) {
			if inner = innermost(inner); len(inner.JSONPointer()) > len(best.JSONPointer()) {
				best = inner
			}
		}
	}
	return best
}

func validationDetail(err error) string {
	switch e := err.(type) {
	case *openapi3filter.RequestError:
		if e.Parameter != nil {
			return fmt.Sprintf("%s %q: %v", e.Parameter.In, e.Parameter.Name, e.Err)
		}
		if se, ok := e.Err.(*openapi3.SchemaError); ok {
			return fmt.Sprintf("body %s: %s", jsonPointer(se.JSONPointer()), se.Reason)
		}
		return e.Error()
	}
	return err.Error()
}

func jsonPointer(path []string) string {
	if len(path) == 0 {
		return "/"
	}
	out := ""
	for _, p := range path {
		out += "/" + escapePointer(p)
	}
	return out
}

// mergeParts merges the YAML documents in dir: base.yaml first, then the
// others in name order, adding their paths and components. A path or
// component defined twice is an error, so parts cannot silently override
// each other.
func mergeParts(fsys embed.FS, dir string) ([]byte, error) {
	entries, err := fsys.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var doc map[string]any
	read := func(name string) (map[string]any, error) {
		raw, err := fsys.ReadFile(dir + "/" + name)
		if err != nil {
			return nil, err
		}
		var m map[string]any
		if err := yaml.Unmarshal(raw, &m); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		return m, nil
	}
	if doc, err = read("base.yaml"); err != nil {
		return nil, err
	}
	section := func(m map[string]any, key string) map[string]any {
		s, _ := m[key].(map[string]any)
		if s == nil {
			s = map[string]any{}
			m[key] = s
		}
		return s
	}
	for _, e := range entries {
		if e.Name() == "base.yaml" {
			continue
		}
		part, err := read(e.Name())
		if err != nil {
			return nil, err
		}
		paths := section(doc, "paths")
		for p, item := range section(part, "paths") {
			if _, dup := paths[p]; dup {
				return nil, fmt.Errorf("%s: path %s is defined twice", e.Name(), p)
			}
			paths[p] = item
		}
		comps := section(doc, "components")
		for kind, defs := range section(part, "components") {
			target := section(comps, kind)
			for name, def := range defs.(map[string]any) {
				if _, dup := target[name]; dup {
					return nil, fmt.Errorf("%s: components.%s.%s is defined twice", e.Name(), kind, name)
				}
				target[name] = def
			}
		}
	}
	return json.Marshal(doc)
}
