// Package connect opens what both supportd and supportctl talk to: the
// PostgreSQL database (created and migrated on first use) and the event
// store chosen by flag.
package connect

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"supportd/eventstore"
	"supportd/eventstore/postgres"
)

// DefaultDatabaseURL is used when neither flag nor DATABASE_URL names one.
const DefaultDatabaseURL = "postgres://postgres@localhost:5432/supportd?sslmode=disable"

// Option adjusts the pool's configuration before it connects.
type Option func(*pgxpool.Config)

// Timeouts bounds each statement (PostgreSQL's statement_timeout, unless
// the URL sets it) and each connection attempt (unless the URL sets
// connect_timeout), so that a stalled database holds no caller for ever.
// Zero leaves either as it is.
func Timeouts(statement, connect time.Duration) Option {
	return func(cfg *pgxpool.Config) {
		if _, set := cfg.ConnConfig.RuntimeParams["statement_timeout"]; !set && statement > 0 {
			cfg.ConnConfig.RuntimeParams["statement_timeout"] = strconv.FormatInt(statement.Milliseconds(), 10)
		}
		if cfg.ConnConfig.ConnectTimeout == 0 && connect > 0 {
			cfg.ConnConfig.ConnectTimeout = connect
		}
	}
}

// Database opens a pool on url. With create set, a missing database is
// created first through the server's "postgres" database, so that a fresh
// checkout runs with nothing set up by hand.
func Database(ctx context.Context, dbURL string, maxConns int32, create bool, opts ...Option) (*pgxpool.Pool, error) {
	cfg, err := pgxpool.ParseConfig(dbURL)
	if err != nil {
		return nil, fmt.Errorf("database url: %w", err)
	}
	if maxConns > 0 {
		cfg.MaxConns = maxConns
	}
	for _, o := range opts {
		o(cfg)
	}
	if create {
		if err := createDatabase(ctx, dbURL, cfg.ConnConfig.Database); err != nil {
			return nil, err
		}
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("connect %s: %w", cfg.ConnConfig.Database, err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("connect %s: %w", cfg.ConnConfig.Database, err)
	}
	return pool, nil
}

func createDatabase(ctx context.Context, dbURL, name string) error {
	u, err := url.Parse(dbURL)
	if err != nil || name == "" {
		return nil // not a URL: nothing we can safely derive
	}
	u.Path = "/postgres"
	conn, err := pgx.Connect(ctx, u.String())
	if err != nil {
		return fmt.Errorf("connect to create database %s: %w", name, err)
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize())
	var pgErr *pgconn.PgError
	if err != nil && !(errors.As(err, &pgErr) && (pgErr.Code == "42P04" || pgErr.Code == "23505")) {
		return fmt.Errorf("create database %s: %w", name, err)
	}
	return nil
}

// StoreKinds are the values of --event-store.
var StoreKinds = []string{"postgres", "kurrentdb"}

// EventStore opens the event store of the given kind. The PostgreSQL store
// lives in pool's database and is migrated here; kurrentURL names the
// KurrentDB server. The returned func releases the store.
func EventStore(ctx context.Context, kind string, pool *pgxpool.Pool, kurrentURL string) (eventstore.Store, func(), error) {
	switch strings.ToLower(kind) {
	case "postgres", "":
		if err := postgres.Migrate(ctx, pool); err != nil {
			return nil, nil, err
		}
		s := postgres.New(pool)
		return s, s.Close, nil
	case "kurrentdb":
		return openKurrentDB(ctx, kurrentURL)
	}
	return nil, nil, fmt.Errorf("--event-store %q: want one of %s", kind, strings.Join(StoreKinds, ", "))
}
