// Package sweep runs supportd's background sweeps (the dispatcher, timers,
// presence, the waiting watch, the webhook fan-out and deliverer): a step
// repeated every interval or when woken, that pauses longer and longer
// after consecutive failures (the database away, say) and is back to its
// own pace after the first success.
package sweep

import (
	"context"
	"errors"
	"math/rand/v2"
	"time"
)

// Backoff is an exponential backoff, capped, with jitter: the pause after
// the n-th consecutive failure is Initial·2ⁿ⁻¹, at most Max, less a random
// fraction (up to Jitter) of itself, so that many loops failing together do
// not retry in step. The zero value is usable.
type Backoff struct {
	// Initial is the pause after one failure (100 ms if zero).
	Initial time.Duration
	// Max caps every pause (10 s if zero, never below Initial).
	Max time.Duration
	// Jitter is the largest fraction of a pause taken off at random, in
	// [0, 1] (0.5 if zero; negative for none).
	Jitter float64
	// Rand answers a number in [0, 1) (math/rand/v2's if nil).
	Rand func() float64

	failures int
}

// Next counts one more consecutive failure and answers the pause before
// the next try.
func (b *Backoff) Next() time.Duration {
	initial, max, jitter := b.Initial, b.Max, b.Jitter
	if initial <= 0 {
		initial = 100 * time.Millisecond
	}
	if max <= 0 {
		max = 10 * time.Second
	}
	max = maxDuration(max, initial)
	switch {
	case jitter == 0:
		jitter = 0.5
	case jitter < 0:
		jitter = 0
	case jitter > 1:
		jitter = 1
	}
	b.failures++
	d := max
	if shift := b.failures - 1; shift < 62 && initial <= max>>shift {
		d = initial << shift
	}
	r := rand.Float64
	if b.Rand != nil {
		r = b.Rand
	}
	return d - time.Duration(jitter*r()*float64(d))
}

// Reset forgets the failures: the next one pauses Initial again.
func (b *Backoff) Reset() { b.failures = 0 }

// Failures answers the consecutive failures counted since the last Reset.
func (b *Backoff) Failures() int { return b.failures }

func maxDuration(a, b time.Duration) time.Duration {
	if a > b {
		return a
	}
	return b
}

// Loop repeats a step until its context ends.
type Loop struct {
	// Every is the pause between two steps that succeed.
	Every time.Duration
	// Wake, if not nil, starts the next step early after a success. A
	// failure's pause is not cut short by it.
	Wake <-chan struct{}
	// Backoff sets the pauses after failures; Initial defaults to Every.
	Backoff Backoff
	// After is the clock (time.After if nil).
	After func(time.Duration) <-chan time.Time
	// Failed, if not nil, is told of each failure, the consecutive
	// failures so far and the pause before the next try.
	Failed func(err error, failures int, pause time.Duration)
}

// Run calls step at once and then after each pause, until ctx ends. A
// failure seen after ctx ended is not one.
func (l *Loop) Run(ctx context.Context, step func(context.Context) error) {
	after := l.After
	if after == nil {
		after = time.After
	}
	if l.Backoff.Initial <= 0 {
		l.Backoff.Initial = l.Every
	}
	for ctx.Err() == nil {
		err := step(ctx)
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			pause := l.Backoff.Next()
			if l.Failed != nil {
				l.Failed(err, l.Backoff.Failures(), pause)
			}
			select {
			case <-ctx.Done():
			case <-after(pause):
			}
			continue
		}
		l.Backoff.Reset()
		select {
		case <-ctx.Done():
		case <-l.Wake:
		case <-after(l.Every):
		}
	}
}

// Retry calls step until it succeeds or ctx ends, pausing after each
// failure as b says; failed, if not nil, is told of each failure. It
// answers nil on success, ctx's error once ctx ends, and at once an error
// that step marked with Stop, since trying again cannot help.
func Retry(ctx context.Context, b Backoff, failed func(err error, failures int, pause time.Duration), step func(context.Context) error) error {
	for {
		err := step(ctx)
		if err == nil {
			return nil
		}
		if errors.As(err, new(stopError)) {
			return err
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		pause := b.Next()
		if failed != nil {
			failed(err, b.Failures(), pause)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(pause):
		}
	}
}

// Stop marks err as one that Retry does not try again.
func Stop(err error) error { return stopError{err} }

type stopError struct{ err error }

func (e stopError) Error() string { return e.err.Error() }
func (e stopError) Unwrap() error { return e.err }
