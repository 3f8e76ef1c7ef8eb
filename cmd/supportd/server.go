package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"golang.org/x/sync/errgroup"

	"supportd/api"
	"supportd/cmd/internal/connect"
	"supportd/commands"
	"supportd/credentials"
	"supportd/eventschema"
	"supportd/eventstore/postgres"
	"supportd/internal/sweep"
	"supportd/outbound"
	"supportd/projections"
	"supportd/readmodels"
)

// run serves until ctx ends. It listens at once; until the database
// answers (it may be away at start, and is tried again with backoff) the
// API answers 503 and /healthz "starting". started, if not nil, receives
// the address once the API itself answers.
func run(ctx context.Context, cfg config, log *slog.Logger, started func(addr string)) error {
	if _, err := pgxpool.ParseConfig(cfg.DatabaseURL); err != nil {
		return fmt.Errorf("--database-url: %w", err)
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen %s: %w", cfg.Addr, err)
	}
	front := &frontDoor{}
	front.serve(api.Starting(log))
	// Slow or stalled clients are cut off; the live streams lift the read
	// and write deadlines for themselves (api.streamDeadlines).
	// net/http's own complaints (a handler's protocol misuse, failed TLS
	// handshakes) go to the service log with everything else.
	srv := &http.Server{Handler: front, ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout: cfg.ReadTimeout, WriteTimeout: cfg.WriteTimeout, IdleTimeout: cfg.IdleTimeout,
		ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	opened := make(chan *service, 1) // closed by run once the server is down
	defer func() {
		select {
		case svc := <-opened:
			svc.close()
		default:
		}
	}()
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		log.Info("supportd listening", "addr", ln.Addr().String(), "event_store", cfg.EventStore)
		if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			return err
		}
		return nil
	})
	g.Go(func() error {
		var svc *service
		err := sweep.Retry(gctx, sweep.Backoff{Initial: 500 * time.Millisecond, Max: 10 * time.Second}, func(err error, failures int, pause time.Duration) {
			log.Error("cannot start yet; trying again", "err", err, "failures", failures, "pause", pause)
		}, func(ctx context.Context) (err error) {
			svc, err = openService(ctx, cfg, log)
			return err
		})
		if err != nil && ctx.Err() != nil {
			return nil // ctx ended before the database answered
		}
		if err != nil {
			return fmt.Errorf("start: %w", err)
		}
		opened <- svc
		front.serve(svc.handler)
		log.Info("supportd serving", "addr", ln.Addr().String())
		if started != nil {
			started(ln.Addr().String())
		}
		return svc.run(gctx, cfg.ShutdownGrace)
	})
	g.Go(func() error {
		<-gctx.Done()
		shutdown, cancel := context.WithTimeout(context.WithoutCancel(ctx), cfg.ShutdownGrace)
		defer cancel()
		return srv.Shutdown(shutdown)
	})
	return g.Wait()
}

// frontDoor is the server's handler: the starting handler until the
// service is open, then the API.
type frontDoor struct{ h atomic.Pointer[http.Handler] }

func (f *frontDoor) serve(h http.Handler) { f.h.Store(&h) }

func (f *frontDoor) ServeHTTP(w http.ResponseWriter, r *http.Request) { (*f.h.Load()).ServeHTTP(w, r) }

// service is the server once its database answers: the API and the
// background loops that keep the read models, the queue and the timers.
type service struct {
	handler http.Handler
	loops   func(ctx context.Context, g *errgroup.Group)
	live    *api.Live
	channel *api.ChannelLive
	close   func()
}

// run runs the background loops until ctx ends, then ends the live
// streams (they never go idle, so the HTTP server's shutdown would wait
// for them until its grace ran out).
func (s *service) run(ctx context.Context, grace time.Duration) error {
	g, gctx := errgroup.WithContext(ctx)
	s.loops(gctx, g)
	g.Go(func() error {
		<-gctx.Done()
		shutdown, cancel := context.WithTimeout(context.WithoutCancel(ctx), grace)
		defer cancel()
		_ = s.live.Shutdown(shutdown)
		_ = s.channel.Shutdown(shutdown)
		return nil
	})
	return g.Wait()
}

// openService connects to the database and the event store, migrates
// them and wires the API and the loops. What it opened is closed again if
// it fails.
func openService(ctx context.Context, cfg config, log *slog.Logger) (_ *service, err error) {
	var closers []func()
	closeAll := func() {
		for i := len(closers) - 1; i >= 0; i-- {
			closers[i]()
		}
	}
	defer func() {
		if err != nil {
			closeAll()
		}
	}()
	pool, err := connect.Database(ctx, cfg.DatabaseURL, int32(cfg.DBMaxConns), true, connect.Timeouts(cfg.StatementTimeout, 5*time.Second))
	if err != nil {
		return nil, err
	}
	closers = append(closers, pool.Close)
	if err := readmodels.Migrate(ctx, pool); err != nil {
		return nil, err
	}
	store, closeStore, err := connect.EventStore(ctx, cfg.EventStore, pool, cfg.KurrentDBURL)
	if errors.Is(err, postgres.ErrIncompatibleLog) {
		return nil, sweep.Stop(err) // waiting cannot mend the log
	}
	if err != nil {
		return nil, err
	}
	closers = append(closers, closeStore)

	registry := prometheus.NewRegistry()
	registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	catalog := eventschema.Catalog()
	runner, err := projections.NewRunner(store, pool, log, registry, projections.All(catalog)...)
	if err != nil {
		return nil, err
	}
	cmds := commands.NewHandler(store, catalog, commands.SystemClock{})
	cmds.Passwords = commands.Bcrypt{Cost: cfg.PasswordCost}
	creds := credentials.Store{DB: pool}
	if err := creds.Migrate(ctx); err != nil {
		return nil, err
	}
	if n, err := creds.ImportFromLog(ctx, store); err != nil {
		return nil, err
	} else if n > 0 {
		log.Info("moved password hashes from the log to the credential store", "users", n)
	}
	cmds.Credentials = creds
	cmds.WebhooksAllowPrivate = cfg.WebhooksAllowPrivate
	cmds.Secrets = cfg.SecretKey
	if cfg.SecretKey == nil {
		log.Warn("no --secret-key: webhook secrets are stored in plain text")
	} else if n, err := readmodels.SealWebhookSecrets(ctx, pool, cfg.SecretKey.Seal); err != nil {
		return nil, err
	} else if n > 0 {
		log.Info("sealed webhook secrets kept in plain text", "endpoints", n)
	}
	cmds.Blacklisted = cmds.CustomerBlacklisted
	cmds.Ongoing = func(ctx context.Context, tenantID, customerID uuid.UUID) ([]uuid.UUID, error) {
		return readmodels.OngoingOfCustomer(ctx, pool, tenantID, customerID)
	}
	presence := &commands.PresenceMonitor{
		Handler: cmds, Clock: commands.SystemClock{}, Log: log, Every: 5 * time.Second,
		Silent: func(ctx context.Context, cutoff, now time.Time) ([]commands.SilentSession, error) {
			stale, err := readmodels.StaleSessions(ctx, pool, cutoff, now)
			out := make([]commands.SilentSession, len(stale))
			for i, s := range stale {
				out[i] = commands.SilentSession{TenantID: s.TenantID, AgentID: s.AgentID, SessionID: s.SessionID, LastSeen: s.LastSeen, Expired: s.Expired}
			}
			return out, err
		},
	}
	waiting := &commands.WaitingWatch{
		Handler: cmds, Log: log, Every: time.Second,
		Waiting: func(ctx context.Context) ([]commands.ChannelWaiting, error) {
			rows, err := readmodels.WaitingByChannel(ctx, pool)
			out := make([]commands.ChannelWaiting, len(rows))
			for i, r := range rows {
				out[i] = commands.ChannelWaiting(r)
			}
			return out, err
		},
	}
	timers := &commands.TimerScheduler{
		Handler: cmds, Clock: commands.SystemClock{}, Log: log,
		Due: func(ctx context.Context, now time.Time, limit int) ([]commands.DueTimer, error) {
			rows, err := readmodels.DueTimers(ctx, pool, now, limit)
			out := make([]commands.DueTimer, len(rows))
			for i, r := range rows {
				out[i] = commands.DueTimer{ID: r.ID, TenantID: r.TenantID, Kind: r.Kind, DueAt: r.DueAt, Payload: r.Payload}
			}
			return out, err
		},
	}
	// The dispatcher is woken by the changes that may give it work (a
	// conversation queued at once, the others once the read models show
	// them); the sweep every second is a fallback (and what notices
	// working hours beginning).
	dispatcher := readModelDispatcher(cmds, pool)
	// A seat's slot outlives any request that could still name it.
	dispatcher.SeatGrace = cfg.RequestTimeout + 30*time.Second
	dispatchWake := make(chan struct{}, 1)
	dispatcher.Log, dispatcher.Wake, dispatcher.Every = log, dispatchWake, time.Second
	live := api.NewLive()
	agentName := func(ctx context.Context, tenantID, agentID uuid.UUID) string {
		a, err := readmodels.GetAgent(ctx, pool, tenantID, agentID)
		if err != nil {
			return ""
		}
		return a.Nickname
	}
	channelLive := api.NewChannelLive(&outbound.Feed{Store: store, Registry: catalog, Names: agentName})
	webhookClient := outbound.NewHTTPClient(10 * time.Second)
	if !cfg.WebhooksAllowPrivate {
		webhookClient = outbound.PublicOnly(webhookClient)
	}
	deliverer := &outbound.Deliverer{Pool: pool, Client: webhookClient, Retry: outbound.DefaultRetry, Secrets: cfg.SecretKey,
		Now: time.Now, Log: log.With("component", "webhooks")}
	fanout := &outbound.Fanout{Store: store, Pool: pool, Registry: catalog, Names: agentName, Now: time.Now,
		Log: log.With("component", "webhooks"), Enqueued: deliverer.Notify}
	handler, err := api.New(api.Deps{
		Live:       live,
		Commands:   cmds,
		Reads:      pool,
		Heartbeats: pool,
		WaitFor: func(ctx context.Context, p eventschema.Position) error {
			return runner.WaitFor(ctx, p)
		},
		Checks:        map[string]func(context.Context) error{"database": pool.Ping},
		Projectors:    func() []api.ProjectorStatus { return projectorStatuses(runner.Health()) },
		Gatherer:      registry,
		Logger:        log,
		OperatorToken: cfg.OperatorToken,
		TeamsOf: func(ctx context.Context, tenantID, agentID uuid.UUID) ([]string, error) {
			ids, err := readmodels.TeamsOf(ctx, pool, tenantID, agentID)
			teams := make([]string, len(ids))
			for i, id := range ids {
				teams[i] = id.String()
			}
			return teams, err
		},
		ChannelLive:             channelLive,
		Webhooks:                deliverer,
		RequestTimeout:          cfg.RequestTimeout,
		ReadWait:                cfg.ReadWait,
		StreamWriteTimeout:      cfg.WriteTimeout,
		MaxStreamsPerUser:       cfg.MaxStreamsPerUser,
		MaxStreamsPerChannelKey: cfg.MaxStreamsPerChannelKey,
		Limits:                  cfg.Limits,
		TrustedProxies:          cfg.TrustedProxies,
		MetricsToken:            cfg.MetricsToken,
	})
	if err != nil {
		return nil, sweep.Stop(err) // a broken API document: waiting cannot mend it
	}

	timers.Kinds = timerKinds(dispatcher)
	return &service{
		handler: handler,
		live:    live,
		channel: channelLive,
		close:   closeAll,
		loops: func(gctx context.Context, g *errgroup.Group) {
			g.Go(func() error {
				if err := runner.Run(gctx); err != nil && !errors.Is(err, context.Canceled) {
					return fmt.Errorf("projections: %w", err)
				}
				return nil
			})
			g.Go(func() error { return keep(gctx, log, "presence", presence.Run) })
			g.Go(func() error { return keep(gctx, log, "waiting", waiting.Run) })
			g.Go(func() error { return keep(gctx, log, "timers", timers.Run) })
			g.Go(func() error { return keep(gctx, log, "dispatcher", dispatcher.Run) })
			g.Go(func() error { return keep(gctx, log, "fanout", fanout.Run) })
			g.Go(func() error { return keep(gctx, log, "deliverer", deliverer.Run) })
			g.Go(func() error {
				return keep(gctx, log, "dispatch wake-ups", func(ctx context.Context) error {
					return runner.FollowDispatch(ctx, catalog, dispatchWakeUp(dispatchWake), func(q readmodels.QueuedEpisode, routedAgent uuid.UUID) {
						dispatcher.Arrive(commands.QueuedConversation(q), routedAgent)
					})
				})
			})
			g.Go(func() error {
				return keep(gctx, log, "changes", func(ctx context.Context) error {
					return runner.FollowChanges(ctx, func(c projections.Change) {
						_ = live.Publish(api.LiveChange{TenantID: c.TenantID, Type: c.Type, Stream: c.Stream,
							Version: c.Version, Position: c.Position.String(), Agents: c.Agents})
						channelLive.Publish(c.Event)
						if id, ok := api.CredentialEnded(c.Event); ok {
							live.EndCredential(id)
						}
						fanout.Notify()
					})
				})
			})
		},
	}, nil
}

// dispatchWakeUp returns a func that wakes the dispatcher through wake
// without blocking.
func dispatchWakeUp(wake chan<- struct{}) func() {
	return func() {
		select {
		case wake <- struct{}{}:
		default: // a sweep is due already
		}
	}
}

// keep runs loop until ctx ends. The background loops return only when ctx
// ends; should one return early, with an error or by panicking, it is
// logged and started again after a pause, so that no fault of one loop
// ends the process (only the listener's failure does, or ctx).
func keep(ctx context.Context, log *slog.Logger, name string, loop func(context.Context) error) error {
	for failures := 1; ctx.Err() == nil; failures++ {
		err := func() (err error) {
			defer func() {
				if p := recover(); p != nil {
					err = fmt.Errorf("panic: %v", p)
				}
			}()
			return loop(ctx)
		}()
		if ctx.Err() != nil {
			return nil
		}
		log.Error("background loop ended early; restarting it", "loop", name, "err", err)
		t := time.NewTimer(min(100*time.Millisecond<<min(failures-1, 6), 5*time.Second))
		select {
		case <-ctx.Done():
			t.Stop()
		case <-t.C:
		}
	}
	return nil
}

func projectorStatuses(in []projections.Status) []api.ProjectorStatus {
	out := make([]api.ProjectorStatus, len(in))
	for i, s := range in {
		out[i] = api.ProjectorStatus{
			Name:     s.Name,
			State:    string(s.State),
			Position: s.Checkpoint.String(),
			Stopped:  s.State == projections.StateStopped,
		}
		// The error's own text (in the log) may hold database details.
		switch {
		case out[i].Stopped:
			out[i].FailedAt, out[i].FailedType = s.FailedAt.String(), s.FailedType
			out[i].Error = fmt.Sprintf("stopped: event %s at %s could not be applied", s.FailedType, s.FailedAt)
		case s.LastError != "" && s.LastErrorAt.After(s.CheckpointAt):
			out[i].Error = "a batch failed at " + s.LastErrorAt.UTC().Format(time.RFC3339) + "; retrying"
		}
	}
	return out
}

// timerKinds maps each kind of durable timer to the command it fires. The
// timers projector's rules (projections.TimerRules) schedule them. A
// conversation that an agent's silence sent back to its team's queue is
// offered at once to another of the team's agents by dispatcher.
func timerKinds(dispatcher *commands.Dispatcher) map[string]commands.TimerFunc {
	kinds := map[string]commands.TimerFunc{
		projections.TimerTransferConfirmation: func(ctx context.Context, h *commands.Handler, m commands.Meta, t commands.DueTimer) error {
			var p projections.TransferTimerPayload
			if err := json.Unmarshal(t.Payload, &p); err != nil {
				return fmt.Errorf("transfer timer payload: %w", err)
			}
			_, err := h.ExpireTransfer(ctx, m, commands.Scope{TenantID: t.TenantID}, p.ConversationID, p.TransferID)
			return err
		},
	}
	for _, kind := range projections.ConversationTimerKinds() {
		kinds[kind] = func(ctx context.Context, h *commands.Handler, m commands.Meta, t commands.DueTimer) error {
			var p projections.ConversationTimerPayload
			if err := json.Unmarshal(t.Payload, &p); err != nil {
				return fmt.Errorf("conversation timer payload: %w", err)
			}
			c := commands.ElapseTimeout{Scope: commands.Scope{TenantID: t.TenantID}, ConversationID: p.ConversationID, Run: p.Run()}
			if dispatcher != nil {
				c.Reassign = dispatcher.ReassignElsewhere
			}
			_, err := h.ElapseTimeout(ctx, m, c)
			return err
		}
	}
	return kinds
}
