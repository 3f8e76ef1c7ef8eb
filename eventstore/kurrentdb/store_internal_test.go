package kurrentdb

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"

	"supportd/eventschema"
	"supportd/eventstore"
	"supportd/eventstore/kurrentdb/kurrentdbdouble"
)

// TestWrongVersion checks both ways of learning the stream's version
// after a refused append: from the client's message, and, when the
// message does not tell, by reading the stream.
func TestWrongVersion(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	s, err := Open(ctx, kurrentdbdouble.StartT(t).URL())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	stream := "agent-" + uuid.NewString()
	es := make([]eventschema.Proposed, 3)
	for i := range es {
		es[i] = eventschema.Proposed{ID: uuid.New(), Type: "Thing", Version: 1, Data: json.RawMessage(`{}`)}
	}
	if _, err := s.Append(ctx, stream, eventstore.NoStream, es); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name   string
		stream string
		cause  string
		exists bool
		actual uint64
	}{
		{"message, revision", stream, "wrong expected version: expecting '0' but got '7'", true, 7},
		{"message, no stream", stream, "wrong expected version: expecting '0' but got 'no_stream'", false, 0},
		{"read, stream", stream, "refused", true, 2},
		{"read, no stream", "agent-" + uuid.NewString(), "refused", false, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := s.wrongVersion(ctx, tc.stream, eventstore.Exact(0), errors.New(tc.cause))
			var wv *eventstore.WrongVersionError
			if !errors.As(err, &wv) {
				t.Fatalf("%v is not a *WrongVersionError", err)
			}
			if wv.Exists != tc.exists || wv.Actual != tc.actual || wv.Stream != tc.stream {
				t.Errorf("got %+v, want exists=%v actual=%d", wv, tc.exists, tc.actual)
			}
		})
	}
}
