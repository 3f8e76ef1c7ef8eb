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

	"supportd/domain/access"
	"supportd/eventschema"
	"supportd/readmodels"
)

// Live pushes changes to consoles over Server-Sent Events: one stream per
// user (the changes that concern it) and one per tenant (every change, for
// admins' monitors). It is fed by the projections' change feed, so a console
// that refetches on a change reads the new state.
//
// go-sse writes the wire format; the fan-out is this hub, as for the
// channels' streams (ChannelLive): each stream has its own buffer and is
// written by its own request's goroutine only, so a stalled console holds
// up nobody and nothing writes to a response after its handler returned. A
// stream that falls behind is closed; the console reconnects and refetches.
type Live struct {
	// KeepAlive is how often an idle stream sends a comment, so proxies
	// keep it open.
	KeepAlive time.Duration

	mu   sync.Mutex
	subs map[string]map[*consoleSub]struct{}
	// byCredential are the streams opened with each session or API token:
	// they end when it does.
	byCredential map[uuid.UUID]map[*consoleSub]struct{}
	closed       bool
	done         chan struct{}
}

type consoleSub struct {
	changes chan LiveChange
	behind  chan struct{}
	ended   chan struct{} // closed when the stream's credential ends
	dropped bool          // guarded by Live.mu
	over    bool          // guarded by Live.mu: ended is closed
}

// NewLive returns a live-update hub.
func NewLive() *Live {
	return &Live{KeepAlive: 25 * time.Second, subs: map[string]map[*consoleSub]struct{}{},
		byCredential: map[uuid.UUID]map[*consoleSub]struct{}{}, done: make(chan struct{})}
}

// LiveChange is what a console is told: which fact happened where. It
// carries no payload: the console reads what it shows through the API, with
// its permissions.
type LiveChange struct {
	TenantID uuid.UUID   `json:"tenant_id"`
	Type     string      `json:"type"`
	Stream   string      `json:"stream"`
	Version  uint64      `json:"version"`
	Position string      `json:"position"`
	Agents   []uuid.UUID `json:"agents,omitempty"`
}

// Publish sends c to the tenant's stream and to the streams of the users it
// concerns. It never blocks.
func (l *Live) Publish(c LiveChange) error {
	topics := []string{tenantTopic(c.TenantID)}
	for _, a := range c.Agents {
		topics = append(topics, agentTopic(a))
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, t := range topics {
		for s := range l.subs[t] {
			if s.dropped {
				continue
			}
			select {
			case s.changes <- c:
			default:
				s.dropped = true
				close(s.behind)
			}
		}
	}
	return nil
}

// Shutdown ends every live stream.
func (l *Live) Shutdown(context.Context) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.closed {
		l.closed = true
		close(l.done)
	}
	return nil
}

func tenantTopic(id uuid.UUID) string { return "tenant:" + id.String() }
func agentTopic(id uuid.UUID) string  { return "agent:" + id.String() }

func (l *Live) subscribe(topic string, credential uuid.UUID) *consoleSub {
	s := &consoleSub{changes: make(chan LiveChange, liveBuffer), behind: make(chan struct{}), ended: make(chan struct{})}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.subs[topic] == nil {
		l.subs[topic] = map[*consoleSub]struct{}{}
	}
	l.subs[topic][s] = struct{}{}
	if l.byCredential[credential] == nil {
		l.byCredential[credential] = map[*consoleSub]struct{}{}
	}
	l.byCredential[credential][s] = struct{}{}
	return s
}

func (l *Live) unsubscribe(topic string, credential uuid.UUID, s *consoleSub) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.subs[topic], s)
	if len(l.subs[topic]) == 0 {
		delete(l.subs, topic)
	}
	delete(l.byCredential[credential], s)
	if len(l.byCredential[credential]) == 0 {
		delete(l.byCredential, credential)
	}
}

// EndCredential ends the streams opened with a session or API token that
// has just ended (signed out, expired, revoked, its user disabled).
func (l *Live) EndCredential(id uuid.UUID) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for s := range l.byCredential[id] {
		if !s.over {
			s.over = true
			close(s.ended)
		}
	}
}

// CredentialEnded is the session or API token an event ends, if any.
func CredentialEnded(e eventschema.Envelope) (uuid.UUID, bool) {
	var ids struct {
		SessionID uuid.UUID `json:"session_id"`
		TokenID   uuid.UUID `json:"token_id"`
	}
	switch e.Type {
	case "AgentSignedOut":
		if json.Unmarshal(e.Data, &ids) == nil && ids.SessionID != uuid.Nil {
			return ids.SessionID, true
		}
	case "APITokenRevoked":
		if json.Unmarshal(e.Data, &ids) == nil && ids.TokenID != uuid.Nil {
			return ids.TokenID, true
		}
	}
	return uuid.Nil, false
}

// serve streams topic's changes until the client goes, the stream falls
// behind or the server shuts down. The headers go out at once: a client
// learns that its stream is open before the first change comes.
//
// The stream ends with the credential it was opened with. That credential
// is checked again once the stream is subscribed (stillValid), so an end
// announced between authentication and subscription is not missed.
func (l *Live) serve(c echo.Context, topic string, writeFor time.Duration, credential uuid.UUID, stillValid func(context.Context) (bool, error)) error {
	sub := l.subscribe(topic, credential)
	defer l.unsubscribe(topic, credential, sub)
	if ok, err := stillValid(c.Request().Context()); err != nil || !ok {
		if err == nil {
			err = errUnauthorized
		}
		return err
	}
	sess, err := openStream(c)
	if err != nil {
		return err
	}
	beforeWrite := streamDeadlines(c, writeFor)
	beforeWrite()
	if err := sess.Flush(); err != nil {
		return nil
	}
	keepAlive := time.NewTicker(l.KeepAlive)
	defer keepAlive.Stop()
	ctx := c.Request().Context()
	for {
		m := &sse.Message{}
		select {
		case <-ctx.Done():
			return nil
		case <-l.done:
			return nil
		case <-sub.behind:
			return nil
		case <-sub.ended:
			return nil
		case change := <-sub.changes:
			data, err := json.Marshal(change)
			if err != nil {
				return err
			}
			m.ID, m.Type = sse.ID(change.Position), sse.Type(change.Type)
			m.AppendData(string(data))
		case <-keepAlive.C:
			m.AppendComment("keep-alive")
		}
		beforeWrite()
		if sess.Send(m) != nil || sess.Flush() != nil {
			return nil // the client went away
		}
	}
}

// openStream answers 200 with the event-stream headers and hands the
// response to go-sse. The status goes out through echo's response, so
// that echo knows the answer has begun: go-sse's first flush would
// otherwise send it behind echo's back, and echo's first write would send
// a second status line (net/http's "superfluous WriteHeader").
func openStream(c echo.Context) (*sse.Session, error) {
	res := c.Response()
	res.Header().Set("Cache-Control", "no-cache")
	res.Header().Set(echo.HeaderContentType, "text/event-stream")
	res.WriteHeader(http.StatusOK)
	return sse.Upgrade(res, c.Request())
}

func (h *handlers) liveRoutes(g *echo.Group) {
	g.GET("/me/live", h.ownLive, signedIn)
	g.GET("/tenant/live", h.tenantLive, need(access.Monitor))
}

// ownLive streams the changes that concern the signed-in user.
func (h *handlers) ownLive(c echo.Context) error {
	if h.d.Live == nil {
		return echo.NewHTTPError(http.StatusServiceUnavailable, "live updates are off")
	}
	cl := callerOf(c)
	release, err := h.userStreams.acquire(cl.agentID.String())
	if err != nil {
		return err
	}
	defer release()
	return h.d.Live.serve(c, agentTopic(cl.agentID), h.d.StreamWriteTimeout, cl.credentialID(), h.stillValid(cl))
}

// tenantLive streams every change of the tenant, for admins' monitors.
func (h *handlers) tenantLive(c echo.Context) error {
	if h.d.Live == nil {
		return echo.NewHTTPError(http.StatusServiceUnavailable, "live updates are off")
	}
	cl := callerOf(c)
	release, err := h.userStreams.acquire(cl.agentID.String())
	if err != nil {
		return err
	}
	defer release()
	return h.d.Live.serve(c, tenantTopic(cl.tenantID), h.d.StreamWriteTimeout, cl.credentialID(), h.stillValid(cl))
}

// stillValid tells whether the caller's session or API token still opens
// the API.
func (h *handlers) stillValid(cl caller) func(context.Context) (bool, error) {
	return func(ctx context.Context) (bool, error) {
		_, err := readmodels.Authenticate(ctx, h.d.Reads, cl.tokenHash, h.d.Now())
		if errors.Is(err, readmodels.ErrNotFound) {
			return false, nil
		}
		return err == nil, err
	}
}
