package postgres_test

import (
	"context"
	"math/rand/v2"
	"testing"
	"time"

	"supportd/eventstore"
	"supportd/eventstore/postgres"
	"supportd/eventstore/postgres/pgtest"
	"supportd/eventstore/storetest"
)

func newStore(t *testing.T) *postgres.Store {
	pool := pgtest.NewPool(t)
	if err := postgres.Migrate(context.Background(), pool); err != nil {
		t.Fatal(err)
	}
	s := postgres.New(pool)
	t.Cleanup(s.Close)
	return s
}

func TestConformance(t *testing.T) {
	storetest.Run(t, storetest.Harness{
		New: func(t *testing.T) eventstore.Store { return newStore(t) },
		SlowCommits: func(t *testing.T, max time.Duration) eventstore.Store {
			s := newStore(t)
			s.CommitDelay = func() time.Duration { return rand.N(max) }
			return s
		},
	})
}
