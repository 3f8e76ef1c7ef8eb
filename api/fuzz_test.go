package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/labstack/echo/v4"
)

// writeOp is one write operation of the document, ready to be called: its
// path parameters filled with valid values, its body's media type and
// example.
type writeOp struct {
	method, path, url, mediaType string
	example                      []byte
}

// writeOperations lists the document's write operations, sorted.
func writeOperations(t testing.TB, d *document) []writeOp {
	var ops []writeOp
	for path, item := range d.spec.Paths.Map() {
		for method, op := range item.Operations() {
			if method == http.MethodGet || method == http.MethodHead {
				continue
			}
			u := path
			for _, p := range append(append(openapi3.Parameters{}, item.Parameters...), op.Parameters...) {
				if p.Value != nil && p.Value.In == openapi3.ParameterInPath {
					u = strings.ReplaceAll(u, "{"+p.Value.Name+"}", url.PathEscape(validParam(p.Value)))
				}
			}
			w := writeOp{method: method, path: path, url: u, mediaType: echo.MIMEApplicationJSON}
			if op.RequestBody != nil && op.RequestBody.Value != nil {
				for mt, m := range op.RequestBody.Value.Content {
					w.mediaType = mt
					if m.Example != nil {
						if s, ok := m.Example.(string); ok && !isJSON(mt) {
							w.example = []byte(s)
						} else if b, err := json.Marshal(m.Example); err == nil {
							w.example = b
						}
					}
				}
			}
			ops = append(ops, w)
		}
	}
	sort.Slice(ops, func(i, j int) bool { return ops[i].method+ops[i].path < ops[j].method+ops[j].path })
	if len(ops) < 50 {
		t.Fatalf("only %d write operations", len(ops))
	}
	return ops
}

// validParam is a valid value of a path parameter.
func validParam(p *openapi3.Parameter) string {
	if p.Example != nil {
		return fmt.Sprint(p.Example)
	}
	if s := p.Schema; s != nil && s.Value != nil {
		switch {
		case len(s.Value.Enum) > 0:
			return fmt.Sprint(s.Value.Enum[0])
		case s.Value.Format == "uuid":
			return "0190f3b0-0000-7000-8000-0000000000ff"
		}
	}
	return "x"
}

// runPipeline sends a request through the API's request checks and
// validation (no authentication, no handler, no database) and answers the
// body a handler would have received, or the refusal.
func runPipeline(d *document, op writeOp, body []byte, headers ...string) ([]byte, error) {
	req := httptest.NewRequest(op.method, op.url, bytes.NewReader(body))
	req.Header.Set(echo.HeaderContentType, op.mediaType)
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	if _, _, err := d.router.FindRoute(req); err != nil {
		return nil, fmt.Errorf("%s %s is not routed: %w", op.method, op.url, err)
	}
	e := echo.New()
	e.JSONSerializer = strictJSON{}
	c := e.NewContext(req, httptest.NewRecorder())
	var accepted []byte
	err := checkRequestText(d.validate(func(c echo.Context) error {
		var err error
		accepted, err = io.ReadAll(c.Request().Body)
		return err
	}))(c)
	return accepted, err
}

// Every write operation's example passes the text rules and the schema:
// the rules refuse nothing the document itself shows.
func TestExamplesPassValidation(t *testing.T) {
	d, err := loadDocument()
	if err != nil {
		t.Fatal(err)
	}
	for _, op := range writeOperations(t, d) {
		if op.example == nil {
			continue
		}
		if _, err := runPipeline(d, op, op.example); err != nil {
			t.Errorf("%s %s: the example %s is refused: %v", op.method, op.path, op.example, err)
		}
	}
}

// FuzzWriteRequest sends arbitrary bodies to every write operation (the
// first argument picks it) through the request pipeline: garbage is
// refused with a 4xx, never a panic or a 5xx, and what is accepted is one
// JSON value (or CSV) whose text holds no NUL, invalid UTF-8 or control
// characters but line breaks and tabs. The examples of the document are
// the seeds; inputs the fuzzer finds are kept in testdata/fuzz.
func FuzzWriteRequest(f *testing.F) {
	d, err := loadDocument()
	if err != nil {
		f.Fatal(err)
	}
	ops := writeOperations(f, d)
	for i, op := range ops {
		if op.example != nil {
			f.Add(uint(i), op.example)
		}
	}
	f.Fuzz(func(t *testing.T, i uint, body []byte) {
		op := ops[i%uint(len(ops))]
		accepted, err := runPipeline(d, op, body)
		if err != nil {
			if p := problemFor(err); p.Status < 400 || p.Status > 499 {
				t.Fatalf("%s %s %q: %d %v", op.method, op.path, body, p.Status, err)
			}
			return
		}
		mt, _, _ := mime.ParseMediaType(op.mediaType)
		switch {
		case mt == "text/csv":
			// The import checks its rows itself, by line and column.
			rows, err := readPhraseCSV(bytes.NewReader(accepted))
			for _, r := range rows {
				for _, cell := range []string{r.Category, r.Subcategory, r.Text} {
					if p := textProblem(cell, true, 0); p != "" {
						t.Fatalf("%s %s accepted a row (%v) whose cell %q %s", op.method, op.path, err, cell, p)
					}
				}
			}
		case !utf8.Valid(accepted):
			t.Fatalf("%s %s accepted invalid UTF-8: %q", op.method, op.path, accepted)
		case len(bytes.TrimSpace(accepted)) > 0:
			var v any
			if err := decodeJSON(accepted, &v); err != nil {
				t.Fatalf("%s %s accepted %q, which is not one JSON value: %v", op.method, op.path, accepted, err)
			}
			if s, bad := badText(v); bad {
				t.Fatalf("%s %s accepted the text %q", op.method, op.path, s)
			}
		}
	})
}

// badText finds a string or key that may not be stored: NUL, invalid
// UTF-8 (decoded as U+FFFD only when the body had it, which the fuzz
// target checked), or a control character other than line breaks and
// tabs.
func badText(v any) (string, bool) {
	switch v := v.(type) {
	case string:
		return v, textProblem(v, true, 0) != ""
	case map[string]any:
		for k, x := range v {
			if textProblem(k, false, 0) != "" {
				return k, true
			}
			if s, bad := badText(x); bad {
				return s, true
			}
		}
	case []any:
		for _, x := range v {
			if s, bad := badText(x); bad {
				return s, true
			}
		}
	}
	return "", false
}
