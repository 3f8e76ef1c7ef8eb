package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"supportd/cmd/internal/connect"
	"supportd/eventschema"
	"supportd/eventstore"
)

// storeFlags name the event store a command reads. They match supportd's
// flags and environment, so an operator points both at the same log.
type storeFlags struct {
	databaseURL string
	kind        string
	kurrentURL  string
}

func (s *storeFlags) register(fl *flag.FlagSet) {
	fl.StringVar(&s.databaseURL, "database-url", envOr("DATABASE_URL", connect.DefaultDatabaseURL),
		"PostgreSQL URL of the postgres event store (DATABASE_URL)")
	fl.StringVar(&s.kind, "event-store", envOr("SUPPORTD_EVENT_STORE", "postgres"),
		"event store: postgres or kurrentdb (SUPPORTD_EVENT_STORE)")
	fl.StringVar(&s.kurrentURL, "kurrentdb-url", envOr("KURRENTDB_URL", "esdb://localhost:2113?tls=false"),
		"KurrentDB connection string (KURRENTDB_URL)")
}

// ignoreHelp turns a request for help, already answered by the flag set's
// usage, into success.
func ignoreHelp(err error) error {
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	return err
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// openStore opens the event store the flags name and a func releasing it. It is
// the one place where supportctl chooses an adapter: the adapters themselves
// are wired in cmd/internal/connect, shared with supportd.
func openStore(ctx context.Context, s storeFlags) (eventstore.Store, func(), error) {
	if !strings.EqualFold(s.kind, "postgres") {
		// Every other kind (kurrentdb, or a mistake) needs no PostgreSQL
		// pool; connect reports kinds it cannot open.
		return connect.EventStore(ctx, s.kind, nil, s.kurrentURL)
	}
	pool, err := connect.Database(ctx, s.databaseURL, 4, false)
	if err != nil {
		return nil, nil, err
	}
	store, release, err := connect.EventStore(ctx, s.kind, pool, s.kurrentURL)
	if err != nil {
		pool.Close()
		return nil, nil, err
	}
	return store, func() { release(); pool.Close() }, nil
}

// eventFilter selects events by type and stream name. The zero filter
// selects every event.
type eventFilter struct {
	types        map[string]bool
	streamPrefix string
}

func (f *eventFilter) register(fl *flag.FlagSet) {
	fl.Func("type", "only events of this type (repeat the flag or separate types by commas)", func(v string) error {
		if f.types == nil {
			f.types = map[string]bool{}
		}
		for _, t := range strings.Split(v, ",") {
			if t = strings.TrimSpace(t); t != "" {
				f.types[t] = true
			}
		}
		return nil
	})
	fl.StringVar(&f.streamPrefix, "stream-prefix", "", "only events of streams whose name starts with this (e.g. conversation-)")
}

func (f eventFilter) match(e eventschema.Envelope) bool {
	return (len(f.types) == 0 || f.types[e.Type]) && strings.HasPrefix(e.Stream, f.streamPrefix)
}

// ndjson writes envelopes one per line, the payload inline as JSON.
type ndjson struct{ enc *json.Encoder }

func newNDJSON(w io.Writer) ndjson {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false) // payloads are written as stored
	return ndjson{enc}
}

func (n ndjson) write(e eventschema.Envelope) error { return n.enc.Encode(e) }

// exportConfig is what `events export` was asked to do.
type exportConfig struct {
	from     eventschema.Position  // export events after this one
	to       *eventschema.Position // and up to this one, inclusive
	limit    int                   // at most this many events; 0 for no limit
	filter   eventFilter
	batch    int           // events per ReadAll
	progress time.Duration // interval of progress lines; 0 for none
}

// exportResult says how far an export got.
type exportResult struct {
	written int
	// last is the position of the last event considered (written or
	// filtered out), or the starting position if there was none: a later
	// export continues from it without missing or repeating an event.
	last eventschema.Position
}

func runEventsExport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fl := flag.NewFlagSet("events export", flag.ContinueOnError)
	fl.SetOutput(stderr)
	var (
		sf       storeFlags
		cfg      exportConfig
		out      = fl.String("out", "", "write to this file instead of standard output")
		progress = fl.Bool("progress", false, "show progress on standard error even when it is not a terminal")
	)
	sf.register(fl)
	cfg.filter.register(fl)
	fl.TextVar(&cfg.from, "from", eventschema.Start, "export the events after this position (commit/prepare); the summary of an export names where the next one continues")
	fl.Func("to", "stop after this position (inclusive)", func(v string) error {
		p, err := eventschema.ParsePosition(v)
		cfg.to = &p
		return err
	})
	fl.IntVar(&cfg.limit, "limit", 0, "export at most this many events (0: no limit)")
	fl.IntVar(&cfg.batch, "batch", 1000, "events read per query")
	fl.Usage = func() {
		fmt.Fprintln(stderr, "usage: supportctl events export [--from POSITION] [--to POSITION] [--limit N] [--type T]... [--stream-prefix P] [--out FILE]")
		fmt.Fprintln(stderr, "Writes one event envelope per line (NDJSON) in log order.")
		fl.PrintDefaults()
	}
	if err := fl.Parse(args); err != nil {
		return ignoreHelp(err)
	}
	if fl.NArg() > 0 {
		fl.Usage()
		return fmt.Errorf("events export: unexpected arguments %q", fl.Args())
	}
	if cfg.limit < 0 || cfg.batch < 1 {
		return errors.New("events export: --limit must be ≥ 0 and --batch ≥ 1")
	}
	if *progress || isTerminal(stderr) {
		cfg.progress = time.Second
	}

	store, closeStore, err := openStore(ctx, sf)
	if err != nil {
		return fmt.Errorf("events export: %w", err)
	}
	defer closeStore()

	w := stdout
	var file *os.File
	if *out != "" {
		if file, err = os.Create(*out); err != nil {
			return fmt.Errorf("events export: %w", err)
		}
		defer file.Close()
		w = file
	}
	started := time.Now()
	res, err := exportEvents(ctx, store, cfg, w, stderr)
	if err == nil && file != nil {
		err = file.Close()
	}
	if err != nil {
		return fmt.Errorf("events export after %s (%d events written): %w", res.last, res.written, err)
	}
	elapsed := time.Since(started)
	fmt.Fprintf(stderr, "exported %d events in %s (%.0f events/s); last position %s: continue with --from %s\n",
		res.written, elapsed.Round(time.Millisecond), rate(res.written, elapsed), res.last, res.last)
	return nil
}

// exportEvents copies the events cfg selects from the global log to w as
// NDJSON, reading in batches, and stops at the end of the log as it stands,
// at cfg.to or after cfg.limit events.
func exportEvents(ctx context.Context, store eventstore.Store, cfg exportConfig, w io.Writer, progress io.Writer) (exportResult, error) {
	res := exportResult{last: cfg.from}
	buf := bufio.NewWriterSize(w, 256<<10)
	out := newNDJSON(buf)
	meter := newProgressMeter(progress, cfg.progress, isTerminal(progress))
	defer meter.done()
	for {
		events, err := store.ReadAll(ctx, res.last, cfg.batch)
		if err != nil {
			return res, err
		}
		for _, e := range events {
			if cfg.to != nil && cfg.to.Less(e.Position) {
				return res, buf.Flush()
			}
			if cfg.filter.match(e) {
				if err := out.write(e); err != nil {
					return res, err
				}
				res.written++
			}
			res.last = e.Position
			if cfg.limit > 0 && res.written == cfg.limit {
				return res, buf.Flush()
			}
		}
		meter.update(res.written, res.last)
		if len(events) < cfg.batch {
			return res, buf.Flush()
		}
	}
}

// progressMeter prints, at most once per interval, how many events were
// written and how fast. On a terminal the line is redrawn in place.
type progressMeter struct {
	w         io.Writer
	every     time.Duration
	redraw    bool
	start     time.Time
	lastAt    time.Time
	lastCount int
	printed   bool
}

func newProgressMeter(w io.Writer, every time.Duration, redraw bool) *progressMeter {
	now := time.Now()
	return &progressMeter{w: w, every: every, redraw: redraw, start: now, lastAt: now}
}

func (m *progressMeter) update(count int, at eventschema.Position) {
	now := time.Now()
	if m.every <= 0 || now.Sub(m.lastAt) < m.every {
		return
	}
	line := fmt.Sprintf("%d events, %.0f events/s, at %s", count, rate(count-m.lastCount, now.Sub(m.lastAt)), at)
	if m.redraw {
		fmt.Fprintf(m.w, "\r\033[K%s", line)
	} else {
		fmt.Fprintln(m.w, line)
	}
	m.lastAt, m.lastCount, m.printed = now, count, true
}

func (m *progressMeter) done() {
	if m.redraw && m.printed {
		fmt.Fprint(m.w, "\r\033[K")
	}
}

func rate(n int, d time.Duration) float64 {
	if d <= 0 {
		return 0
	}
	return float64(n) / d.Seconds()
}

// isTerminal reports whether w is a character device, where progress can be
// redrawn in place and is meant for a person.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

func runEventsTail(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fl := flag.NewFlagSet("events tail", flag.ContinueOnError)
	fl.SetOutput(stderr)
	var (
		sf     storeFlags
		filter eventFilter
		from   eventschema.Position
		asJSON = fl.Bool("json", false, "print each event as one NDJSON envelope instead of a summary line")
	)
	sf.register(fl)
	filter.register(fl)
	fl.TextVar(&from, "from", eventschema.Start, "print the events after this position (commit/prepare), then follow the log")
	fl.Usage = func() {
		fmt.Fprintln(stderr, "usage: supportctl events tail [--from POSITION] [--json] [--type T]... [--stream-prefix P]")
		fmt.Fprintln(stderr, "Prints the global log from a position, then every event as it is committed, until interrupted.")
		fl.PrintDefaults()
	}
	if err := fl.Parse(args); err != nil {
		return ignoreHelp(err)
	}
	if fl.NArg() > 0 {
		fl.Usage()
		return fmt.Errorf("events tail: unexpected arguments %q", fl.Args())
	}

	store, closeStore, err := openStore(ctx, sf)
	if err != nil {
		return fmt.Errorf("events tail: %w", err)
	}
	defer closeStore()

	show := func(e eventschema.Envelope) error { return writeSummary(stdout, e) }
	if *asJSON {
		show = newNDJSON(stdout).write
	}
	err = store.Subscribe(ctx, from, func(e eventschema.Envelope) error {
		if !filter.match(e) {
			return nil
		}
		return show(e)
	})
	if ctx.Err() != nil {
		return nil // interrupted: the normal way to stop following
	}
	return fmt.Errorf("events tail: %w", err)
}

// writeSummary prints one line an operator can scan: position, recorded
// time, stream@version, type and actor.
func writeSummary(w io.Writer, e eventschema.Envelope) error {
	actor := string(e.Metadata.Actor.Kind)
	if e.Metadata.Actor.ID != "" {
		actor += ":" + e.Metadata.Actor.ID
	}
	_, err := fmt.Fprintf(w, "%-15s %s %s@%d %s v%d %s\n",
		e.Position, e.RecordedAt.UTC().Format("2006-01-02T15:04:05.000Z"), e.Stream, e.StreamVersion, e.Type, e.Version, actor)
	return err
}
