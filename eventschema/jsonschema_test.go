package eventschema_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/santhosh-tekuri/jsonschema/v6"

	"supportd/eventschema"
)

// schemaDir holds the committed JSON Schema documents.
const schemaDir = "schemas"

// TestCommittedSchemasAreCurrent keeps eventschema/schemas in step with the
// Go types: consumers of the events read the committed documents, so a
// payload change must come with its regenerated schema.
func TestCommittedSchemasAreCurrent(t *testing.T) {
	r := eventschema.Catalog()
	want, err := r.JSONSchemas()
	if err != nil {
		t.Fatal(err)
	}
	have := committedSchemas(t)
	var problems []string
	for _, name := range sortedKeys(want) {
		got, ok := have[name]
		switch {
		case !ok:
			problems = append(problems, name+" is missing")
		case !bytes.Equal(got, want[name]):
			problems = append(problems, name+" differs from its Go type")
		}
	}
	for _, name := range sortedKeys(have) {
		if want[name] == nil && !r.IsPublishedSchemaFile(name) {
			problems = append(problems, name+" is stale")
		}
	}
	if len(problems) > 0 {
		t.Fatalf("eventschema/schemas is out of date: %s; run `supportctl schema` (go run ./cmd/supportctl schema) from the module root",
			strings.Join(problems, "; "))
	}
}

func committedSchemas(t *testing.T) map[string][]byte {
	t.Helper()
	entries, err := os.ReadDir(schemaDir)
	if err != nil {
		t.Fatalf("read committed schemas (run `supportctl schema`): %v", err)
	}
	out := map[string][]byte{}
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".json") {
			continue
		}
		b, err := os.ReadFile(filepath.Join(schemaDir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		out[e.Name()] = b
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func TestSchemaFileNames(t *testing.T) {
	tests := []struct {
		file    string
		name    string
		version int
		ok      bool
	}{
		{"TenantCreated.v1.json", "TenantCreated", 1, true},
		{"Thing.v12.json", "Thing", 12, true},
		{"Thing.v0.json", "", 0, false},
		{"Thing.v01.json", "", 0, false},
		{"Thing.v-1.json", "", 0, false},
		{"Thing.vx.json", "", 0, false},
		{"Thing.json", "", 0, false},
		{".v1.json", "", 0, false},
		{"Thing.v1.yaml", "", 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			name, version, ok := eventschema.ParseSchemaFileName(tc.file)
			if name != tc.name || version != tc.version || ok != tc.ok {
				t.Fatalf("ParseSchemaFileName(%q) = %q, %d, %v; want %q, %d, %v", tc.file, name, version, ok, tc.name, tc.version, tc.ok)
			}
			if ok && eventschema.SchemaFileName(name, version) != tc.file {
				t.Fatalf("SchemaFileName(%q, %d) = %q", name, version, eventschema.SchemaFileName(name, version))
			}
		})
	}
}

func TestIsPublishedSchemaFile(t *testing.T) {
	r := eventschema.NewRegistry()
	eventschema.Register[shapePayload](r, "Thing", 3)
	for file, want := range map[string]bool{
		"Thing.v1.json": true, // an older version stays published
		"Thing.v3.json": true,
		"Thing.v4.json": false,
		"Gone.v1.json":  false,
		"README.md":     false,
	} {
		if got := r.IsPublishedSchemaFile(file); got != want {
			t.Errorf("IsPublishedSchemaFile(%q) = %v, want %v", file, got, want)
		}
	}
}

type shapeNested struct {
	Label string `json:"label"`
}

type shapePayload struct {
	ID       uuid.UUID       `json:"id"`
	Kind     string          `json:"kind" jsonschema:"enum=a,enum=b"`
	Note     string          `json:"note,omitempty"`
	At       time.Time       `json:"at"`
	Raw      json.RawMessage `json:"raw"`
	Tags     []string        `json:"tags,omitempty"`
	Nested   shapeNested     `json:"nested"`
	Count    int             `json:"count" jsonschema:"minimum=0"`
	internal int
}

// TestJSONSchemaShape pins the generator's rules on a payload that uses
// every kind of field the event types use.
func TestJSONSchemaShape(t *testing.T) {
	r := eventschema.NewRegistry()
	eventschema.Register[shapePayload](r, "Shape", 2)
	docs, err := r.JSONSchemas()
	if err != nil {
		t.Fatal(err)
	}
	if len(docs) != 1 || docs["Shape.v2.json"] == nil {
		t.Fatalf("documents %v, want only Shape.v2.json", sortedKeys(docs))
	}
	var got map[string]any
	if err := json.Unmarshal(docs["Shape.v2.json"], &got); err != nil {
		t.Fatal(err)
	}
	props := got["properties"].(map[string]any)
	checks := []struct {
		what string
		got  any
		want any
	}{
		{"$schema", got["$schema"], "https://json-schema.org/draft/2020-12/schema"},
		{"$id", got["$id"], "https://supportd.dev/schemas/events/Shape.v2.json"},
		{"title", got["title"], "Shape"},
		{"x-schema-version", got["x-schema-version"], 2.0},
		{"x-event-type", got["x-event-type"], "Shape"},
		{"additionalProperties", got["additionalProperties"], false},
		{"required", got["required"], []any{"id", "kind", "at", "raw", "nested", "count"}},
		{"uuid", props["id"], map[string]any{"type": "string", "format": "uuid"}},
		{"enum", props["kind"], map[string]any{"type": "string", "enum": []any{"a", "b"}}},
		{"time", props["at"], map[string]any{"type": "string", "format": "date-time"}},
		{"raw JSON", props["raw"], true},
		{"slice", props["tags"], map[string]any{"type": "array", "items": map[string]any{"type": "string"}}},
		{"nested", props["nested"], map[string]any{"$ref": "#/$defs/shapeNested"}},
		{"minimum", props["count"], map[string]any{"type": "integer", "minimum": 0.0}},
		{"nested closed", got["$defs"].(map[string]any)["shapeNested"].(map[string]any)["additionalProperties"], false},
	}
	for _, c := range checks {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("%s = %#v, want %#v", c.what, c.got, c.want)
		}
	}
	if len(props) != 8 {
		t.Errorf("properties %v, want the 8 exported fields", sortedKeys(props))
	}
}

func TestSchemasCarryDocComments(t *testing.T) {
	docs, err := eventschema.Catalog().JSONSchemas()
	if err != nil {
		t.Fatal(err)
	}
	var s struct {
		Description string `json:"description"`
		Properties  map[string]struct {
			Description string `json:"description"`
		} `json:"properties"`
	}
	if err := json.Unmarshal(docs["TenantCreated.v1.json"], &s); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(s.Description, "TenantCreated ") {
		t.Errorf("description %q, want the type's doc comment", s.Description)
	}
	if !strings.HasPrefix(s.Properties["time_zone"].Description, "TimeZone ") {
		t.Errorf("time_zone description %q, want the field's doc comment", s.Properties["time_zone"].Description)
	}
}

// compileSchemas compiles documents keyed by file name, so that a payload
// can be validated against the schema of its type and version.
func compileSchemas(t *testing.T, docs map[string][]byte) map[string]*jsonschema.Schema {
	t.Helper()
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	for name, doc := range docs {
		v, err := jsonschema.UnmarshalJSON(bytes.NewReader(doc))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if err := c.AddResource(eventschema.SchemaBaseURL+name, v); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	out := map[string]*jsonschema.Schema{}
	for name := range docs {
		s, err := c.Compile(eventschema.SchemaBaseURL + name)
		if err != nil {
			t.Fatalf("compile %s: %v", name, err)
		}
		out[name] = s
	}
	return out
}

func validateJSON(s *jsonschema.Schema, data []byte) error {
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		return err
	}
	return s.Validate(v)
}

// TestEncodedSamplesMatchSchemas checks the generated schemas against what
// Encode really writes: every stored sample of a current version, decoded
// and encoded again, must be valid; so must every stored sample against the
// published document of its own version.
func TestEncodedSamplesMatchSchemas(t *testing.T) {
	r := eventschema.Catalog()
	docs, err := r.JSONSchemas()
	if err != nil {
		t.Fatal(err)
	}
	published := committedSchemas(t)
	for name, doc := range docs {
		published[name] = doc
	}
	schemas := compileSchemas(t, published)
	for file, sample := range readSamples(t, samplesDir) {
		t.Run(file, func(t *testing.T) {
			if s := schemas[file]; s != nil {
				if err := validateJSON(s, sample.Data); err != nil {
					t.Errorf("stored sample against %s: %v", file, err)
				}
			}
			typ, ok := r.Lookup(sample.Type)
			if !ok || typ.Version != sample.Version {
				return // an older version: only its own document applies
			}
			payload, err := r.Decode(sample)
			if err != nil {
				t.Fatal(err)
			}
			p, err := r.Encode(sample.ID, payload, sample.Metadata)
			if err != nil {
				t.Fatal(err)
			}
			if err := validateJSON(schemas[file], p.Data); err != nil {
				t.Errorf("Encode output %s against %s: %v", p.Data, file, err)
			}
		})
	}
}

// TestSchemasRejectInvalidPayloads makes sure the documents constrain
// something: a schema that accepted anything would pass every test above.
func TestSchemasRejectInvalidPayloads(t *testing.T) {
	docs, err := eventschema.Catalog().JSONSchemas()
	if err != nil {
		t.Fatal(err)
	}
	s := compileSchemas(t, docs)["TenantCreated.v1.json"]
	const valid = `{"tenant_id":"0190f3b0-0000-7000-8000-000000000001","name":"Acme","time_zone":"UTC"}`
	if err := validateJSON(s, []byte(valid)); err != nil {
		t.Fatalf("valid payload rejected: %v", err)
	}
	tests := []struct{ name, data string }{
		{"unknown property", `{"tenant_id":"0190f3b0-0000-7000-8000-000000000001","name":"Acme","time_zone":"UTC","extra":1}`},
		{"missing required", `{"tenant_id":"0190f3b0-0000-7000-8000-000000000001","time_zone":"UTC"}`},
		{"empty name", `{"tenant_id":"0190f3b0-0000-7000-8000-000000000001","name":"","time_zone":"UTC"}`},
		{"tenant id not a uuid", `{"tenant_id":"acme","name":"Acme","time_zone":"UTC"}`},
		{"wrong type", `{"tenant_id":"0190f3b0-0000-7000-8000-000000000001","name":7,"time_zone":"UTC"}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := validateJSON(s, []byte(tc.data)); err == nil {
				t.Fatalf("%s accepted", tc.data)
			}
		})
	}
}
