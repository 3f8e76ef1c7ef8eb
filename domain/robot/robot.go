// Package robot holds a tenant's robots: who they are (name, avatar), where
// the customer messages of the conversations they host are delivered (a
// webhook), and the API token with which they answer, hand conversations
// over to agents and close them. Which conversations a robot hosts is the
// routing's decision (domain/routing) and the conversation's state
// (conversation.State.Robot).
//
// The robots of one tenant are one aggregate, stream "robots-{tenant id}".
package robot

import (
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/google/uuid"

	"supportd/domain"
	"supportd/domain/webhook"
	"supportd/eventschema"
)

// Stream is the stream of a tenant's robots.
func Stream(tenantID uuid.UUID) string { return StreamPrefix + tenantID.String() }

// StreamPrefix starts every robots stream.
const StreamPrefix = "robots-"

// MaxRobots bounds a tenant's robots.
const MaxRobots = 20

// Robot is one robot with its ID.
type Robot struct {
	ID uuid.UUID
	eventschema.Robot
}

// State is a tenant's robots.
type State struct {
	TenantID uuid.UUID
	Robots   map[uuid.UUID]Robot
}

// Evolve folds one event into the state; it copies the map before a
// change, so a state handed out earlier does not change under its reader.
func Evolve(s State, event any) State {
	with := func(tenantID uuid.UUID) {
		m := make(map[uuid.UUID]Robot, len(s.Robots)+1)
		for k, v := range s.Robots {
			m[k] = v
		}
		s.TenantID, s.Robots = tenantID, m
	}
	switch e := event.(type) {
	case eventschema.RobotRegistered:
		with(e.TenantID)
		s.Robots[e.RobotID] = Robot{ID: e.RobotID, Robot: e.Robot}
	case eventschema.RobotChanged:
		with(e.TenantID)
		s.Robots[e.RobotID] = Robot{ID: e.RobotID, Robot: e.Robot}
	case eventschema.RobotRemoved:
		with(e.TenantID)
		delete(s.Robots, e.RobotID)
	}
	return s
}

// Register adds a robot; tokenHash is the hash of its first API token.
func Register(s State, tenantID, id uuid.UUID, r eventschema.Robot, tokenHash string) ([]any, error) {
	if id == uuid.Nil {
		return nil, domain.Errorf(domain.Invalid, "robot.id", "robot_id", "must be a UUID")
	}
	if _, ok := s.Robots[id]; ok {
		return nil, domain.Errorf(domain.Conflict, "robot.exists", "", "robot %s already exists", id)
	}
	if len(s.Robots) >= MaxRobots {
		return nil, domain.Errorf(domain.Conflict, "robot.too_many", "", "a tenant has at most %d robots", MaxRobots)
	}
	r, err := Validate(r)
	if err != nil {
		return nil, err
	}
	return []any{eventschema.RobotRegistered{TenantID: tenantID, RobotID: id, Robot: r, TokenHash: tokenHash}}, nil
}

// Change replaces a robot's definition. An empty secret keeps the current
// one; saving what is already there records nothing.
func Change(s State, tenantID, id uuid.UUID, r eventschema.Robot) ([]any, error) {
	old, ok := s.Robots[id]
	if !ok {
		return nil, NotFound(id)
	}
	if r.Secret == "" {
		r.Secret = old.Secret
	}
	r, err := Validate(r)
	if err != nil {
		return nil, err
	}
	if r == old.Robot {
		return nil, nil
	}
	return []any{eventschema.RobotChanged{TenantID: tenantID, RobotID: id, Robot: r}}, nil
}

// IssueToken replaces a robot's API token.
func IssueToken(s State, tenantID, id uuid.UUID, tokenHash string) ([]any, error) {
	if _, ok := s.Robots[id]; !ok {
		return nil, NotFound(id)
	}
	return []any{eventschema.RobotTokenIssued{TenantID: tenantID, RobotID: id, TokenHash: tokenHash}}, nil
}

// Remove removes a robot.
func Remove(s State, tenantID, id uuid.UUID) ([]any, error) {
	if _, ok := s.Robots[id]; !ok {
		return nil, NotFound(id)
	}
	return []any{eventschema.RobotRemoved{TenantID: tenantID, RobotID: id}}, nil
}

// NotFound is the error for a robot the tenant does not have.
func NotFound(id uuid.UUID) error {
	return domain.Errorf(domain.NotFound, "robot.not_found", "", "robot %s not found", id)
}

// Validate checks a robot and returns it in canonical form (trimmed). A
// webhook needs a secret to sign with; without a webhook there is none.
func Validate(r eventschema.Robot) (eventschema.Robot, error) {
	r.Name, r.AvatarURL, r.WebhookURL = strings.TrimSpace(r.Name), strings.TrimSpace(r.AvatarURL), strings.TrimSpace(r.WebhookURL)
	if n := utf8.RuneCountInString(r.Name); n == 0 || n > 100 {
		return r, domain.Errorf(domain.Invalid, "robot.name", "name", "must have 1 to 100 characters")
	}
	if r.AvatarURL != "" {
		u, err := url.Parse(r.AvatarURL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || len(r.AvatarURL) > webhook.MaxURLLength {
			return r, domain.Errorf(domain.Invalid, "robot.avatar_url", "avatar_url", "must be an http(s) URL")
		}
	}
	if r.WebhookURL == "" {
		r.Secret = ""
		return r, nil
	}
	if err := webhook.ValidateURL(r.WebhookURL); err != nil {
		return r, fieldOf(err, "webhook_url")
	}
	if err := webhook.CheckSecret(r.Secret); err != nil {
		return r, err
	}
	return r, nil
}

// fieldOf points a webhook rule's violation at the robot's field.
func fieldOf(err error, field string) error {
	if de, ok := err.(*domain.Error); ok {
		c := *de
		c.Field = field
		return &c
	}
	return err
}
