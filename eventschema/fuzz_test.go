package eventschema_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"supportd/eventschema"
)

// FuzzUpcast feeds arbitrary data, as if read from the log, to every
// registered event type at every schema version it ever had: the upcaster
// chain and the decoding may refuse it, but never panic, and an upcaster
// given JSON answers JSON. The stored samples are the seeds; inputs the
// fuzzer finds are kept in testdata/fuzz/FuzzUpcast.
func FuzzUpcast(f *testing.F) {
	r := eventschema.Catalog()
	types := r.Types()
	index := map[string]uint{}
	for i, t := range types {
		index[t.Name] = uint(i)
	}
	files, err := filepath.Glob(filepath.Join(samplesDir, "*.json"))
	if err != nil || len(files) == 0 {
		f.Fatalf("no samples in %s: %v", samplesDir, err)
	}
	for _, name := range files {
		raw, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		var e eventschema.Envelope
		if err := json.Unmarshal(raw, &e); err != nil {
			f.Fatalf("%s: %v", name, err)
		}
		f.Add(index[e.Type], uint(e.Version-1), []byte(e.Data))
	}
	for _, data := range []string{``, `null`, `[]`, `"x"`, `{"tenant_id":null}`, `{"text":"\u0000"}`, "{\"name\":\"\xff\"}", `{"a":1e999}`} {
		f.Add(uint(0), uint(0), []byte(data))
	}
	f.Fuzz(func(t *testing.T, typ, version uint, data []byte) {
		et := types[typ%uint(len(types))]
		v := int(version%uint(et.Version)) + 1
		up, err := r.Upcast(et.Name, v, data)
		if err == nil && json.Valid(data) && !json.Valid(up) {
			t.Errorf("%s v%d: upcast %q to %q, which is not JSON", et.Name, v, data, up)
		}
		_, _ = r.Decode(eventschema.Envelope{Type: et.Name, Version: v, Data: data})
	})
}
