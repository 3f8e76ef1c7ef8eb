package conversation_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	c "supportd/domain/conversation"
	"supportd/domain/domaintest"
	"supportd/eventschema"
)

func id(n int) uuid.UUID {
	return uuid.MustParse("0190f3b0-0000-7000-8000-" + leftPad(n))
}

func leftPad(n int) string {
	s := "000000000000" + itoa(n)
	return s[len(s)-12:]
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}

var (
	tenant   = id(1)
	conv     = id(2)
	customer = id(3)
	team     = id(4)
	otherTm  = id(5)
	ann      = id(11) // agent
	bob      = id(12) // agent
	cid      = id(13) // agent
	admin    = id(19)
	ep1      = id(21)
	ep2      = id(22)
	seg1     = id(31)
	seg2     = id(32)
	tr1      = id(41)
	msg1     = id(51)
	tag1     = id(61)
	tag2     = id(62)
	now      = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

	bot      = id(72)
	hosted   = eventschema.ConversationRouted{TenantID: tenant, ConversationID: conv, Binding: "channel", TargetKind: "robot", TargetID: bot}
	started  = eventschema.ConversationStarted{TenantID: tenant, ConversationID: conv, Channel: "web", CustomerID: customer, CustomerName: "Lu", EntryTeamID: team}
	startVIP = eventschema.ConversationStarted{TenantID: tenant, ConversationID: conv, Channel: "web", CustomerID: customer, VIP: true}
	queued   = eventschema.ConversationQueued{TenantID: tenant, ConversationID: conv, EpisodeID: ep1, TeamID: team, Reason: "routed"}
	annJoin  = eventschema.AgentJoined{TenantID: tenant, ConversationID: conv, AgentID: ann, SegmentID: seg1, How: "manual", EpisodeID: ep1, TeamID: team}
	annLeft  = eventschema.AgentLeft{TenantID: tenant, ConversationID: conv, AgentID: ann, SegmentID: seg1, How: "transferred"}
	annMsg   = eventschema.MessageSent{TenantID: tenant, ConversationID: conv, MessageID: msg1, SenderKind: "agent", SenderID: ann.String(), Type: "text", Text: "hi", SegmentID: seg1}
	pending  = eventschema.TransferRequested{TenantID: tenant, ConversationID: conv, TransferID: tr1, FromAgentID: ann, ToKind: "agent", ToID: bob, RequiresConfirmation: true, ExpiresAt: now.Add(4 * time.Minute)}
	tagged   = eventschema.ConversationTagged{TenantID: tenant, ConversationID: conv, TagIDs: []uuid.UUID{tag1}}
	closed   = eventschema.ConversationClosed{TenantID: tenant, ConversationID: conv, Reason: "agent", ClosedBy: ann.String()}
	serving  = []any{started, queued, annJoin}
	yes      = true
)

func given(events ...any) c.State { return domaintest.Given(c.Evolve, events...) }

type tcase struct {
	name   string
	given  []any
	decide func(c.State) ([]any, error)
	want   []any
	code   string
}

func run(t *testing.T, cases []tcase) {
	t.Helper()
	for _, tc := range cases {
		domaintest.Case[c.State]{Name: tc.name, Given: tc.given, When: tc.decide, Then: tc.want, Code: tc.code, Field: ""}.Run(t, c.Evolve)
	}
}

func with(events []any, more ...any) []any {
	return append(append([]any{}, events...), more...)
}

func TestStartAndQueue(t *testing.T) {
	start := c.Start{TenantID: tenant, ConversationID: conv, Channel: "web", CustomerID: customer, CustomerName: "Lu", EntryTeamID: team}
	outbound := start
	outbound.StartedBy, outbound.SegmentID = ann, seg1
	run(t, []tcase{
		{"a customer starts", nil, func(s c.State) ([]any, error) { return c.StartConversation(s, start, false) }, []any{started}, ""},
		{"a blacklisted customer cannot start", nil, func(s c.State) ([]any, error) { return c.StartConversation(s, start, true) }, nil, "conversation.customer_blacklisted"},
		{"twice", []any{started}, func(s c.State) ([]any, error) { return c.StartConversation(s, start, false) }, nil, "conversation.exists"},
		{"channel required", nil, func(s c.State) ([]any, error) {
			x := start
			x.Channel = ""
			return c.StartConversation(s, x, false)
		}, nil, "conversation.channel"},
		{"outbound: the agent serves at once", nil, func(s c.State) ([]any, error) { return c.StartConversation(s, outbound, false) },
			[]any{eventschema.ConversationStarted{TenantID: tenant, ConversationID: conv, Channel: "web", CustomerID: customer, CustomerName: "Lu", EntryTeamID: team, Outbound: true, StartedBy: ann},
				eventschema.AgentJoined{TenantID: tenant, ConversationID: conv, AgentID: ann, SegmentID: seg1, How: "manual", TeamID: team}}, ""},
		{"queue opens an episode with the VIP flag", []any{startVIP}, func(s c.State) ([]any, error) { return c.Queue(s, ep1, team, "routed") },
			[]any{eventschema.ConversationQueued{TenantID: tenant, ConversationID: conv, EpisodeID: ep1, TeamID: team, VIP: true, Reason: "routed"}}, ""},
		{"queued twice", []any{started, queued}, func(s c.State) ([]any, error) { return c.Queue(s, ep2, team, "routed") }, nil, "conversation.queued"},
		{"served conversations are not queued", serving, func(s c.State) ([]any, error) { return c.Queue(s, ep2, team, "routed") }, nil, "conversation.serving"},
		{"unknown conversation", nil, func(s c.State) ([]any, error) { return c.Queue(s, ep1, team, "routed") }, nil, "conversation.not_found"},
	})
}

func TestJoin(t *testing.T) {
	manual := c.FromQueue{AgentID: ann, SegmentID: seg1, AllowManualJoin: true, Member: true}
	run(t, []tcase{
		{"manual join ends the episode", []any{started, queued}, func(s c.State) ([]any, error) { return c.JoinFromQueue(s, manual) }, []any{annJoin}, ""},
		{"manual join switched off", []any{started, queued}, func(s c.State) ([]any, error) {
			q := manual
			q.AllowManualJoin = false
			return c.JoinFromQueue(s, q)
		}, nil, "queue.manual_join_off"},
		{"admins always may", []any{started, queued}, func(s c.State) ([]any, error) {
			return c.JoinFromQueue(s, c.FromQueue{AgentID: admin, SegmentID: seg1, ByAdmin: true})
		}, []any{eventschema.AgentJoined{TenantID: tenant, ConversationID: conv, AgentID: admin, SegmentID: seg1, How: "manual", EpisodeID: ep1, TeamID: team}}, ""},
		{"admin assigns", []any{started, queued}, func(s c.State) ([]any, error) {
			return c.JoinFromQueue(s, c.FromQueue{AgentID: bob, SegmentID: seg1, ByAdmin: true, Assign: true})
		}, []any{eventschema.AgentJoined{TenantID: tenant, ConversationID: conv, AgentID: bob, SegmentID: seg1, How: "admin_assigned", EpisodeID: ep1, TeamID: team}}, ""},
		{"agents do not assign", []any{started, queued}, func(s c.State) ([]any, error) {
			return c.JoinFromQueue(s, c.FromQueue{AgentID: bob, Assign: true, AllowManualJoin: true})
		}, nil, "queue.assign_admin_only"},
		{"not a member of the team", []any{started, queued}, func(s c.State) ([]any, error) {
			q := manual
			q.Member = false
			return c.JoinFromQueue(s, q)
		}, nil, "queue.not_team_member"},
		{"not queued", []any{started}, func(s c.State) ([]any, error) { return c.JoinFromQueue(s, manual) }, nil, "conversation.not_queued"},
		{"an admin assigns an unrouted conversation", []any{started}, func(s c.State) ([]any, error) {
			return c.JoinFromQueue(s, c.FromQueue{AgentID: bob, SegmentID: seg1, ByAdmin: true, Assign: true})
		}, []any{eventschema.AgentJoined{TenantID: tenant, ConversationID: conv, AgentID: bob, SegmentID: seg1, How: "admin_assigned", TeamID: team}}, ""},
		{"nor does an admin assign a served one", serving, func(s c.State) ([]any, error) {
			return c.JoinFromQueue(s, c.FromQueue{AgentID: bob, SegmentID: seg2, ByAdmin: true, Assign: true})
		}, nil, "conversation.not_queued"},
		{"an agent already serving cannot join twice", serving, func(s c.State) ([]any, error) {
			return c.JoinConversation(s, c.Join{AgentID: ann, SegmentID: seg2, How: "auto"})
		}, nil, "conversation.already_serving"},
		{"nobody joins a served conversation", serving, func(s c.State) ([]any, error) {
			return c.JoinConversation(s, c.Join{AgentID: bob, SegmentID: seg2, How: "auto"})
		}, nil, "conversation.serving"},
		{"transfers are not joins", []any{started}, func(s c.State) ([]any, error) {
			return c.JoinConversation(s, c.Join{AgentID: bob, SegmentID: seg2, How: "transfer"})
		}, nil, "join.how"},
		{"routed to an agent without the queue", []any{started}, func(s c.State) ([]any, error) {
			return c.JoinConversation(s, c.Join{AgentID: bob, SegmentID: seg2, How: "routed"})
		}, []any{eventschema.AgentJoined{TenantID: tenant, ConversationID: conv, AgentID: bob, SegmentID: seg2, How: "routed", TeamID: team}}, ""},
		{"closed", with(serving, closed), func(s c.State) ([]any, error) { return c.JoinFromQueue(s, manual) }, nil, "conversation.closed"},
	})
}

func TestMessages(t *testing.T) {
	send := func(kind, sender, typ, text string) func(c.State) ([]any, error) {
		return func(s c.State) ([]any, error) {
			return c.SendMessage(s, c.Send{MessageID: msg1, Sender: c.Actor{Kind: kind, ID: sender}, Type: typ, Text: text})
		}
	}
	expert := eventschema.ExpertInvited{TenantID: tenant, ConversationID: conv, AgentID: bob, InvitedBy: ann}
	file := func(size int64) func(c.State) ([]any, error) {
		return func(s c.State) ([]any, error) {
			return c.SendMessage(s, c.Send{MessageID: msg1, Sender: c.Actor{Kind: "agent", ID: ann.String()}, Type: "image",
				File: &eventschema.FileRef{URL: "https://files.example/a.png", MIME: "image/png", Size: size}})
		}
	}
	run(t, []tcase{
		{"the customer writes while queued", []any{started, queued}, send("customer", customer.String(), "text", "hello"),
			[]any{eventschema.MessageSent{TenantID: tenant, ConversationID: conv, MessageID: msg1, SenderKind: "customer", SenderID: customer.String(), Type: "text", Text: "hello"}}, ""},
		{"the agent's message carries the segment", serving, send("agent", ann.String(), "text", "hi"), []any{annMsg}, ""},
		{"an invited expert writes", with(serving, expert), send("agent", bob.String(), "emoji", "👍"),
			[]any{eventschema.MessageSent{TenantID: tenant, ConversationID: conv, MessageID: msg1, SenderKind: "agent", SenderID: bob.String(), Type: "emoji", Text: "👍", SegmentID: seg1}}, ""},
		{"another agent does not", serving, send("agent", bob.String(), "text", "hi"), nil, "message.not_participant"},
		{"another customer does not", serving, send("customer", bob.String(), "text", "hi"), nil, "message.not_customer"},
		{"system notices", []any{started, queued}, func(s c.State) ([]any, error) {
			return c.SendMessage(s, c.Send{MessageID: msg1, Sender: c.Actor{Kind: "system", ID: "dispatcher"}, Type: "text", Text: "please wait", Notice: "queue_reminder"})
		}, []any{eventschema.MessageSent{TenantID: tenant, ConversationID: conv, MessageID: msg1, SenderKind: "system", SenderID: "dispatcher", Type: "text", Text: "please wait", Notice: "queue_reminder"}}, ""},
		{"the hosting robot", []any{started, hosted}, send("robot", bot.String(), "text", "hi"),
			[]any{eventschema.MessageSent{TenantID: tenant, ConversationID: conv, MessageID: msg1, SenderKind: "robot", SenderID: bot.String(), Type: "text", Text: "hi"}}, ""},
		{"another robot", []any{started, hosted}, send("robot", id(73).String(), "text", "hi"), nil, "message.not_robot_host"},
		{"a robot without a hosted conversation", []any{started}, send("robot", bot.String(), "text", "hi"), nil, "message.not_robot_host"},
		{"a robot after handing over", []any{started, hosted, queued}, send("robot", bot.String(), "text", "hi"), nil, "message.not_robot_host"},
		{"notices are system messages", serving, func(s c.State) ([]any, error) {
			return c.SendMessage(s, c.Send{MessageID: msg1, Sender: c.Actor{Kind: "agent", ID: ann.String()}, Type: "text", Text: "x", Notice: "welcome"})
		}, nil, "message.notice"},
		{"empty text", serving, send("agent", ann.String(), "text", " "), nil, "message.text"},
		{"unknown type", serving, send("agent", ann.String(), "sticker", "x"), nil, "message.type"},
		{"file up to 10 MB", serving, file(10 << 20),
			[]any{eventschema.MessageSent{TenantID: tenant, ConversationID: conv, MessageID: msg1, SenderKind: "agent", SenderID: ann.String(), Type: "image",
				File: &eventschema.FileRef{URL: "https://files.example/a.png", MIME: "image/png", Size: 10 << 20}, SegmentID: seg1}}, ""},
		{"file over 10 MB", serving, file(10<<20 + 1), nil, "message.file_size"},
		{"file without reference", serving, send("agent", ann.String(), "file", ""), nil, "message.file"},
		{"location needs coordinates", serving, send("agent", ann.String(), "location", ""), nil, "message.location"},
		{"custom needs JSON", serving, send("agent", ann.String(), "custom", ""), nil, "message.custom"},
		{"custom", serving, func(s c.State) ([]any, error) {
			return c.SendMessage(s, c.Send{MessageID: msg1, Sender: c.Actor{Kind: "customer", ID: customer.String()}, Type: "custom", Custom: json.RawMessage(`{"order":"42"}`)})
		}, []any{eventschema.MessageSent{TenantID: tenant, ConversationID: conv, MessageID: msg1, SenderKind: "customer", SenderID: customer.String(), Type: "custom", Custom: json.RawMessage(`{"order":"42"}`), SegmentID: seg1}}, ""},
		{"the same message twice", with(serving, annMsg), send("agent", ann.String(), "text", "hi"), nil, ""},
		{"closed", with(serving, closed), send("customer", customer.String(), "text", "hi"), nil, "conversation.closed"},
	})
}

// TestDearInMessages: ##dear## in any message an agent sends (the serving
// agent's or an invited expert's) addresses the customer as greetings do;
// other senders' text is kept as written.
func TestDearInMessages(t *testing.T) {
	send := func(kind, sender, text string) func(c.State) ([]any, error) {
		return func(s c.State) ([]any, error) {
			return c.SendMessage(s, c.Send{MessageID: msg1, Sender: c.Actor{Kind: kind, ID: sender}, Type: "text", Text: text, DefaultAddress: "Friend"})
		}
	}
	sent := func(kind, sender, text string, segment uuid.UUID) []any {
		return []any{eventschema.MessageSent{TenantID: tenant, ConversationID: conv, MessageID: msg1, SenderKind: kind, SenderID: sender, Type: "text", Text: text, SegmentID: segment}}
	}
	nameless := started
	nameless.CustomerName = "  "
	longName := started
	longName.CustomerName = "Bartholomew-Alexander"
	expert := eventschema.ExpertInvited{TenantID: tenant, ConversationID: conv, AgentID: bob, InvitedBy: ann}
	run(t, []tcase{
		{"the serving agent", serving, send("agent", ann.String(), "Hi ##dear##, ##dear##?"), sent("agent", ann.String(), "Hi Lu, Lu?", seg1), ""},
		{"an invited expert", with(serving, expert), send("agent", bob.String(), "##dear##, one moment"), sent("agent", bob.String(), "Lu, one moment", seg1), ""},
		{"no valid nickname: the default address", []any{nameless, queued, annJoin}, send("agent", ann.String(), "Hi ##dear##"), sent("agent", ann.String(), "Hi Friend", seg1), ""},
		{"the customer's text is kept", serving, send("customer", customer.String(), "##dear##"), sent("customer", customer.String(), "##dear##", seg1), ""},
		{"a robot's text is kept", []any{started, hosted}, send("robot", bot.String(), "##dear##"), sent("robot", bot.String(), "##dear##", uuid.Nil), ""},
		{"too long once replaced", []any{longName, queued, annJoin}, send("agent", ann.String(), strings.Repeat("x", c.MaxText-16)+"##dear####dear##"), nil, "message.text"},
	})
}

func TestRecallAndWhisper(t *testing.T) {
	recall := func(by c.Actor, sent time.Time, window time.Duration) func(c.State) ([]any, error) {
		return func(s c.State) ([]any, error) {
			return c.RecallMessage(s, c.Recall{MessageID: msg1, By: by, SentAt: sent, Now: now, Window: window})
		}
	}
	byAnn := c.Actor{Kind: "agent", ID: ann.String()}
	recalled := eventschema.MessageRecalled{TenantID: tenant, ConversationID: conv, MessageID: msg1}
	withChannel := func(channel string) []any {
		st := started
		st.Channel = channel
		return []any{st, queued, annJoin}
	}
	run(t, []tcase{
		{"within 2 minutes", with(serving, annMsg), recall(byAnn, now.Add(-2*time.Minute), c.DefaultRecallWindow), []any{recalled}, ""},
		{"after 2 minutes", with(serving, annMsg), recall(byAnn, now.Add(-2*time.Minute-time.Second), c.DefaultRecallWindow), nil, "message.recall_window"},
		{"by another", with(serving, annMsg), recall(c.Actor{Kind: "agent", ID: bob.String()}, now, c.DefaultRecallWindow), nil, "message.not_sender"},
		{"recall off", with(serving, annMsg), recall(byAnn, now, 0), nil, "message.recall_off"},
		{"unknown message", serving, recall(byAnn, now, c.DefaultRecallWindow), nil, "message.not_found"},
		{"twice is harmless", with(serving, annMsg, recalled), recall(byAnn, now, c.DefaultRecallWindow), nil, ""},
		{"in an app conversation", with(withChannel("app"), annMsg), recall(byAnn, now, c.DefaultRecallWindow), []any{recalled}, ""},
		{"not in a WeChat conversation", with(withChannel("wechat"), annMsg), recall(byAnn, now, c.DefaultRecallWindow), nil, "message.recall_channel"},
		{"closed", with(serving, annMsg, closed), recall(byAnn, now, c.DefaultRecallWindow), nil, "conversation.closed"},
		{"whisper to the serving agent", serving, func(s c.State) ([]any, error) { return c.Whisper(s, id(71), admin, "ask for the order") },
			[]any{eventschema.WhisperSent{TenantID: tenant, ConversationID: conv, WhisperID: id(71), AdminID: admin, AgentID: ann, Text: "ask for the order"}}, ""},
		{"whisper needs an agent", []any{started, queued}, func(s c.State) ([]any, error) { return c.Whisper(s, id(71), admin, "x") }, nil, "conversation.not_serving"},
		{"empty whisper", serving, func(s c.State) ([]any, error) { return c.Whisper(s, id(71), admin, "") }, nil, "whisper.text"},
	})
}

func TestTransfer(t *testing.T) {
	byAnn := c.Actor{Kind: "agent", ID: ann.String()}
	toBob := c.TransferRequest{TransferID: tr1, By: byAnn, ToKind: "agent", ToID: bob, SegmentID: seg2, TargetAvailable: true}
	confirm := toBob
	confirm.RequireConfirmation, confirm.ExpiresAt = true, now.Add(4*time.Minute)
	toTeam := c.TransferRequest{TransferID: tr1, By: byAnn, ToKind: "team", ToID: otherTm, SegmentID: seg2, EpisodeID: ep2, TeamMembers: 3}
	transferred := func(kind string, to uuid.UUID, confirmation string) eventschema.ConversationTransferred {
		return eventschema.ConversationTransferred{TenantID: tenant, ConversationID: conv, TransferID: tr1, FromAgentID: ann, ToKind: kind, ToID: to, Confirmation: confirmation}
	}
	bobJoin := func(tm uuid.UUID) eventschema.AgentJoined {
		return eventschema.AgentJoined{TenantID: tenant, ConversationID: conv, AgentID: bob, SegmentID: seg2, How: "transfer", TeamID: tm, TransferID: tr1}
	}
	req := func(r c.TransferRequest) func(c.State) ([]any, error) {
		return func(s c.State) ([]any, error) { return c.RequestTransfer(s, r) }
	}
	// The transfer notice is a system message in the old agent's segment,
	// named after the transfer.
	notice := eventschema.MessageSent{TenantID: tenant, ConversationID: conv, MessageID: uuid.NewSHA1(tr1, []byte("transfer_notice")),
		SenderKind: "system", Type: "text", Text: "moved", SegmentID: seg1, Notice: "transfer_notice"}
	noticed := func(r c.TransferRequest) c.TransferRequest { r.Notice = "moved"; return r }
	automatic := func(r c.TransferRequest) c.TransferRequest { r.Notice, r.Automatic = "moved", true; return r }
	autoTransferred := transferred("team", otherTm, "none")
	autoTransferred.Automatic = true
	run(t, []tcase{
		{"notice on a transfer to an agent", serving, req(noticed(toBob)), []any{transferred("agent", bob, "none"), notice, annLeft, bobJoin(team)}, ""},
		{"notice on a transfer to a busy team", serving, req(noticed(toTeam)),
			[]any{transferred("team", otherTm, "none"), notice, annLeft,
				eventschema.ConversationQueued{TenantID: tenant, ConversationID: conv, EpisodeID: ep2, TeamID: otherTm, Reason: "transferred_to_team"}}, ""},
		{"no notice while a transfer waits for confirmation", serving, req(noticed(confirm)), []any{pending}, ""},
		{"no notice on an automatic transfer", serving, req(automatic(toTeam)),
			[]any{autoTransferred, annLeft,
				eventschema.ConversationQueued{TenantID: tenant, ConversationID: conv, EpisodeID: ep2, TeamID: otherTm, Reason: "transferred_to_team"}}, ""},
		{"to an agent at once", serving, req(toBob), []any{transferred("agent", bob, "none"), annLeft, bobJoin(team)}, ""},
		{"with confirmation: a request that expires", serving, req(confirm), []any{pending}, ""},
		{"only one pending transfer", with(serving, pending), req(confirm), nil, "transfer.pending"},
		{"accept", with(serving, pending), func(s c.State) ([]any, error) { return c.AcceptTransfer(s, tr1, bob, seg2, "", now) },
			[]any{transferred("agent", bob, "accepted"), annLeft, bobJoin(team)}, ""},
		{"accept with a notice", with(serving, pending), func(s c.State) ([]any, error) { return c.AcceptTransfer(s, tr1, bob, seg2, " moved ", now) },
			[]any{transferred("agent", bob, "accepted"), notice, annLeft, bobJoin(team)}, ""},
		{"accept by another agent", with(serving, pending), func(s c.State) ([]any, error) { return c.AcceptTransfer(s, tr1, cid, seg2, "", now) }, nil, "transfer.not_target"},
		{"accept too late", with(serving, pending), func(s c.State) ([]any, error) { return c.AcceptTransfer(s, tr1, bob, seg2, "", now.Add(5*time.Minute)) }, nil, "transfer.expired"},
		{"accept unknown", serving, func(s c.State) ([]any, error) { return c.AcceptTransfer(s, tr1, bob, seg2, "", now) }, nil, "transfer.not_found"},
		{"reject: it stays", with(serving, pending), func(s c.State) ([]any, error) { return c.RejectTransfer(s, tr1, bob) },
			[]any{eventschema.TransferFailed{TenantID: tenant, ConversationID: conv, TransferID: tr1, Outcome: "rejected"}}, ""},
		{"expire when due", with(serving, pending), func(s c.State) ([]any, error) { return c.ExpireTransfer(s, tr1, now.Add(4*time.Minute)) },
			[]any{eventschema.TransferFailed{TenantID: tenant, ConversationID: conv, TransferID: tr1, Outcome: "expired"}}, ""},
		{"expire early decides nothing", with(serving, pending), func(s c.State) ([]any, error) { return c.ExpireTransfer(s, tr1, now) }, nil, ""},
		{"expire after a rejection decides nothing", with(serving, pending, eventschema.TransferFailed{TransferID: tr1, Outcome: "rejected"}),
			func(s c.State) ([]any, error) { return c.ExpireTransfer(s, tr1, now.Add(time.Hour)) }, nil, ""},
		{"a new request after a failed one", with(serving, pending, eventschema.TransferFailed{TransferID: tr1, Outcome: "rejected"}), req(toBob),
			[]any{transferred("agent", bob, "none"), annLeft, bobJoin(team)}, ""},
		{"only the serving agent transfers", serving, req(c.TransferRequest{TransferID: tr1, By: c.Actor{Kind: "agent", ID: bob.String()}, ToKind: "agent", ToID: cid, TargetAvailable: true}), nil, "transfer.not_serving_agent"},
		{"not to oneself", serving, req(c.TransferRequest{TransferID: tr1, By: byAnn, ToKind: "agent", ToID: ann, TargetAvailable: true}), nil, "transfer.same_agent"},
		{"target offline", serving, req(c.TransferRequest{TransferID: tr1, By: byAnn, ToKind: "agent", ToID: bob}), nil, "transfer.target_unavailable"},
		{"queued conversations are not transferred", []any{started, queued}, req(toBob), nil, "conversation.not_serving"},
		{"to a team without agents", serving, req(c.TransferRequest{TransferID: tr1, By: byAnn, ToKind: "team", ToID: otherTm}), nil, "transfer.team_empty"},
		{"to a team with a free agent", serving, req(func() c.TransferRequest { r := toTeam; r.EligibleAgent = bob; return r }()),
			[]any{transferred("team", otherTm, "none"), annLeft, bobJoin(otherTm)}, ""},
		{"to a busy team: queued", serving, req(toTeam),
			[]any{transferred("team", otherTm, "none"), annLeft,
				eventschema.ConversationQueued{TenantID: tenant, ConversationID: conv, EpisodeID: ep2, TeamID: otherTm, Reason: "transferred_to_team"}}, ""},
		{"unknown kind", serving, req(c.TransferRequest{TransferID: tr1, By: byAnn, ToKind: "robot", ToID: bob}), nil, "transfer.kind"},
	})
}

func TestExperts(t *testing.T) {
	byAnn := c.Actor{Kind: "agent", ID: ann.String()}
	invited := eventschema.ExpertInvited{TenantID: tenant, ConversationID: conv, AgentID: bob, InvitedBy: ann}
	run(t, []tcase{
		{"invite", serving, func(s c.State) ([]any, error) { return c.InviteExpert(s, bob, byAnn) }, []any{invited}, ""},
		{"twice", with(serving, invited), func(s c.State) ([]any, error) { return c.InviteExpert(s, bob, byAnn) }, nil, "expert.exists"},
		{"not the serving agent", serving, func(s c.State) ([]any, error) {
			return c.InviteExpert(s, cid, c.Actor{Kind: "agent", ID: bob.String()})
		}, nil, "expert.not_serving_agent"},
		{"the serving agent is no expert", serving, func(s c.State) ([]any, error) { return c.InviteExpert(s, ann, byAnn) }, nil, "expert.serving"},
		{"remove", with(serving, invited), func(s c.State) ([]any, error) { return c.RemoveExpert(s, bob, byAnn) },
			[]any{eventschema.ExpertRemoved{TenantID: tenant, ConversationID: conv, AgentID: bob}}, ""},
		{"remove unknown", serving, func(s c.State) ([]any, error) { return c.RemoveExpert(s, bob, byAnn) }, nil, "expert.not_found"},
	})
}

func TestTagsRatingsClose(t *testing.T) {
	closeBy := func(reason, by string, force bool) func(c.State) ([]any, error) {
		return func(s c.State) ([]any, error) {
			return c.Close(s, c.CloseRequest{Reason: reason, By: by, ForceTag: force})
		}
	}
	rate := func(stars int, accept string, closedAt, at time.Time) func(c.State) ([]any, error) {
		return func(s c.State) ([]any, error) {
			return c.Rate(s, c.Rating{Stars: stars, Labels: []string{"fast"}, Remark: "ok", Resolved: &yes},
				c.RatingRules{Accept: accept, Window: 8 * time.Hour, ClosedAt: closedAt, Now: at})
		}
	}
	rated := eventschema.ConversationRated{TenantID: tenant, ConversationID: conv, Stars: 5, Labels: []string{"fast"}, Remark: "ok", Resolved: &yes}
	closedEv := func(reason, by string) eventschema.ConversationClosed {
		return eventschema.ConversationClosed{TenantID: tenant, ConversationID: conv, Reason: reason, ClosedBy: by}
	}
	segClosed := eventschema.AgentLeft{TenantID: tenant, ConversationID: conv, AgentID: ann, SegmentID: seg1, How: "closed"}
	run(t, []tcase{
		{"tag with remark, sorted and unique", serving, func(s c.State) ([]any, error) { return c.Tag(s, []uuid.UUID{tag2, tag1, tag2}, "refund") },
			[]any{eventschema.ConversationTagged{TenantID: tenant, ConversationID: conv, TagIDs: []uuid.UUID{tag1, tag2}, Remark: "refund"}}, ""},
		{"tag after close", with(serving, closed), func(s c.State) ([]any, error) { return c.Tag(s, []uuid.UUID{tag1}, "") },
			[]any{eventschema.ConversationTagged{TenantID: tenant, ConversationID: conv, TagIDs: []uuid.UUID{tag1}}}, ""},
		{"no tags", serving, func(s c.State) ([]any, error) { return c.Tag(s, nil, "") }, nil, "tag.ids"},
		{"untag", with(serving, tagged), func(s c.State) ([]any, error) { return c.Untag(s, []uuid.UUID{tag1, tag2}) },
			[]any{eventschema.ConversationUntagged{TenantID: tenant, ConversationID: conv, TagIDs: []uuid.UUID{tag1}}}, ""},
		{"untag what is not there", serving, func(s c.State) ([]any, error) { return c.Untag(s, []uuid.UUID{tag1}) }, nil, ""},
		{"invite a rating", serving, func(s c.State) ([]any, error) { return c.InviteRating(s, ann) },
			[]any{eventschema.RatingInvited{TenantID: tenant, ConversationID: conv, By: "agent", AgentID: ann}}, ""},
		{"invite once", with(serving, eventschema.RatingInvited{By: "agent", AgentID: ann}), func(s c.State) ([]any, error) { return c.InviteRating(s, ann) }, nil, "rating.already_invited"},
		{"only the serving agent invites", serving, func(s c.State) ([]any, error) { return c.InviteRating(s, bob) }, nil, "rating.not_serving_agent"},
		{"rate during the conversation", serving, rate(5, "last", time.Time{}, now), []any{rated}, ""},
		{"rate within the window", with(serving, closed), rate(5, "last", now.Add(-8*time.Hour), now), []any{rated}, ""},
		{"rate after the window", with(serving, closed), rate(5, "last", now.Add(-8*time.Hour-time.Second), now), nil, "rating.window_closed"},
		{"the last rating counts", with(serving, rated), rate(5, "last", time.Time{}, now), []any{rated}, ""},
		{"the first rating counts", with(serving, rated), rate(5, "first", time.Time{}, now), nil, "rating.already_rated"},
		{"stars 1 to 5", serving, rate(6, "last", time.Time{}, now), nil, "rating.stars"},
		{"zero stars", serving, rate(0, "last", time.Time{}, now), nil, "rating.stars"},
		{"agent closes: the segment ends first", serving, closeBy("agent", ann.String(), false), []any{segClosed, closedEv("agent", ann.String())}, ""},
		{"force tag refuses an untagged close", serving, closeBy("agent", ann.String(), true), nil, "close.tag_required"},
		{"force tag with a tag", with(serving, tagged), closeBy("agent", ann.String(), true), []any{segClosed, closedEv("agent", ann.String())}, ""},
		{"only the serving agent closes", serving, closeBy("agent", bob.String(), false), nil, "close.not_serving_agent"},
		{"the customer closes", serving, closeBy("customer", customer.String(), false), []any{segClosed, closedEv("customer", customer.String())}, ""},
		{"another customer does not", serving, closeBy("customer", bob.String(), false), nil, "close.not_customer"},
		{"the hosting robot closes", []any{started, hosted}, closeBy("robot", bot.String(), false), []any{closedEv("robot", bot.String())}, ""},
		{"another robot does not", []any{started, hosted}, closeBy("robot", id(73).String(), false), nil, "close.not_robot_host"},
		{"nor a robot after handing over", []any{started, hosted, queued}, closeBy("robot", bot.String(), false), nil, "close.not_robot_host"},
		{"admin closes a queued one: the episode is abandoned", []any{started, queued}, closeBy("admin", admin.String(), false),
			[]any{eventschema.ConversationLeftQueue{TenantID: tenant, ConversationID: conv, EpisodeID: ep1, Reason: "closed"}, closedEv("admin", admin.String())}, ""},
		{"customer leaves the queue", []any{started, queued}, closeBy("customer", customer.String(), false),
			[]any{eventschema.ConversationLeftQueue{TenantID: tenant, ConversationID: conv, EpisodeID: ep1, Reason: "customer_left"}, closedEv("customer", customer.String())}, ""},
		{"blacklist", []any{started, queued}, closeBy("blacklist", ann.String(), false),
			[]any{eventschema.ConversationLeftQueue{TenantID: tenant, ConversationID: conv, EpisodeID: ep1, Reason: "blacklisted"}, closedEv("blacklist", ann.String())}, ""},
		{"a pending transfer fails on close", with(serving, pending), closeBy("admin", admin.String(), false),
			[]any{eventschema.TransferFailed{TenantID: tenant, ConversationID: conv, TransferID: tr1, Outcome: "refused"}, segClosed, closedEv("admin", admin.String())}, ""},
		{"twice", with(serving, closed), closeBy("admin", admin.String(), false), nil, "conversation.closed"},
		{"unknown reason", serving, closeBy("bored", admin.String(), false), nil, "close.reason"},
		{"note instead of waiting", []any{started, queued}, func(s c.State) ([]any, error) { return c.LeaveNote(s, id(81), customer, "call me", "+49 30 1") },
			[]any{eventschema.NoteLeft{TenantID: tenant, ConversationID: conv, NoteID: id(81), Text: "call me", Contact: "+49 30 1"},
				eventschema.ConversationLeftQueue{TenantID: tenant, ConversationID: conv, EpisodeID: ep1, Reason: "note"}, closedEv("note", customer.String())}, ""},
		{"no note while served", serving, func(s c.State) ([]any, error) { return c.LeaveNote(s, id(81), customer, "x", "") }, nil, "note.serving"},
		{"empty note", []any{started, queued}, func(s c.State) ([]any, error) { return c.LeaveNote(s, id(81), customer, "", "") }, nil, "note.text"},
	})
}

func TestStatus(t *testing.T) {
	for _, tc := range []struct {
		given []any
		want  c.Status
	}{
		{[]any{started}, c.Open},
		{[]any{started, queued}, c.Queued},
		{serving, c.Serving},
		{with(serving, annLeft, eventschema.ConversationQueued{EpisodeID: ep2, TeamID: otherTm}), c.Queued},
		{with(serving, closed), c.Closed},
	} {
		if got := given(tc.given...).Status(); got != tc.want {
			t.Errorf("status after %d events = %s, want %s", len(tc.given), got, tc.want)
		}
	}
}

// TestTookPart: who took part in a conversation (its data scope lets them
// act on it whatever team it is routed to now).
func TestTookPart(t *testing.T) {
	state := func(events ...any) c.State {
		var s c.State
		for _, e := range events {
			s = c.Evolve(s, e)
		}
		return s
	}
	expert := eventschema.ExpertInvited{TenantID: tenant, ConversationID: conv, AgentID: bob, InvitedBy: ann}
	cases := []struct {
		name string
		s    c.State
		user uuid.UUID
		want bool
	}{
		{"the serving agent", state(serving...), ann, true},
		{"an agent who left", state(with(serving, annLeft)...), ann, true},
		{"an invited expert", state(with(serving, expert)...), bob, true},
		{"the target of a pending transfer", state(with(serving, pending)...), bob, true},
		{"anyone else", state(serving...), bob, false},
		{"nobody", state(serving...), uuid.Nil, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.s.TookPart(tc.user); got != tc.want {
				t.Errorf("TookPart = %v, want %v", got, tc.want)
			}
		})
	}
}

// TestAfterTransfer: a segment knows whether its agent picked the
// conversation up after a transfer, at once or from the queue the transfer
// sent it to.
func TestAfterTransfer(t *testing.T) {
	state := func(events ...any) c.State {
		var s c.State
		for _, e := range events {
			s = c.Evolve(s, e)
		}
		return s
	}
	toTeam := eventschema.ConversationQueued{TenantID: tenant, ConversationID: conv, EpisodeID: ep2, TeamID: otherTm, Reason: eventschema.QueuedTransferredTeam}
	bobFromQueue := eventschema.AgentJoined{TenantID: tenant, ConversationID: conv, AgentID: bob, SegmentID: seg2, How: "auto", EpisodeID: ep2, TeamID: otherTm}
	bobAtOnce := eventschema.AgentJoined{TenantID: tenant, ConversationID: conv, AgentID: bob, SegmentID: seg2, How: "transfer", TeamID: team}
	cases := []struct {
		name string
		s    c.State
		want bool
	}{
		{"first pick-up from the queue", state(serving...), false},
		{"taken over at once", state(with(serving, annLeft, bobAtOnce)...), true},
		{"picked up from the queue a transfer sent it to", state(with(serving, annLeft, toTeam, bobFromQueue)...), true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.s.Segment.AfterTransfer; got != tc.want {
				t.Errorf("AfterTransfer = %v, want %v", got, tc.want)
			}
		})
	}
}
