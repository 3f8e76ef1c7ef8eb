package main

import (
	"context"
	"errors"
	"io"
)

func runRebuild(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return errors.New("rebuild: not implemented yet")
}
