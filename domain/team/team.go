// Package team is the team aggregate: a group of agents with similar
// skills, its greeting, its members and the time plan whose working hours
// are its own. Stream: "team-{tenant id}_{team id}".
package team

import (
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/google/uuid"

	"supportd/domain/satisfaction"

	"supportd/domain"
	"supportd/domain/timeplan"
	"supportd/eventschema"
)

// Stream returns the stream name of team id.
func Stream(tenantID, id uuid.UUID) string { return eventschema.ObjectStream("team", tenantID, id) }

// MaxBatch bounds the agents one member update may name, so that one event
// stays small.
const MaxBatch = 1000

// State is what a team's decisions need.
type State struct {
	ID       uuid.UUID
	TenantID uuid.UUID
	Exists   bool
	Deleted  bool
	Name     string
	Greeting string
	// PlanID is the bound time plan; the nil UUID: the tenant's default.
	PlanID  uuid.UUID
	Members map[uuid.UUID]bool
	// RatingOptions are the team's own rating options; nil: the tenant's.
	RatingOptions *eventschema.RatingOptions
}

// Evolve folds one event of the team's stream into the state.
func Evolve(s State, event any) State {
	switch e := event.(type) {
	case eventschema.TeamCreated:
		s = State{ID: e.TeamID, TenantID: e.TenantID, Exists: true, Name: e.Name, Greeting: e.Greeting, Members: map[uuid.UUID]bool{}}
	case eventschema.TeamRenamed:
		s.Name = e.Name
	case eventschema.TeamGreetingChanged:
		s.Greeting = e.Greeting
	case eventschema.TeamTimePlanBound:
		s.PlanID = e.PlanID
	case eventschema.TeamMembersUpdated:
		// Copy: a state once returned never changes.
		m := make(map[uuid.UUID]bool, len(s.Members)+len(e.Added))
		for k := range s.Members {
			m[k] = true
		}
		for _, id := range e.Added {
			m[id] = true
		}
		for _, id := range e.Removed {
			delete(m, id)
		}
		s.Members = m
	case eventschema.TeamRatingOptionsSet:
		s.RatingOptions = e.Options
	case eventschema.TeamDeleted:
		s.Deleted = true
	}
	return s
}

// SetRatingOptions decides the team's own rating options; nil returns the
// team to the tenant's.
func SetRatingOptions(s State, tenantID uuid.UUID, o *eventschema.RatingOptions) ([]any, error) {
	if err := s.require(tenantID); err != nil {
		return nil, err
	}
	if o != nil {
		v, err := satisfaction.Validate(*o)
		if err != nil {
			return nil, err
		}
		o = &v
	}
	if reflect.DeepEqual(o, s.RatingOptions) {
		return nil, nil
	}
	return []any{eventschema.TeamRatingOptionsSet{TenantID: tenantID, TeamID: s.ID, Options: o}}, nil
}

// Others are the names of the tenant's other teams, by team ID, as the
// teams read model knows them. Names are unique per tenant: the consoles
// pick teams by name (routing rules, transfers). The check runs against
// the read model, not a stream, so two admins creating the same name in the
// same instant can both succeed; that is rare, visible and fixed by a
// rename, and is cheaper than a second stream written with every team.
type Others map[uuid.UUID]string

func (o Others) taken(name string, except uuid.UUID) bool {
	for id, n := range o {
		if id != except && strings.EqualFold(n, name) {
			return true
		}
	}
	return false
}

func (s State) require(tenantID uuid.UUID) error {
	if !s.Exists || s.Deleted || s.TenantID != tenantID {
		return domain.Errorf(domain.NotFound, "team.not_found", "", "team not found")
	}
	return nil
}

// Create decides a new team.
func Create(s State, tenantID, teamID uuid.UUID, name, greeting string, others Others) ([]any, error) {
	if s.Exists {
		return nil, domain.Errorf(domain.Conflict, "team.exists", "", "team %s already exists", teamID)
	}
	if teamID == uuid.Nil {
		return nil, domain.Errorf(domain.Invalid, "team.id", "team_id", "must be a UUID")
	}
	name, err := validName(name, teamID, others)
	if err != nil {
		return nil, err
	}
	greeting, err = validGreeting(greeting)
	if err != nil {
		return nil, err
	}
	return []any{eventschema.TeamCreated{TenantID: tenantID, TeamID: teamID, Name: name, Greeting: greeting}}, nil
}

// Edit decides a team's new name and greeting: a rename, a greeting
// change, both or neither.
func Edit(s State, tenantID uuid.UUID, name, greeting string, others Others) ([]any, error) {
	if err := s.require(tenantID); err != nil {
		return nil, err
	}
	name, err := validName(name, s.ID, others)
	if err != nil {
		return nil, err
	}
	greeting, err = validGreeting(greeting)
	if err != nil {
		return nil, err
	}
	var out []any
	if name != s.Name {
		out = append(out, eventschema.TeamRenamed{TenantID: tenantID, TeamID: s.ID, Name: name, Previous: s.Name})
	}
	if greeting != s.Greeting {
		out = append(out, eventschema.TeamGreetingChanged{TenantID: tenantID, TeamID: s.ID, Greeting: greeting})
	}
	return out, nil
}

// BindTimePlan decides that plan's working hours become the team's. The
// zero plan State (with planID nil) unbinds: the tenant's default applies.
func BindTimePlan(s State, tenantID, planID uuid.UUID, plan timeplan.State) ([]any, error) {
	if err := s.require(tenantID); err != nil {
		return nil, err
	}
	if planID != uuid.Nil && (!plan.Live(tenantID) || plan.ID != planID) {
		return nil, domain.Errorf(domain.Invalid, "team.time_plan", "plan_id", "no time plan %s", planID)
	}
	if planID == s.PlanID {
		return nil, nil
	}
	return []any{eventschema.TeamTimePlanBound{TenantID: tenantID, TeamID: s.ID, PlanID: planID, Previous: s.PlanID}}, nil
}

// UpdateMembers decides one batch update of the members. Every agent added
// must be a user of the tenant (isAgent); an agent may not be both added
// and removed. Adding a member or removing a non-member changes nothing,
// so a retried batch is harmless; a batch that changes nothing decides
// nothing.
func UpdateMembers(s State, tenantID uuid.UUID, add, remove []uuid.UUID, isAgent func(uuid.UUID) bool) ([]any, error) {
	if err := s.require(tenantID); err != nil {
		return nil, err
	}
	if len(add)+len(remove) > MaxBatch {
		return nil, domain.Errorf(domain.Invalid, "team.batch", "add", "at most %d agents per update", MaxBatch)
	}
	removing := map[uuid.UUID]bool{}
	for _, id := range remove {
		removing[id] = true
	}
	var added, removed []uuid.UUID
	for i, id := range add {
		if removing[id] {
			return nil, domain.Errorf(domain.Invalid, "team.member_twice", fmt.Sprintf("add[%d]", i), "agent %s is both added and removed", id)
		}
		if !isAgent(id) {
			return nil, domain.Errorf(domain.Invalid, "team.member_unknown", fmt.Sprintf("add[%d]", i), "no agent %s in this tenant", id)
		}
		if !s.Members[id] && !slices.Contains(added, id) {
			added = append(added, id)
		}
	}
	for _, id := range remove {
		if s.Members[id] && !slices.Contains(removed, id) {
			removed = append(removed, id)
		}
	}
	if len(added)+len(removed) == 0 {
		return nil, nil
	}
	sortIDs(added)
	sortIDs(removed)
	return []any{eventschema.TeamMembersUpdated{TenantID: tenantID, TeamID: s.ID, Added: added, Removed: removed}}, nil
}

// Delete decides the removal of a team.
func Delete(s State, tenantID uuid.UUID) ([]any, error) {
	if err := s.require(tenantID); err != nil {
		return nil, err
	}
	return []any{eventschema.TeamDeleted{TenantID: tenantID, TeamID: s.ID, Name: s.Name}}, nil
}

func sortIDs(ids []uuid.UUID) {
	slices.SortFunc(ids, func(a, b uuid.UUID) int { return strings.Compare(a.String(), b.String()) })
}

func validName(name string, self uuid.UUID, others Others) (string, error) {
	name = strings.TrimSpace(name)
	if n := utf8.RuneCountInString(name); n < 1 || n > 100 {
		return "", domain.Errorf(domain.Invalid, "team.name", "name", "must be 1 to 100 characters")
	}
	if others.taken(name, self) {
		return "", domain.Errorf(domain.Conflict, "team.name_taken", "name", "another team is called %q", name)
	}
	return name, nil
}

// placeholder finds "##word##" markers in a greeting.
var placeholder = regexp.MustCompile(`##([^#]*)##`)

// validGreeting: at most 500 characters; the only placeholder is
// "##dear##", replaced by the customer's name when the greeting is sent.
// Another one would reach customers verbatim.
func validGreeting(g string) (string, error) {
	g = strings.TrimSpace(g)
	if utf8.RuneCountInString(g) > 500 {
		return "", domain.Errorf(domain.Invalid, "team.greeting", "greeting", "must be at most 500 characters")
	}
	for _, m := range placeholder.FindAllStringSubmatch(g, -1) {
		if m[1] != "dear" {
			return "", domain.Errorf(domain.Invalid, "team.greeting_placeholder", "greeting", "unknown placeholder %q; only ##dear## is replaced", m[0])
		}
	}
	return g, nil
}
