package kurrentdbdouble_test

import (
	"context"
	"testing"
	"time"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"github.com/google/uuid"

	"supportd/eventstore/kurrentdb/kurrentdbdouble"
)

func client(t *testing.T) *esdb.Client {
	t.Helper()
	cfg, err := esdb.ParseConnectionString(kurrentdbdouble.StartT(t).URL())
	if err != nil {
		t.Fatal(err)
	}
	cfg.Logger = esdb.NoopLogging()
	c, err := esdb.NewClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func events(n int) []esdb.EventData {
	out := make([]esdb.EventData, n)
	for i := range out {
		out[i] = esdb.EventData{EventID: uuid.New(), EventType: "Thing", ContentType: esdb.ContentTypeJson, Data: []byte(`{}`)}
	}
	return out
}

// TestAppendAnswers checks the shapes of append answers the client
// decodes: a write has a position, a retry has none, a conflict names the
// stream's revision.
func TestAppendAnswers(t *testing.T) {
	c := client(t)
	ctx := context.Background()
	es := events(2)
	w, err := c.AppendToStream(ctx, "s", esdb.AppendToStreamOptions{ExpectedRevision: esdb.NoStream{}}, es...)
	if err != nil || w.NextExpectedVersion != 1 || w.CommitPosition == 0 {
		t.Fatalf("write: %+v, %v", w, err)
	}
	r, err := c.AppendToStream(ctx, "s", esdb.AppendToStreamOptions{ExpectedRevision: esdb.NoStream{}}, es...)
	if err != nil || r.NextExpectedVersion != 1 || r.CommitPosition != 0 {
		t.Fatalf("retry: %+v, %v", r, err)
	}
	_, err = c.AppendToStream(ctx, "s", esdb.AppendToStreamOptions{ExpectedRevision: esdb.Revision(5)}, events(1)...)
	if e, ok := esdb.FromError(err); ok || e.Code() != esdb.ErrorCodeWrongExpectedVersion || e.Err().Error() != "wrong expected version: expecting '5' but got '1'" {
		t.Fatalf("conflict: %v", err)
	}
}

// TestSubscribeToStream follows one stream from its start, then live, and
// sees only that stream's events.
func TestSubscribeToStream(t *testing.T) {
	c := client(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := c.AppendToStream(ctx, "s", esdb.AppendToStreamOptions{ExpectedRevision: esdb.Any{}}, events(2)...); err != nil {
		t.Fatal(err)
	}
	sub, err := c.SubscribeToStream(ctx, "s", esdb.SubscribeToStreamOptions{From: esdb.Start{}})
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	for _, stream := range []string{"other", "s"} {
		if _, err := c.AppendToStream(ctx, stream, esdb.AppendToStreamOptions{ExpectedRevision: esdb.Any{}}, events(1)...); err != nil {
			t.Fatal(err)
		}
	}
	var revisions []uint64
	caughtUp := false
	for len(revisions) < 3 || !caughtUp {
		ev := sub.Recv()
		switch {
		case ev.SubscriptionDropped != nil:
			t.Fatalf("dropped: %v", ev.SubscriptionDropped.Error)
		case ev.CaughtUp != nil:
			caughtUp = true
		case ev.EventAppeared != nil:
			e := ev.EventAppeared.OriginalEvent()
			if e.StreamID != "s" {
				t.Fatalf("event of %s", e.StreamID)
			}
			revisions = append(revisions, e.EventNumber)
		}
	}
	if len(revisions) != 3 || revisions[0] != 0 || revisions[2] != 2 {
		t.Errorf("revisions %v, want [0 1 2]", revisions)
	}
}
