package api

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
)

// errTooManyStreams refuses a live stream past its holder's limit.
var errTooManyStreams = errors.New("too many live streams open")

// streamLimiter counts the live streams open per holder (a user, a channel
// key) and refuses more than max at once, so that no caller can hold an
// unbounded share of the server's connections and goroutines.
type streamLimiter struct {
	max  int
	mu   sync.Mutex
	open map[string]int
}

func newStreamLimiter(max int) *streamLimiter {
	return &streamLimiter{max: max, open: map[string]int{}}
}

// acquire takes one of holder's streams; release gives it back.
func (l *streamLimiter) acquire(holder string) (release func(), err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.open[holder] >= l.max {
		return nil, errTooManyStreams
	}
	l.open[holder]++
	var once sync.Once
	return func() {
		once.Do(func() {
			l.mu.Lock()
			defer l.mu.Unlock()
			if l.open[holder]--; l.open[holder] <= 0 {
				delete(l.open, holder)
			}
		})
	}, nil
}

// isStream reports whether the route is a live stream (Server-Sent
// Events): those last as long as the client stays, so the request timeout
// and the server's read and write timeouts do not apply to them.
func isStream(c echo.Context) bool { return strings.HasSuffix(c.Path(), "/live") }

// requestTimeout ends every request but the live streams after d: a
// stalled database holds no request longer (the statements are cancelled
// with the context, and the caller gets 503).
func requestTimeout(d time.Duration) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if d <= 0 || isStream(c) {
				return next(c)
			}
			ctx, cancel := context.WithTimeout(c.Request().Context(), d)
			defer cancel()
			c.SetRequest(c.Request().WithContext(ctx))
			return next(c)
		}
	}
}

// streamDeadlines lifts the server's read deadline off a live stream and
// returns a func to call before each write: it gives that write writeFor
// to reach the client, so a client that stops reading ends its stream
// instead of holding a goroutine for ever.
func streamDeadlines(c echo.Context, writeFor time.Duration) func() {
	rc := http.NewResponseController(c.Response())
	_ = rc.SetReadDeadline(time.Time{})
	return func() {
		if writeFor > 0 {
			_ = rc.SetWriteDeadline(time.Now().Add(writeFor))
		} else {
			_ = rc.SetWriteDeadline(time.Time{})
		}
	}
}
