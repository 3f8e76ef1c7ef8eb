package main

import (
	"context"
	"errors"
	"io"
)

func runSchema(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return errors.New("schema: not implemented yet")
}
