// Command supportctl is the operator's, auditor's and analyst's tool: it
// reads the event log, exports it, rebuilds read models and writes the event
// JSON Schemas.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"syscall"
)

// command is one supportctl subcommand.
type command struct {
	summary string
	run     func(ctx context.Context, args []string, stdout, stderr io.Writer) error
}

func commands() map[string]command {
	return map[string]command{
		"schema":        {"write the JSON Schema of every event type under eventschema/schemas/", runSchema},
		"events tail":   {"print events of the global log as they are committed", runEventsTail},
		"events export": {"write the global log from a position as NDJSON", runEventsExport},
		"rebuild":       {"replay the log into fresh read-model tables and swap them in", runRebuild},
		"health":        {"ask a running server whether it is ready", runHealth},
	}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "supportctl:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cmds := commands()
	for n := 2; n >= 1; n-- {
		if len(args) < n {
			continue
		}
		name := args[0]
		if n == 2 {
			name += " " + args[1]
		}
		if c, ok := cmds[name]; ok {
			return c.run(ctx, args[n:], stdout, stderr)
		}
	}
	usage(stderr, cmds)
	return fmt.Errorf("unknown command")
}

func usage(w io.Writer, cmds map[string]command) {
	names := make([]string, 0, len(cmds))
	for n := range cmds {
		names = append(names, n)
	}
	sort.Strings(names)
	fmt.Fprintln(w, "usage: supportctl COMMAND [flags]")
	for _, n := range names {
		fmt.Fprintf(w, "  %-15s %s\n", n, cmds[n].summary)
	}
}
