package commands_test

import (
	"context"
	"testing"

	"github.com/google/uuid"

	"supportd/commands"
	"supportd/domain/routing"
	"supportd/domain/team"
	"supportd/domain/tenant"
	"supportd/domain/timeplan"
	"supportd/eventschema"
	"supportd/eventstore"
)

// TestTenantSetUpCompletesOnRetry: a creation that stopped after the tenant
// (a crash before the set-up) is completed by its retry, and a further
// retry writes nothing.
func TestTenantSetUpCompletesOnRetry(t *testing.T) {
	t.Parallel()
	h, store := newHandler(t)
	ctx := context.Background()
	id := uuid.Must(uuid.NewV7())
	m := admin()
	create := commands.CreateTenant{TenantID: id, Name: "Acme", Admin: boss}
	// The crash: the tenant exists, nothing of the set-up does.
	if _, err := h.CreateTenant(ctx, m, create); err != nil {
		t.Fatal(err)
	}
	teamID, planID, ruleID := commands.DefaultSetUp(id)
	length := func(stream string) int {
		t.Helper()
		events, err := store.ReadStream(ctx, stream, eventstore.Forwards, 0, 100)
		if err != nil {
			t.Fatal(err)
		}
		return len(events)
	}
	if n := length(team.Stream(id, teamID)); n != 0 {
		t.Fatalf("a creation without set-up wrote %d team events", n)
	}
	create.SetUp = true
	for range 2 {
		if _, err := h.CreateTenant(ctx, m, create); err != nil {
			t.Fatal(err)
		}
		if n := length(team.Stream(id, teamID)); n != 2 { // created, admin added
			t.Errorf("team stream holds %d events", n)
		}
		if n := length(timeplan.Stream(id, planID)); n != 1 {
			t.Errorf("time plan stream holds %d events", n)
		}
		if n := length(tenant.Stream(id)); n != 3 { // created, admin, default plan chosen
			t.Errorf("tenant stream holds %d events", n)
		}
	}
	rules, _, err := h.RoutingRules(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if len(rules) != 1 || rules[0].ID != ruleID || rules[0].Binding != eventschema.BindingDefault ||
		rules[0].Target.Kind != routing.TargetTeam || rules[0].Target.ID != teamID {
		t.Errorf("routing after the set-up: %+v", rules)
	}
}
