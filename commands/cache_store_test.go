package commands

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/google/uuid"

	"supportd/credentials"
	"supportd/domain/tenant"
	"supportd/eventschema"
	"supportd/eventstore"
	"supportd/eventstore/postgres"
	"supportd/eventstore/postgres/pgtest"
)

type stoppedClock struct{}

func (stoppedClock) Now() time.Time { return time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC) }

// twoHandlers returns two handlers sharing nothing but the store, as two
// replicas of the server do, and a tenant created through the first.
func twoHandlers(t *testing.T) (a, b *Handler, tenantID uuid.UUID) {
	t.Helper()
	pool := pgtest.NewPool(t)
	if err := postgres.Migrate(context.Background(), pool); err != nil {
		t.Fatal(err)
	}
	store := postgres.New(pool)
	t.Cleanup(store.Close)
	a = NewHandler(store, eventschema.Catalog(), stoppedClock{})
	b = NewHandler(store, eventschema.Catalog(), stoppedClock{})
	a.Passwords, b.Passwords = Bcrypt{Cost: 4}, Bcrypt{Cost: 4}
	creds := credentials.Store{DB: pool}
	if err := creds.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	a.Credentials, b.Credentials = creds, creds
	tenantID = uuid.Must(uuid.NewV7())
	_, err := a.CreateTenant(context.Background(), testMeta(), CreateTenant{TenantID: tenantID, Name: "Acme",
		Admin: NewUser{Email: "boss@acme.example", Nickname: "Boss", Password: "correct-horse"}})
	if err != nil {
		t.Fatal(err)
	}
	return a, b, tenantID
}

func testMeta() Meta {
	return Meta{Actor: eventschema.Actor{Kind: eventschema.ActorAdmin, ID: "admin-1"}, CommandID: uuid.Must(uuid.NewV7())}
}

func setting(t *testing.T, h *Handler, tenantID uuid.UUID, value string) {
	t.Helper()
	_, err := h.ChangeTenantSetting(context.Background(), testMeta(), ChangeTenantSetting{TenantID: tenantID,
		Key: "transfer.require_confirmation", Value: json.RawMessage(value)})
	if err != nil {
		t.Fatal(err)
	}
}

func requireConfirmation(s tenant.State) string {
	v, _ := s.Setting("transfer.require_confirmation")
	return string(v)
}

// TestCachedLoadReadsWhatOthersAppended: a load starting from a cached
// state still reads the events another replica appended since.
func TestCachedLoadReadsWhatOthersAppended(t *testing.T) {
	t.Parallel()
	a, b, id := twoHandlers(t)
	ctx := context.Background()
	setting(t, a, id, "true")
	l, err := load(ctx, a, tenantAggregate(id), uuid.Nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := a.states.get(keyOf[tenant.State](tenant.Stream(id))); !ok || requireConfirmation(l.state) != "true" {
		t.Fatalf("not cached (%v) or wrong state %s", ok, requireConfirmation(l.state))
	}
	kept := l.state
	setting(t, b, id, "false")
	again, err := load(ctx, a, tenantAggregate(id), uuid.Nil)
	if err != nil {
		t.Fatal(err)
	}
	if requireConfirmation(again.state) != "false" || again.version != l.version+1 {
		t.Errorf("cached load answered %s at version %d, the stream is at %d with false",
			requireConfirmation(again.state), again.version, l.version+1)
	}
	if requireConfirmation(kept) != "true" {
		t.Error("folding the new event changed the state loaded before")
	}
}

// TestConflictRetryReadsTheNewEvents: a command decided on a cached state
// loses the race to a writer of another replica; its retry decides on a
// state that holds the other writer's event, and the append is guarded by
// the new version.
func TestConflictRetryReadsTheNewEvents(t *testing.T) {
	t.Parallel()
	a, b, id := twoHandlers(t)
	ctx := context.Background()
	setting(t, a, id, "true") // a's cache now holds the tenant
	var seen []string
	m := testMeta()
	m.TenantID = id
	res, err := Execute(ctx, a, m, tenantAggregate(id), func(s tenant.State) ([]any, error) {
		seen = append(seen, requireConfirmation(s))
		if len(seen) == 1 {
			setting(t, b, id, "false") // behind a's cache and a's decision
		}
		return []any{eventschema.TenantSettingChanged{TenantID: id, Key: "transfer.skip_greetings",
			Value: json.RawMessage(`true`)}}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(seen) != 2 || seen[0] != "true" || seen[1] != "false" {
		t.Fatalf("decided on %v, want [true false]: the retry must see the other replica's event", seen)
	}
	events, err := a.store.ReadStream(ctx, tenant.Stream(id), eventstore.Forwards, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	if last := events[len(events)-1]; res.Version != last.StreamVersion || last.Type != "TenantSettingChanged" || len(events) != 5 {
		t.Errorf("result %+v, stream of %d events ending with %s@%d", res, len(events), last.Type, last.StreamVersion)
	}
	if got, _ := load(ctx, b, tenantAggregate(id), uuid.Nil); requireConfirmation(got.state) != "false" {
		t.Errorf("the other replica's change was lost: %s", requireConfirmation(got.state))
	}
}

// TestRetriedCommandFoundInCachedPart: a command retried (same ID) after
// its events went into a cached state answers what it did, and appends
// nothing, as it does without a cache.
func TestRetriedCommandFoundInCachedPart(t *testing.T) {
	t.Parallel()
	a, _, id := twoHandlers(t)
	ctx := context.Background()
	m := testMeta()
	c := ChangeTenantSetting{TenantID: id, Key: "transfer.require_confirmation", Value: json.RawMessage(`true`)}
	first, err := a.ChangeTenantSetting(ctx, m, c)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 5 { // later commands: the first one ends deep in the cached part
		setting(t, a, id, []string{"false", "true"}[i%2])
	}
	again, err := a.ChangeTenantSetting(ctx, m, c)
	if err != nil {
		t.Fatal(err)
	}
	if again != first {
		t.Errorf("retry answered %+v, first %+v", again, first)
	}
	l, err := load(ctx, a, tenantAggregate(id), uuid.Nil)
	if err != nil || l.version != first.Version+5 {
		t.Errorf("stream at %d (%v), want %d: the retry appended", l.version, err, first.Version+5)
	}
}

// TestUncachedAggregateIsNotKept: an aggregate that did not opt in is
// never kept, whatever its stream.
func TestUncachedAggregateIsNotKept(t *testing.T) {
	t.Parallel()
	a, _, id := twoHandlers(t)
	agg := Aggregate[tenant.State]{Tenant: id, Stream: tenant.Stream(id), Evolve: tenant.Evolve}
	if _, err := load(context.Background(), a, agg, uuid.Nil); err != nil {
		t.Fatal(err)
	}
	if _, ok := a.states.get(keyOf[tenant.State](agg.Stream)); ok {
		t.Error("kept")
	}
}
