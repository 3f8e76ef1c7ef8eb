package eventschema_test

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"testing"

	"supportd/eventschema"
)

// samplesDir holds a stored event, as the log returns it, for every event
// type and every schema version ever published.
const samplesDir = "testdata/samples"

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
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".json") {
			continue
		}
		b, err := fs.ReadFile(fsys, e.Name())
		if err != nil {
			return nil, err
		}
		var env eventschema.Envelope
		if err := json.Unmarshal(b, &env); err != nil {
			return nil, fmt.Errorf("sample %s: %w", e.Name(), err)
		}
		out[e.Name()] = env
	}
	return out, nil
}
