package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"supportd/eventschema"
)

// runSchema writes the JSON Schema of every registered event type into a
// directory, and removes the documents of types no longer registered, so the
// directory always mirrors the catalogue. Documents of older versions of a
// registered type are kept: they describe events still in the log.
func runSchema(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fl := flag.NewFlagSet("schema", flag.ContinueOnError)
	fl.SetOutput(stderr)
	dir := fl.String("dir", filepath.Join("eventschema", "schemas"), "directory of the JSON Schema documents")
	fl.Usage = func() {
		fmt.Fprintln(stderr, "usage: supportctl schema [--dir DIR]")
		fl.PrintDefaults()
	}
	if err := fl.Parse(args); err != nil {
		return ignoreHelp(err)
	}
	if fl.NArg() > 0 {
		fl.Usage()
		return fmt.Errorf("schema: unexpected arguments %q", fl.Args())
	}
	return writeSchemas(eventschema.Catalog(), *dir, stdout)
}

// writeSchemas brings dir in line with the registry's documents, reporting
// every file it wrote, left unchanged or removed.
func writeSchemas(r *eventschema.Registry, dir string, stdout io.Writer) error {
	docs, err := r.JSONSchemas()
	if err != nil {
		return fmt.Errorf("schema: %w", err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("schema: %w", err)
	}
	names := make([]string, 0, len(docs))
	for n := range docs {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		path := filepath.Join(dir, n)
		old, err := os.ReadFile(path)
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("schema: %w", err)
		}
		if err == nil && bytes.Equal(old, docs[n]) {
			fmt.Fprintln(stdout, "unchanged", path)
			continue
		}
		if err := os.WriteFile(path, docs[n], 0o644); err != nil {
			return fmt.Errorf("schema: %w", err)
		}
		fmt.Fprintln(stdout, "wrote    ", path)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("schema: %w", err)
	}
	for _, e := range entries {
		n := e.Name()
		if e.IsDir() || !strings.HasSuffix(n, ".json") || docs[n] != nil || r.IsPublishedSchemaFile(n) {
			continue
		}
		path := filepath.Join(dir, n)
		if err := os.Remove(path); err != nil {
			return fmt.Errorf("schema: remove stale document: %w", err)
		}
		fmt.Fprintln(stdout, "removed  ", path)
	}
	return nil
}
