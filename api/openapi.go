package api

import (
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
	"github.com/labstack/echo/v4"
)

//go:embed openapi.yaml
var openapiYAML []byte

// document is the loaded OpenAPI description, its JSON form and a router
// that finds the operation of a request for validation.
type document struct {
	spec   *openapi3.T
	json   []byte
	router routers.Router
}

// defineFormats teaches the validator the string formats the document uses.
// The library keeps them process-wide.
var defineFormats = sync.OnceFunc(func() {
	openapi3.DefineStringFormatValidator("uuid", openapi3.NewRegexpFormatValidator(openapi3.FormatOfStringForUUIDOfRFC9562))
})

func loadDocument() (*document, error) {
	defineFormats()
	loader := openapi3.NewLoader()
	spec, err := loader.LoadFromData(openapiYAML)
	if err != nil {
		return nil, fmt.Errorf("openapi document: %w", err)
	}
	if err := spec.Validate(context.Background()); err != nil {
		return nil, fmt.Errorf("openapi document: %w", err)
	}
	js, err := json.Marshal(spec)
	if err != nil {
		return nil, fmt.Errorf("openapi document: %w", err)
	}
	r, err := gorillamux.NewRouter(spec)
	if err != nil {
		return nil, fmt.Errorf("openapi router: %w", err)
	}
	return &document{spec: spec, json: js, router: r}, nil
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
// Authentication is checked by its own middleware, before this one.
func (d *document) validate(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		req := c.Request()
		route, params, err := d.router.FindRoute(req)
		if err != nil {
			return next(c) // echo answers 404/405 itself
		}
		in := &openapi3filter.RequestValidationInput{
			Request: req, PathParams: params, Route: route,
			Options: &openapi3filter.Options{
				AuthenticationFunc: openapi3filter.NoopAuthenticationFunc,
				MultiError:         false,
			},
		}
		if err := openapi3filter.ValidateRequest(req.Context(), in); err != nil {
			return echo.NewHTTPError(http.StatusUnprocessableEntity, validationDetail(err))
		}
		return next(c)
	}
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
		out += "/" + p
	}
	return out
}
