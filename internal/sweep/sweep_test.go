package sweep

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"
)

// TestBackoff: pauses double from Initial, stop at Max, lose at most
// Jitter of themselves, and start over after Reset.
func TestBackoff(t *testing.T) {
	ms := time.Millisecond
	b := Backoff{Initial: 100 * ms, Max: time.Second, Jitter: -1}
	var got []time.Duration
	for range 6 {
		got = append(got, b.Next())
	}
	if want := []time.Duration{100 * ms, 200 * ms, 400 * ms, 800 * ms, time.Second, time.Second}; !slices.Equal(got, want) {
		t.Errorf("pauses %v, want %v", got, want)
	}
	for range 100 { // far past any shift that overflows
		if d := b.Next(); d != time.Second {
			t.Fatalf("after %d failures: %s, want the cap", b.Failures(), d)
		}
	}
	b.Reset()
	if d := b.Next(); d != 100*ms {
		t.Errorf("after Reset: %s, want 100ms", d)
	}

	// Jitter takes off up to its fraction, never adds.
	for _, r := range []float64{0, 0.5, 0.999999} {
		j := Backoff{Initial: 100 * ms, Max: time.Second, Jitter: 0.5, Rand: func() float64 { return r }}
		for n := 1; n <= 6; n++ {
			full := min(100*ms<<(n-1), time.Second)
			d := j.Next()
			if d > full || d < full/2 {
				t.Errorf("rand %v, failure %d: %s, want within [%s, %s]", r, n, d, full/2, full)
			}
		}
	}
	// The default jitter draws from math/rand: pauses differ.
	seen := map[time.Duration]bool{}
	for range 20 {
		d := (&Backoff{}).Next()
		if d > 100*ms || d < 50*ms {
			t.Fatalf("default pause %s, want within [50ms, 100ms]", d)
		}
		seen[d] = true
	}
	if len(seen) < 2 {
		t.Error("the default jitter never varied")
	}
}

// TestLoop: with an injected clock, a loop pauses Every between
// successes, backs off on consecutive failures, and is back to Every after
// the first success; a wake-up cuts short a pause after a success only.
func TestLoop(t *testing.T) {
	ms := time.Millisecond
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var pauses []time.Duration
	fire := make(chan time.Time, 1)
	after := func(d time.Duration) <-chan time.Time {
		pauses = append(pauses, d)
		fire <- time.Time{} // the clock moves at once
		return fire
	}
	// ok, fail ×4, ok, fail, ok: then stop.
	script := []bool{true, false, false, false, false, true, false, true}
	var failures []int
	l := Loop{Every: 250 * ms, Backoff: Backoff{Max: time.Second, Jitter: -1}, After: after,
		Failed: func(err error, n int, pause time.Duration) { failures = append(failures, n) }}
	steps := 0
	l.Run(ctx, func(context.Context) error {
		defer func() { steps++ }()
		if steps == len(script) {
			cancel()
			return errors.New("after the end: not a failure")
		}
		if script[steps] {
			return nil
		}
		return errors.New("database away")
	})
	want := []time.Duration{250 * ms, 250 * ms, 500 * ms, time.Second, time.Second, 250 * ms, 250 * ms, 250 * ms}
	if !slices.Equal(pauses, want) {
		t.Errorf("pauses %v, want %v", pauses, want)
	}
	if want := []int{1, 2, 3, 4, 1}; !slices.Equal(failures, want) {
		t.Errorf("failures told %v, want %v", failures, want)
	}

	// A wake-up starts the next step after a success, not after a failure.
	ctx2, cancel2 := context.WithCancel(context.Background())
	defer cancel2()
	wake := make(chan struct{}, 1)
	never := make(chan time.Time)
	clockEnded := make(chan struct{})
	calls := 0
	l2 := Loop{Every: time.Hour, Wake: wake, Backoff: Backoff{Jitter: -1},
		After: func(d time.Duration) <-chan time.Time {
			if calls == 1 { // the failure's pause: it ends only by the clock
				c := make(chan time.Time)
				go func() { c <- time.Time{}; close(clockEnded) }()
				return c
			}
			return never
		}}
	l2.Run(ctx2, func(context.Context) error {
		calls++
		switch calls {
		case 1:
			wake <- struct{}{} // woken during the failure's pause: must not cut it
			return errors.New("away")
		case 2:
			select {
			case <-clockEnded:
			case <-time.After(10 * time.Second):
				t.Error("a wake-up cut short the pause after a failure")
			}
			return nil // the wake-up still pending starts step 3 at once
		}
		cancel2()
		return nil
	})
	if calls != 3 {
		t.Errorf("%d steps, want 3", calls)
	}
}

// TestRetry: the step is called until it succeeds, each failure reported
// with its count; a context that ends stops the retries with its error.
func TestRetry(t *testing.T) {
	calls := 0
	var reported []int
	err := Retry(context.Background(), Backoff{Initial: time.Millisecond, Jitter: -1},
		func(_ error, failures int, _ time.Duration) { reported = append(reported, failures) },
		func(context.Context) error {
			if calls++; calls < 4 {
				return errors.New("away")
			}
			return nil
		})
	if err != nil || calls != 4 || !slices.Equal(reported, []int{1, 2, 3}) {
		t.Errorf("Retry: err %v after %d calls, failures reported %v; want nil after 4, [1 2 3]", err, calls, reported)
	}

	calls = 0
	wrong := errors.New("wrong")
	err = Retry(context.Background(), Backoff{Initial: time.Millisecond}, nil, func(context.Context) error {
		calls++
		return fmt.Errorf("open: %w", Stop(wrong))
	})
	if !errors.Is(err, wrong) || err.Error() != "open: wrong" || calls != 1 {
		t.Errorf("Retry of a stopping error: %v after %d calls, want open: wrong after 1", err, calls)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	err = Retry(ctx, Backoff{Initial: time.Millisecond}, nil, func(context.Context) error { return errors.New("away") })
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Retry with an ending context: %v, want its deadline", err)
	}
}
