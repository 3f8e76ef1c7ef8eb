package commands

import (
	"context"
	"fmt"

	"github.com/google/uuid"

	"supportd/domain/routing"
	"supportd/domain/tenant"
	"supportd/domain/timeplan"
	"supportd/eventschema"
)

// CreateTenant registers a new customer-service organisation and its first
// admin.
type CreateTenant struct {
	TenantID uuid.UUID
	Name     string
	TimeZone string
	Admin    NewUser
	// SetUp gives the tenant the default set-up (setUp); without it the
	// tenant starts empty, for an operator who provisions it otherwise.
	SetUp bool
}

// NewUser is a user to add, with the password in clear (it is hashed here
// and never stored).
type NewUser struct {
	AgentID  uuid.UUID
	Email    string
	Nickname string
	RealName string
	Role     string
	Password string
	Enabled  bool
}

// CreateTenant handles the CreateTenant command: the tenant with its first
// admin, then the set-up it serves its first conversation with (setUp).
func (h *Handler) CreateTenant(ctx context.Context, m Meta, c CreateTenant) (Result, error) {
	m.TenantID = c.TenantID
	if err := tenant.CheckPassword("password", c.Admin.Password, c.Admin.Email, c.Admin.Nickname, c.Admin.RealName, c.Name); err != nil {
		return Result{}, prefixField(err, "admin.")
	}
	admin := tenant.NewAgent{AgentID: c.Admin.AgentID, Email: c.Admin.Email, Nickname: c.Admin.Nickname,
		RealName: c.Admin.RealName}
	if m.CommandID == uuid.Nil {
		m.CommandID = uuid.Must(uuid.NewV7())
	}
	if admin.AgentID == uuid.Nil {
		// Derived from the command, so that a retry names the same admin
		// (its password, its place in the default team).
		admin.AgentID = derivedID(m, "admin")
	}
	if err := h.storePassword(ctx, c.TenantID, admin.AgentID, c.Admin.Password, uuid.Nil); err != nil {
		return Result{}, prefixField(err, "admin.")
	}
	res, err := Execute(ctx, h, m, tenantAggregate(c.TenantID), func(s tenant.State) ([]any, error) {
		return tenant.Create(s, c.TenantID, c.Name, c.TimeZone, admin)
	})
	if err != nil {
		return Result{}, err
	}
	// The answer's position covers the set-up, so that a read at it
	// shows the default team and routing.
	if !c.SetUp {
		return res, nil
	}
	at, err := h.setUp(ctx, m, c.TenantID, admin.AgentID)
	if res.Position.Less(at) {
		res.Position = at
	}
	return res, err
}

// Default set-up of a new tenant, named so that admins recognise it.
const (
	DefaultTeamName     = "Support"
	DefaultTimePlanName = "All day"
)

// DefaultSetUp names the objects a new tenant starts with. Their IDs derive
// from the tenant's, so that a retried creation finds them.
func DefaultSetUp(tenantID uuid.UUID) (teamID, planID, ruleID uuid.UUID) {
	return uuid.NewSHA1(tenantID, []byte("default team")), uuid.NewSHA1(tenantID, []byte("default time plan")),
		uuid.NewSHA1(tenantID, []byte("default routing"))
}

// setUp gives a new tenant what its first conversation needs, as the manual
// ships it: a default team holding the first admin, a default time plan
// working all day, and the default routing binding to that team. Each step
// is an ordinary command with an ID derived from the tenant, so a creation
// retried after a crash half-way completes the set-up without repeating a
// step; admins change all of it afterwards like anything they made.
func (h *Handler) setUp(ctx context.Context, m Meta, tenantID, adminID uuid.UUID) (eventschema.Position, error) {
	teamID, planID, ruleID := DefaultSetUp(tenantID)
	step := func(name string) Meta {
		s := m
		s.CommandID = uuid.NewSHA1(tenantID, []byte("set-up "+name))
		return s
	}
	steps := []struct {
		name string
		run  func(Meta) (Result, error)
	}{
		{"time plan", func(m Meta) (Result, error) {
			return h.DefineTimePlan(ctx, m, DefineTimePlan{TenantID: tenantID, PlanID: planID, Name: DefaultTimePlanName, Schedule: timeplan.AllDay()})
		}},
		{"default time plan", func(m Meta) (Result, error) {
			return h.ChooseDefaultTimePlan(ctx, m, ChooseDefaultTimePlan{TenantID: tenantID, PlanID: planID})
		}},
		{"team", func(m Meta) (Result, error) {
			return h.CreateTeam(ctx, m, CreateTeam{TenantID: tenantID, TeamID: teamID, Name: DefaultTeamName})
		}},
		{"team members", func(m Meta) (Result, error) {
			return h.UpdateTeamMembers(ctx, m, UpdateTeamMembers{TenantID: tenantID, TeamID: teamID, Add: []uuid.UUID{adminID}})
		}},
		{"routing", func(m Meta) (Result, error) {
			return h.SetDefaultRouting(ctx, m, SetDefaultRouting{TenantID: tenantID, NewRuleID: ruleID, Rule: eventschema.RoutingRule{
				Binding: eventschema.BindingDefault, Enabled: true, Hours: "all_day",
				Target: eventschema.RoutingTarget{Kind: routing.TargetTeam, ID: teamID}}})
		}},
	}
	var last eventschema.Position
	for _, s := range steps {
		res, err := s.run(step(s.name))
		if err != nil {
			return last, fmt.Errorf("set up tenant %s: %s: %w", tenantID, s.name, err)
		}
		if last.Less(res.Position) {
			last = res.Position
		}
	}
	return last, nil
}

func tenantAggregate(id uuid.UUID) Aggregate[tenant.State] {
	return Aggregate[tenant.State]{Tenant: id, Stream: tenant.Stream(id), Evolve: tenant.Evolve, Cache: true}
}
