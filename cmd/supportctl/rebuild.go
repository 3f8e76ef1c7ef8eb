package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"

	"supportd/cmd/internal/connect"
	"supportd/eventschema"
	"supportd/projections"
	"supportd/readmodels"
)

// runRebuild replays the whole log through one projector into fresh tables
// and swaps them in (projections.Rebuild). The live projector of that name,
// in any running server, pauses only for the swap. Read models always live
// in the PostgreSQL database of --database-url, whichever store holds the
// log.
func runRebuild(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	all := projections.All(eventschema.Catalog())
	names := make([]string, len(all))
	for i, p := range all {
		names[i] = p.Name()
	}
	fl := flag.NewFlagSet("rebuild", flag.ContinueOnError)
	fl.SetOutput(stderr)
	var s storeFlags
	s.register(fl)
	quiet := fl.Bool("quiet", false, "do not draw the progress bar")
	fl.Usage = func() {
		fmt.Fprintf(stderr, "usage: supportctl rebuild [flags] NAME\n\nNAME is one of: %s\n\nflags:\n", strings.Join(names, ", "))
		fl.PrintDefaults()
	}
	positional, err := parseInterspersed(fl, args)
	if err != nil {
		return ignoreHelp(err)
	}
	if len(positional) != 1 {
		fl.Usage()
		return errors.New("rebuild: name one read model")
	}
	p, ok := projections.Find(all, positional[0])
	if !ok {
		return fmt.Errorf("rebuild: no read model %q: want one of %s", positional[0], strings.Join(names, ", "))
	}

	pool, err := connect.Database(ctx, s.databaseURL, 8, false)
	if err != nil {
		return fmt.Errorf("rebuild: %w", err)
	}
	defer pool.Close()
	if err := readmodels.Migrate(ctx, pool); err != nil {
		return fmt.Errorf("rebuild: %w", err)
	}
	store, release, err := connect.EventStore(ctx, s.kind, pool, s.kurrentURL)
	if err != nil {
		return fmt.Errorf("rebuild: %w", err)
	}
	defer release()

	// The log's length is not known in advance: the bar counts and shows
	// the rate. It draws only when the count moves: the library's own
	// spinner goroutine would redraw from a ticker and reads the bar's
	// state without its lock, a data race with every update.
	bar := progressbar.NewOptions64(-1,
		progressbar.OptionSetWriter(stderr),
		progressbar.OptionSetVisibility(!*quiet),
		progressbar.OptionSetDescription("rebuild "+p.Name()),
		progressbar.OptionShowCount(),
		progressbar.OptionSetItsString("events"),
		progressbar.OptionSpinnerType(14),
		progressbar.OptionSetSpinnerChangeInterval(0),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionSetElapsedTime(true),
	)
	res, err := projections.Rebuild(ctx, store, pool, p, func(done int64, rate float64) {
		bar.Describe(fmt.Sprintf("rebuild %s: %.0f events/s", p.Name(), rate))
		_ = bar.Set64(done)
	})
	_ = bar.Finish()
	if !*quiet {
		fmt.Fprintln(stderr)
	}
	if err != nil {
		return err
	}
	rate := 0.0
	if s := res.Duration.Seconds(); s > 0 {
		rate = float64(res.Events) / s
	}
	fmt.Fprintf(stdout, "rebuilt %s: %d events in %s (%.0f events/s), checkpoint %s\n",
		p.Name(), res.Events, res.Duration.Round(time.Millisecond), rate, res.Checkpoint)
	return nil
}

// parseInterspersed parses flags that may come before or after positional
// arguments ("rebuild tenants --quiet") and returns the positional ones.
func parseInterspersed(fl *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := fl.Parse(args); err != nil {
			return nil, err
		}
		args = fl.Args()
		if len(args) == 0 {
			return positional, nil
		}
		positional = append(positional, args[0])
		args = args[1:]
	}
}
