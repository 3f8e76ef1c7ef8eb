package postgres_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"supportd/eventschema"
	"supportd/eventstore"
	"supportd/eventstore/postgres"
	"supportd/eventstore/postgres/pgtest"
)

// TestMigrateRefusesStreamsWithoutTenant: upgrading a log whose object
// streams are named "{category}-{id}" (before stream names carried the
// tenant) fails, naming such a stream; a log of current names upgrades.
func TestMigrateRefusesStreamsWithoutTenant(t *testing.T) {
	t.Parallel()
	tenant, object := uuid.New(), uuid.New()
	for _, tc := range []struct {
		stream  string
		refused bool
	}{
		{"conversation-" + object.String(), true},
		{"agentphrases-" + object.String(), true},
		{eventschema.ObjectStream("conversation", tenant, object), false},
		{"tenant-" + tenant.String(), false},
		{"keywords-" + tenant.String(), false},
		{"eventstore-conformance-" + object.String() + "-x", false},
	} {
		t.Run(tc.stream[:strings.Index(tc.stream, "-")], func(t *testing.T) {
			ctx := context.Background()
			pool := pgtest.NewPool(t)
			if err := postgres.Migrate(ctx, pool); err != nil {
				t.Fatal(err)
			}
			s := postgres.New(pool)
			defer s.Close()
			if _, err := s.Append(ctx, tc.stream, eventstore.NoStream, []eventschema.Proposed{{
				ID: uuid.New(), Type: "Thing", Version: 1, Data: json.RawMessage(`{}`),
				Metadata: eventschema.Metadata{TenantID: tenant, Actor: eventschema.Actor{Kind: eventschema.ActorSystem, ID: "test"},
					OccurredAt: time.Now().UTC(), CommandID: uuid.New()},
			}}); err != nil {
				t.Fatal(err)
			}
			// As if this log had been written by a build before the check.
			if _, err := pool.Exec(ctx, `DELETE FROM eventstore_migrations WHERE version_id >= 2`); err != nil {
				t.Fatal(err)
			}
			err := postgres.Migrate(ctx, pool)
			if tc.refused && (err == nil || !strings.Contains(err.Error(), tc.stream)) {
				t.Errorf("migrate a log with %s: %v, want a refusal naming it", tc.stream, err)
			}
			if !tc.refused && err != nil {
				t.Errorf("migrate a log with %s: %v", tc.stream, err)
			}
		})
	}
}
