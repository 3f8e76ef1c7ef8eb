// Package readmodels owns the PostgreSQL schema of every read model and the
// typed queries the API runs against it, one file per read model. The rows
// are written only by projectors (package projections); nothing here writes
// them.
package readmodels

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

//go:embed migrations/*.sql
var migrations embed.FS

// ErrNotFound is returned by queries for a single row that does not exist.
var ErrNotFound = errors.New("not found")

// Querier is a pool, a connection or a transaction: queries run wherever the
// caller needs them, for example inside a repeatable-read transaction that
// reads several read models at one moment.
type Querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// Migrate brings the read-model tables of the database behind pool up to
// date. It is safe to run from several processes at once. Its goose version
// table is separate from the event store's, so both can share a database.
func Migrate(ctx context.Context, pool *pgxpool.Pool) error {
	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return err
	}
	db := stdlib.OpenDBFromPool(pool)
	defer db.Close()
	locker, err := lock.NewPostgresSessionLocker()
	if err != nil {
		return err
	}
	p, err := goose.NewProvider(goose.DialectPostgres, db, sub,
		goose.WithSessionLocker(locker),
		goose.WithTableName("readmodels_migrations"),
		// Areas of the product add migrations side by side; one numbered
		// below a migration already applied still runs.
		goose.WithAllowOutofOrder(true),
		goose.WithDisableGlobalRegistry(true))
	if err != nil {
		return fmt.Errorf("read model migrations: %w", err)
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("read model migrations: %w", err)
	}
	return nil
}
