package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Migrate brings the event tables of the database behind pool up to date.
// It is safe to run from several processes at once.
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
		goose.WithTableName("eventstore_migrations"),
		goose.WithDisableGlobalRegistry(true))
	if err != nil {
		return fmt.Errorf("event store migrations: %w", err)
	}
	if _, err := p.Up(ctx); err != nil {
		var pe *pgconn.PgError
		if errors.As(err, &pe) && pe.Code == "P0001" { // raised by a migration's own check
			return fmt.Errorf("event store migrations: %s. %s: %w", pe.Message, strings.TrimSuffix(pe.Hint, "."), ErrIncompatibleLog)
		}
		return fmt.Errorf("event store migrations: %w", err)
	}
	return nil
}

// ErrIncompatibleLog is returned by Migrate for a log this build cannot
// read as it stands: trying again does not help.
var ErrIncompatibleLog = errors.New("incompatible event log")
