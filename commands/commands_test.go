package commands_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"golang.org/x/crypto/bcrypt"

	"supportd/commands"
	"supportd/credentials"
	"supportd/domain"
	"supportd/domain/tenant"
	"supportd/eventschema"
	"supportd/eventstore"
	"supportd/eventstore/postgres"
	"supportd/eventstore/postgres/pgtest"
)

type fixedClock struct{ t time.Time }

func (c fixedClock) Now() time.Time { return c.t }

var now = time.Date(2026, 11, 23, 9, 30, 0, 0, time.UTC)

func newHandler(t *testing.T) (*commands.Handler, eventstore.Store) {
	t.Helper()
	pool := pgtest.NewPool(t)
	if err := postgres.Migrate(context.Background(), pool); err != nil {
		t.Fatal(err)
	}
	store := postgres.New(pool)
	t.Cleanup(store.Close)
	h := commands.NewHandler(store, eventschema.Catalog(), fixedClock{now})
	h.Passwords = commands.Bcrypt{Cost: bcrypt.MinCost}
	h.Credentials = credentials.Store{DB: pool}
	if err := h.Credentials.(credentials.Store).Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return h, store
}

var boss = commands.NewUser{Email: "boss@acme.example", Nickname: "Boss", Password: "correct-horse"}

func admin() commands.Meta {
	return commands.Meta{Actor: eventschema.Actor{Kind: eventschema.ActorAdmin, ID: "admin-1"}, CommandID: uuid.Must(uuid.NewV7())}
}

func TestCreateTenantWritesEventWithMetadata(t *testing.T) {
	t.Parallel()
	h, store := newHandler(t)
	ctx := context.Background()
	id := uuid.Must(uuid.NewV7())
	m := admin()
	res, err := h.CreateTenant(ctx, m, commands.CreateTenant{TenantID: id, Name: "Acme", TimeZone: "Asia/Shanghai", Admin: boss})
	if err != nil {
		t.Fatal(err)
	}
	if res.Version != 1 || res.Events != 2 || res.Stream != tenant.Stream(id) {
		t.Errorf("result %+v", res)
	}
	got, err := store.ReadStream(ctx, tenant.Stream(id), eventstore.Forwards, 0, 10)
	if err != nil || len(got) != 2 {
		t.Fatalf("read: %v, %d events", err, len(got))
	}
	if got[1].Type != "AgentAdded" || got[1].Position != res.Position {
		t.Errorf("second event %s at %s, want AgentAdded at %s", got[1].Type, got[1].Position, res.Position)
	}
	e := got[0]
	if e.Type != "TenantCreated" || e.Metadata.TenantID != id || e.Metadata.Actor.ID != "admin-1" ||
		e.Metadata.CommandID != m.CommandID || e.Metadata.CorrelationID != m.CommandID ||
		!e.Metadata.OccurredAt.Equal(now) {
		t.Errorf("event %+v", e)
	}
	if e.ID != commands.EventID(m.CommandID, 0) {
		t.Errorf("event ID %s is not derived from the command ID", e.ID)
	}
}

func TestRetriedCommandAppliesOnce(t *testing.T) {
	t.Parallel()
	h, store := newHandler(t)
	ctx := context.Background()
	id := uuid.Must(uuid.NewV7())
	if _, err := h.CreateTenant(ctx, admin(), commands.CreateTenant{TenantID: id, Name: "Acme", Admin: boss}); err != nil {
		t.Fatal(err)
	}
	m := admin()
	c := commands.ChangeTenantSetting{TenantID: id, Key: "transfer.require_confirmation", Value: json.RawMessage(`true`)}
	first, err := h.ChangeTenantSetting(ctx, m, c)
	if err != nil {
		t.Fatal(err)
	}
	// Someone else changes it back; the retry of the first command must not
	// apply again, and must answer as the first time.
	if _, err := h.ChangeTenantSetting(ctx, admin(), commands.ChangeTenantSetting{TenantID: id, Key: c.Key, Value: json.RawMessage(`false`)}); err != nil {
		t.Fatal(err)
	}
	again, err := h.ChangeTenantSetting(ctx, m, c)
	if err != nil {
		t.Fatal(err)
	}
	if again != first {
		t.Errorf("retry answered %+v, first %+v", again, first)
	}
	got, _ := store.ReadStream(ctx, tenant.Stream(id), eventstore.Forwards, 0, 10)
	if len(got) != 4 {
		t.Errorf("stream has %d events, want 4", len(got))
	}
}

func TestDomainErrorsPassThroughTyped(t *testing.T) {
	t.Parallel()
	h, _ := newHandler(t)
	ctx := context.Background()
	cases := []struct {
		name string
		run  func() error
		kind domain.Kind
	}{
		{"bad time zone", func() error {
			_, err := h.CreateTenant(ctx, admin(), commands.CreateTenant{TenantID: uuid.Must(uuid.NewV7()), Name: "A", TimeZone: "Nowhere/Land", Admin: boss})
			return err
		}, domain.Invalid},
		{"setting of missing tenant", func() error {
			_, err := h.ChangeTenantSetting(ctx, admin(), commands.ChangeTenantSetting{TenantID: uuid.Must(uuid.NewV7()), Key: "queue.allow_manual_join", Value: json.RawMessage(`false`)})
			return err
		}, domain.NotFound},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.run(); domain.KindOf(err) != tc.kind {
				t.Errorf("err = %v, want kind %v", err, tc.kind)
			}
		})
	}
}

// Many goroutines change settings of one tenant at once: every change lands,
// none is lost to a stale read.
func TestConcurrentCommandsOnOneStream(t *testing.T) {
	t.Parallel()
	h, store := newHandler(t)
	h.Retries = 100
	ctx := context.Background()
	id := uuid.Must(uuid.NewV7())
	if _, err := h.CreateTenant(ctx, admin(), commands.CreateTenant{TenantID: id, Name: "Acme", Admin: boss}); err != nil {
		t.Fatal(err)
	}
	const writers = 16
	var wg sync.WaitGroup
	for i := range writers {
		wg.Go(func() {
			v := json.RawMessage(fmt.Sprint(100 + i)) // distinct values: every command changes something
			if _, err := h.ChangeTenantSetting(ctx, admin(), commands.ChangeTenantSetting{TenantID: id, Key: "transfer.confirmation_timeout_seconds", Value: v}); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	got, _ := store.ReadStream(ctx, tenant.Stream(id), eventstore.Forwards, 0, 100)
	if len(got) != 2+writers {
		t.Fatalf("stream has %d events, want %d", len(got), 2+writers)
	}
	// Each change's Previous is the value before it: no decision was made on
	// a stale state.
	reg := eventschema.Catalog()
	prev := json.RawMessage(`240`)
	for _, e := range got[2:] {
		p, err := reg.Decode(e)
		if err != nil {
			t.Fatal(err)
		}
		c := p.(eventschema.TenantSettingChanged)
		if string(c.Previous) != string(prev) {
			t.Errorf("version %d: previous %s, want %s", e.StreamVersion, c.Previous, prev)
		}
		prev = c.Value
	}
}

func TestConflictBeyondRetriesIsReported(t *testing.T) {
	t.Parallel()
	h, store := newHandler(t)
	h.Retries = 0
	ctx := context.Background()
	id := uuid.Must(uuid.NewV7())
	if _, err := h.CreateTenant(ctx, admin(), commands.CreateTenant{TenantID: id, Name: "Acme", Admin: boss}); err != nil {
		t.Fatal(err)
	}
	agg := commands.Aggregate[tenant.State]{Tenant: id, Stream: tenant.Stream(id), Evolve: tenant.Evolve}
	m := admin()
	m.TenantID = id
	_, err := commands.Execute(ctx, h, m, agg, func(s tenant.State) ([]any, error) {
		// Another writer gets in between this command's read and append.
		if _, err := h.ChangeTenantSetting(ctx, admin(), commands.ChangeTenantSetting{TenantID: id, Key: "dispatch.familiarity", Value: json.RawMessage(`true`)}); err != nil {
			t.Fatal(err)
		}
		return tenant.ChangeSetting(s, "queue.allow_manual_join", json.RawMessage(`false`))
	})
	if !errors.Is(err, commands.ErrConflict) {
		t.Fatalf("err = %v, want ErrConflict", err)
	}
	got, _ := store.ReadStream(ctx, tenant.Stream(id), eventstore.Forwards, 0, 10)
	if len(got) != 3 {
		t.Errorf("stream has %d events, want 3 (the losing command wrote nothing)", len(got))
	}
}

// TestStreamsNeverCrossTenants: the same client-chosen ID in two tenants
// names two streams, and the pipeline refuses to decide on a stream that
// holds another tenant's events or to write one tenant's command into
// another's stream, on every path: a handler's command, a bare Execute, and
// a stream that somehow holds a foreign event.
func TestStreamsNeverCrossTenants(t *testing.T) {
	t.Parallel()
	h, store := newHandler(t)
	ctx := context.Background()
	a, b := uuid.Must(uuid.NewV7()), uuid.Must(uuid.NewV7())
	for _, id := range []uuid.UUID{a, b} {
		if _, err := h.CreateTenant(ctx, admin(), commands.CreateTenant{TenantID: id, Name: "T", Admin: boss}); err != nil {
			t.Fatal(err)
		}
	}
	// One team ID, chosen by both tenants: two teams, two streams.
	shared := uuid.Must(uuid.NewV7())
	ra, err := h.CreateTeam(ctx, admin(), commands.CreateTeam{TenantID: a, TeamID: shared, Name: "A's"})
	if err != nil {
		t.Fatal(err)
	}
	rb, err := h.CreateTeam(ctx, admin(), commands.CreateTeam{TenantID: b, TeamID: shared, Name: "B's"})
	if err != nil {
		t.Fatalf("B's team with A's ID: %v", err)
	}
	if ra.Stream == rb.Stream || ra.Version != 0 || rb.Version != 0 {
		t.Fatalf("one ID in two tenants: %+v and %+v", ra, rb)
	}

	bStream := tenant.Stream(b)
	before, err := store.ReadStream(ctx, bStream, eventstore.Forwards, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	unchanged := func(path string) {
		t.Helper()
		after, err := store.ReadStream(ctx, bStream, eventstore.Forwards, 0, 100)
		if err != nil || len(after) != len(before) {
			t.Errorf("%s: B's stream went from %d to %d events (%v)", path, len(before), len(after), err)
		}
	}
	change := func(s tenant.State) ([]any, error) {
		return tenant.ChangeSetting(s, "queue.allow_manual_join", json.RawMessage(`false`))
	}
	bAgg := commands.Aggregate[tenant.State]{Tenant: b, Stream: bStream, Evolve: tenant.Evolve}

	// A command of tenant A run against B's aggregate.
	m := admin()
	m.TenantID = a
	if _, err := commands.Execute(ctx, h, m, bAgg, change); !errors.Is(err, commands.ErrForeignStream) {
		t.Errorf("A's command on B's stream: %v, want ErrForeignStream", err)
	}
	unchanged("A's command on B's stream")
	// An aggregate that names B's stream as A's.
	if _, err := commands.Execute(ctx, h, m, commands.Aggregate[tenant.State]{Tenant: a, Stream: bStream, Evolve: tenant.Evolve}, change); !errors.Is(err, commands.ErrForeignStream) {
		t.Errorf("B's stream loaded as A's: %v, want ErrForeignStream", err)
	}
	unchanged("B's stream loaded as A's")
	// A command without a tenant.
	if _, err := commands.Execute(ctx, h, admin(), commands.Aggregate[tenant.State]{Stream: bStream, Evolve: tenant.Evolve}, change); !errors.Is(err, commands.ErrForeignStream) {
		t.Errorf("no tenant: %v, want ErrForeignStream", err)
	}
	unchanged("no tenant")

	// A foreign event in A's stream stops every later command on it.
	foreign, err := eventschema.Catalog().Encode(uuid.Must(uuid.NewV7()),
		eventschema.TenantSettingChanged{TenantID: a, Key: "queue.allow_manual_join", Value: json.RawMessage(`false`)},
		eventschema.Metadata{TenantID: b, OccurredAt: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.Append(ctx, tenant.Stream(a), eventstore.Any, []eventschema.Proposed{foreign}); err != nil {
		t.Fatal(err)
	}
	_, err = h.ChangeTenantSetting(ctx, admin(), commands.ChangeTenantSetting{TenantID: a, Key: "dispatch.familiarity", Value: json.RawMessage(`true`)})
	if !errors.Is(err, commands.ErrForeignStream) {
		t.Errorf("a stream holding B's event: %v, want ErrForeignStream", err)
	}
}
