package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/labstack/echo/v4"

	"supportd/domain"
)

// Text taken from a request is stored in the event log and in PostgreSQL
// text columns, and shown in the consoles. PostgreSQL cannot hold NUL or
// invalid UTF-8, and control characters make no sense in a name, an
// e-mail, an ID, a URL or a key. Every string a request carries (JSON body
// fields and keys, path and query parameters, the headers read) is checked
// here, before any handler runs; a refusal names the field.
//
// The rules:
//   - valid UTF-8, no NUL;
//   - no control characters (C0, DEL, C1), except that free text (freeText
//     below: message text, remarks, descriptions...) may hold line breaks
//     and tabs (\n, \r, \t);
//   - at most maxLength characters (Unicode code points, as JSON Schema
//     counts): a field's own maxLength in the OpenAPI document, else
//     defaultMaxLength, or defaultFreeTextMaxLength for free text. These
//     defaults are written into the served document when it is loaded, so
//     no string field is without a limit;
//   - arrays hold at most their maxItems, else defaultMaxItems;
//   - a JSON body is one JSON value, nested at most maxJSONDepth levels:
//     data after it is refused.
const (
	// defaultMaxLength bounds a single-line string (a name, a key, a
	// label) that declares no maxLength.
	defaultMaxLength = 255
	// defaultFreeTextMaxLength bounds free text (freeText) that declares
	// no maxLength: about four pages of prose.
	defaultFreeTextMaxLength = 10000
	// defaultMaxItems bounds an array that declares no maxItems.
	defaultMaxItems = 1000
	// maxJSONDepth bounds how deep a JSON body nests: far deeper than any
	// request the document describes.
	maxJSONDepth = 32
	// maxHeaderLength bounds the headers the API reads (bearer tokens,
	// channel keys, idempotency keys, versions).
	maxHeaderLength = 1024
)

// freeText names the request fields that hold prose a person wrote: they
// may span lines. Every other string is a single line.
var freeText = map[string]bool{
	"text":        true, // messages, phrases, notes, robot answers, keyword replies
	"answer":      true,
	"content":     true,
	"description": true,
	"greeting":    true,
	"message":     true,
	"reason":      true,
	"remark":      true,
	"remarks":     true,
	"signature":   true,
	"summary":     true,
	"question":    true,
	"body":        true,
	// A tenant setting's value: each setting's own rule (domain/tenant)
	// bounds it; some are messages to customers.
	"value": true,
}

// readHeaders are the request headers the API reads.
var readHeaders = []string{echo.HeaderAuthorization, ChannelKeyHeader, "Idempotency-Key", "If-Match", "Last-Event-ID", echo.HeaderContentType}

// textProblem says what is wrong with s, or "" when it may be stored:
// NUL, invalid UTF-8, a control character (line breaks and tabs are
// allowed in multiline text), or more than max characters (max 0: no
// limit).
func textProblem(s string, multiline bool, max int) string {
	if !utf8.ValidString(s) {
		return "is not valid UTF-8"
	}
	n := 0
	for _, r := range s {
		n++
		switch {
		case r == 0:
			return "contains a NUL character"
		case multiline && (r == '\n' || r == '\r' || r == '\t'):
		case r < 0x20 || (r >= 0x7f && r <= 0x9f):
			return fmt.Sprintf("contains the control character %U", r)
		}
	}
	if max > 0 && n > max {
		return fmt.Sprintf("is longer than %d characters", max)
	}
	return ""
}

// invalidText is the refusal of a field's text: 422 naming the field.
func invalidText(field, problem string) error {
	return domain.Errorf(domain.Invalid, "request.invalid_text", field, "%s", problem)
}

// checkRequestText checks the query and the read headers of a request,
// before anything reads them: 422 naming the parameter or header. (Path
// parameters are checked by name where the route is known: validate.)
func checkRequestText(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		req := c.Request()
		query, err := parseQuery(req.URL.RawQuery)
		if err != nil {
			return echo.NewHTTPError(http.StatusBadRequest, "query: "+err.Error())
		}
		for _, name := range sortedKeys(query) {
			if p := textProblem(name, false, maxHeaderLength); p != "" {
				return invalidText(name, "names a query parameter that "+p)
			}
			for _, v := range query[name] {
				if p := textProblem(v, false, maxHeaderLength); p != "" {
					return invalidText(name, "query parameter "+p)
				}
			}
		}
		for _, name := range readHeaders {
			for _, v := range req.Header.Values(name) {
				if p := textProblem(v, false, maxHeaderLength); p != "" {
					return invalidText(name, "header "+p)
				}
			}
		}
		return next(c)
	}
}

// parseQuery parses a raw query strictly: unlike url.ParseQuery it does
// not drop what it cannot decode.
func parseQuery(raw string) (map[string][]string, error) {
	out := map[string][]string{}
	for raw != "" {
		var pair string
		pair, raw, _ = strings.Cut(raw, "&")
		if pair == "" {
			continue
		}
		k, v, _ := strings.Cut(pair, "=")
		k, err := queryUnescape(k)
		if err != nil {
			return nil, err
		}
		if v, err = queryUnescape(v); err != nil {
			return nil, err
		}
		out[k] = append(out[k], v)
	}
	return out, nil
}

func queryUnescape(s string) (string, error) {
	s = strings.ReplaceAll(s, "+", " ")
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '%' {
			b.WriteByte(s[i])
			continue
		}
		if i+2 >= len(s) {
			return "", fmt.Errorf("bad escape %q", s[i:])
		}
		n, err := strconv.ParseUint(s[i+1:i+3], 16, 8)
		if err != nil {
			return "", fmt.Errorf("bad escape %q", s[i:i+3])
		}
		b.WriteByte(byte(n))
		i += 2
	}
	return b.String(), nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// isJSON tells whether a Content-Type names JSON.
func isJSON(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return false
	}
	return mt == echo.MIMEApplicationJSON || strings.HasSuffix(mt, "+json")
}

// decodeJSON decodes a request body for the text rules: exactly one JSON
// value, numbers kept as written.
func decodeJSON(body []byte, v any) error { return decodeOne(body, v, true) }

// decodeOne is the API's one JSON decoder of request bodies (the text
// rules and, through strictJSON, every handler's Bind): exactly one JSON
// value, nothing after it but white space.
func decodeOne(body []byte, v any, numbers bool) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	if numbers {
		dec.UseNumber()
	}
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("data after the JSON value")
	}
	return nil
}

// checkJSONBody checks a JSON request body against the text rules, with
// schema (nil when the operation declares none) telling which fields are
// free text and what their limits are. It answers the problem as a 422
// naming the field by its JSON pointer.
func checkJSONBody(body []byte, schema *openapi3.Schema) error {
	if jsonDepth(body) > maxJSONDepth {
		return domain.Errorf(domain.Invalid, "request.invalid_json", "/", "the body nests more than %d levels deep", maxJSONDepth)
	}
	if !utf8.Valid(body) {
		// encoding/json turns invalid UTF-8 into U+FFFD: find the field.
		var v any
		field := "/"
		if decodeJSON(body, &v) == nil {
			if f, ok := findReplacement(v, ""); ok {
				field = f
			}
		}
		return invalidText(field, "is not valid UTF-8")
	}
	var v any
	if err := decodeJSON(body, &v); err != nil {
		return domain.Errorf(domain.Invalid, "request.invalid_json", "/", "the body is not one JSON value: %v", err)
	}
	return checkValue(v, schema, "", "")
}

// jsonDepth is how deep the objects and arrays of a JSON text nest, found
// in one pass before anything decodes it: decoding and schema validation
// take time that grows faster than the depth.
func jsonDepth(body []byte) int {
	depth, max, inString, escaped := 0, 0, false, false
	for _, b := range body {
		switch {
		case inString && escaped:
			escaped = false
		case inString && b == '\\':
			escaped = true
		case inString && b == '"':
			inString = false
		case inString:
		case b == '"':
			inString = true
		case b == '{' || b == '[':
			depth++
			if depth > max {
				max = depth
			}
		case b == '}' || b == ']':
			depth--
		}
	}
	return max
}

// findReplacement finds the first string (or key) holding U+FFFD.
func findReplacement(v any, ptr string) (string, bool) {
	switch v := v.(type) {
	case string:
		return ptr, strings.ContainsRune(v, utf8.RuneError)
	case map[string]any:
		for _, k := range sortedKeys(v) {
			p := ptr + "/" + escapePointer(k)
			if strings.ContainsRune(k, utf8.RuneError) {
				return p, true
			}
			if f, ok := findReplacement(v[k], p); ok {
				return f, true
			}
		}
	case []any:
		for i, x := range v {
			if f, ok := findReplacement(x, ptr+"/"+strconv.Itoa(i)); ok {
				return f, true
			}
		}
	}
	return "", false
}

// checkValue applies the text rules to v, found at ptr under the property
// name (the nearest one; items of an array inherit their array's).
func checkValue(v any, s *openapi3.Schema, ptr, name string) error {
	switch v := v.(type) {
	case string:
		multiline := freeText[name] && !hasFormat(s)
		max := defaultMaxLength
		if multiline {
			max = defaultFreeTextMaxLength
		}
		if s != nil && s.MaxLength != nil {
			max = int(*s.MaxLength)
		}
		if p := textProblem(v, multiline, max); p != "" {
			return invalidText(pointerOrRoot(ptr), p)
		}
	case map[string]any:
		for _, k := range sortedKeys(v) {
			p := ptr + "/" + escapePointer(k)
			if prob := textProblem(k, false, defaultMaxLength); prob != "" {
				return invalidText(p, "names a field that "+prob)
			}
			if err := checkValue(v[k], propertySchema(s, k), p, k); err != nil {
				return err
			}
		}
	case []any:
		max := defaultMaxItems
		if s != nil && s.MaxItems != nil {
			max = int(*s.MaxItems)
		}
		if len(v) > max {
			return invalidText(pointerOrRoot(ptr), fmt.Sprintf("has more than %d items", max))
		}
		var items *openapi3.Schema
		if s != nil && s.Items != nil {
			items = s.Items.Value
		}
		for i, x := range v {
			if err := checkValue(x, items, ptr+"/"+strconv.Itoa(i), name); err != nil {
				return err
			}
		}
	}
	return nil
}

func pointerOrRoot(ptr string) string {
	if ptr == "" {
		return "/"
	}
	return ptr
}

// escapePointer escapes a key for a JSON pointer (RFC 6901).
func escapePointer(k string) string {
	return strings.ReplaceAll(strings.ReplaceAll(k, "~", "~0"), "/", "~1")
}

func hasFormat(s *openapi3.Schema) bool {
	return s != nil && (s.Format != "" || s.Pattern != "" || len(s.Enum) > 0)
}

// propertySchema finds the schema of property k of an object schema,
// looking through allOf, oneOf and anyOf and at additionalProperties; nil
// when none is declared.
func propertySchema(s *openapi3.Schema, k string) *openapi3.Schema {
	if s == nil {
		return nil
	}
	if p := s.Properties[k]; p != nil && p.Value != nil {
		return p.Value
	}
	for _, group := range []openapi3.SchemaRefs{s.AllOf, s.OneOf, s.AnyOf} {
		for _, sub := range group {
			if sub == nil {
				continue
			}
			if p := propertySchema(sub.Value, k); p != nil {
				return p
			}
		}
	}
	if ap := s.AdditionalProperties.Schema; ap != nil {
		return ap.Value
	}
	return nil
}

// applyDefaultLimits writes the default limits into every schema of the
// document that declares none: strings get maxLength (free text the
// larger one), arrays maxItems. Bodies that are not JSON (CSV imports) are
// left alone: their rows are checked where they are read.
func applyDefaultLimits(spec *openapi3.T) {
	seen := map[*openapi3.Schema]bool{}
	var walk func(s *openapi3.SchemaRef, name string)
	walk = func(ref *openapi3.SchemaRef, name string) {
		if ref == nil || ref.Value == nil || seen[ref.Value] {
			return
		}
		s := ref.Value
		seen[s] = true
		if s.Type.Includes(openapi3.TypeString) && s.MaxLength == nil {
			max := uint64(defaultMaxLength)
			if freeText[name] && !hasFormat(s) {
				max = defaultFreeTextMaxLength
			}
			s.MaxLength = &max
		}
		if s.Type.Includes(openapi3.TypeArray) && s.MaxItems == nil {
			max := uint64(defaultMaxItems)
			s.MaxItems = &max
		}
		for k, p := range s.Properties {
			walk(p, k)
		}
		walk(s.Items, name)
		walk(s.AdditionalProperties.Schema, "")
		walk(s.Not, name)
		for _, group := range []openapi3.SchemaRefs{s.AllOf, s.OneOf, s.AnyOf} {
			for _, sub := range group {
				walk(sub, name)
			}
		}
	}
	if spec.Components != nil {
		for _, p := range spec.Components.Parameters {
			if p.Value != nil {
				walk(p.Value.Schema, p.Value.Name)
			}
		}
		for _, rb := range spec.Components.RequestBodies {
			if rb.Value != nil {
				for mt, m := range rb.Value.Content {
					if isJSON(mt) {
						walk(m.Schema, "")
					}
				}
			}
		}
	}
	for _, item := range spec.Paths.Map() {
		for _, p := range item.Parameters {
			if p.Value != nil {
				walk(p.Value.Schema, p.Value.Name)
			}
		}
		for _, op := range item.Operations() {
			for _, p := range op.Parameters {
				if p.Value != nil {
					walk(p.Value.Schema, p.Value.Name)
				}
			}
			if op.RequestBody != nil && op.RequestBody.Value != nil {
				for mt, m := range op.RequestBody.Value.Content {
					if isJSON(mt) {
						walk(m.Schema, "")
					}
				}
			}
		}
	}
}

// strictJSON is echo's JSON serializer with the API's decoder: handlers
// that Bind get exactly one JSON value or an error.
type strictJSON struct{ echo.DefaultJSONSerializer }

func (strictJSON) Deserialize(c echo.Context, i any) error {
	body, err := io.ReadAll(c.Request().Body)
	if err != nil {
		return err
	}
	if err := decodeOne(body, i, false); err != nil {
		return echo.NewHTTPError(http.StatusBadRequest, "the body is not one JSON value: "+err.Error()).SetInternal(err)
	}
	return nil
}
