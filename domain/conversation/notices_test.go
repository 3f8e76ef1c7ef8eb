package conversation_test

import (
	"reflect"
	"testing"

	"github.com/google/uuid"

	c "supportd/domain/conversation"
	"supportd/eventschema"
)

func TestWelcome(t *testing.T) {
	cases := []struct {
		name, channel string
		enabled       bool
		message       string
		want          bool
	}{
		{"web, on", "web", true, "Hi!", true},
		{"app, on", "app", true, "Hi!", true},
		{"off", "web", false, "Hi!", false},
		{"empty message", "web", true, "  ", false},
		{"not on e-mail", "email", true, "Hi!", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			n, ok := c.Welcome(tc.channel, tc.enabled, tc.message)
			if ok != tc.want || (ok && !reflect.DeepEqual(n, c.Notice{Kind: "welcome", Text: "Hi!"})) {
				t.Errorf("Welcome = %v, %v", n, ok)
			}
		})
	}
}

func TestGreetings(t *testing.T) {
	cases := []struct {
		name string
		g    c.Greeting
		want []c.Notice
	}{
		{"team then agent, ##dear## is the nickname",
			c.Greeting{TeamGreeting: "Welcome to Support, ##dear##.", AgentGreeting: "##dear##, I'm Ann. ##dear##?", CustomerName: " Lu ", DefaultAddress: "Dear customer", How: "manual"},
			[]c.Notice{{Kind: "team_greeting", Text: "Welcome to Support, Lu."}, {Kind: "agent_greeting", Text: "Lu, I'm Ann. Lu?"}}},
		{"no valid nickname: the default address",
			c.Greeting{AgentGreeting: "##dear##, hello", CustomerName: "  ", DefaultAddress: "Friend", How: "auto"},
			[]c.Notice{{Kind: "agent_greeting", Text: "Friend, hello"}}},
		{"blank greetings send nothing", c.Greeting{TeamGreeting: " ", CustomerName: "Lu", How: "auto"}, nil},
		{"a transfer with skip on sends none",
			c.Greeting{TeamGreeting: "T", AgentGreeting: "A", How: "transfer", SkipOnTransfer: true}, nil},
		{"a transfer with skip off greets",
			c.Greeting{AgentGreeting: "A", How: "transfer"}, []c.Notice{{Kind: "agent_greeting", Text: "A"}}},
		{"skip on, but not a transfer", c.Greeting{AgentGreeting: "A", How: "manual", SkipOnTransfer: true}, []c.Notice{{Kind: "agent_greeting", Text: "A"}}},
		{"skip on, picked up from the queue a transfer sent it to", c.Greeting{TeamGreeting: "T", AgentGreeting: "A", How: "auto", AfterTransfer: true, SkipOnTransfer: true}, nil},
		{"skip off, picked up after a transfer", c.Greeting{AgentGreeting: "A", How: "manual", AfterTransfer: true}, []c.Notice{{Kind: "agent_greeting", Text: "A"}}},
		{"off hours: the team's greeting only", c.Greeting{TeamGreeting: "T", AgentGreeting: "A", How: "auto", OffHours: true}, []c.Notice{{Kind: "team_greeting", Text: "T"}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := c.Greetings(tc.g); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("Greetings = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestClosingNotice(t *testing.T) {
	texts := c.ClosingTexts{NotifyOnManualClose: true, Manual: "Bye", Inactivity: "Idle", NoReply: "Gone"}
	cases := []struct {
		reason string
		texts  c.ClosingTexts
		want   string
	}{
		{"agent", texts, "Bye"},
		{"admin", texts, "Bye"},
		{"agent", c.ClosingTexts{Manual: "Bye"}, ""},
		{"inactivity", texts, "Idle"},
		{"customer_no_reply", texts, "Gone"},
		{"customer_no_reply", c.ClosingTexts{}, ""},
		{"customer", texts, ""},
		{"note", texts, ""},
		{"blacklist", texts, ""},
	}
	for _, tc := range cases {
		n, ok := c.ClosingNotice(tc.reason, tc.texts)
		if (tc.want == "") == ok || (ok && !reflect.DeepEqual(n, c.Notice{Kind: "closing_notice", Text: tc.want})) {
			t.Errorf("%s %+v: %v %v, want %q", tc.reason, tc.texts, n, ok, tc.want)
		}
	}
}

func TestInviteOnClose(t *testing.T) {
	msg := func(n int, kind, sender string) eventschema.MessageSent {
		return eventschema.MessageSent{TenantID: tenant, ConversationID: conv, MessageID: id(500 + n), SenderKind: kind, SenderID: sender, Type: "text", Text: "x"}
	}
	custMsg := msg(1, "customer", customer.String())
	talk := with(serving, custMsg, annMsg)
	robot := eventschema.ConversationRouted{TenantID: tenant, ConversationID: conv, Binding: "channel", TargetKind: "robot", TargetID: id(72)}
	web := c.AutoInvite{Channels: map[string]bool{"web": true}, SkipSingleMessage: true}
	cases := []struct {
		name   string
		given  []any
		reason string
		a      c.AutoInvite
		want   bool
	}{
		{"served and talked: invited", talk, "agent", web, true},
		{"channel off", talk, "agent", c.AutoInvite{Channels: map[string]bool{"app": true}}, false},
		{"one message, skip on", with(serving, custMsg), "agent", web, false},
		{"one message and a system notice, skip on", with(serving, custMsg, msg(2, "system", "")), "agent", web, false},
		{"one message, skip off", with(serving, custMsg), "agent", c.AutoInvite{Channels: web.Channels}, true},
		{"auto close, skip on", talk, "inactivity", c.AutoInvite{Channels: web.Channels, SkipAutoClosed: true}, false},
		{"auto close, skip off", talk, "customer_no_reply", web, true},
		{"already rated", with(talk, eventschema.ConversationRated{Stars: 5}), "agent", web, false},
		{"the agent invited already", with(talk, eventschema.RatingInvited{By: "agent", AgentID: ann}), "agent", web, false},
		{"blacklisted", talk, "blacklist", web, false},
		{"never served", []any{started, queued, custMsg, msg(3, "customer", customer.String())}, "admin", web, false},
		{"robot only, not wanted", []any{started, robot, custMsg, msg(4, "robot", "")}, "customer", c.AutoInvite{Channels: web.Channels}, false},
		{"robot only, wanted", []any{started, robot, custMsg, msg(4, "robot", "")}, "customer", c.AutoInvite{Channels: web.Channels, RobotOnly: true}, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := c.InviteOnClose(given(tc.given...), tc.reason, tc.a); got != tc.want {
				t.Errorf("InviteOnClose = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestCloseWithNotices(t *testing.T) {
	custMsg := eventschema.MessageSent{TenantID: tenant, ConversationID: conv, MessageID: id(501), SenderKind: "customer", SenderID: customer.String(), Type: "text", Text: "x"}
	talk := with(serving, custMsg, annMsg)
	n := c.CloseNotices{Closing: c.ClosingTexts{NotifyOnManualClose: true, Manual: "Bye"},
		Invite: c.AutoInvite{Channels: map[string]bool{"web": true}, SkipSingleMessage: true}}
	notice := eventschema.MessageSent{TenantID: tenant, ConversationID: conv, MessageID: uuid.NewSHA1(conv, []byte("closing_notice")),
		SenderKind: "system", Type: "text", Text: "Bye", SegmentID: seg1, Notice: "closing_notice"}
	left := eventschema.AgentLeft{TenantID: tenant, ConversationID: conv, AgentID: ann, SegmentID: seg1, How: "closed"}
	byAnn := c.CloseRequest{Reason: "agent", By: ann.String()}
	run(t, []tcase{
		{"notice first, invitation before the close", talk, func(s c.State) ([]any, error) { return c.CloseWithNotices(s, byAnn, n) },
			[]any{notice, left, eventschema.RatingInvited{TenantID: tenant, ConversationID: conv, By: "auto"}, closed}, ""},
		{"nothing configured: the close alone", talk, func(s c.State) ([]any, error) { return c.CloseWithNotices(s, byAnn, c.CloseNotices{}) },
			[]any{left, closed}, ""},
		{"a refused close sends nothing", talk, func(s c.State) ([]any, error) {
			return c.CloseWithNotices(s, c.CloseRequest{Reason: "agent", By: bob.String()}, n)
		}, nil, "close.not_serving_agent"},
	})
}

func TestSendNoticesOnce(t *testing.T) {
	s := given(serving...)
	notices := []c.Notice{{Kind: "team_greeting", Text: "T"}, {Kind: "agent_greeting", Text: "A"}}
	first, err := c.SendNotices(s, seg1, notices)
	if err != nil || len(first) != 2 {
		t.Fatalf("first = %v, %v", first, err)
	}
	again, err := c.SendNotices(given(with(serving, first...)...), seg1, notices)
	if err != nil || len(again) != 0 {
		t.Errorf("again = %v, %v", again, err)
	}
}
