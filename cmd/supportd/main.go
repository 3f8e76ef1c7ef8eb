// Command supportd is the supportd server: the REST API, the projectors
// that keep the read models, and (later) the dispatcher and timers, in one
// process configured by flags and environment variables.
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"golang.org/x/crypto/bcrypt"

	"supportd/api"
	"supportd/cmd/internal/connect"
	"supportd/eventschema"
	"supportd/projections"
	"supportd/secrets"
)

// config is every knob of the server. Each flag has an environment variable
// of the same meaning; the flag wins.
type config struct {
	Addr          string
	DatabaseURL   string
	EventStore    string
	KurrentDBURL  string
	OperatorToken string
	LogFormat     string
	// PasswordCost is the bcrypt cost of new password hashes.
	PasswordCost int
	// ShutdownGrace bounds how long in-flight requests may finish.
	ShutdownGrace time.Duration
	// DBMaxConns bounds the PostgreSQL connections the server holds.
	DBMaxConns int
	// RequestTimeout bounds every request but the live streams;
	// StatementTimeout every database statement.
	RequestTimeout time.Duration
	// ReadWait bounds how long ?min_position= waits for the read models.
	ReadWait         time.Duration
	StatementTimeout time.Duration
	// ReadTimeout, WriteTimeout and IdleTimeout are the HTTP server's
	// (live streams lift the first two for themselves).
	ReadTimeout, WriteTimeout, IdleTimeout time.Duration
	// MaxStreamsPerUser and MaxStreamsPerChannelKey bound the live
	// streams open at once.
	MaxStreamsPerUser, MaxStreamsPerChannelKey int
	// WebhooksAllowPrivate lets webhooks reach loopback and private
	// addresses (development and tests only).
	WebhooksAllowPrivate bool
	// TrustedProxies are the CIDR ranges whose X-Forwarded-For is believed.
	TrustedProxies []*net.IPNet
	// MetricsToken guards /metrics (the operator token if empty).
	MetricsToken string
	// SecretKey seals webhook secrets (AES-256-GCM); nil keeps them plain.
	SecretKey *secrets.Sealer
	// Limits bound sign-in attempts and channel requests (defaults when
	// zero; tests set them).
	Limits api.Limits
}

func parseConfig(args []string, getenv func(string) string, stderr io.Writer) (config, error) {
	env := func(key, def string) string {
		if v := getenv(key); v != "" {
			return v
		}
		return def
	}
	var c config
	fs := flag.NewFlagSet("supportd", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.Addr, "addr", env("SUPPORTD_ADDR", "127.0.0.1:8080"), "listen address (SUPPORTD_ADDR)")
	fs.StringVar(&c.DatabaseURL, "database-url", env("DATABASE_URL", connect.DefaultDatabaseURL), "PostgreSQL URL for read models and the postgres event store (DATABASE_URL); the database is created if missing")
	fs.StringVar(&c.EventStore, "event-store", env("SUPPORTD_EVENT_STORE", "postgres"), "event store: postgres or kurrentdb (SUPPORTD_EVENT_STORE)")
	fs.StringVar(&c.KurrentDBURL, "kurrentdb-url", env("KURRENTDB_URL", "esdb://localhost:2113?tls=false"), "KurrentDB connection string (KURRENTDB_URL)")
	fs.StringVar(&c.OperatorToken, "operator-token", env("SUPPORTD_OPERATOR_TOKEN", ""), "bearer token of the operator API; a random one is made and logged when empty (SUPPORTD_OPERATOR_TOKEN)")
	fs.StringVar(&c.LogFormat, "log-format", env("SUPPORTD_LOG_FORMAT", "text"), "log format: text or json (SUPPORTD_LOG_FORMAT)")
	fs.IntVar(&c.PasswordCost, "password-cost", bcrypt.DefaultCost, "bcrypt cost of password hashes (4 to 31; lower only in tests)")
	fs.DurationVar(&c.ShutdownGrace, "shutdown-grace", 10*time.Second, "time in-flight requests get to finish on shutdown")
	var envErr error
	dur := func(key string, def time.Duration) time.Duration {
		v := getenv(key)
		if v == "" {
			return def
		}
		d, err := time.ParseDuration(v)
		if err != nil && envErr == nil {
			envErr = fmt.Errorf("%s: %w", key, err)
		}
		return d
	}
	count := func(key string, def int) int {
		v := getenv(key)
		if v == "" {
			return def
		}
		n, err := strconv.Atoi(v)
		if err != nil && envErr == nil {
			envErr = fmt.Errorf("%s: %w", key, err)
		}
		return n
	}
	fs.DurationVar(&c.RequestTimeout, "request-timeout", dur("SUPPORTD_REQUEST_TIMEOUT", 10*time.Second), "longest a request may take, live streams excepted; past it the answer is 503 (SUPPORTD_REQUEST_TIMEOUT)")
	fs.DurationVar(&c.ReadWait, "read-wait", dur("SUPPORTD_READ_WAIT", 5*time.Second), "longest a query with ?min_position= waits for the read models to reach that position; past it the answer is 503 (SUPPORTD_READ_WAIT)")
	fs.DurationVar(&c.StatementTimeout, "statement-timeout", dur("SUPPORTD_STATEMENT_TIMEOUT", 30*time.Second), "PostgreSQL statement_timeout of the server's connections; 0 keeps the server's own (SUPPORTD_STATEMENT_TIMEOUT)")
	fs.DurationVar(&c.ReadTimeout, "read-timeout", dur("SUPPORTD_READ_TIMEOUT", 15*time.Second), "longest time to read a request, body included (SUPPORTD_READ_TIMEOUT)")
	fs.DurationVar(&c.WriteTimeout, "write-timeout", dur("SUPPORTD_WRITE_TIMEOUT", 20*time.Second), "longest time from the end of a request's headers to the end of its answer, and of one write to a live stream (SUPPORTD_WRITE_TIMEOUT)")
	fs.DurationVar(&c.IdleTimeout, "idle-timeout", dur("SUPPORTD_IDLE_TIMEOUT", 30*time.Second), "how long an idle keep-alive connection stays open (SUPPORTD_IDLE_TIMEOUT)")
	fs.IntVar(&c.MaxStreamsPerUser, "max-streams-per-user", count("SUPPORTD_MAX_STREAMS_PER_USER", 8), "live streams one user may hold open at once (SUPPORTD_MAX_STREAMS_PER_USER)")
	fs.IntVar(&c.MaxStreamsPerChannelKey, "max-streams-per-channel-key", count("SUPPORTD_MAX_STREAMS_PER_CHANNEL_KEY", 1000), "live streams open at once through one channel key (SUPPORTD_MAX_STREAMS_PER_CHANNEL_KEY)")
	if envErr != nil {
		return c, envErr
	}
	maxConns, err := strconv.Atoi(env("SUPPORTD_DB_MAX_CONNS", "32"))
	if err != nil {
		return c, fmt.Errorf("SUPPORTD_DB_MAX_CONNS: %w", err)
	}
	fs.BoolVar(&c.WebhooksAllowPrivate, "webhooks-allow-private", env("SUPPORTD_WEBHOOKS_ALLOW_PRIVATE", "") == "true",
		"let webhooks reach loopback, private and link-local addresses; for development and tests only (SUPPORTD_WEBHOOKS_ALLOW_PRIVATE)")
	fs.IntVar(&c.DBMaxConns, "db-max-conns", maxConns, "most PostgreSQL connections the server holds (SUPPORTD_DB_MAX_CONNS); every projector holds one while it applies a batch, so at least 8 more than there are projectors")
	proxies := fs.String("trusted-proxies", env("SUPPORTD_TRUSTED_PROXIES", ""),
		"comma-separated CIDR ranges of reverse proxies whose X-Forwarded-For names the client (SUPPORTD_TRUSTED_PROXIES); empty: the peer address is the client")
	fs.StringVar(&c.MetricsToken, "metrics-token", env("SUPPORTD_METRICS_TOKEN", ""), "bearer token that /metrics requires (SUPPORTD_METRICS_TOKEN); empty: the operator token")
	secretKey := fs.String("secret-key", env("SUPPORTD_SECRET_KEY", ""),
		"32-byte key (64 hex digits or base64) sealing webhook secrets at rest with AES-256-GCM (SUPPORTD_SECRET_KEY); empty: they are stored plain")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if *secretKey != "" {
		if c.SecretKey, err = secrets.ParseKey(*secretKey); err != nil {
			return c, fmt.Errorf("--secret-key: %w", err)
		}
	}
	if c.TrustedProxies, err = api.ParseCIDRs(*proxies); err != nil {
		return c, fmt.Errorf("--trusted-proxies: %w", err)
	}
	if c.PasswordCost < bcrypt.MinCost || c.PasswordCost > bcrypt.MaxCost {
		return c, fmt.Errorf("--password-cost %d: want %d to %d", c.PasswordCost, bcrypt.MinCost, bcrypt.MaxCost)
	}
	if least := len(projections.All(eventschema.Catalog())) + 8; c.DBMaxConns < least {
		return c, fmt.Errorf("--db-max-conns %d: want %d or more (a connection per projector and 8 for the rest)", c.DBMaxConns, least)
	}
	if c.ReadTimeout <= 0 || c.WriteTimeout <= 0 || c.IdleTimeout <= 0 || c.RequestTimeout <= 0 || c.ReadWait <= 0 || c.StatementTimeout < 0 {
		return c, errors.New("--read-timeout, --write-timeout, --idle-timeout, --request-timeout and --read-wait must be positive")
	}
	if c.WriteTimeout <= c.RequestTimeout {
		return c, fmt.Errorf("--write-timeout %s: want more than --request-timeout %s, or answers are cut off", c.WriteTimeout, c.RequestTimeout)
	}
	if c.MaxStreamsPerUser <= 0 || c.MaxStreamsPerChannelKey <= 0 {
		return c, errors.New("--max-streams-per-user and --max-streams-per-channel-key must be positive")
	}
	if c.EventStore != "postgres" && c.EventStore != "kurrentdb" {
		return c, fmt.Errorf("--event-store %q: want postgres or kurrentdb", c.EventStore)
	}
	return c, nil
}

func newLogger(format string, w io.Writer) *slog.Logger {
	if format == "json" {
		return slog.New(slog.NewJSONHandler(w, nil))
	}
	return slog.New(slog.NewTextHandler(w, nil))
}

func main() {
	cfg, err := parseConfig(os.Args[1:], os.Getenv, os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "supportd:", err)
		os.Exit(2)
	}
	log := newLogger(cfg.LogFormat, os.Stderr)
	if cfg.OperatorToken == "" {
		b := make([]byte, 16)
		_, _ = rand.Read(b)
		cfg.OperatorToken = hex.EncodeToString(b)
		log.Warn("no operator token configured; using a random one for this run", "token", cfg.OperatorToken)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, cfg, log, nil); err != nil {
		log.Error("supportd stopped", "err", err)
		os.Exit(1)
	}
}
