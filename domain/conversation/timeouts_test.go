package conversation_test

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/google/uuid"

	c "supportd/domain/conversation"
	"supportd/eventschema"
)

var (
	toCustMsg  = id(71)
	toCustMsg2 = id(72)
	toAgentMsg = id(73)
	toRobotMsg = id(74)
	toTransfer = id(81)
	toEpisode  = id(82)

	custMsg  = eventschema.MessageSent{TenantID: tenant, ConversationID: conv, MessageID: toCustMsg, SenderKind: "customer", SenderID: customer.String(), Type: "text", Text: "hello?", SegmentID: seg1}
	custMsg2 = eventschema.MessageSent{TenantID: tenant, ConversationID: conv, MessageID: toCustMsg2, SenderKind: "customer", SenderID: customer.String(), Type: "text", Text: "anyone?", SegmentID: seg1}
	agentMsg = eventschema.MessageSent{TenantID: tenant, ConversationID: conv, MessageID: toAgentMsg, SenderKind: "agent", SenderID: ann.String(), Type: "text", Text: "how can I help?", SegmentID: seg1}
	// A customer message while nobody serves (queued or with the robot).
	custMsgUnserved = eventschema.MessageSent{TenantID: tenant, ConversationID: conv, MessageID: toCustMsg, SenderKind: "customer", SenderID: customer.String(), Type: "text", Text: "hello?"}
)

func runOf(kind string, runID uuid.UUID, n int) c.Run { return c.Run{Kind: kind, ID: runID, N: n} }

// TestTimeoutRuns states when each timeout runs: what starts, restarts,
// keeps and ends it.
func TestTimeoutRuns(t *testing.T) {
	kept := func(kind string, runID uuid.UUID) c.Run { return c.Run{Kind: kind, ID: runID, N: 1, Keep: true} }
	timedOut := func(kind, next string, n int) eventschema.ConversationTimedOut {
		return eventschema.ConversationTimedOut{TenantID: tenant, ConversationID: conv, Timeout: kind, RunID: toEpisode, N: n, Next: next}
	}
	cases := []struct {
		name  string
		event any
		want  c.RunChange
	}{
		{"the start starts inactivity", started, c.RunChange{ConversationID: conv,
			Start: []c.Run{runOf(eventschema.TimeoutInactivity, conv, 1)}}},
		{"a customer message to an agent starts the agent's clocks, kept from the first unanswered one", custMsg, c.RunChange{ConversationID: conv,
			End: []string{eventschema.TimeoutCustomerNoReply, eventschema.TimeoutNoReplyRemind, eventschema.TimeoutNoReplyClose},
			Start: []c.Run{runOf(eventschema.TimeoutInactivity, toCustMsg, 1), kept(c.RunAwaitingReply, toCustMsg),
				kept(eventschema.TimeoutAgentNoReply, toCustMsg), kept(eventschema.TimeoutAutoReassign, toCustMsg)}}},
		{"a customer message nobody serves waits for the agent to come", custMsgUnserved, c.RunChange{ConversationID: conv,
			End:   []string{eventschema.TimeoutCustomerNoReply, eventschema.TimeoutNoReplyRemind, eventschema.TimeoutNoReplyClose},
			Start: []c.Run{runOf(eventschema.TimeoutInactivity, toCustMsg, 1), kept(c.RunAwaitingReply, toCustMsg)}}},
		{"an agent message ends the agent's clocks and restarts the customer's", agentMsg, c.RunChange{ConversationID: conv,
			End: []string{eventschema.TimeoutAgentNoReply, eventschema.TimeoutAutoReassign, eventschema.TimeoutNoReplyClose, c.RunAwaitingReply},
			Start: []c.Run{runOf(eventschema.TimeoutInactivity, toAgentMsg, 1), runOf(eventschema.TimeoutCustomerNoReply, toAgentMsg, 1),
				runOf(eventschema.TimeoutNoReplyRemind, toAgentMsg, 1)}}},
		{"a robot message restarts inactivity", eventschema.MessageSent{ConversationID: conv, MessageID: toRobotMsg, SenderKind: "robot", Type: "text", Text: "hi"},
			c.RunChange{ConversationID: conv, Start: []c.Run{runOf(eventschema.TimeoutInactivity, toRobotMsg, 1)}}},
		{"system notices change nothing", eventschema.MessageSent{ConversationID: conv, MessageID: id(75), SenderKind: "system", Type: "text", Text: "hi", Notice: "welcome"},
			c.RunChange{ConversationID: conv}},
		{"a queue episode starts the first reminder", queued, c.RunChange{ConversationID: conv,
			Start: []c.Run{runOf(eventschema.TimeoutQueueReminder, ep1, 1)}}},
		{"a join ends the reminders and starts the agent's clocks if a customer message waits", annJoin, c.RunChange{ConversationID: conv,
			End: []string{eventschema.TimeoutQueueReminder},
			Start: []c.Run{{Kind: eventschema.TimeoutAgentNoReply, ID: seg1, N: 1, Keep: true, IfPending: c.RunAwaitingReply},
				{Kind: eventschema.TimeoutAutoReassign, ID: seg1, N: 1, Keep: true, IfPending: c.RunAwaitingReply}}}},
		{"leaving the queue ends the reminders", eventschema.ConversationLeftQueue{ConversationID: conv, EpisodeID: ep1, Reason: "closed"},
			c.RunChange{ConversationID: conv, End: []string{eventschema.TimeoutQueueReminder}}},
		{"the agent leaving ends the reply clocks", annLeft, c.RunChange{ConversationID: conv,
			End: []string{eventschema.TimeoutAgentNoReply, eventschema.TimeoutAutoReassign, eventschema.TimeoutCustomerNoReply,
				eventschema.TimeoutNoReplyRemind, eventschema.TimeoutNoReplyClose}}},
		{"the close ends everything", closed, c.RunChange{ConversationID: conv, End: append(append([]string{}, c.TimeoutKinds...), c.RunAwaitingReply)}},
		{"a timeout ends its run", timedOut(eventschema.TimeoutAgentNoReply, "", 1), c.RunChange{ConversationID: conv,
			End: []string{eventschema.TimeoutAgentNoReply}}},
		{"the no-reply reminder leads to the close", timedOut(eventschema.TimeoutNoReplyRemind, eventschema.TimeoutNoReplyClose, 1),
			c.RunChange{ConversationID: conv, End: []string{eventschema.TimeoutNoReplyRemind},
				Start: []c.Run{runOf(eventschema.TimeoutNoReplyClose, uuid.NewSHA1(toEpisode, []byte(eventschema.TimeoutNoReplyClose)), 1)}}},
		{"a queue reminder leads to the next one, counted", timedOut(eventschema.TimeoutQueueReminder, eventschema.TimeoutQueueReminder, 2),
			c.RunChange{ConversationID: conv, End: []string{eventschema.TimeoutQueueReminder},
				Start: []c.Run{runOf(eventschema.TimeoutQueueReminder, uuid.NewSHA1(toEpisode, []byte(eventschema.TimeoutQueueReminder)), 3)}}},
		{"other events change nothing", tagged, c.RunChange{}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := c.TimeoutRuns(tc.event); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got  %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

// TestPendingRuns folds the runs into the state: kept runs keep their
// start, restarted ones move on, ended ones go.
func TestPendingRuns(t *testing.T) {
	cases := []struct {
		name  string
		given []any
		want  map[string]uuid.UUID
	}{
		{"started", []any{started}, map[string]uuid.UUID{eventschema.TimeoutInactivity: conv}},
		{"queued", []any{started, queued}, map[string]uuid.UUID{eventschema.TimeoutInactivity: conv, eventschema.TimeoutQueueReminder: ep1}},
		{"a second customer message keeps the agent's clocks", with(serving, custMsg, custMsg2), map[string]uuid.UUID{
			eventschema.TimeoutInactivity: toCustMsg2, eventschema.TimeoutAgentNoReply: toCustMsg, eventschema.TimeoutAutoReassign: toCustMsg,
			c.RunAwaitingReply: toCustMsg}},
		{"joined with nothing to answer: no clock", with(serving), map[string]uuid.UUID{eventschema.TimeoutInactivity: conv}},
		{"joined with a question waiting: the agent's clocks start at the join", []any{started, queued, custMsgUnserved, annJoin}, map[string]uuid.UUID{
			eventschema.TimeoutInactivity: toCustMsg, c.RunAwaitingReply: toCustMsg, eventschema.TimeoutAgentNoReply: seg1, eventschema.TimeoutAutoReassign: seg1}},
		{"the agent answers", with(serving, custMsg, agentMsg), map[string]uuid.UUID{eventschema.TimeoutInactivity: toAgentMsg,
			eventschema.TimeoutCustomerNoReply: toAgentMsg, eventschema.TimeoutNoReplyRemind: toAgentMsg}},
		{"after an agent no-reply timeout the next customer message starts anew", with(serving, custMsg,
			eventschema.ConversationTimedOut{ConversationID: conv, Timeout: eventschema.TimeoutAgentNoReply, RunID: toCustMsg, N: 1}, custMsg2),
			map[string]uuid.UUID{eventschema.TimeoutInactivity: toCustMsg2, eventschema.TimeoutAgentNoReply: toCustMsg2, eventschema.TimeoutAutoReassign: toCustMsg,
				c.RunAwaitingReply: toCustMsg}},
		{"closed", with(serving, custMsg, closed), map[string]uuid.UUID{}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := map[string]uuid.UUID{}
			for k, r := range given(tc.given...).Runs {
				got[k] = r.ID
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("runs %v, want %v", got, tc.want)
			}
		})
	}
}

func settingsOf(values map[string]string) func(string) (json.RawMessage, bool) {
	return func(key string) (json.RawMessage, bool) {
		v, ok := values[key]
		return json.RawMessage(v), ok
	}
}

func TestTimeoutDelays(t *testing.T) {
	rules := c.ReadTimeoutRules(settingsOf(map[string]string{
		"conversation.agent_no_reply":             `{"enabled":true,"timeout_seconds":60,"actions":["remind_agent"],"message":"","alarm_level":1}`,
		"transfer.auto_reassign":                  `{"enabled":false,"agent_reply_timeout_seconds":180}`,
		"conversation.close_on_customer_no_reply": `{"enabled":true,"remind_after_seconds":300,"remind_message":"","close_after_seconds":600,"close_message":""}`,
		"conversation.inactivity_close_enabled":   `true`,
		"conversation.inactivity_close_hours":     `24`,
		"queue.remind_customers":                  `{"enabled":true,"message":"wait","effective_time":"all_day","remind_after_seconds":180,"count":3,"interval_seconds":60,"note_button":false}`,
	}))
	cases := []struct {
		run  c.Run
		want time.Duration
		on   bool
	}{
		{runOf(eventschema.TimeoutAgentNoReply, toCustMsg, 1), time.Minute, true},
		{runOf(eventschema.TimeoutAutoReassign, toCustMsg, 1), 3 * time.Minute, false},
		{runOf(eventschema.TimeoutCustomerNoReply, toAgentMsg, 1), 0, false},
		{runOf(eventschema.TimeoutNoReplyRemind, toAgentMsg, 1), 5 * time.Minute, true},
		{runOf(eventschema.TimeoutNoReplyClose, toAgentMsg, 1), 10 * time.Minute, true},
		{runOf(eventschema.TimeoutInactivity, conv, 1), 24 * time.Hour, true},
		{runOf(eventschema.TimeoutQueueReminder, ep1, 1), 3 * time.Minute, true},
		{runOf(eventschema.TimeoutQueueReminder, ep1, 2), time.Minute, true},
		{runOf("unknown", ep1, 1), 0, false},
	}
	for _, tc := range cases {
		got, on := rules.Delay(tc.run)
		if on != tc.on || (on && got != tc.want) {
			t.Errorf("%s #%d: %v %v, want %v %v", tc.run.Kind, tc.run.N, got, on, tc.want, tc.on)
		}
	}
}

func TestEffectiveTime(t *testing.T) {
	for _, tc := range []struct {
		effective   string
		working, in bool
	}{
		{"all_day", true, true}, {"all_day", false, true},
		{"work_hours", true, true}, {"work_hours", false, false},
		{"non_work_hours", true, false}, {"non_work_hours", false, true},
	} {
		if got := c.InEffectiveTime(tc.effective, tc.working); got != tc.in {
			t.Errorf("%s, working %v: %v", tc.effective, tc.working, got)
		}
	}
}

// TestElapse decides each timeout running out, by the tenant's rules.
func TestElapse(t *testing.T) {
	noticeOf := func(of uuid.UUID, kind, text string, segment uuid.UUID) eventschema.MessageSent {
		return eventschema.MessageSent{TenantID: tenant, ConversationID: conv, MessageID: uuid.NewSHA1(of, []byte(kind)),
			SenderKind: "system", Type: "text", Text: text, SegmentID: segment, Notice: kind}
	}
	timedOut := func(run c.Run, agent uuid.UUID, actions ...string) eventschema.ConversationTimedOut {
		if actions == nil {
			actions = []string{}
		}
		return eventschema.ConversationTimedOut{TenantID: tenant, ConversationID: conv, Timeout: run.Kind, RunID: run.ID, N: run.N,
			Actions: actions, AgentID: agent}
	}
	detailed := func(e eventschema.ConversationTimedOut, detail string) eventschema.ConversationTimedOut {
		e.Detail = detail
		return e
	}
	next := func(e eventschema.ConversationTimedOut, kind string) eventschema.ConversationTimedOut {
		e.Next = kind
		return e
	}
	agentRule := c.NoReplyRule{Enabled: true, TimeoutSeconds: 60, Actions: []string{"remind_agent", "remind_customer", "alarm"},
		Message: "An agent will be with you shortly.", AlarmLevel: 2}
	rules := c.TimeoutRules{
		AgentNoReply:    agentRule,
		AutoReassign:    c.ReassignRule{Enabled: true, AgentReplyTimeoutSeconds: 180},
		CustomerNoReply: c.NoReplyRule{Enabled: true, TimeoutSeconds: 120, Actions: []string{"remind_agent", "remind_customer"}, Message: "Are you still there?"},
		CloseOnNoReply: c.CloseOnNoReplyRule{Enabled: true, RemindAfterSeconds: 300, RemindMessage: "Please reply, or we close.",
			CloseAfterSeconds: 600, CloseMessage: "Closed as you did not reply."},
		Inactivity: c.InactivityRule{Enabled: true, Hours: 24, TagIDs: []uuid.UUID{tag1, tag2}, Remark: "closed for inactivity"},
		QueueReminders: c.QueueReminderRule{Enabled: true, Message: "Thanks for waiting.", EffectiveTime: "work_hours",
			RemindAfterSeconds: 180, Count: 2, IntervalSeconds: 60},
	}
	closing := c.CloseNotices{Closing: c.ClosingTexts{Inactivity: "Closing: no activity.", NoReply: "Closed as you did not reply."},
		Invite: c.AutoInvite{Channels: map[string]bool{"web": true}, SkipSingleMessage: true}}
	elapse := func(run c.Run, change func(*c.Elapsed)) func(c.State) ([]any, error) {
		return func(s c.State) ([]any, error) {
			e := c.Elapsed{Run: run, Rules: rules, WorkingTime: true, TeamMembers: 2, Close: closing, TransferID: toTransfer, EpisodeID: toEpisode}
			if change != nil {
				change(&e)
			}
			return c.Elapse(s, e)
		}
	}
	off := func(f func(*c.TimeoutRules)) func(*c.Elapsed) { return func(e *c.Elapsed) { f(&e.Rules) } }

	agentRun := runOf(eventschema.TimeoutAgentNoReply, toCustMsg, 1)
	reassignRun := runOf(eventschema.TimeoutAutoReassign, toCustMsg, 1)
	custRun := runOf(eventschema.TimeoutCustomerNoReply, toAgentMsg, 1)
	remindRun := runOf(eventschema.TimeoutNoReplyRemind, toAgentMsg, 1)
	closeRun := runOf(eventschema.TimeoutNoReplyClose, uuid.NewSHA1(toAgentMsg, []byte(eventschema.TimeoutNoReplyClose)), 1)
	idleRun := runOf(eventschema.TimeoutInactivity, toAgentMsg, 1)
	queueRun := runOf(eventschema.TimeoutQueueReminder, ep1, 1)
	queueRun2 := runOf(eventschema.TimeoutQueueReminder, uuid.NewSHA1(ep1, []byte(eventschema.TimeoutQueueReminder)), 2)

	unanswered := with(serving, custMsg)
	answered := with(serving, custMsg, agentMsg)
	reminded := with(answered, next(timedOut(remindRun, ann, "remind_customer"), eventschema.TimeoutNoReplyClose),
		noticeOf(remindRun.Key(), c.NoticeCustomerReminder, "Please reply, or we close.", seg1))
	queuedOnce := with([]any{started, queued}, next(timedOut(queueRun, uuid.Nil, "remind_customer"), eventschema.TimeoutQueueReminder))
	closeAll := func(reason string) []any {
		return []any{eventschema.AgentLeft{TenantID: tenant, ConversationID: conv, AgentID: ann, SegmentID: seg1, How: "closed"},
			eventschema.RatingInvited{TenantID: tenant, ConversationID: conv, By: "auto"},
			eventschema.ConversationClosed{TenantID: tenant, ConversationID: conv, Reason: reason, ClosedBy: "timeout"}}
	}

	run(t, []tcase{
		// Agent no-reply.
		{"agent no-reply: remind the agent, tell the customer, raise the alarm", unanswered, elapse(agentRun, nil), []any{
			timedOut(agentRun, ann, "remind_agent", "remind_customer", "alarm"),
			noticeOf(agentRun.Key(), c.NoticeNoReplyReminder, "An agent will be with you shortly.", seg1),
			eventschema.AlarmRaised{TenantID: tenant, ConversationID: conv, Kind: "agent_no_reply", Level: 2,
				Detail: "agent " + ann.String() + " did not reply within 60 seconds"}}, ""},
		{"agent no-reply: only the chosen actions", unanswered, elapse(agentRun, off(func(r *c.TimeoutRules) { r.AgentNoReply.Actions = []string{"alarm"} })),
			[]any{timedOut(agentRun, ann, "alarm"), eventschema.AlarmRaised{TenantID: tenant, ConversationID: conv, Kind: "agent_no_reply", Level: 2,
				Detail: "agent " + ann.String() + " did not reply within 60 seconds"}}, ""},
		{"agent no-reply timed from the first unanswered message", with(unanswered, custMsg2), elapse(agentRun, off(func(r *c.TimeoutRules) { r.AgentNoReply.Actions = []string{"remind_agent"} })),
			[]any{timedOut(agentRun, ann, "remind_agent")}, ""},
		{"agent no-reply turned off meanwhile: the run ends, nothing else", unanswered, elapse(agentRun, off(func(r *c.TimeoutRules) { r.AgentNoReply.Enabled = false })),
			[]any{detailed(timedOut(agentRun, ann), "conversation.agent_no_reply is off")}, ""},
		{"the agent answered: nothing", answered, elapse(agentRun, nil), nil, ""},
		{"another run: nothing", with(unanswered, eventschema.ConversationTimedOut{ConversationID: conv, Timeout: eventschema.TimeoutAgentNoReply, RunID: toCustMsg, N: 1}, custMsg2),
			elapse(agentRun, nil), nil, ""},
		{"closed: nothing", with(unanswered, closed), elapse(agentRun, nil), nil, ""},
		{"unknown conversation", nil, elapse(agentRun, nil), nil, "conversation.not_found"},
		{"the wait for a reply is no timeout", unanswered, elapse(runOf(c.RunAwaitingReply, toCustMsg, 1), nil), nil, "timeout.kind"},
		{"agent no-reply of an agent who joined while the customer waited", []any{started, queued, custMsgUnserved, annJoin},
			elapse(runOf(eventschema.TimeoutAgentNoReply, seg1, 1), off(func(r *c.TimeoutRules) { r.AgentNoReply.Actions = []string{"remind_agent"} })),
			[]any{timedOut(runOf(eventschema.TimeoutAgentNoReply, seg1, 1), ann, "remind_agent")}, ""},

		// Automatic transfer.
		{"auto-reassign: back to the team's queue", unanswered, elapse(reassignRun, nil), []any{
			timedOut(reassignRun, ann, "transfer"),
			eventschema.ConversationTransferred{TenantID: tenant, ConversationID: conv, TransferID: toTransfer, FromAgentID: ann, ToKind: "team",
				ToID: team, Reason: "the agent did not reply in time", Confirmation: "none", Automatic: true},
			eventschema.AgentLeft{TenantID: tenant, ConversationID: conv, AgentID: ann, SegmentID: seg1, How: "transferred"},
			eventschema.ConversationQueued{TenantID: tenant, ConversationID: conv, EpisodeID: toEpisode, TeamID: team, Reason: "transferred_to_team"}}, ""},
		{"auto-reassign: the team has no agents", unanswered, elapse(reassignRun, func(e *c.Elapsed) { e.TeamMembers = 0 }),
			[]any{detailed(timedOut(reassignRun, ann), "the conversation's team has no agents")}, ""},
		{"auto-reassign: no team", []any{eventschema.ConversationStarted{TenantID: tenant, ConversationID: conv, Channel: "web", CustomerID: customer},
			eventschema.AgentJoined{TenantID: tenant, ConversationID: conv, AgentID: ann, SegmentID: seg1, How: "routed"}, custMsg},
			elapse(reassignRun, nil), []any{detailed(timedOut(reassignRun, ann), "the conversation has no team to go back to")}, ""},
		{"auto-reassign: a transfer waits", with(unanswered, pending), elapse(reassignRun, nil),
			[]any{detailed(timedOut(reassignRun, ann), "a transfer waits for confirmation")}, ""},
		{"auto-reassign off", unanswered, elapse(reassignRun, off(func(r *c.TimeoutRules) { r.AutoReassign.Enabled = false })),
			[]any{detailed(timedOut(reassignRun, ann), "transfer.auto_reassign is off")}, ""},

		// Customer no-reply.
		{"customer no-reply: highlight and remind", answered, elapse(custRun, nil), []any{
			timedOut(custRun, ann, "remind_agent", "remind_customer"),
			noticeOf(custRun.Key(), c.NoticeCustomerReminder, "Are you still there?", seg1)}, ""},
		{"the customer answered: nothing", with(answered, custMsg2), elapse(custRun, nil), nil, ""},
		{"customer no-reply off", answered, elapse(custRun, off(func(r *c.TimeoutRules) { r.CustomerNoReply.Enabled = false })),
			[]any{detailed(timedOut(custRun, ann), "conversation.customer_no_reply is off")}, ""},

		// Close on customer no-reply.
		{"no reply: remind, then wait for the close", answered, elapse(remindRun, nil), []any{
			next(timedOut(remindRun, ann, "remind_customer"), eventschema.TimeoutNoReplyClose),
			noticeOf(remindRun.Key(), c.NoticeCustomerReminder, "Please reply, or we close.", seg1)}, ""},
		{"no reply: an empty reminder sends nothing, the close still follows", answered,
			elapse(remindRun, off(func(r *c.TimeoutRules) { r.CloseOnNoReply.RemindMessage = "" })),
			[]any{next(timedOut(remindRun, ann), eventschema.TimeoutNoReplyClose)}, ""},
		{"no reply: the close", reminded, elapse(closeRun, nil), with([]any{
			timedOut(closeRun, ann, "close"),
			noticeOf(conv, c.NoticeClosing, "Closed as you did not reply.", seg1)},
			closeAll("customer_no_reply")...), ""},
		{"no reply: the customer wrote after the reminder", with(reminded, custMsg2), elapse(closeRun, nil), nil, ""},
		{"no reply: rating skipped after an automatic close when the tenant says so", reminded,
			elapse(closeRun, func(e *c.Elapsed) { e.Close.Invite.SkipAutoClosed = true }), []any{
				timedOut(closeRun, ann, "close"),
				noticeOf(conv, c.NoticeClosing, "Closed as you did not reply.", seg1),
				eventschema.AgentLeft{TenantID: tenant, ConversationID: conv, AgentID: ann, SegmentID: seg1, How: "closed"},
				eventschema.ConversationClosed{TenantID: tenant, ConversationID: conv, Reason: "customer_no_reply", ClosedBy: "timeout"}}, ""},
		{"no reply turned off before the close", reminded, elapse(closeRun, off(func(r *c.TimeoutRules) { r.CloseOnNoReply.Enabled = false })),
			[]any{detailed(timedOut(closeRun, ann), "conversation.close_on_customer_no_reply is off")}, ""},

		// Inactivity.
		{"inactivity: tag, tell and close", answered, elapse(idleRun, nil), with([]any{
			timedOut(idleRun, ann, "tag", "close"),
			eventschema.ConversationTagged{TenantID: tenant, ConversationID: conv, TagIDs: []uuid.UUID{tag1, tag2}, Remark: "closed for inactivity"},
			noticeOf(conv, c.NoticeClosing, "Closing: no activity.", seg1)},
			closeAll("inactivity")...), ""},
		{"inactivity without tags or message", answered, elapse(idleRun, func(e *c.Elapsed) {
			e.Rules.Inactivity.TagIDs, e.Close.Closing.Inactivity = nil, ""
			e.Close.Invite.SkipAutoClosed = true
		}), []any{timedOut(idleRun, ann, "close"),
			eventschema.AgentLeft{TenantID: tenant, ConversationID: conv, AgentID: ann, SegmentID: seg1, How: "closed"},
			eventschema.ConversationClosed{TenantID: tenant, ConversationID: conv, Reason: "inactivity", ClosedBy: "timeout"}}, ""},
		{"inactivity of a queued conversation abandons its episode", []any{started, queued}, elapse(runOf(eventschema.TimeoutInactivity, conv, 1), func(e *c.Elapsed) {
			e.Rules.Inactivity.TagIDs = nil
		}), []any{timedOut(runOf(eventschema.TimeoutInactivity, conv, 1), uuid.Nil, "close"),
			noticeOf(conv, c.NoticeClosing, "Closing: no activity.", uuid.Nil),
			eventschema.ConversationLeftQueue{TenantID: tenant, ConversationID: conv, EpisodeID: ep1, Reason: "closed"},
			eventschema.ConversationClosed{TenantID: tenant, ConversationID: conv, Reason: "inactivity", ClosedBy: "timeout"}}, ""},
		{"a later message restarted inactivity: nothing", with(answered, custMsg2), elapse(idleRun, nil), nil, ""},
		{"inactivity close off", answered, elapse(idleRun, off(func(r *c.TimeoutRules) { r.Inactivity.Enabled = false })),
			[]any{detailed(timedOut(idleRun, ann), "conversation.inactivity_close_enabled is off")}, ""},

		// Queue reminders.
		{"the first queue reminder, another to come", []any{started, queued}, elapse(queueRun, nil), []any{
			next(timedOut(queueRun, uuid.Nil, "remind_customer"), eventschema.TimeoutQueueReminder),
			noticeOf(queueRun.Key(), c.NoticeQueueReminder, "Thanks for waiting.", uuid.Nil)}, ""},
		{"the last queue reminder", queuedOnce, elapse(queueRun2, nil), []any{
			timedOut(queueRun2, uuid.Nil, "remind_customer"),
			noticeOf(queueRun2.Key(), c.NoticeQueueReminder, "Thanks for waiting.", uuid.Nil)}, ""},
		{"a queue reminder with the Note button", []any{started, queued}, elapse(queueRun, func(e *c.Elapsed) { e.Rules.QueueReminders.NoteButton = true }), []any{
			next(timedOut(queueRun, uuid.Nil, "remind_customer"), eventschema.TimeoutQueueReminder),
			func() eventschema.MessageSent {
				m := noticeOf(queueRun.Key(), c.NoticeQueueReminder, "Thanks for waiting.", uuid.Nil)
				m.Custom = json.RawMessage(`{"actions":["leave_note"]}`)
				return m
			}()}, ""},
		{"outside the effective time: not sent, but counted", []any{started, queued}, elapse(queueRun, func(e *c.Elapsed) { e.WorkingTime = false }),
			[]any{next(detailed(timedOut(queueRun, uuid.Nil), "outside the reminders' effective time (work_hours)"), eventschema.TimeoutQueueReminder)}, ""},
		{"the episode ended: nothing", with([]any{started, queued}, annJoin), elapse(queueRun, nil), nil, ""},
		{"queue reminders off", []any{started, queued}, elapse(queueRun, off(func(r *c.TimeoutRules) { r.QueueReminders.Enabled = false })),
			[]any{detailed(timedOut(queueRun, uuid.Nil), "queue.remind_customers is off")}, ""},
	})
}
