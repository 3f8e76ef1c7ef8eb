package webhook_test

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"testing"
	"time"

	"github.com/google/uuid"

	"supportd/domain"
	"supportd/domain/agent"
	"supportd/domain/conversation"
	"supportd/domain/webhook"
	"supportd/eventschema"
)

func id(n int) uuid.UUID { return uuid.MustParse(fmt.Sprintf("0190f3b0-0000-7000-8000-%012d", n)) }

var (
	tenant = id(1)
	ep1    = id(21)
	ep2    = id(22)
	conv   = id(2)
	ann    = id(11)
	secret = "0123456789abcdef"
	hook   = eventschema.WebhookEndpoint{URL: "https://bridge.example/hook", Secret: secret, Enabled: true}
)

func given(events ...any) webhook.State {
	var s webhook.State
	for _, e := range events {
		s = webhook.Evolve(s, e)
	}
	return s
}

func with(f func(*eventschema.WebhookEndpoint)) eventschema.WebhookEndpoint {
	e := hook
	f(&e)
	return e
}

func asJSON(v any) string { b, _ := json.Marshal(v); return string(b) }

func TestEndpointCommands(t *testing.T) {
	registered := eventschema.WebhookEndpointRegistered{TenantID: tenant, EndpointID: ep1, Endpoint: hook}
	many := make([]any, webhook.MaxEndpoints)
	for i := range many {
		many[i] = eventschema.WebhookEndpointRegistered{TenantID: tenant, EndpointID: id(100 + i), Endpoint: hook}
	}
	cases := []struct {
		name  string
		given []any
		when  func(webhook.State) ([]any, error)
		then  []any
		code  string
		kind  domain.Kind
	}{
		{"register", nil, func(s webhook.State) ([]any, error) {
			return webhook.Register(s, tenant, ep1, with(func(e *eventschema.WebhookEndpoint) { e.Channels = []string{" WhatsApp", "line", "whatsapp"} }))
		}, []any{eventschema.WebhookEndpointRegistered{TenantID: tenant, EndpointID: ep1, Endpoint: with(func(e *eventschema.WebhookEndpoint) { e.Channels = []string{"line", "whatsapp"} })}}, "", 0},
		{"register twice", []any{registered}, func(s webhook.State) ([]any, error) { return webhook.Register(s, tenant, ep1, hook) }, nil, "webhook.exists", domain.Conflict},
		{"too many", many, func(s webhook.State) ([]any, error) { return webhook.Register(s, tenant, ep1, hook) }, nil, "webhook.too_many", domain.Conflict},
		{"ftp URL", nil, func(s webhook.State) ([]any, error) {
			return webhook.Register(s, tenant, ep1, with(func(e *eventschema.WebhookEndpoint) { e.URL = "ftp://bridge.example/x" }))
		}, nil, "webhook.url", domain.Invalid},
		{"relative URL", nil, func(s webhook.State) ([]any, error) {
			return webhook.Register(s, tenant, ep1, with(func(e *eventschema.WebhookEndpoint) { e.URL = "/hook" }))
		}, nil, "webhook.url", domain.Invalid},
		{"credentials in URL", nil, func(s webhook.State) ([]any, error) {
			return webhook.Register(s, tenant, ep1, with(func(e *eventschema.WebhookEndpoint) { e.URL = "https://u:p@bridge.example/" }))
		}, nil, "webhook.url", domain.Invalid},
		{"fragment", nil, func(s webhook.State) ([]any, error) {
			return webhook.Register(s, tenant, ep1, with(func(e *eventschema.WebhookEndpoint) { e.URL = "https://bridge.example/#x" }))
		}, nil, "webhook.url", domain.Invalid},
		{"short secret", nil, func(s webhook.State) ([]any, error) {
			return webhook.Register(s, tenant, ep1, with(func(e *eventschema.WebhookEndpoint) { e.Secret = "short" }))
		}, nil, "webhook.secret", domain.Invalid},
		{"empty channel", nil, func(s webhook.State) ([]any, error) {
			return webhook.Register(s, tenant, ep1, with(func(e *eventschema.WebhookEndpoint) { e.Channels = []string{" "} }))
		}, nil, "webhook.channel", domain.Invalid},
		{"change keeps the secret", []any{registered}, func(s webhook.State) ([]any, error) {
			return webhook.Change(s, tenant, ep1, with(func(e *eventschema.WebhookEndpoint) { e.Secret, e.Enabled = "", false }))
		}, []any{eventschema.WebhookEndpointChanged{TenantID: tenant, EndpointID: ep1, Endpoint: with(func(e *eventschema.WebhookEndpoint) { e.Enabled = false })}}, "", 0},
		{"change to the same", []any{registered}, func(s webhook.State) ([]any, error) { return webhook.Change(s, tenant, ep1, hook) }, nil, "", 0},
		{"change unknown", nil, func(s webhook.State) ([]any, error) { return webhook.Change(s, tenant, ep1, hook) }, nil, "webhook.not_found", domain.NotFound},
		{"delete", []any{registered}, func(s webhook.State) ([]any, error) { return webhook.Delete(s, tenant, ep1) },
			[]any{eventschema.WebhookEndpointDeleted{TenantID: tenant, EndpointID: ep1}}, "", 0},
		{"delete twice", []any{registered, eventschema.WebhookEndpointDeleted{TenantID: tenant, EndpointID: ep1}},
			func(s webhook.State) ([]any, error) { return webhook.Delete(s, tenant, ep1) }, nil, "webhook.not_found", domain.NotFound},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.when(given(tc.given...))
			if tc.code != "" {
				var de *domain.Error
				if err == nil || domain.KindOf(err) != tc.kind || !asDomain(err, &de) || de.Code != tc.code {
					t.Fatalf("err %v, want %s (%v)", err, tc.code, tc.kind)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if asJSON(got) != asJSON(tc.then) {
				t.Errorf("got  %s\nwant %s", asJSON(got), asJSON(tc.then))
			}
		})
	}
}

func asDomain(err error, target **domain.Error) bool {
	e, ok := err.(*domain.Error)
	*target = e
	return ok
}

// An endpoint takes the events of the channels it names (every channel
// when it names none), and none while disabled.
func TestMatching(t *testing.T) {
	s := given(
		eventschema.WebhookEndpointRegistered{TenantID: tenant, EndpointID: ep2, Endpoint: with(func(e *eventschema.WebhookEndpoint) { e.Channels = []string{"whatsapp"} })},
		eventschema.WebhookEndpointRegistered{TenantID: tenant, EndpointID: ep1, Endpoint: hook},
		eventschema.WebhookEndpointRegistered{TenantID: tenant, EndpointID: id(23), Endpoint: with(func(e *eventschema.WebhookEndpoint) { e.Enabled = false })},
	)
	ids := func(eps []webhook.Endpoint) (out []uuid.UUID) {
		for _, e := range eps {
			out = append(out, e.ID)
		}
		return out
	}
	if got := ids(s.Matching("whatsapp")); fmt.Sprint(got) != fmt.Sprint([]uuid.UUID{ep1, ep2}) {
		t.Errorf("whatsapp: %v", got)
	}
	if got := ids(s.Matching("web")); fmt.Sprint(got) != fmt.Sprint([]uuid.UUID{ep1}) {
		t.Errorf("web: %v", got)
	}
	// A snapshot does not change when the state moves on.
	before := s
	_ = webhook.Evolve(s, eventschema.WebhookEndpointDeleted{TenantID: tenant, EndpointID: ep1})
	if len(before.Endpoints) != 3 {
		t.Errorf("snapshot changed: %v", before.Endpoints)
	}
}

// The customer's channel is told what the chat window shows, and nothing
// internal.
func TestOutbound(t *testing.T) {
	at := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	env := eventschema.Envelope{ID: id(900), Position: eventschema.Position{Commit: 10, Prepare: 3},
		Metadata: eventschema.Metadata{TenantID: tenant, OccurredAt: at}}
	names := func(a uuid.UUID) string {
		if a == ann {
			return "Ann"
		}
		return ""
	}
	cases := []struct {
		name    string
		payload any
		typ     string
		want    string
	}{
		{"agent message", eventschema.MessageSent{TenantID: tenant, ConversationID: conv, MessageID: id(51), SenderKind: "agent", SenderID: ann.String(), Type: "text", Text: "hi"},
			webhook.TypeMessage, `{"message_id":"0190f3b0-0000-7000-8000-000000000051","sender_kind":"agent","sender_id":"0190f3b0-0000-7000-8000-000000000011","sender_name":"Ann","type":"text","text":"hi"}`},
		{"system notice", eventschema.MessageSent{TenantID: tenant, ConversationID: conv, MessageID: id(52), SenderKind: "system", Type: "text", Text: "Welcome", Notice: "welcome"},
			webhook.TypeMessage, `{"message_id":"0190f3b0-0000-7000-8000-000000000052","sender_kind":"system","sender_id":"","type":"text","text":"Welcome","notice":"welcome"}`},
		{"robot message", eventschema.MessageSent{TenantID: tenant, ConversationID: conv, MessageID: id(53), SenderKind: "robot", SenderID: "bot", Type: "text", Text: "Beep"},
			webhook.TypeMessage, `{"message_id":"0190f3b0-0000-7000-8000-000000000053","sender_kind":"robot","sender_id":"bot","type":"text","text":"Beep"}`},
		{"customer message", eventschema.MessageSent{TenantID: tenant, ConversationID: conv, SenderKind: "customer", Type: "text", Text: "x"}, "", ""},
		{"recall", eventschema.MessageRecalled{TenantID: tenant, ConversationID: conv, MessageID: id(51)}, webhook.TypeMessageRecalled, `{"message_id":"0190f3b0-0000-7000-8000-000000000051"}`},
		{"joined", eventschema.AgentJoined{TenantID: tenant, ConversationID: conv, AgentID: ann, SegmentID: id(31), How: "auto", EpisodeID: id(32), ReservationID: id(33)},
			webhook.TypeAgentJoined, `{"agent_id":"0190f3b0-0000-7000-8000-000000000011","agent_name":"Ann","reason":"auto"}`},
		{"left", eventschema.AgentLeft{TenantID: tenant, ConversationID: conv, AgentID: ann, SegmentID: id(31), How: "transferred"},
			webhook.TypeAgentLeft, `{"agent_id":"0190f3b0-0000-7000-8000-000000000011","agent_name":"Ann","reason":"transferred"}`},
		{"rating invitation", eventschema.RatingInvited{TenantID: tenant, ConversationID: conv, By: "auto"}, webhook.TypeRatingInvitation, `{"by":"auto"}`},
		{"closed", eventschema.ConversationClosed{TenantID: tenant, ConversationID: conv, Reason: "agent", ClosedBy: ann.String()}, webhook.TypeConversationClosed, `{"reason":"agent"}`},
		{"whisper", eventschema.WhisperSent{TenantID: tenant, ConversationID: conv, Text: "psst"}, "", ""},
		{"note", eventschema.NoteLeft{TenantID: tenant, ConversationID: conv, Text: "call me"}, "", ""},
		{"transfer", eventschema.TransferRequested{TenantID: tenant, ConversationID: conv}, "", ""},
		{"alarm", eventschema.AlarmRaised{TenantID: tenant, ConversationID: conv, Kind: "x", Level: 1}, "", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := webhook.Outbound(env, tc.payload, names)
			if ok != (tc.typ != "") {
				t.Fatalf("outbound %v, want %v", ok, tc.typ != "")
			}
			if !ok {
				return
			}
			if got.Type != tc.typ || got.ConversationID != conv || got.TenantID != tenant || got.Position != env.Position || !got.OccurredAt.Equal(at) {
				t.Errorf("event %+v", got)
			}
			if p := asJSON(got.Payload); p != tc.want {
				t.Errorf("payload %s\nwant    %s", p, tc.want)
			}
		})
	}
	for _, typ := range []string{"WhisperSent", "NoteLeft", "TransferRequested", "ConversationTagged", "AlarmRaised"} {
		if webhook.MayBeOutbound(typ) {
			t.Errorf("%s may be outbound", typ)
		}
	}
}

func TestDeliveryIDAndSignature(t *testing.T) {
	if webhook.DeliveryID(ep1, id(900)) != webhook.DeliveryID(ep1, id(900)) || webhook.DeliveryID(ep1, id(900)) == webhook.DeliveryID(ep2, id(900)) {
		t.Error("delivery IDs are not stable per endpoint and event")
	}
	body := []byte(`{"type":"ping"}`)
	// Known answer: HMAC-SHA256("0123456789abcdef", body).
	sig := webhook.Sign(secret, body)
	if sig != "sha256=4dd6a68427e5c9a2da414ae9de1fd9e148b9f31c737ceaa4156bb7fc79650f04" || !webhook.Verify(secret, body, sig) || webhook.Verify("another-secret-123", body, sig) ||
		webhook.Verify(secret, []byte(`{"type":"pong"}`), sig) {
		t.Errorf("signature %s", sig)
	}
}

func TestConversationOf(t *testing.T) {
	tenantID := uuid.MustParse("0190f3b0-0000-7000-8000-0000000000aa")
	if gotTenant, got, ok := webhook.ConversationOf(conversation.Stream(tenantID, conv)); !ok || got != conv || gotTenant != tenantID {
		t.Errorf("%v %v %v", gotTenant, got, ok)
	}
	for _, s := range []string{agent.Stream(tenantID, conv), "conversation-" + conv.String(), webhook.Stream(tenantID),
		"conversation-" + tenantID.String() + "_x", "conversation-_" + conv.String()} {
		if _, _, ok := webhook.ConversationOf(s); ok {
			t.Errorf("%s names a conversation", s)
		}
	}
}

func TestReachable(t *testing.T) {
	cases := []struct {
		ip   string
		want bool
	}{
		{"93.184.216.34", true},
		{"2606:2800:220:1::248", true},
		{"127.0.0.1", false},
		{"::1", false},
		{"10.1.2.3", false},
		{"172.16.0.1", false},
		{"192.168.1.1", false},
		{"169.254.169.254", false}, // cloud metadata
		{"100.64.0.1", false},
		{"0.0.0.0", false},
		{"fd00::1", false},
		{"fe80::1", false},
		{"::ffff:127.0.0.1", false},
		{"224.0.0.1", false},
	}
	for _, tc := range cases {
		if got := webhook.Reachable(netip.MustParseAddr(tc.ip)); got != tc.want {
			t.Errorf("Reachable(%s) = %v, want %v", tc.ip, got, tc.want)
		}
	}
}
