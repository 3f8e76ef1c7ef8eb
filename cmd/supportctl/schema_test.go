package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"supportd/eventschema"
)

type schemaThing struct {
	Name string `json:"name"`
}

func TestWriteSchemas(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"Thing.v1.json": "published, kept\n",    // older version of a registered type
		"Thing.v2.json": "outdated\n",           // current version, rewritten
		"Gone.v1.json":  "no longer registered", // removed
		"Thing.v3.json": "never published",      // newer than the type: removed
		"README.md":     "not a schema",         // left alone
	}
	for n, s := range files {
		if err := os.WriteFile(filepath.Join(dir, n), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	r := eventschema.NewRegistry()
	eventschema.Register[schemaThing](r, "Thing", 2)
	var out bytes.Buffer
	if err := writeSchemas(r, dir, &out); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var left []string
	for _, e := range entries {
		left = append(left, e.Name())
	}
	sort.Strings(left)
	if want := []string{"README.md", "Thing.v1.json", "Thing.v2.json"}; !reflect.DeepEqual(left, want) {
		t.Errorf("directory holds %v, want %v", left, want)
	}
	docs, err := r.JSONSchemas()
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(filepath.Join(dir, "Thing.v2.json")); !bytes.Equal(got, docs["Thing.v2.json"]) {
		t.Errorf("Thing.v2.json not rewritten:\n%s", got)
	}
	for _, want := range []string{"wrote", "Thing.v2.json", "removed", "Gone.v1.json", "Thing.v3.json"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}

	out.Reset()
	if err := writeSchemas(r, dir, &out); err != nil {
		t.Fatal(err)
	}
	if strings.TrimSpace(out.String()) != "unchanged "+filepath.Join(dir, "Thing.v2.json") {
		t.Errorf("second run printed %q, want only the unchanged document", out.String())
	}
}

func TestSchemaCommandWritesCatalog(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "schemas")
	var out, errOut bytes.Buffer
	if err := run(context.Background(), []string{"schema", "--dir", dir}, &out, &errOut); err != nil {
		t.Fatalf("%v\n%s", err, errOut.String())
	}
	docs, err := eventschema.Catalog().JSONSchemas()
	if err != nil {
		t.Fatal(err)
	}
	for name, doc := range docs {
		got, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil || !bytes.Equal(got, doc) {
			t.Errorf("%s not written (%v)", name, err)
		}
	}
	if err := run(context.Background(), []string{"schema", "extra"}, &out, &errOut); err == nil {
		t.Error("unexpected argument accepted")
	}
}
