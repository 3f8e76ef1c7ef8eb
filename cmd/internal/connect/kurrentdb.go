package connect

import (
	"context"

	"supportd/eventstore"
	"supportd/eventstore/kurrentdb"
)

func openKurrentDB(ctx context.Context, url string) (eventstore.Store, func(), error) {
	s, err := kurrentdb.Open(ctx, url)
	if err != nil {
		return nil, nil, err
	}
	return s, s.Close, nil
}
