package commands_test

import (
	"context"
	"encoding/json"
	"slices"
	"testing"

	"github.com/google/uuid"
	"golang.org/x/crypto/bcrypt"

	"supportd/commands"
	"supportd/credentials"
	agentprofile "supportd/domain/agent"
	"supportd/domain/conversation"
	"supportd/eventschema"
	"supportd/eventstore"
	"supportd/eventstore/postgres"
	"supportd/eventstore/postgres/pgtest"
)

// TestGreetJoined greets the agent who joins from the queue with the team's
// greeting and the default address, once; an agent who takes over a
// transfer sends none while transfer.skip_greetings is on.
func TestGreetJoined(t *testing.T) {
	t.Parallel()
	pool := pgtest.NewPool(t)
	ctx := context.Background()
	if err := postgres.Migrate(ctx, pool); err != nil {
		t.Fatal(err)
	}
	store := postgres.New(pool)
	t.Cleanup(store.Close)
	h := commands.NewHandler(store, eventschema.Catalog(), &movingClock{t: now})
	h.Passwords = commands.Bcrypt{Cost: bcrypt.MinCost}
	h.Credentials = credentials.Store{DB: pool}
	if err := h.Credentials.(credentials.Store).Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	tenantID, teamID, convID := uuid.Must(uuid.NewV7()), uuid.Must(uuid.NewV7()), uuid.Must(uuid.NewV7())
	must := func(_ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(h.CreateTenant(ctx, admin(), commands.CreateTenant{TenantID: tenantID, Name: "Acme", TimeZone: "UTC", Admin: boss}))
	agent := func(email string) uuid.UUID {
		a, err := h.AddAgent(ctx, admin(), commands.AddAgent{TenantID: tenantID, Email: email, Nickname: email[:3], Role: "agent", Password: "correct-horse"})
		must(a, err)
		return a.AgentID
	}
	ann, bob := agent("ann@acme.example"), agent("bob@acme.example")
	must(h.CreateTeam(ctx, admin(), commands.CreateTeam{TenantID: tenantID, TeamID: teamID, Name: "Support", Greeting: "Hello ##dear##!"}))
	must(h.UpdateTeamMembers(ctx, admin(), commands.UpdateTeamMembers{TenantID: tenantID, TeamID: teamID, Add: []uuid.UUID{ann, bob}}))
	must(h.ChangeTenantSetting(ctx, admin(), commands.ChangeTenantSetting{TenantID: tenantID, Key: "transfer.skip_greetings", Value: json.RawMessage(`true`)}))
	must(h.ChangeTenantSetting(ctx, admin(), commands.ChangeTenantSetting{TenantID: tenantID, Key: "greetings.default_address", Value: json.RawMessage(`"Friend"`)}))
	must(h.StartConversation(ctx, admin(), commands.StartConversation{TenantID: tenantID, ConversationID: convID,
		Channel: "web", CustomerID: uuid.Must(uuid.NewV7()), EntryTeamID: teamID}))
	sc := commands.Scope{TenantID: tenantID}

	greet := func() int {
		t.Helper()
		res, err := h.GreetJoined(ctx, admin(), sc, convID)
		must(res, err)
		return res.Events
	}
	if n := greet(); n != 0 {
		t.Errorf("greetings while nobody serves: %d", n)
	}
	// The assignment greets by itself (the team's greeting; Ann has none).
	assigned, err := h.AssignFromQueue(ctx, admin(), sc, convID, ann)
	must(assigned, err)
	if assigned.Events != 2 {
		t.Errorf("assignment wrote %d events, want the join and the team's greeting", assigned.Events)
	}
	if n := greet(); n != 0 {
		t.Errorf("greeted again: %d", n)
	}
	must(h.RequestTransfer(ctx, admin(), commands.RequestTransfer{Scope: sc, ConversationID: convID, TransferID: uuid.Must(uuid.NewV7()),
		By: conversation.Actor{Kind: "agent", ID: ann.String()}, ToKind: "team", ToID: teamID, EligibleAgent: bob}))
	if n := greet(); n != 0 {
		t.Errorf("greetings on a transfer with skip on: %d", n)
	}
	page, err := store.ReadStream(ctx, conversation.Stream(tenantID, convID), eventstore.Forwards, 0, 100)
	must(page, err)
	var texts []string
	transferred := false
	for _, e := range page {
		if e.Type == "AgentJoined" {
			var j eventschema.AgentJoined
			must(nil, json.Unmarshal(e.Data, &j))
			transferred = transferred || (j.AgentID == bob && j.How == eventschema.JoinedTransfer)
		}
		if e.Type == "MessageSent" {
			var m eventschema.MessageSent
			must(nil, json.Unmarshal(e.Data, &m))
			texts = append(texts, m.Notice+":"+m.Text)
		}
	}
	if !transferred {
		t.Errorf("Bob did not take the transfer over")
	}
	// The transfer sends its notice (transfer.notify_customer is on by
	// default), but no greetings.
	want := []string{"team_greeting:Hello Friend!", "transfer_notice:Your conversation has been transferred to another agent. Please wait a moment."}
	if !slices.Equal(texts, want) {
		t.Errorf("system messages %q, want %q", texts, want)
	}

	// A transfer to the team through its queue: whoever picks it up there
	// sends no greetings either.
	must(h.RequestTransfer(ctx, admin(), commands.RequestTransfer{Scope: sc, ConversationID: convID, TransferID: uuid.Must(uuid.NewV7()),
		By: conversation.Actor{Kind: "agent", ID: bob.String()}, ToKind: "team", ToID: teamID}))
	picked, err := h.JoinFromQueue(ctx, admin(), commands.JoinFromQueue{Scope: sc, ConversationID: convID, AgentID: ann})
	must(picked, err)
	if picked.Events != 1 {
		t.Errorf("a pick-up from the queue after a transfer wrote %d events, want the join alone", picked.Events)
	}

	// Off hours (the team's plan works on Sundays only; now is a Monday):
	// the team greets, the agent does not.
	must(h.ChangeTenantSetting(ctx, admin(), commands.ChangeTenantSetting{TenantID: tenantID, Key: "transfer.skip_greetings", Value: json.RawMessage(`false`)}))
	must(h.EditAgentProfile(ctx, admin(), commands.EditAgentProfile{AgentRef: commands.AgentRef{TenantID: tenantID, AgentID: ann},
		Profile: agentprofile.Profile{Nickname: "Ann", Greeting: "I'm Ann."}}))
	var sundays eventschema.TimePlanSchedule
	must(nil, json.Unmarshal([]byte(`{"weekly":{"sunday":[{"from":"09:00","to":"17:00"}]}}`), &sundays))
	planID := uuid.Must(uuid.NewV7())
	must(h.DefineTimePlan(ctx, admin(), commands.DefineTimePlan{TenantID: tenantID, PlanID: planID, Name: "Sundays", Schedule: sundays}))
	must(h.BindTeamTimePlan(ctx, admin(), commands.BindTeamTimePlan{TenantID: tenantID, TeamID: teamID, PlanID: planID}))
	conv2 := uuid.Must(uuid.NewV7())
	must(h.StartConversation(ctx, admin(), commands.StartConversation{TenantID: tenantID, ConversationID: conv2,
		Channel: "web", CustomerID: uuid.Must(uuid.NewV7()), CustomerName: "Lu", EntryTeamID: teamID}))
	must(h.AssignFromQueue(ctx, admin(), sc, conv2, ann))
	page, err = store.ReadStream(ctx, conversation.Stream(tenantID, conv2), eventstore.Forwards, 0, 100)
	must(page, err)
	texts = nil
	for _, e := range page {
		if e.Type == "MessageSent" {
			var m eventschema.MessageSent
			must(nil, json.Unmarshal(e.Data, &m))
			texts = append(texts, m.Notice+":"+m.Text)
		}
	}
	if want := []string{"team_greeting:Hello Lu!"}; !slices.Equal(texts, want) {
		t.Errorf("off hours: system messages %q, want %q", texts, want)
	}
}
