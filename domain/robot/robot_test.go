package robot_test

import (
	"errors"
	"reflect"
	"testing"

	"github.com/google/uuid"

	"supportd/domain"
	"supportd/domain/robot"
	"supportd/domain/webhook"
	"supportd/eventschema"
)

var (
	tenant = uuid.MustParse("0190f3b0-0000-7000-8000-000000000001")
	bot    = uuid.MustParse("0190f3b0-0000-7000-8000-0000000000d7")
	conv   = uuid.MustParse("0190f3b0-0000-7000-8000-000000000c01")
)

func code(err error) string {
	var de *domain.Error
	if errors.As(err, &de) {
		return de.Code
	}
	return ""
}

func TestRobotDecisions(t *testing.T) {
	hooked := eventschema.Robot{Name: "Answer bot", WebhookURL: "https://bot.acme.example/hook", Secret: "s3cret-s3cret-s3cret"}
	registered := eventschema.RobotRegistered{TenantID: tenant, RobotID: bot, Robot: hooked, TokenHash: "h1"}
	tests := []struct {
		name   string
		given  []any
		decide func(robot.State) ([]any, error)
		want   []any
		code   string
	}{
		{"register", nil, func(s robot.State) ([]any, error) { return robot.Register(s, tenant, bot, hooked, "h1") }, []any{registered}, ""},
		{"register trims, and drops a secret without a webhook", nil,
			func(s robot.State) ([]any, error) {
				return robot.Register(s, tenant, bot, eventschema.Robot{Name: " Bot ", Secret: "unused-unused-unused"}, "h1")
			},
			[]any{eventschema.RobotRegistered{TenantID: tenant, RobotID: bot, Robot: eventschema.Robot{Name: "Bot"}, TokenHash: "h1"}}, ""},
		{"twice", []any{registered}, func(s robot.State) ([]any, error) { return robot.Register(s, tenant, bot, hooked, "h2") }, nil, "robot.exists"},
		{"no name", nil, func(s robot.State) ([]any, error) {
			return robot.Register(s, tenant, bot, eventschema.Robot{Name: " "}, "h")
		}, nil, "robot.name"},
		{"avatar not a web URL", nil, func(s robot.State) ([]any, error) {
			return robot.Register(s, tenant, bot, eventschema.Robot{Name: "B", AvatarURL: "javascript:alert(1)"}, "h")
		}, nil, "robot.avatar_url"},
		{"webhook not a web URL", nil, func(s robot.State) ([]any, error) {
			return robot.Register(s, tenant, bot, eventschema.Robot{Name: "B", WebhookURL: "ftp://x", Secret: "s3cret-s3cret-s3cret"}, "h")
		}, nil, "webhook.url"},
		{"webhook without a secret", nil, func(s robot.State) ([]any, error) {
			return robot.Register(s, tenant, bot, eventschema.Robot{Name: "B", WebhookURL: "https://x.example/h"}, "h")
		}, nil, "webhook.secret"},
		{"change keeps the secret when none is given", []any{registered}, func(s robot.State) ([]any, error) {
			return robot.Change(s, tenant, bot, eventschema.Robot{Name: "FAQ bot", WebhookURL: hooked.WebhookURL})
		}, []any{eventschema.RobotChanged{TenantID: tenant, RobotID: bot, Robot: eventschema.Robot{Name: "FAQ bot", WebhookURL: hooked.WebhookURL, Secret: hooked.Secret}}}, ""},
		{"saving the same changes nothing", []any{registered}, func(s robot.State) ([]any, error) { return robot.Change(s, tenant, bot, hooked) }, nil, ""},
		{"change an unknown robot", nil, func(s robot.State) ([]any, error) { return robot.Change(s, tenant, bot, hooked) }, nil, "robot.not_found"},
		{"new token", []any{registered}, func(s robot.State) ([]any, error) { return robot.IssueToken(s, tenant, bot, "h2") },
			[]any{eventschema.RobotTokenIssued{TenantID: tenant, RobotID: bot, TokenHash: "h2"}}, ""},
		{"remove", []any{registered}, func(s robot.State) ([]any, error) { return robot.Remove(s, tenant, bot) },
			[]any{eventschema.RobotRemoved{TenantID: tenant, RobotID: bot}}, ""},
		{"remove twice", []any{registered, eventschema.RobotRemoved{TenantID: tenant, RobotID: bot}},
			func(s robot.State) ([]any, error) { return robot.Remove(s, tenant, bot) }, nil, "robot.not_found"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var s robot.State
			for _, e := range tc.given {
				s = robot.Evolve(s, e)
			}
			got, err := tc.decide(s)
			if code(err) != tc.code || (tc.code == "" && err != nil) {
				t.Fatalf("err %v, want %q", err, tc.code)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

// TestDeliveries: the robot is told of the conversation it is given, of
// its customer's messages and of the close while it hosts, of nothing once
// the agents have it.
func TestDeliveries(t *testing.T) {
	started := eventschema.ConversationStarted{TenantID: tenant, ConversationID: conv, Channel: "web", CustomerName: "Lu"}
	routed := eventschema.ConversationRouted{TenantID: tenant, ConversationID: conv, TargetKind: "robot", TargetID: bot}
	customerMsg := eventschema.MessageSent{ConversationID: conv, SenderKind: eventschema.SenderCustomer, Type: "text", Text: "hi"}
	robotMsg := eventschema.MessageSent{ConversationID: conv, SenderKind: eventschema.SenderRobot, SenderID: bot.String(), Type: "text", Text: "hello"}
	queued := eventschema.ConversationQueued{ConversationID: conv}
	closed := eventschema.ConversationClosed{ConversationID: conv, Reason: "customer"}
	tests := []struct {
		name  string
		given []any
		event any
		want  string // delivery type, "" for none
	}{
		{"given the conversation", nil, routed, robot.TypeConversation},
		{"routed to a team", nil, eventschema.ConversationRouted{TargetKind: "team"}, ""},
		{"the customer's message", []any{routed}, customerMsg, webhook.TypeMessage},
		{"its own message", []any{routed}, robotMsg, ""},
		{"the close while hosting", []any{routed}, closed, webhook.TypeConversationClosed},
		{"a message after the hand-over", []any{routed, queued}, customerMsg, ""},
		{"a close after an agent joined", []any{routed, eventschema.AgentJoined{}}, closed, ""},
		{"a message never hosted", nil, customerMsg, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			host := uuid.Nil
			for _, e := range tc.given {
				host = robot.Host(host, e)
			}
			id, ev, ok := robot.Delivery(eventschema.Envelope{ID: uuid.New()}, tc.event, host, started)
			if got := map[bool]string{true: ev.Type}[ok]; got != tc.want {
				t.Fatalf("delivery %q, want %q", got, tc.want)
			}
			if ok && (id != bot || ev.ConversationID != conv) {
				t.Errorf("delivered to %s about %s", id, ev.ConversationID)
			}
		})
	}
}
