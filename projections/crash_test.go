package projections

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"supportd/eventschema"
	"supportd/eventstore/postgres"
)

// Environment of the helper process.
const (
	helperMode  = "PROJECTIONS_HELPER"
	helperDB    = "PROJECTIONS_HELPER_DB"
	helperUntil = "PROJECTIONS_HELPER_UNTIL"
	helperPause = "PROJECTIONS_HELPER_PAUSE_AFTER"
	helperOnly  = "PROJECTIONS_HELPER_ONLY"
	helperSize  = "PROJECTIONS_HELPER_BATCH"
	helperBatch = 1000
)

// TestHelperProcess is the projector process of TestCrashMidBatch, run as a
// child of the test binary. It projects tenants until its checkpoint
// reaches PROJECTIONS_HELPER_UNTIL, printing "first POSITION" for the first
// event it applies; with PROJECTIONS_HELPER_PAUSE_AFTER=N it prints
// "paused POSITION" after applying the Nth event and hangs there, its batch
// open. PROJECTIONS_HELPER_ONLY=TYPE makes it project events of that type
// only, skipping the others; PROJECTIONS_HELPER_BATCH sets the batch size.
func TestHelperProcess(t *testing.T) {
	if os.Getenv(helperMode) != "project" {
		t.Skip("the projector process of TestCrashMidBatch")
	}
	ctx := context.Background()
	fail := func(err error) {
		fmt.Fprintln(os.Stderr, "helper:", err)
		os.Exit(2)
	}
	until, err := eventschema.ParsePosition(os.Getenv(helperUntil))
	if err != nil {
		fail(err)
	}
	pause, _ := strconv.Atoi(os.Getenv(helperPause))
	pool, err := pgxpool.New(ctx, os.Getenv(helperDB))
	if err != nil {
		fail(err)
	}
	store := postgres.New(pool)
	applied := 0
	var p Projector = &hooked{Projector: NewTenants(eventschema.Catalog()), after: func(e eventschema.Envelope) {
		applied++
		if applied == 1 {
			fmt.Printf("first %s\n", e.Position)
		}
		if applied == pause {
			fmt.Printf("paused %s\n", e.Position)
			select {} // until killed
		}
	}}
	if only := os.Getenv(helperOnly); only != "" {
		p = &selecting{Projector: p, types: []string{only}}
	}
	r, err := NewRunner(store, pool, slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})), nil, p)
	if err != nil {
		fail(err)
	}
	r.BatchSize = helperBatch
	if n, err := strconv.Atoi(os.Getenv(helperSize)); err == nil {
		r.BatchSize = n
	}
	go func() {
		if err := r.Run(ctx); err != nil {
			fail(err)
		}
	}()
	if err := r.WaitFor(ctx, until); err != nil {
		fail(err)
	}
	fmt.Println("done")
	os.Exit(0)
}

// hooked is a projector with a hook run after each application.
type hooked struct {
	Projector
	after func(eventschema.Envelope)
}

func (h *hooked) Apply(ctx context.Context, db DB, e eventschema.Envelope) error {
	if err := h.Projector.Apply(ctx, db, e); err != nil {
		return err
	}
	h.after(e)
	return nil
}

// selecting is a projector that declares it projects types only.
type selecting struct {
	Projector
	types []string
}

func (s *selecting) EventTypes() []string { return s.types }

// helper is a running projector process.
type helper struct {
	cmd    *exec.Cmd
	lines  *bufio.Scanner
	stderr *bytes.Buffer
}

func startHelper(t *testing.T, ctx context.Context, url string, until eventschema.Position, pause int, env ...string) *helper {
	t.Helper()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestHelperProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(),
		helperMode+"=project",
		helperDB+"="+url,
		helperUntil+"="+until.String(),
		helperPause+"="+strconv.Itoa(pause))
	cmd.Env = append(cmd.Env, env...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	h := &helper{cmd: cmd, lines: bufio.NewScanner(stdout), stderr: &bytes.Buffer{}}
	cmd.Stderr = h.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	return h
}

// expect reads output lines until one starts with prefix and returns the
// rest of it.
func (h *helper) expect(t *testing.T, prefix string) string {
	t.Helper()
	for h.lines.Scan() {
		if rest, ok := strings.CutPrefix(h.lines.Text(), prefix); ok {
			return strings.TrimSpace(rest)
		}
	}
	t.Fatalf("helper ended before printing %q (%v); stderr:\n%s", prefix, h.lines.Err(), h.stderr)
	return ""
}

// A projector process killed with SIGKILL in the middle of a batch loses
// the batch, resumes from its checkpoint when restarted, and ends with the
// rows a clean rebuild produces.
func TestCrashMidBatch(t *testing.T) {
	t.Parallel()
	crashMidBatch(t, "", helperBatch, helperBatch+helperBatch/2)
}

// The same with a projector that handles one event in 25 (the tenants'
// creations) and skips the others without a transaction: its checkpoint
// row never passes an event it has not applied, so the restart applies
// every creation once.
func TestCrashMidBatchSkipping(t *testing.T) {
	t.Parallel()
	crashMidBatch(t, "TenantCreated", 100, 30)
}

func crashMidBatch(t *testing.T, only string, batch, pause int) {
	e := newEnv(t)
	ctx := testContext(t)
	positions := tenantLog(t, ctx, e.store, 40, 99, 25)
	last := positions[len(positions)-1]
	env := []string{helperSize + "=" + strconv.Itoa(batch), helperOnly + "=" + only}
	handled := positions
	if only != "" {
		handled = nil
		for i, p := range positions {
			if i < 40*25 && i%25 == 0 { // each tenant's first append starts with its creation
				handled = append(handled, p)
			}
		}
	}
	// next is the first handled event after cp.
	next := func(cp eventschema.Position) eventschema.Position {
		for _, p := range handled {
			if cp.Less(p) {
				return p
			}
		}
		t.Fatalf("no handled event after %s", cp)
		return cp
	}

	first := startHelper(t, ctx, e.url, last, pause, env...)
	if got := first.expect(t, "first"); got != handled[0].String() {
		t.Fatalf("first run began at %s, want %s", got, handled[0])
	}
	paused, err := eventschema.ParsePosition(first.expect(t, "paused"))
	if err != nil {
		t.Fatal(err)
	}
	if paused != handled[pause-1] {
		t.Fatalf("paused at %s, want %s", paused, handled[pause-1])
	}
	atKill := checkpointOf(t, ctx, e.pool, "tenants")
	if atKill == eventschema.Start || !atKill.Less(paused) {
		t.Fatalf("checkpoint at the kill = %s: want a batch committed before %s, whose batch is open", atKill, paused)
	}
	if err := first.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	err = first.cmd.Wait()
	if ws, ok := first.cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Fatalf("helper did not die by SIGKILL: %v", err)
	}
	if cp := checkpointOf(t, ctx, e.pool, "tenants"); cp != atKill {
		t.Fatalf("checkpoint after the kill = %s, want %s", cp, atKill)
	}

	second := startHelper(t, ctx, e.url, last, 0, env...)
	if got := second.expect(t, "first"); got != next(atKill).String() {
		t.Errorf("restart began at %s, want %s, the first event after the checkpoint it handles", got, next(atKill))
	}
	second.expect(t, "done")
	if err := second.cmd.Wait(); err != nil {
		t.Fatalf("second run: %v\n%s", err, second.stderr)
	}
	cp := checkpointOf(t, ctx, e.pool, "tenants")
	if only == "" && cp != last {
		t.Fatalf("checkpoint %s, want %s", cp, last)
	}
	if cp.Less(handled[len(handled)-1]) || last.Less(cp) {
		t.Fatalf("checkpoint %s, want from %s, the last event applied, to %s", cp, handled[len(handled)-1], last)
	}

	var p Projector = NewTenants(eventschema.Catalog())
	if only != "" {
		p = &selecting{Projector: p, types: []string{only}}
	}
	live := dump(t, ctx, e.pool, p.Tables())
	if _, err := Rebuild(ctx, e.store, e.pool, p, nil); err != nil {
		t.Fatal(err)
	}
	sameRows(t, "clean rebuild", live, dump(t, ctx, e.pool, p.Tables()))
}
