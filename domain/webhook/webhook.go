// Package webhook holds a tenant's webhook endpoints and the rules of
// outbound delivery to channels: which facts of a conversation its
// customer's channel is told and in what form (outbound.go), which endpoint
// receives which of them, and how a delivery is named and signed.
//
// The endpoints of one tenant are one aggregate, stream "webhooks-{tenant
// id}": they are few, and one stream keeps their number bounded.
package webhook

import (
	"net/url"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/google/uuid"

	"supportd/domain"
	"supportd/eventschema"
	"supportd/secrets"
)

// Stream is the stream of a tenant's webhook endpoints.
func Stream(tenantID uuid.UUID) string { return "webhooks-" + tenantID.String() }

// StreamPrefix starts every webhooks stream.
const StreamPrefix = "webhooks-"

// MaxEndpoints bounds a tenant's endpoints: each one is a delivery queue.
const MaxEndpoints = 20

// Bounds of an endpoint's fields.
const (
	MaxURLLength     = 2000
	MinSecretLength  = 16
	MaxSecretLength  = 200
	MaxDescription   = 200
	MaxChannels      = 20
	maxChannelLength = 50
)

// Endpoint is one webhook endpoint with its ID.
type Endpoint struct {
	ID uuid.UUID
	eventschema.WebhookEndpoint
}

// Accepts reports whether the endpoint takes the outbound events of a
// conversation on channel: it is enabled, and it names the channel or no
// channel at all.
func (e Endpoint) Accepts(channel string) bool {
	return e.Enabled && (len(e.Channels) == 0 || slices.Contains(e.Channels, channel))
}

// State is a tenant's endpoints.
type State struct {
	TenantID  uuid.UUID
	Endpoints map[uuid.UUID]Endpoint
}

// Evolve folds one event into the state.
func Evolve(s State, event any) State {
	switch e := event.(type) {
	case eventschema.WebhookEndpointRegistered:
		s = s.with(e.TenantID)
		s.Endpoints[e.EndpointID] = Endpoint{ID: e.EndpointID, WebhookEndpoint: e.Endpoint}
	case eventschema.WebhookEndpointChanged:
		s = s.with(e.TenantID)
		s.Endpoints[e.EndpointID] = Endpoint{ID: e.EndpointID, WebhookEndpoint: e.Endpoint}
	case eventschema.WebhookEndpointDeleted:
		s = s.with(e.TenantID)
		delete(s.Endpoints, e.EndpointID)
	}
	return s
}

// with copies the map before a change, so a state handed out earlier (a
// cached snapshot) does not change under its reader.
func (s State) with(tenantID uuid.UUID) State {
	s.TenantID = tenantID
	m := make(map[uuid.UUID]Endpoint, len(s.Endpoints)+1)
	for k, v := range s.Endpoints {
		m[k] = v
	}
	s.Endpoints = m
	return s
}

// Matching lists the endpoints that take an outbound event of a
// conversation on channel, sorted by ID so fan-out order is stable.
func (s State) Matching(channel string) []Endpoint {
	var out []Endpoint
	for _, e := range s.Endpoints {
		if e.Accepts(channel) {
			out = append(out, e)
		}
	}
	slices.SortFunc(out, func(a, b Endpoint) int { return strings.Compare(a.ID.String(), b.ID.String()) })
	return out
}

// Register adds an endpoint.
func Register(s State, tenantID, id uuid.UUID, ep eventschema.WebhookEndpoint) ([]any, error) {
	if id == uuid.Nil {
		return nil, domain.Errorf(domain.Invalid, "webhook.id", "endpoint_id", "must be a UUID")
	}
	if _, ok := s.Endpoints[id]; ok {
		return nil, domain.Errorf(domain.Conflict, "webhook.exists", "", "webhook endpoint %s already exists", id)
	}
	if len(s.Endpoints) >= MaxEndpoints {
		return nil, domain.Errorf(domain.Conflict, "webhook.too_many", "", "a tenant has at most %d webhook endpoints", MaxEndpoints)
	}
	ep, err := Validate(ep)
	if err != nil {
		return nil, err
	}
	return []any{eventschema.WebhookEndpointRegistered{TenantID: tenantID, EndpointID: id, Endpoint: ep}}, nil
}

// Change replaces an endpoint's definition. An empty secret keeps the
// current one; saving what is already there records nothing.
func Change(s State, tenantID, id uuid.UUID, ep eventschema.WebhookEndpoint) ([]any, error) {
	old, ok := s.Endpoints[id]
	if !ok {
		return nil, notFound(id)
	}
	if ep.Secret == "" {
		ep.Secret = old.Secret
	}
	ep, err := Validate(ep)
	if err != nil {
		return nil, err
	}
	if equal(old.WebhookEndpoint, ep) {
		return nil, nil
	}
	return []any{eventschema.WebhookEndpointChanged{TenantID: tenantID, EndpointID: id, Endpoint: ep}}, nil
}

// Delete removes an endpoint.
func Delete(s State, tenantID, id uuid.UUID) ([]any, error) {
	if _, ok := s.Endpoints[id]; !ok {
		return nil, notFound(id)
	}
	return []any{eventschema.WebhookEndpointDeleted{TenantID: tenantID, EndpointID: id}}, nil
}

func notFound(id uuid.UUID) error {
	return domain.Errorf(domain.NotFound, "webhook.not_found", "", "webhook endpoint %s not found", id)
}

// CheckSecret is the rule of a plain secret; a sealed one (checked before
// it was sealed) passes.
func CheckSecret(s string) error {
	if secrets.IsSealed(s) {
		return nil
	}
	if n := utf8.RuneCountInString(s); n < MinSecretLength || n > MaxSecretLength {
		return domain.Errorf(domain.Invalid, "webhook.secret", "secret", "must have %d to %d characters", MinSecretLength, MaxSecretLength)
	}
	return nil
}

// Validate checks an endpoint and returns it in canonical form: the URL
// absolute http(s) without credentials or fragment, channels trimmed, lower
// case, sorted and without duplicates.
func Validate(ep eventschema.WebhookEndpoint) (eventschema.WebhookEndpoint, error) {
	if err := ValidateURL(ep.URL); err != nil {
		return ep, err
	}
	ep.URL = strings.TrimSpace(ep.URL)
	if err := CheckSecret(ep.Secret); err != nil {
		return ep, err
	}
	if utf8.RuneCountInString(ep.Description) > MaxDescription {
		return ep, domain.Errorf(domain.Invalid, "webhook.description", "description", "at most %d characters", MaxDescription)
	}
	var channels []string
	for _, c := range ep.Channels {
		c = strings.ToLower(strings.TrimSpace(c))
		if c == "" || utf8.RuneCountInString(c) > maxChannelLength {
			return ep, domain.Errorf(domain.Invalid, "webhook.channel", "channels", "channel names have 1 to %d characters", maxChannelLength)
		}
		if !slices.Contains(channels, c) {
			channels = append(channels, c)
		}
	}
	if len(channels) > MaxChannels {
		return ep, domain.Errorf(domain.Invalid, "webhook.channel", "channels", "at most %d channels", MaxChannels)
	}
	slices.Sort(channels)
	ep.Channels = channels
	return ep, nil
}

// ValidateURL accepts an absolute http or https URL with a host, and
// without user credentials (they would travel in every delivery's logs) or
// a fragment (never sent).
func ValidateURL(raw string) error {
	raw = strings.TrimSpace(raw)
	bad := func(why string) error {
		return domain.Errorf(domain.Invalid, "webhook.url", "url", "%s", why)
	}
	if raw == "" || len(raw) > MaxURLLength {
		return bad("must be an http or https URL of at most 2000 characters")
	}
	u, err := url.Parse(raw)
	if err != nil {
		return bad("is not a URL")
	}
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return bad("must use http or https")
	case u.Host == "" || u.Hostname() == "":
		return bad("must name a host")
	case u.User != nil:
		return bad("must not carry credentials; the signature authenticates deliveries")
	case u.Fragment != "" || strings.Contains(raw, "#"):
		return bad("must not have a fragment")
	}
	return nil
}

func equal(a, b eventschema.WebhookEndpoint) bool {
	return a.URL == b.URL && a.Secret == b.Secret && a.Enabled == b.Enabled &&
		a.Description == b.Description && slices.Equal(a.Channels, b.Channels)
}
