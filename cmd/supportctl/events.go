package main

import (
	"context"
	"errors"
	"io"
)

func runEventsTail(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return errors.New("events tail: not implemented yet")
}

func runEventsExport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return errors.New("events export: not implemented yet")
}
