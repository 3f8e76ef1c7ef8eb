package connect

import (
	"context"
	"errors"

	"supportd/eventstore"
)

func openKurrentDB(ctx context.Context, url string) (eventstore.Store, func(), error) {
	return nil, nil, errors.New("kurrentdb event store: not wired yet")
}
