// Package api is supportd's REST API: echo handlers that decode and
// authorize requests, call commands or read models, and answer JSON or
// problem+json. The OpenAPI document in openapi.yaml describes every route;
// requests are validated against it before a handler runs.
package api

import (
	"context"
	"encoding/json"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"golang.org/x/time/rate"

	"supportd/commands"
	"supportd/eventschema"
	"supportd/outbound"
	"supportd/readmodels"
)

// ProjectorStatus is one projector's health, for /readyz.
type ProjectorStatus struct {
	Name     string `json:"name"`
	State    string `json:"state"`
	Position string `json:"position,omitempty"`
	// FailedAt and FailedType name the event a stopped projector could not
	// apply.
	FailedAt   string `json:"failed_at,omitempty"`
	FailedType string `json:"failed_type,omitempty"`
	// Error says what is wrong in words fit for any caller of /readyz: no
	// database error text (that is in the log).
	Error string `json:"error,omitempty"`
	// Stopped is true when the projector gave up on an event.
	Stopped bool `json:"-"`
}

// Deps is what the API needs from the rest of the server.
type Deps struct {
	Commands *commands.Handler
	// Reads is the read-model database.
	Reads readmodels.Querier
	// Heartbeats records console heartbeats.
	Heartbeats readmodels.Querier
	// WaitFor blocks until every read model has applied position p.
	WaitFor func(ctx context.Context, p eventschema.Position) error
	// ReadWait is how long a query with ?min_position= waits for the read
	// models before it answers 503 (0: 5s).
	ReadWait time.Duration
	// Checks are readiness checks by name (e.g. "database").
	Checks map[string]func(context.Context) error
	// Projectors reports the projectors' health.
	Projectors func() []ProjectorStatus
	Gatherer   prometheus.Gatherer
	Logger     *slog.Logger
	// OperatorToken is the platform operator's bearer token: it creates
	// tenants and licenses seats, and nothing inside a tenant.
	OperatorToken string
	// TeamsOf lists the teams a user belongs to, for team-scoped roles.
	TeamsOf func(ctx context.Context, tenantID, agentID uuid.UUID) ([]string, error)
	// Live pushes changes to consoles; nil turns live updates off.
	Live *Live
	// ChannelLive streams conversations to channels; nil turns it off.
	ChannelLive *ChannelLive
	// Webhooks sends test deliveries; nil turns pings off.
	Webhooks *outbound.Deliverer
	// Now is the clock (time.Now if nil).
	Now func() time.Time
	// Limits bound sign-in attempts and channel requests.
	Limits Limits
	// TrustedProxies are the peers whose X-Forwarded-For is believed.
	TrustedProxies []*net.IPNet
	// MetricsToken is the bearer token of /metrics (the operator token's
	// if empty).
	MetricsToken string
	// RequestTimeout bounds every request but the live streams (0: none).
	RequestTimeout time.Duration
	// StreamWriteTimeout is how long one write to a live stream may take
	// before the stream ends (0: 30s).
	StreamWriteTimeout time.Duration
	// MaxStreamsPerUser and MaxStreamsPerChannelKey bound the live streams
	// open at once by one user and through one channel key (0: 8 and
	// 1000); past them a stream is refused with 429.
	MaxStreamsPerUser       int
	MaxStreamsPerChannelKey int
}

// New returns the HTTP handler of the API.
func New(d Deps) (*echo.Echo, error) {
	doc, err := loadDocument()
	if err != nil {
		return nil, err
	}
	if d.Logger == nil {
		d.Logger = slog.Default()
	}
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = errorHandler(d.Logger)
	e.JSONSerializer = strictJSON{}
	e.IPExtractor = IPExtractor(d.TrustedProxies)
	e.Use(middleware.Recover())
	e.Use(securityHeaders)
	e.Use(middleware.BodyLimit("12M"))
	e.Use(requestTimeout(d.RequestTimeout))

	if d.Now == nil {
		d.Now = time.Now
	}
	if d.ReadWait <= 0 {
		d.ReadWait = 5 * time.Second
	}
	if d.StreamWriteTimeout <= 0 {
		d.StreamWriteTimeout = 30 * time.Second
	}
	if d.MaxStreamsPerUser <= 0 {
		d.MaxStreamsPerUser = 8
	}
	if d.MaxStreamsPerChannelKey <= 0 {
		d.MaxStreamsPerChannelKey = 1000
	}
	d.Limits = d.Limits.withDefaults()
	h := &handlers{d: d, userStreams: newStreamLimiter(d.MaxStreamsPerUser), keyStreams: newStreamLimiter(d.MaxStreamsPerChannelKey),
		signIns:           newSignInGuard(d.Limits, d.Now),
		channelByKey:      newKeyedLimiters(rate.Limit(d.Limits.ChannelPerKey), d.Limits.ChannelKeyBurst, d.Now),
		channelByCustomer: newKeyedLimiters(rate.Limit(d.Limits.ChannelPerCustomer), d.Limits.ChannelCustomerBurst, d.Now),
	}
	e.GET("/healthz", h.health)
	e.GET("/readyz", h.ready)
	e.GET("/metrics", echo.WrapHandler(promhttp.HandlerFor(d.Gatherer, promhttp.HandlerOpts{})), h.metricsAuth)
	e.GET("/v1/openapi.json", doc.serve)

	// Every /v1 route: its query and headers checked as text (text.go),
	// authenticated, then validated against the document, then authorized
	// by what its area declares (need, signedIn, operatorOnly), then
	// handled.
	v1 := e.Group("/v1", checkRequestText, h.authenticate, doc.validate)
	for _, area := range []func(*echo.Group){
		h.tenantRoutes,
		h.sessionRoutes,
		h.channelRoutes,
		h.liveRoutes,
		h.agentRoutes,
		h.roleRoutes,
		h.tokenRoutes,
		h.teamRoutes,
		h.timePlanRoutes,
		h.catalogueRoutes,
		h.phraseRoutes,
		h.knowledgeRoutes,
		h.routingRoutes,
		h.conversationRoutes,
		h.channelConversationRoutes,
		h.channelLiveRoutes,
		h.webhookRoutes,
		h.robotRoutes,
		h.queueRoutes,
		h.customerRoutes,
		h.keywordRoutes,
		h.colleagueRoutes,
		h.alarmRoutes,
		h.noteRoutes,
	} {
		area(v1)
	}
	return e, nil
}

type handlers struct {
	d Deps
	// userStreams and keyStreams count the live streams open per user and
	// per channel key.
	userStreams, keyStreams *streamLimiter
	signIns                 *signInGuard
	channelByKey            *keyedLimiters
	channelByCustomer       *keyedLimiters
}

// meta builds a command's metadata from the request: the actor, and the
// command ID from Idempotency-Key.
func meta(c echo.Context) (commands.Meta, error) {
	m := commands.Meta{Actor: actorOf(callerOf(c))}
	if key := c.Request().Header.Get("Idempotency-Key"); key != "" {
		// Scoped to the caller's tenant, the caller and the route, so that
		// equal keys of two tenants, two users or two endpoints never name
		// the same command (nor the IDs derived from it).
		cl := callerOf(c)
		scope := cl.tenantID.String() + " " + cl.who()
		m.CommandID = uuid.NewSHA1(idempotencyNamespace, []byte(scope+" "+c.Request().Method+" "+c.Request().URL.Path+" "+key))
	} else {
		m.CommandID = uuid.Must(uuid.NewV7())
	}
	if im := c.Request().Header.Get("If-Match"); im != "" {
		var v uint64
		if err := json.Unmarshal([]byte(im), &v); err != nil {
			var s string
			if json.Unmarshal([]byte(im), &s) != nil || json.Unmarshal([]byte(s), &v) != nil {
				return m, echo.NewHTTPError(http.StatusBadRequest, `If-Match must be a stream version such as "3"`)
			}
		}
		m.IfVersion = &v
	}
	return m, nil
}

var idempotencyNamespace = uuid.MustParse("6f1c3a52-8f7e-4d0e-9a53-1d2b7c4e9f10")

// awaitPosition honours ?min_position= so a client reads its own writes.
func (h *handlers) awaitPosition(c echo.Context) error {
	raw := c.QueryParam("min_position")
	if raw == "" || h.d.WaitFor == nil {
		return nil
	}
	p, err := eventschema.ParsePosition(raw)
	if err != nil {
		return echo.NewHTTPError(http.StatusBadRequest, "min_position: "+err.Error())
	}
	ctx, cancel := context.WithTimeout(c.Request().Context(), h.d.ReadWait)
	defer cancel()
	return h.d.WaitFor(ctx, p)
}

// actorOf is how a caller appears in event metadata.
func actorOf(cl caller) eventschema.Actor {
	switch {
	case cl.operator:
		return eventschema.Actor{Kind: eventschema.ActorSystem, ID: "operator"}
	case cl.agentID != uuid.Nil && cl.principal.Role.IsAdmin():
		return eventschema.Actor{Kind: eventschema.ActorAdmin, ID: cl.agentID.String()}
	case cl.agentID != uuid.Nil:
		return eventschema.Actor{Kind: eventschema.ActorAgent, ID: cl.agentID.String()}
	case cl.robotID != uuid.Nil:
		return eventschema.Actor{Kind: eventschema.ActorRobot, ID: cl.robotID.String()}
	default:
		return eventschema.Actor{Kind: eventschema.ActorSystem, ID: "api-token"}
	}
}
