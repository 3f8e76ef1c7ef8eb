package outbound

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"strings"
	"supportd/internal/sweep"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"supportd/domain/conversation"
	"supportd/domain/robot"
	"supportd/domain/webhook"
	"supportd/eventschema"
	"supportd/eventstore"
)

// Names answers an agent's display name for outbound events ("" when
// unknown).
type Names func(ctx context.Context, tenantID, agentID uuid.UUID) string

// Body is what a webhook delivery POSTs: the outbound event, the channel of
// its conversation and the delivery's ID.
type Body struct {
	DeliveryID uuid.UUID `json:"delivery_id"`
	Channel    string    `json:"channel,omitempty"`
	webhook.Event
}

// checkpointName is the fan-out's row in outbound_checkpoints.
const checkpointName = "webhooks"

// Fanout turns the outbound events of the log into webhook deliveries. Run
// one per process; several processes take turns (the checkpoint row is
// locked for each batch).
type Fanout struct {
	Store    eventstore.Store
	Pool     *pgxpool.Pool
	Registry *eventschema.Registry
	Names    Names
	Now      func() time.Time
	Log      *slog.Logger
	// Batch is the most events read per transaction (default 500); Poll how
	// long an idle fan-out waits when nothing woke it (default 500 ms).
	Batch int
	Poll  time.Duration
	// Enqueued, when set, is called after a batch added deliveries.
	Enqueued func()

	wake chan struct{}
	// hooks caches each tenant's endpoints as of a log position; channels
	// caches the channel of each conversation (a fact that never changes).
	hooks    map[uuid.UUID]*tenantHooks
	channels map[[2]uuid.UUID]string // (tenant, conversation) → channel
	// robots caches each tenant's robots as hooks does endpoints; hosts
	// the robot hosting each conversation of a tenant that has robots, as
	// of the last event read (uuid.Nil: none).
	robots map[uuid.UUID]*tenantRobots
	hosts  map[[2]uuid.UUID]uuid.UUID
	// known is the checkpoint this process last committed; another value
	// under the lock means another process moved on, and the caches go.
	known eventschema.Position
	// ensured: the checkpoint row exists.
	ensured bool
}

// tenantHooks is a tenant's endpoints with every event of its stream up to
// and including upTo.
type tenantHooks struct {
	state webhook.State
	upTo  eventschema.Position
}

// tenantRobots is a tenant's robots with every event of its stream up to
// and including upTo.
type tenantRobots struct {
	state robot.State
	upTo  eventschema.Position
}

// Notify wakes the fan-out: the log has moved.
func (f *Fanout) Notify() {
	f.init()
	select {
	case f.wake <- struct{}{}:
	default:
	}
}

func (f *Fanout) init() {
	if f.wake == nil {
		f.wake = make(chan struct{}, 1)
	}
}

// Run fans out until ctx ends.
func (f *Fanout) Run(ctx context.Context) error {
	f.init()
	poll := f.Poll
	if poll <= 0 {
		poll = 500 * time.Millisecond
	}
	l := sweep.Loop{Every: poll, Wake: f.wake, Backoff: sweep.Backoff{Initial: 100 * time.Millisecond},
		Failed: func(err error, failures int, pause time.Duration) {
			f.Log.Warn("webhook fan-out failed; retrying", "err", err, "failures", failures, "retry_in", pause)
		}}
	l.Run(ctx, func(ctx context.Context) error {
		for {
			if n, err := f.Step(ctx); err != nil || n == 0 {
				return err
			} // else there may be more
		}
	})
	return nil
}

// Step fans out one batch of the log and answers how many events it read.
func (f *Fanout) Step(ctx context.Context) (n int, err error) {
	defer func() {
		if err != nil {
			f.forget() // the cached endpoints may be ahead of the checkpoint
		}
	}()
	if !f.ensured {
		if _, err := f.Pool.Exec(ctx, `INSERT INTO outbound_checkpoints (name) VALUES ($1) ON CONFLICT (name) DO NOTHING`, checkpointName); err != nil {
			return 0, fmt.Errorf("fan-out checkpoint: %w", err)
		}
		f.ensured = true
	}
	// The batch is prepared without a transaction (reading the log and
	// the endpoints takes other connections), then written under the
	// checkpoint's lock if no other process wrote it meanwhile.
	cp, err := checkpoint(ctx, f.Pool, "")
	if err != nil {
		return 0, err
	}
	if cp != f.known {
		f.forget()
	}
	batch := f.Batch
	if batch <= 0 {
		batch = 500
	}
	events, err := f.Store.ReadAll(ctx, cp, batch)
	if err != nil {
		return 0, fmt.Errorf("fan-out: %w", err)
	}
	if len(events) == 0 {
		f.known = cp
		return 0, nil
	}
	now := f.Now()
	rows := &pgx.Batch{}
	for _, e := range events {
		if ctx.Err() != nil {
			return 0, ctx.Err()
		}
		if err := f.add(ctx, rows, e, now); err != nil {
			return 0, fmt.Errorf("fan-out %s %s at %s: %w", e.Type, e.ID, e.Position, err)
		}
	}
	last := events[len(events)-1].Position
	if last.Commit > math.MaxInt64 || last.Prepare > math.MaxInt64 {
		return 0, fmt.Errorf("fan-out: position %s does not fit a bigint", last)
	}
	rows.Queue(`UPDATE outbound_checkpoints SET commit_position = $2, prepare_position = $3, updated_at = $4 WHERE name = $1`,
		checkpointName, int64(last.Commit), int64(last.Prepare), now)
	tx, err := f.Pool.Begin(ctx)
	if err != nil {
		return 0, fmt.Errorf("fan-out: %w", err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	if locked, err := checkpoint(ctx, tx, "FOR UPDATE"); err != nil {
		return 0, err
	} else if locked != cp {
		f.forget() // another process wrote this batch; go on from its checkpoint
		return len(events), nil
	}
	if err := tx.SendBatch(ctx, rows).Close(); err != nil {
		return 0, fmt.Errorf("fan-out: %w", err)
	}
	if err := tx.Commit(ctx); err != nil {
		return 0, fmt.Errorf("fan-out: commit at %s: %w", last, err)
	}
	f.known = last
	if rows.Len() > 1 && f.Enqueued != nil {
		f.Enqueued()
	}
	return len(events), nil
}

type queryRower interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// checkpoint reads the fan-out's checkpoint, locked when lock says so.
func checkpoint(ctx context.Context, q queryRower, lock string) (eventschema.Position, error) {
	var commit, prepare int64
	if err := q.QueryRow(ctx, `SELECT commit_position, prepare_position FROM outbound_checkpoints WHERE name = $1 `+lock,
		checkpointName).Scan(&commit, &prepare); err != nil {
		return eventschema.Position{}, fmt.Errorf("fan-out checkpoint: %w", err)
	}
	return eventschema.Position{Commit: uint64(commit), Prepare: uint64(prepare)}, nil
}

func (f *Fanout) forget() {
	f.hooks, f.robots, f.hosts, f.known = nil, nil, nil, eventschema.Position{}
}

// add queues the deliveries of one event, and keeps the cached endpoints
// in step with the log.
func (f *Fanout) add(ctx context.Context, rows *pgx.Batch, e eventschema.Envelope, now time.Time) error {
	tenantID := e.Metadata.TenantID
	if strings.HasPrefix(e.Stream, webhook.StreamPrefix) {
		if th, ok := f.hooks[tenantID]; ok && th.upTo.Less(e.Position) {
			payload, err := f.Registry.Decode(e)
			if err != nil {
				return err
			}
			th.state, th.upTo = webhook.Evolve(th.state, payload), e.Position
		}
		return nil
	}
	if strings.HasPrefix(e.Stream, robot.StreamPrefix) {
		if tr, ok := f.robots[tenantID]; ok && tr.upTo.Less(e.Position) {
			payload, err := f.Registry.Decode(e)
			if err != nil {
				return err
			}
			tr.state, tr.upTo = robot.Evolve(tr.state, payload), e.Position
		}
		return nil
	}
	if robot.Tracks(e.Type) {
		if err := f.addRobot(ctx, rows, e, now); err != nil {
			return err
		}
	}
	if !webhook.MayBeOutbound(e.Type) {
		return nil
	}
	_, conv, ok := webhook.ConversationOf(e.Stream)
	if !ok {
		return nil
	}
	if e.Type == "MessageRecalled" {
		payload, err := f.Registry.Decode(e)
		if err != nil {
			return err
		}
		if r, ok := payload.(eventschema.MessageRecalled); ok {
			// Deliveries of the message not made yet, or made again later,
			// carry it without its content.
			rows.Queue(`UPDATE webhook_deliveries w SET body = convert_to(jsonb_set(j.b, '{payload}',
					((j.b->'payload') - 'file' - 'location' - 'custom') || '{"text":"","recalled":true}'::jsonb)::text, 'UTF8')
				FROM (SELECT seq, convert_from(body, 'UTF8')::jsonb AS b FROM webhook_deliveries
					WHERE tenant_id = $1 AND conversation_id = $2 AND event_type = 'message') j
				WHERE w.seq = j.seq AND j.b->'payload'->>'message_id' = $3::text`, tenantID, conv, r.MessageID.String())
		}
	}
	hooks, err := f.hooksAt(ctx, tenantID, e.Position)
	if err != nil || len(hooks.Endpoints) == 0 {
		return err
	}
	payload, err := f.Registry.Decode(e)
	if err != nil {
		return err
	}
	ev, ok := webhook.Outbound(e, payload, nameOf(ctx, f.Names, tenantID))
	if !ok {
		return nil
	}
	channel, err := f.channelOf(ctx, tenantID, conv)
	if err != nil {
		return err
	}
	for _, ep := range hooks.Matching(channel) {
		id := webhook.DeliveryID(ep.ID, e.ID)
		body, err := json.Marshal(Body{DeliveryID: id, Channel: channel, Event: ev})
		if err != nil {
			return err
		}
		rows.Queue(`INSERT INTO webhook_deliveries (delivery_id, tenant_id, endpoint_id, event_id, event_type, conversation_id,
				position, body, next_attempt_at, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) ON CONFLICT (delivery_id) DO NOTHING`,
			id, ev.TenantID, ep.ID, e.ID, ev.Type, conv, e.Position.String(), body, now)
	}
	return nil
}

// hooksAt answers a tenant's endpoints as of the event at pos: from the
// cache, which the log keeps current, or folded from the tenant's webhooks
// stream up to pos.
func (f *Fanout) hooksAt(ctx context.Context, tenantID uuid.UUID, pos eventschema.Position) (webhook.State, error) {
	if th, ok := f.hooks[tenantID]; ok && !pos.Less(th.upTo) {
		return th.state, nil
	}
	var s webhook.State
	err := eachEvent(ctx, f.Store, webhook.Stream(tenantID), func(e eventschema.Envelope) (bool, error) {
		if pos.Less(e.Position) {
			return true, nil // the log brings it in its turn
		}
		payload, err := f.Registry.Decode(e)
		s = webhook.Evolve(s, payload)
		return false, err
	})
	if err != nil {
		return s, err
	}
	if f.hooks == nil {
		f.hooks = map[uuid.UUID]*tenantHooks{}
	}
	f.hooks[tenantID] = &tenantHooks{state: s, upTo: pos}
	return s, nil
}

// addRobot queues the delivery of one event to the robot hosting its
// conversation (robot.Delivery), and keeps the hosts in step with the log.
// Tenants without robots cost one cached look-up.
func (f *Fanout) addRobot(ctx context.Context, rows *pgx.Batch, e eventschema.Envelope, now time.Time) error {
	tenantID, conv, ok := webhook.ConversationOf(e.Stream)
	if !ok {
		return nil
	}
	key := [2]uuid.UUID{tenantID, conv}
	robots, err := f.robotsAt(ctx, tenantID, e.Position)
	if err != nil || len(robots.Robots) == 0 {
		delete(f.hosts, key) // untracked from here: folded again if robots come back
		return err
	}
	payload, err := f.Registry.Decode(e)
	if err != nil {
		return err
	}
	host, known := f.hosts[key]
	if !known {
		if host, err = f.hostBefore(ctx, tenantID, conv, e.Position); err != nil {
			return err
		}
	}
	if f.hosts == nil || len(f.hosts) > 100_000 {
		f.hosts = map[[2]uuid.UUID]uuid.UUID{}
	}
	f.hosts[key] = robot.Host(host, payload)
	if _, isStart := payload.(eventschema.ConversationRouted); !isStart && host == uuid.Nil {
		return nil
	}
	started, err := startOf(ctx, f.Store, f.Registry, tenantID, conv)
	if err != nil {
		return err
	}
	robotID, ev, ok := robot.Delivery(e, payload, host, started)
	if r, has := robots.Robots[robotID]; !ok || !has || r.WebhookURL == "" {
		return nil
	}
	id := webhook.DeliveryID(robotID, e.ID)
	body, err := json.Marshal(Body{DeliveryID: id, Channel: started.Channel, Event: ev})
	if err != nil {
		return err
	}
	rows.Queue(`INSERT INTO webhook_deliveries (delivery_id, tenant_id, endpoint_id, event_id, event_type, conversation_id,
			position, body, next_attempt_at, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) ON CONFLICT (delivery_id) DO NOTHING`,
		id, tenantID, robotID, e.ID, ev.Type, conv, e.Position.String(), body, now)
	return nil
}

// hostBefore folds the conversation's stream up to (not including) the
// event at pos into the robot hosting it then.
func (f *Fanout) hostBefore(ctx context.Context, tenantID, conv uuid.UUID, pos eventschema.Position) (uuid.UUID, error) {
	host := uuid.Nil
	err := eachEvent(ctx, f.Store, conversation.Stream(tenantID, conv), func(e eventschema.Envelope) (bool, error) {
		if !e.Position.Less(pos) {
			return true, nil
		}
		if !robot.Tracks(e.Type) {
			return false, nil
		}
		payload, err := f.Registry.Decode(e)
		host = robot.Host(host, payload)
		return false, err
	})
	return host, err
}

// eachEvent hands fn the events of stream in order, a page at a time, until
// fn says stop or the stream ends.
func eachEvent(ctx context.Context, store eventstore.Store, stream string, fn func(e eventschema.Envelope) (stop bool, err error)) error {
	for from := uint64(0); ; {
		page, err := store.ReadStream(ctx, stream, eventstore.Forwards, from, 1000)
		if err != nil {
			return err
		}
		for _, e := range page {
			if stop, err := fn(e); stop || err != nil {
				return err
			}
		}
		if len(page) < 1000 {
			return nil
		}
		from = page[len(page)-1].StreamVersion + 1
	}
}

// robotsAt answers a tenant's robots as of the event at pos, as hooksAt
// does endpoints.
func (f *Fanout) robotsAt(ctx context.Context, tenantID uuid.UUID, pos eventschema.Position) (robot.State, error) {
	if tr, ok := f.robots[tenantID]; ok && !pos.Less(tr.upTo) {
		return tr.state, nil
	}
	var s robot.State
	err := eachEvent(ctx, f.Store, robot.Stream(tenantID), func(e eventschema.Envelope) (bool, error) {
		if pos.Less(e.Position) {
			return true, nil // the log brings it in its turn
		}
		payload, err := f.Registry.Decode(e)
		s = robot.Evolve(s, payload)
		return false, err
	})
	if err != nil {
		return s, err
	}
	if f.robots == nil {
		f.robots = map[uuid.UUID]*tenantRobots{}
	}
	f.robots[tenantID] = &tenantRobots{state: s, upTo: pos}
	return s, nil
}

// channelOf answers the channel a conversation started on.
func (f *Fanout) channelOf(ctx context.Context, tenantID, conv uuid.UUID) (string, error) {
	key := [2]uuid.UUID{tenantID, conv}
	if c, ok := f.channels[key]; ok {
		return c, nil
	}
	started, err := startOf(ctx, f.Store, f.Registry, tenantID, conv)
	if err != nil {
		return "", err
	}
	if f.channels == nil || len(f.channels) > 100_000 {
		f.channels = map[[2]uuid.UUID]string{}
	}
	f.channels[key] = started.Channel
	return started.Channel, nil
}

// ErrNoConversation is returned for a conversation whose stream does not
// start with ConversationStarted (it does not exist).
var ErrNoConversation = errors.New("no such conversation")

// startOf reads the first event of a conversation's stream.
func startOf(ctx context.Context, store eventstore.Store, reg *eventschema.Registry, tenantID, conv uuid.UUID) (eventschema.ConversationStarted, error) {
	first, err := store.ReadStream(ctx, conversation.Stream(tenantID, conv), eventstore.Forwards, 0, 1)
	if err != nil {
		return eventschema.ConversationStarted{}, err
	}
	if len(first) == 0 || first[0].Type != "ConversationStarted" {
		return eventschema.ConversationStarted{}, fmt.Errorf("conversation %s: %w", conv, ErrNoConversation)
	}
	payload, err := reg.Decode(first[0])
	if err != nil {
		return eventschema.ConversationStarted{}, err
	}
	started, _ := payload.(eventschema.ConversationStarted)
	return started, nil
}

func nameOf(ctx context.Context, names Names, tenantID uuid.UUID) webhook.NameOf {
	if names == nil {
		return nil
	}
	return func(agentID uuid.UUID) string { return names(ctx, tenantID, agentID) }
}
