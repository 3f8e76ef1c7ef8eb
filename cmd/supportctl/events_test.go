package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"supportd/eventschema"
	"supportd/eventstore"
	"supportd/eventstore/postgres"
	"supportd/eventstore/postgres/pgtest"
)

// logFixture is a migrated event store in a database of its own, with the
// URL supportctl is pointed at.
type logFixture struct {
	url      string
	store    *postgres.Store
	reg      *eventschema.Registry
	appended int
}

func newLogFixture(t *testing.T) *logFixture {
	t.Helper()
	url := pgtest.NewDatabase(t)
	pool := pgtest.Pool(t, url)
	if err := postgres.Migrate(context.Background(), pool); err != nil {
		t.Fatal(err)
	}
	s := postgres.New(pool)
	t.Cleanup(s.Close)
	return &logFixture{url: url, store: s, reg: eventschema.Catalog()}
}

// createTenant appends a TenantCreated and settings changes to a new
// tenant stream, as the tenant commands do.
func (f *logFixture) createTenant(t *testing.T, name string, settings int) uuid.UUID {
	t.Helper()
	ctx := context.Background()
	tenant := uuid.Must(uuid.NewV7())
	stream := "tenant-" + tenant.String()
	md := eventschema.Metadata{
		TenantID:   tenant,
		Actor:      eventschema.Actor{Kind: eventschema.ActorAdmin, ID: "admin-1"},
		OccurredAt: time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC),
		CommandID:  uuid.Must(uuid.NewV7()),
	}
	p, err := f.reg.Encode(uuid.Must(uuid.NewV7()), eventschema.TenantCreated{TenantID: tenant, Name: name, TimeZone: "Europe/Paris"}, md)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.store.Append(ctx, stream, eventstore.NoStream, []eventschema.Proposed{p}); err != nil {
		t.Fatal(err)
	}
	f.appended++
	for i := range settings {
		p, err := f.reg.Encode(uuid.Must(uuid.NewV7()), eventschema.TenantSettingChanged{
			TenantID: tenant, Key: "agent_no_reply_timeout",
			Value: json.RawMessage(fmt.Sprintf(`{"seconds":%d}`, 60*(i+2))), Previous: json.RawMessage(fmt.Sprintf(`{"seconds":%d}`, 60*(i+1))),
		}, md)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.store.Append(ctx, stream, eventstore.Exact(uint64(i)), []eventschema.Proposed{p}); err != nil {
			t.Fatal(err)
		}
		f.appended++
	}
	f.all(t) // settled: every later read sees them
	return tenant
}

// all returns the whole log as the store reads it, once every event
// appended is visible. The global log holds back committed events while an
// older transaction anywhere on the server still runs (tests of other
// packages share it), and shows them for good once it ends.
func (f *logFixture) all(t *testing.T) []eventschema.Envelope {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		events, err := f.store.ReadAll(context.Background(), eventschema.Start, 1000)
		if err != nil {
			t.Fatal(err)
		}
		if len(events) == f.appended {
			return events
		}
		if time.Now().After(deadline) {
			t.Fatalf("the log shows %d of the %d events appended", len(events), f.appended)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func parseNDJSON(t *testing.T, b []byte) []eventschema.Envelope {
	t.Helper()
	var out []eventschema.Envelope
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		var e eventschema.Envelope
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatalf("line %q: %v", sc.Text(), err)
		}
		out = append(out, e)
	}
	return out
}

// sameEvents compares envelopes as they travel: through JSON.
func sameEvents(t *testing.T, got, want []eventschema.Envelope) {
	t.Helper()
	g, _ := json.Marshal(got)
	w, _ := json.Marshal(want)
	if !bytes.Equal(g, w) {
		t.Fatalf("exported\n%s\nwant\n%s", g, w)
	}
}

func TestEventsExport(t *testing.T) {
	f := newLogFixture(t)
	acme := f.createTenant(t, "Acme", 3)
	f.createTenant(t, "Globex", 2)
	all := f.all(t) // 4 events of Acme, then 3 of Globex
	if len(all) != 7 {
		t.Fatalf("fixture has %d events, want 7", len(all))
	}
	filter := func(keep func(eventschema.Envelope) bool) []eventschema.Envelope {
		var out []eventschema.Envelope
		for _, e := range all {
			if keep(e) {
				out = append(out, e)
			}
		}
		return out
	}
	tests := []struct {
		name     string
		args     []string
		want     []eventschema.Envelope
		wantLast eventschema.Position
	}{
		{"whole log", nil, all, all[6].Position},
		{"whole log in batches of one", []string{"--batch", "1"}, all, all[6].Position},
		{"from a position", []string{"--from", all[2].Position.String()}, all[3:], all[6].Position},
		{"to a position", []string{"--to", all[4].Position.String(), "--batch", "2"}, all[:5], all[4].Position},
		{"from and to", []string{"--from", all[1].Position.String(), "--to", all[3].Position.String()}, all[2:4], all[3].Position},
		{"limit", []string{"--limit", "3", "--batch", "2"}, all[:3], all[2].Position},
		{"one type", []string{"--type", "TenantCreated"},
			filter(func(e eventschema.Envelope) bool { return e.Type == "TenantCreated" }), all[6].Position},
		{"types by comma", []string{"--type", "TenantCreated,TenantSettingChanged"}, all, all[6].Position},
		{"stream prefix", []string{"--stream-prefix", "tenant-" + acme.String()}, all[:4], all[6].Position},
		{"type and limit", []string{"--type", "TenantCreated", "--limit", "1", "--batch", "2"}, all[:1], all[0].Position},
		{"after the end", []string{"--from", all[6].Position.String()}, nil, all[6].Position},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			args := append([]string{"events", "export", "--database-url", f.url}, tc.args...)
			if err := run(context.Background(), args, &stdout, &stderr); err != nil {
				t.Fatalf("%v\n%s", err, stderr.String())
			}
			sameEvents(t, parseNDJSON(t, stdout.Bytes()), tc.want)
			summary := fmt.Sprintf("exported %d events", len(tc.want))
			last := "last position " + tc.wantLast.String() + ": continue with --from " + tc.wantLast.String()
			if !strings.Contains(stderr.String(), summary) || !strings.Contains(stderr.String(), last) {
				t.Fatalf("stderr %q, want %q and %q", stderr.String(), summary, last)
			}
		})
	}
}

// TestEventsExportContinues exports the log in pieces, each from the
// position the previous summary named, and gets the whole log once.
func TestEventsExportContinues(t *testing.T) {
	f := newLogFixture(t)
	f.createTenant(t, "Acme", 4)
	f.createTenant(t, "Globex", 3)
	var got []eventschema.Envelope
	from := eventschema.Start.String()
	for range 10 {
		var stdout, stderr bytes.Buffer
		args := []string{"events", "export", "--database-url", f.url, "--from", from, "--limit", "3", "--batch", "2"}
		if err := run(context.Background(), args, &stdout, &stderr); err != nil {
			t.Fatalf("%v\n%s", err, stderr.String())
		}
		piece := parseNDJSON(t, stdout.Bytes())
		if len(piece) == 0 {
			break
		}
		got = append(got, piece...)
		_, after, _ := strings.Cut(stderr.String(), "continue with --from ")
		from = strings.TrimSpace(after)
	}
	sameEvents(t, got, f.all(t))
}

func TestEventsExportToFile(t *testing.T) {
	f := newLogFixture(t)
	f.createTenant(t, "Acme", 1)
	out := filepath.Join(t.TempDir(), "log.ndjson")
	var stdout, stderr bytes.Buffer
	args := []string{"events", "export", "--database-url", f.url, "--out", out, "--progress"}
	if err := run(context.Background(), args, &stdout, &stderr); err != nil {
		t.Fatalf("%v\n%s", err, stderr.String())
	}
	if stdout.Len() != 0 {
		t.Fatalf("stdout %q, want nothing", stdout.String())
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	sameEvents(t, parseNDJSON(t, b), f.all(t))
	if lines := bytes.Count(b, []byte("\n")); lines != 2 {
		t.Fatalf("%d lines, want one per event", lines)
	}
}

func TestEventsExportRejects(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		wantErr string
	}{
		{"kurrentdb not wired", []string{"--event-store", "kurrentdb"}, "kurrentdb"},
		{"unknown store", []string{"--event-store", "mysql"}, "mysql"},
		{"bad position", []string{"--from", "x"}, "position"},
		{"negative limit", []string{"--limit", "-1"}, "--limit"},
		{"stray argument", []string{"now"}, "unexpected arguments"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			err := run(context.Background(), append([]string{"events", "export"}, tc.args...), &stdout, &stderr)
			if err == nil || !strings.Contains(err.Error()+stderr.String(), tc.wantErr) {
				t.Fatalf("error %v (stderr %q), want one about %q", err, stderr.String(), tc.wantErr)
			}
		})
	}
}

func TestProgressMeter(t *testing.T) {
	var b bytes.Buffer
	m := newProgressMeter(&b, time.Nanosecond, false)
	time.Sleep(time.Millisecond)
	m.update(500, eventschema.Position{Commit: 7, Prepare: 9})
	m.done()
	if !strings.HasPrefix(b.String(), "500 events, ") || !strings.HasSuffix(b.String(), " events/s, at 7/9\n") {
		t.Fatalf("progress line %q", b.String())
	}
	b.Reset()
	m = newProgressMeter(&b, 0, false)
	m.update(500, eventschema.Start)
	if b.Len() != 0 {
		t.Fatalf("progress printed while off: %q", b.String())
	}
}

// lineBuffer collects the output of a command running in another
// goroutine and lets the test wait for a number of lines.
type lineBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lineBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lineBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func (b *lineBuffer) waitLines(t *testing.T, n int) []string {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
		if b.String() != "" && len(lines) >= n {
			return lines
		}
		if time.Now().After(deadline) {
			t.Fatalf("waited for %d lines, have %q", n, b.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestEventsTail(t *testing.T) {
	tests := []struct {
		name  string
		args  []string
		check func(t *testing.T, lines []string, want []eventschema.Envelope)
	}{
		{"summary lines", nil, func(t *testing.T, lines []string, want []eventschema.Envelope) {
			for i, e := range want {
				fields := strings.Fields(lines[i])
				wantFields := []string{e.Position.String(), e.RecordedAt.UTC().Format("2006-01-02T15:04:05.000Z"),
					fmt.Sprintf("%s@%d", e.Stream, e.StreamVersion), e.Type, "v1", "admin:admin-1"}
				if !reflect.DeepEqual(fields, wantFields) {
					t.Errorf("line %d = %q, want fields %q", i, lines[i], wantFields)
				}
			}
		}},
		{"json", []string{"--json"}, func(t *testing.T, lines []string, want []eventschema.Envelope) {
			sameEvents(t, parseNDJSON(t, []byte(strings.Join(lines, "\n"))), want)
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newLogFixture(t)
			f.createTenant(t, "Acme", 1) // history, caught up first
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			var stdout, stderr lineBuffer
			done := make(chan error, 1)
			go func() {
				args := append([]string{"events", "tail", "--database-url", f.url}, tc.args...)
				done <- run(ctx, args, &stdout, &stderr)
			}()
			stdout.waitLines(t, 2)
			f.createTenant(t, "Globex", 2) // live
			lines := stdout.waitLines(t, 5)
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Fatalf("tail ended with %v\n%s", err, stderr.String())
				}
			case <-time.After(time.Minute):
				t.Fatal("tail did not stop when its context ended")
			}
			want := f.all(t)
			if len(lines) != len(want) {
				t.Fatalf("tail printed %d lines, want %d:\n%s", len(lines), len(want), strings.Join(lines, "\n"))
			}
			tc.check(t, lines, want)
		})
	}
}

func TestEventsTailFromPositionAndFilter(t *testing.T) {
	f := newLogFixture(t)
	f.createTenant(t, "Acme", 2)
	f.createTenant(t, "Globex", 2)
	all := f.all(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout, stderr lineBuffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"events", "tail", "--database-url", f.url, "--json",
			"--from", all[0].Position.String(), "--type", "TenantCreated"}, &stdout, &stderr)
	}()
	lines := stdout.waitLines(t, 1)
	time.Sleep(100 * time.Millisecond) // nothing else may come
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	got := parseNDJSON(t, []byte(stdout.String()))
	if len(lines) != 1 || len(got) != 1 || got[0].ID != all[3].ID {
		t.Fatalf("tail printed %q, want only Globex's TenantCreated", stdout.String())
	}
}
