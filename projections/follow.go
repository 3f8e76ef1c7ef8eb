package projections

import (
	"context"
	"time"

	"supportd/eventschema"
)

// backoff is the pause after the given number of consecutive failures of a
// reader of the log: 100 ms doubling up to 5 s.
func backoff(failures int) time.Duration {
	return min(100*time.Millisecond<<min(max(failures-1, 0), 6), 5*time.Second)
}

// follow reads the log after the most advanced projector's checkpoint and
// calls handle for every event, in order, until ctx ends. A failure of the
// store's subscription or of handle (the database restarting, say) is
// logged and the subscription starts again, after a backoff, just after the
// last event handle accepted: an event is handled again only if handle
// failed on it. The reader is named what in the log.
func (r *Runner) follow(ctx context.Context, what string, handle func(eventschema.Envelope) error) {
	var after eventschema.Position
	failures := 0
	for {
		var err error
		if after, err = r.fastest(ctx); err == nil {
			break
		}
		if ctx.Err() != nil {
			return
		}
		failures++
		r.logger.Warn(what+": loading the checkpoints failed; retrying", "err", err)
		if !sleep(ctx, backoff(failures)) {
			return
		}
	}
	for ctx.Err() == nil {
		err := r.store.Subscribe(ctx, after, func(e eventschema.Envelope) error {
			if err := handle(e); err != nil {
				return err
			}
			after, failures = e.Position, 0
			return nil
		})
		if ctx.Err() != nil {
			return
		}
		failures++
		r.logger.Warn(what+": reading the log failed; resuming", "after", after.String(), "err", err)
		if !sleep(ctx, backoff(failures)) {
			return
		}
	}
}
