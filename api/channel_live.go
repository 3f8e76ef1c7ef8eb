package api

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"
	sse "github.com/tmaxmax/go-sse"

	"supportd/domain/webhook"
	"supportd/eventschema"
	"supportd/outbound"
)

// ChannelLive streams to a customer's channel what the customer must see
// in one conversation (webhook.Outbound: agents', system and robot
// messages, recalls, agents joining and leaving, rating invitations, the
// close), as Server-Sent Events whose IDs are log positions.
//
// A stream first registers for live events, then replays the
// conversation's stream after the client's Last-Event-ID, then goes live,
// skipping what the replay already sent: nothing falls between the two.
// Live events come from the projections' change feed, so a client that
// fetches the messages on an event reads them.
//
// go-sse writes the wire format; the fan-out is this hub rather than its
// Joe provider, which sends to every subscriber from one goroutine: one
// stalled customer connection would hold up every conversation. Here each
// stream has its own buffer, and a stream that falls behind is closed; its
// client reconnects with Last-Event-ID and loses nothing.
type ChannelLive struct {
	feed *outbound.Feed
	// KeepAlive is how often an idle stream sends a comment, so proxies
	// keep it open.
	KeepAlive time.Duration

	mu     sync.Mutex
	subs   map[liveKey]map[*liveSub]struct{}
	closed bool
	done   chan struct{}
}

// NewChannelLive returns the hub, replaying from feed.
func NewChannelLive(feed *outbound.Feed) *ChannelLive {
	return &ChannelLive{feed: feed, KeepAlive: 25 * time.Second, subs: map[liveKey]map[*liveSub]struct{}{}, done: make(chan struct{})}
}

// liveBuffer is how many events a stream may fall behind before it is cut.
const liveBuffer = 256

// liveKey names a conversation: its ID is unique only within its tenant.
type liveKey struct{ tenantID, conversationID uuid.UUID }

type liveSub struct {
	events  chan eventschema.Envelope
	behind  chan struct{}
	dropped bool // guarded by ChannelLive.mu
}

// Publish hands an event, once projected, to the streams of its
// conversation. It never blocks.
func (l *ChannelLive) Publish(e eventschema.Envelope) {
	if !webhook.MayBeOutbound(e.Type) {
		return
	}
	tenantID, conv, ok := webhook.ConversationOf(e.Stream)
	if !ok {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	for s := range l.subs[liveKey{tenantID, conv}] {
		if s.dropped {
			continue
		}
		select {
		case s.events <- e:
		default:
			s.dropped = true
			close(s.behind)
		}
	}
}

// Shutdown ends every stream.
func (l *ChannelLive) Shutdown(context.Context) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.closed {
		l.closed = true
		close(l.done)
	}
	return nil
}

func (l *ChannelLive) subscribe(conv liveKey) *liveSub {
	s := &liveSub{events: make(chan eventschema.Envelope, liveBuffer), behind: make(chan struct{})}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.subs[conv] == nil {
		l.subs[conv] = map[*liveSub]struct{}{}
	}
	l.subs[conv][s] = struct{}{}
	return s
}

func (l *ChannelLive) unsubscribe(conv liveKey, s *liveSub) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.subs[conv], s)
	if len(l.subs[conv]) == 0 {
		delete(l.subs, conv)
	}
}

func (h *handlers) channelLiveRoutes(g *echo.Group) {
	g.GET("/channel/conversations/:conversation_id/live", h.channelConversationLive, channelOnly)
}

// channelConversationLive streams one conversation to its channel. A
// conversation of another tenant or channel is not found.
func (h *handlers) channelConversationLive(c echo.Context) error {
	l := h.d.ChannelLive
	if l == nil {
		return echo.NewHTTPError(http.StatusServiceUnavailable, "live updates are off")
	}
	id, err := pathID(c, "conversation_id")
	if err != nil {
		return err
	}
	after, err := resumeFrom(c)
	if err != nil {
		return err
	}
	release, err := h.keyStreams.acquire(callerOf(c).channel.KeyID.String())
	if err != nil {
		return err
	}
	defer release()
	ctx, sc := c.Request().Context(), channelScope(c)
	sub := l.subscribe(liveKey{sc.TenantID, id})
	defer l.unsubscribe(liveKey{sc.TenantID, id}, sub)
	conv, backlog, err := l.feed.Replay(ctx, sc.TenantID, id, after)
	if errors.Is(err, outbound.ErrNoConversation) || (err == nil && (conv.TenantID != sc.TenantID || conv.Channel != sc.Channel)) {
		return ErrNotFound
	}
	if err != nil {
		return err
	}
	sess, err := openStream(c)
	if err != nil {
		return err
	}
	beforeWrite := streamDeadlines(c, h.d.StreamWriteTimeout)
	last := after
	send := func(ev webhook.Event) error {
		data, err := json.Marshal(ev)
		if err != nil {
			return err
		}
		m := &sse.Message{ID: sse.ID(ev.Position.String()), Type: sse.Type(ev.Type)}
		m.AppendData(string(data))
		last = ev.Position
		beforeWrite()
		return sess.Send(m)
	}
	for _, ev := range backlog {
		if err := send(ev); err != nil {
			return nil // the client went away
		}
	}
	beforeWrite()
	if err := sess.Flush(); err != nil {
		return nil
	}
	keepAlive := time.NewTicker(l.KeepAlive)
	defer keepAlive.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-l.done:
			return nil
		case <-sub.behind:
			return nil // fell behind: the client resumes from its last ID
		case e := <-sub.events:
			if !last.Less(e.Position) {
				continue // the replay sent it
			}
			ev, ok, err := l.feed.Convert(ctx, e)
			if err != nil {
				return nil
			}
			if !ok {
				continue
			}
			if send(ev) != nil || sess.Flush() != nil {
				return nil
			}
		case <-keepAlive.C:
			m := &sse.Message{}
			m.AppendComment("keep-alive")
			beforeWrite()
			if sess.Send(m) != nil || sess.Flush() != nil {
				return nil
			}
		}
	}
}

// resumeFrom is the position a stream resumes after: the Last-Event-ID a
// reconnecting EventSource sends, or ?after= for a first connection.
func resumeFrom(c echo.Context) (eventschema.Position, error) {
	raw := c.Request().Header.Get("Last-Event-ID")
	if raw == "" {
		raw = c.QueryParam("after")
	}
	if raw == "" {
		return eventschema.Position{}, nil
	}
	p, err := eventschema.ParsePosition(raw)
	if err != nil {
		return p, echo.NewHTTPError(http.StatusUnprocessableEntity, "Last-Event-ID: want a position such as 7745/42")
	}
	return p, nil
}
