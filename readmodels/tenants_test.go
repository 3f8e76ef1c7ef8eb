package readmodels_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"

	"supportd/eventstore/postgres/pgtest"
	"supportd/readmodels"
)

func TestTenantQueries(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := pgtest.NewPool(t)
	for range 2 { // migrating again changes nothing
		if err := readmodels.Migrate(ctx, pool); err != nil {
			t.Fatal(err)
		}
	}
	id := uuid.Must(uuid.NewV7())
	if _, err := readmodels.GetTenant(ctx, pool, id); !errors.Is(err, readmodels.ErrNotFound) {
		t.Errorf("missing tenant: err = %v, want ErrNotFound", err)
	}
	if s, err := readmodels.GetTenantSettings(ctx, pool, id); err != nil || s == nil || len(s) != 0 {
		t.Errorf("settings of a missing tenant = %#v, %v; want an empty list", s, err)
	}

	at := time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)
	for _, stmt := range []struct {
		sql  string
		args []any
	}{
		{`INSERT INTO tenants VALUES ($1, 'Acme', 'Asia/Tokyo', $2, 0)`, []any{id, at}},
		{`INSERT INTO tenant_settings VALUES
			($1, 'ratings', 'true', $2, 2, 10, 11),
			($1, 'auto_close', '{"minutes": 30}', $2, 1, 10, 10)`, []any{id, at}},
		{`INSERT INTO projection_checkpoints (projector, commit_position, prepare_position) VALUES ('tenants', 10, 11)`, nil},
	} {
		if _, err := pool.Exec(ctx, stmt.sql, stmt.args...); err != nil {
			t.Fatal(err)
		}
	}
	tenant, err := readmodels.GetTenant(ctx, pool, id)
	if err != nil || tenant.Name != "Acme" || tenant.TimeZone != "Asia/Tokyo" || !tenant.CreatedAt.Equal(at) {
		t.Errorf("tenant = %+v, %v", tenant, err)
	}
	settings, err := readmodels.GetTenantSettings(ctx, pool, id)
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		key, value string
		version    uint64
	}{{"auto_close", `{"minutes": 30}`, 1}, {"ratings", "true", 2}}
	if len(settings) != len(want) {
		t.Fatalf("settings = %+v", settings)
	}
	for i, w := range want {
		if s := settings[i]; s.Key != w.key || string(s.Value) != w.value || s.Version != w.version || !s.UpdatedAt.Equal(at) {
			t.Errorf("setting %d = %+v (%s), want %s %s v%d", i, s, s.Value, w.key, w.value, w.version)
		}
	}
	if s, err := readmodels.GetTenantSetting(ctx, pool, id, "ratings"); err != nil || string(s.Value) != "true" {
		t.Errorf("ratings = %+v, %v", s, err)
	}
	if _, err := readmodels.GetTenantSetting(ctx, pool, id, "never_set"); !errors.Is(err, readmodels.ErrNotFound) {
		t.Errorf("unset setting: err = %v, want ErrNotFound", err)
	}
	cps, err := readmodels.ListCheckpoints(ctx, pool)
	if err != nil || len(cps) != 1 || cps[0].Projector != "tenants" || cps[0].Commit != 10 || cps[0].Prepare != 11 {
		t.Errorf("checkpoints = %+v, %v", cps, err)
	}
}
