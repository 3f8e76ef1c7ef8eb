package api

import (
	"context"
	"encoding/json"
	"net/http"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"
	sse "github.com/tmaxmax/go-sse"

	"supportd/domain/access"
)

// Live pushes changes to consoles over Server-Sent Events: one stream per
// user (the changes that concern it) and one per tenant (every change, for
// admins' monitors). It is fed by the projections' change feed, so a console
// that refetches on a change reads the new state.
type Live struct {
	server *sse.Server
}

// NewLive returns a live-update hub.
func NewLive() *Live {
	l := &Live{}
	l.server = &sse.Server{OnSession: l.onSession}
	return l
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
// concerns.
func (l *Live) Publish(c LiveChange) error {
	data, err := json.Marshal(c)
	if err != nil {
		return err
	}
	m := &sse.Message{ID: sse.ID(c.Position), Type: sse.Type(c.Type)}
	m.AppendData(string(data))
	topics := []string{tenantTopic(c.TenantID)}
	for _, a := range c.Agents {
		topics = append(topics, agentTopic(a))
	}
	return l.server.Publish(m, topics...)
}

// Shutdown ends every live stream.
func (l *Live) Shutdown(ctx context.Context) error { return l.server.Shutdown(ctx) }

func tenantTopic(id uuid.UUID) string { return "tenant:" + id.String() }
func agentTopic(id uuid.UUID) string  { return "agent:" + id.String() }

type topicsKey struct{}

// onSession subscribes a stream to the topics its route chose, and sends
// the response headers at once: a client learns that its stream is open
// before the first change comes.
func (l *Live) onSession(w http.ResponseWriter, r *http.Request) ([]string, bool) {
	topics, ok := r.Context().Value(topicsKey{}).([]string)
	if !ok || len(topics) == 0 {
		return nil, false
	}
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	if f, ok := w.(interface{ Flush() error }); ok {
		_ = f.Flush()
	}
	return topics, true
}

func (l *Live) serve(c echo.Context, topics ...string) error {
	r := c.Request()
	l.server.ServeHTTP(c.Response(), r.WithContext(context.WithValue(r.Context(), topicsKey{}, topics)))
	return nil
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
	return h.d.Live.serve(c, agentTopic(callerOf(c).agentID))
}

// tenantLive streams every change of the tenant, for admins' monitors.
func (h *handlers) tenantLive(c echo.Context) error {
	if h.d.Live == nil {
		return echo.NewHTTPError(http.StatusServiceUnavailable, "live updates are off")
	}
	return h.d.Live.serve(c, tenantTopic(callerOf(c).tenantID))
}
