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
	helperBatch = 1000
)

// TestHelperProcess is the projector process of TestCrashMidBatch, run as a
// child of the test binary. It projects tenants until its checkpoint
// reaches PROJECTIONS_HELPER_UNTIL, printing "first POSITION" for the first
// event it applies; with PROJECTIONS_HELPER_PAUSE_AFTER=N it prints
// "paused" after applying the Nth event and hangs there, its batch open.
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
	p := &hooked{Projector: NewTenants(eventschema.Catalog()), after: func(e eventschema.Envelope) {
		applied++
		if applied == 1 {
			fmt.Printf("first %s\n", e.Position)
		}
		if applied == pause {
			fmt.Println("paused")
			select {} // until killed
		}
	}}
	r, err := NewRunner(store, pool, slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})), nil, p)
	if err != nil {
		fail(err)
	}
	r.BatchSize = helperBatch
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

// helper is a running projector process.
type helper struct {
	cmd    *exec.Cmd
	lines  *bufio.Scanner
	stderr *bytes.Buffer
}

func startHelper(t *testing.T, ctx context.Context, url string, until eventschema.Position, pause int) *helper {
	t.Helper()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestHelperProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(),
		helperMode+"=project",
		helperDB+"="+url,
		helperUntil+"="+until.String(),
		helperPause+"="+strconv.Itoa(pause))
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
	e := newEnv(t)
	ctx := testContext(t)
	positions := tenantLog(t, ctx, e.store, 40, 99, 25)
	last := positions[len(positions)-1]

	first := startHelper(t, ctx, e.url, last, helperBatch+helperBatch/2)
	if got := first.expect(t, "first"); got != positions[0].String() {
		t.Fatalf("first run began at %s, want %s", got, positions[0])
	}
	first.expect(t, "paused")
	if cp := checkpointOf(t, ctx, e.pool, "tenants"); cp != positions[helperBatch-1] {
		t.Fatalf("checkpoint at the kill = %s, want %s: one batch committed, the next open", cp, positions[helperBatch-1])
	}
	if err := first.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	err := first.cmd.Wait()
	if ws, ok := first.cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Fatalf("helper did not die by SIGKILL: %v", err)
	}
	if cp := checkpointOf(t, ctx, e.pool, "tenants"); cp != positions[helperBatch-1] {
		t.Fatalf("checkpoint after the kill = %s, want %s", cp, positions[helperBatch-1])
	}

	second := startHelper(t, ctx, e.url, last, 0)
	if got := second.expect(t, "first"); got != positions[helperBatch].String() {
		t.Errorf("restart began at %s, want %s, right after the checkpoint", got, positions[helperBatch])
	}
	second.expect(t, "done")
	if err := second.cmd.Wait(); err != nil {
		t.Fatalf("second run: %v\n%s", err, second.stderr)
	}
	if cp := checkpointOf(t, ctx, e.pool, "tenants"); cp != last {
		t.Fatalf("checkpoint %s, want %s", cp, last)
	}

	p := NewTenants(eventschema.Catalog())
	live := dump(t, ctx, e.pool, p.Tables())
	if _, err := Rebuild(ctx, e.store, e.pool, p, nil); err != nil {
		t.Fatal(err)
	}
	sameRows(t, "clean rebuild", live, dump(t, ctx, e.pool, p.Tables()))
}
