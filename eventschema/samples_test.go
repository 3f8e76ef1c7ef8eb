package eventschema_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"reflect"
	"strings"
	"testing"
	"testing/fstest"

	"supportd/eventschema"
)

// samplesDir holds a stored event, as the log returns it, for every event
// type and every schema version ever published, named like the schema
// documents (TenantCreated.v1.json). The samples of one type all record the
// same fact, each in the shape of its version: that is what lets the test
// prove an upcaster loses nothing.
//
// Publishing version N+1 of a type therefore means: keep the old samples,
// add Name.v{N+1}.json holding the same fact in the new shape, and register
// the upcaster from N.
const samplesDir = "testdata/samples"

// TestStoredSamples decodes every stored sample through the catalogue,
// upcasting old versions, and fails when a registered type lacks a sample
// of any of its versions.
func TestStoredSamples(t *testing.T) {
	for _, err := range verifySamples(eventschema.Catalog(), os.DirFS(samplesDir)) {
		t.Error(err)
	}
}

// verifySamples checks the samples in fsys against r and returns every
// problem found:
//   - each registered type has a sample of every version from 1 to its
//     current one, and every sample belongs to a registered version;
//   - each sample decodes, old versions through the upcaster chain;
//   - nothing is lost: the (upcast) payload has no property the Go type
//     drops, and encoding the decoded value gives the same JSON back;
//   - an old version's sample decodes to the same payload as the current
//     version's sample, the same fact in its newest shape.
func verifySamples(r *eventschema.Registry, fsys fs.FS) []error {
	samples, err := loadSamples(fsys)
	if err != nil {
		return []error{err}
	}
	var errs []error
	fail := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	for _, typ := range r.Types() {
		for v := 1; v <= typ.Version; v++ {
			if _, ok := samples[eventschema.SchemaFileName(typ.Name, v)]; !ok {
				fail("%s v%d (current v%d) has no stored sample: add %s/%s",
					typ.Name, v, typ.Version, samplesDir, eventschema.SchemaFileName(typ.Name, v))
			}
		}
	}
	current := map[string][]byte{} // type name → re-encoded payload of its current sample
	for _, file := range sortedKeys(samples) {
		s := samples[file]
		name, version, _ := eventschema.ParseSchemaFileName(file)
		if s.Type != name || s.Version != version {
			fail("%s: holds %s v%d", file, s.Type, s.Version)
			continue
		}
		typ, ok := r.Lookup(name)
		if !ok || version > typ.Version {
			fail("%s: not a registered version of an event type", file)
			continue
		}
		encoded, err := decodeWithoutLoss(r, s)
		if err != nil {
			fail("%s: %w", file, err)
			continue
		}
		if version == typ.Version {
			current[name] = encoded
		}
	}
	for _, file := range sortedKeys(samples) {
		s := samples[file]
		typ, ok := r.Lookup(s.Type)
		if !ok || s.Version >= typ.Version || current[s.Type] == nil {
			continue
		}
		encoded, err := decodeWithoutLoss(r, s)
		if err != nil {
			continue // reported above
		}
		if !jsonEqual(encoded, current[s.Type]) {
			fail("%s: upcast to v%d gives %s, but the v%d sample records %s",
				file, typ.Version, encoded, typ.Version, current[s.Type])
		}
	}
	return errs
}

// decodeWithoutLoss decodes s and returns its payload encoded again in the
// current version, failing when a property or a value did not survive.
func decodeWithoutLoss(r *eventschema.Registry, s eventschema.Envelope) ([]byte, error) {
	payload, err := r.Decode(s)
	if err != nil {
		return nil, err
	}
	upcast, err := r.Upcast(s.Type, s.Version, s.Data)
	if err != nil {
		return nil, err
	}
	typ, _ := r.Lookup(s.Type)
	strict := json.NewDecoder(bytes.NewReader(upcast))
	strict.DisallowUnknownFields()
	if err := strict.Decode(reflect.New(typ.GoType).Interface()); err != nil {
		return nil, fmt.Errorf("%s v%d does not fit the Go type: %w", s.Type, typ.Version, err)
	}
	p, err := r.Encode(s.ID, payload, s.Metadata)
	if err != nil {
		return nil, err
	}
	if !jsonEqual(p.Data, upcast) {
		return nil, fmt.Errorf("decoding changed the payload: stored (upcast) %s, decoded %s", upcast, p.Data)
	}
	return p.Data, nil
}

// jsonEqual compares two JSON documents by value, ignoring layout and the
// order of properties.
func jsonEqual(a, b []byte) bool {
	var va, vb any
	if json.Unmarshal(a, &va) != nil || json.Unmarshal(b, &vb) != nil {
		return false
	}
	return reflect.DeepEqual(va, vb)
}

// readSamples reads every sample of dir, keyed by file name.
func readSamples(t *testing.T, dir string) map[string]eventschema.Envelope {
	t.Helper()
	out, err := loadSamples(os.DirFS(dir))
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func loadSamples(fsys fs.FS) (map[string]eventschema.Envelope, error) {
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return nil, err
	}
	out := map[string]eventschema.Envelope{}
	var errs []error
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".json") {
			continue
		}
		if _, _, ok := eventschema.ParseSchemaFileName(e.Name()); !ok {
			errs = append(errs, fmt.Errorf("sample %s: name is not Type.vN.json", e.Name()))
			continue
		}
		b, err := fs.ReadFile(fsys, e.Name())
		if err != nil {
			return nil, err
		}
		var env eventschema.Envelope
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&env); err != nil {
			errs = append(errs, fmt.Errorf("sample %s: %w", e.Name(), err))
			continue
		}
		out[e.Name()] = env
	}
	return out, errors.Join(errs...)
}

// The Thing types stand for an event type that has reached version 3, so
// the sample machinery and the upcaster chain are proven on a real chain
// without publishing fake versions of production events.
//
//	v1 {"id", "name", "urgent"}
//	v2 {"id", "title", "priority"}        name renamed, urgent → priority 1 or 3
//	v3 {"id", "title", "priority", "channel"}  channel added, "web" before v3
type thingV3 struct {
	ID       string `json:"id"`
	Title    string `json:"title"`
	Priority int    `json:"priority"`
	Channel  string `json:"channel"`
}

// thingRegistry returns a registry with Thing at version 3 and the given
// upcasters, the full chain when none are given.
func thingRegistry(ups map[int]eventschema.Upcaster) *eventschema.Registry {
	if ups == nil {
		ups = map[int]eventschema.Upcaster{1: thingV1toV2, 2: thingV2toV3}
	}
	r := eventschema.NewRegistry()
	eventschema.Register[thingV3](r, "Thing", 3)
	for from, fn := range ups {
		r.AddUpcaster("Thing", from, fn)
	}
	return r
}

func thingV1toV2(old json.RawMessage) (json.RawMessage, error) {
	var v1 struct {
		ID     string `json:"id"`
		Name   string `json:"name"`
		Urgent bool   `json:"urgent"`
	}
	if err := json.Unmarshal(old, &v1); err != nil {
		return nil, err
	}
	prio := 3
	if v1.Urgent {
		prio = 1
	}
	return json.Marshal(map[string]any{"id": v1.ID, "title": v1.Name, "priority": prio})
}

func thingV2toV3(old json.RawMessage) (json.RawMessage, error) {
	var m map[string]any
	if err := json.Unmarshal(old, &m); err != nil {
		return nil, err
	}
	m["channel"] = "web"
	return json.Marshal(m)
}

func thingSample(version int, data string) *fstest.MapFile {
	return &fstest.MapFile{Data: fmt.Appendf(nil, `{
		"id": "0190f3b0-4c1a-7d2e-9a10-00000000000%d",
		"type": "Thing", "schema_version": %d,
		"stream": "thing-0190f3b0-0000-7000-8000-000000000001", "stream_version": %d,
		"position": "%d/%d", "recorded_at": "2026-11-23T10:00:00Z",
		"metadata": {"tenant_id": "0190f3b0-0000-7000-8000-000000000001",
			"actor": {"kind": "system"}, "occurred_at": "2026-11-23T10:00:00Z",
			"correlation_id": "00000000-0000-0000-0000-000000000000",
			"causation_id": "00000000-0000-0000-0000-000000000000",
			"command_id": "00000000-0000-0000-0000-000000000000"},
		"data": %s}`, version, version, version-1, 100+version, version, data)}
}

// thingSamples is the full set of stored Thing samples: one fact, in each
// of the three shapes.
func thingSamples() fstest.MapFS {
	return fstest.MapFS{
		"Thing.v1.json": thingSample(1, `{"id": "t-1", "name": "Printer on fire", "urgent": true}`),
		"Thing.v2.json": thingSample(2, `{"id": "t-1", "title": "Printer on fire", "priority": 1}`),
		"Thing.v3.json": thingSample(3, `{"id": "t-1", "title": "Printer on fire", "priority": 1, "channel": "web"}`),
	}
}

// TestSampleMachinery proves that verifySamples accepts a sound chain of
// versions and catches each way a published version can be broken.
func TestSampleMachinery(t *testing.T) {
	dropTitle := func(old json.RawMessage) (json.RawMessage, error) {
		var m map[string]any
		_ = json.Unmarshal(old, &m)
		delete(m, "name")
		return thingV1toV2(mustJSON(m))
	}
	tests := []struct {
		name    string
		ups     map[int]eventschema.Upcaster // nil: the full chain
		change  func(files fstest.MapFS)
		wantErr string // "" for no problem
	}{
		{name: "full chain of two upcasters", wantErr: ""},
		{
			name:    "no sample of the current version",
			change:  func(f fstest.MapFS) { delete(f, "Thing.v3.json") },
			wantErr: "Thing v3 (current v3) has no stored sample",
		},
		{
			name:    "no sample of an old version",
			change:  func(f fstest.MapFS) { delete(f, "Thing.v1.json") },
			wantErr: "Thing v1 (current v3) has no stored sample",
		},
		{
			name:    "missing upcaster step",
			ups:     map[int]eventschema.Upcaster{2: thingV2toV3},
			wantErr: "Thing.v1.json: upcast Thing: no upcaster from version 1",
		},
		{
			name:    "upcaster loses a value",
			ups:     map[int]eventschema.Upcaster{1: dropTitle, 2: thingV2toV3},
			wantErr: `Thing.v1.json: upcast to v3 gives {"id":"t-1","title":"","priority":1,"channel":"web"}`,
		},
		{
			name: "current sample has a property the Go type drops",
			change: func(f fstest.MapFS) {
				f["Thing.v3.json"] = thingSample(3, `{"id": "t-1", "title": "Printer on fire", "priority": 1, "channel": "web", "colour": "red"}`)
			},
			wantErr: `Thing.v3.json: Thing v3 does not fit the Go type: json: unknown field "colour"`,
		},
		{
			name: "old sample records another fact",
			change: func(f fstest.MapFS) {
				f["Thing.v2.json"] = thingSample(2, `{"id": "t-1", "title": "Printer on fire", "priority": 2}`)
			},
			wantErr: "Thing.v2.json: upcast to v3 gives",
		},
		{
			name:    "sample of a version not yet known",
			change:  func(f fstest.MapFS) { f["Thing.v4.json"] = thingSample(4, `{}`) },
			wantErr: "Thing.v4.json: not a registered version of an event type",
		},
		{
			name: "sample of an unknown type",
			change: func(f fstest.MapFS) {
				f["Gone.v1.json"] = &fstest.MapFile{Data: []byte(`{"type": "Gone", "schema_version": 1, "data": {}}`)}
			},
			wantErr: "Gone.v1.json: not a registered version of an event type",
		},
		{
			name:    "file name and content disagree",
			change:  func(f fstest.MapFS) { f["Thing.v2.json"] = f["Thing.v1.json"] },
			wantErr: "Thing.v2.json: holds Thing v1",
		},
		{
			name:    "file not named Type.vN.json",
			change:  func(f fstest.MapFS) { f["thing.json"] = f["Thing.v1.json"] },
			wantErr: "sample thing.json: name is not Type.vN.json",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			files := thingSamples()
			if tc.change != nil {
				tc.change(files)
			}
			errs := verifySamples(thingRegistry(tc.ups), files)
			if tc.wantErr == "" {
				for _, err := range errs {
					t.Error(err)
				}
				return
			}
			for _, err := range errs {
				if strings.Contains(err.Error(), tc.wantErr) {
					return
				}
			}
			t.Errorf("problems %v, want one containing %q", errs, tc.wantErr)
		})
	}
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}
