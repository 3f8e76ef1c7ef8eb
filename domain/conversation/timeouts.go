package conversation

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"supportd/domain"
	"supportd/eventschema"
)

// TimeoutKinds are the conversation's timeouts (eventschema.Timeout…).
var TimeoutKinds = []string{eventschema.TimeoutAgentNoReply, eventschema.TimeoutAutoReassign,
	eventschema.TimeoutCustomerNoReply, eventschema.TimeoutNoReplyRemind, eventschema.TimeoutNoReplyClose,
	eventschema.TimeoutInactivity, eventschema.TimeoutQueueReminder}

// RunAwaitingReply is no timeout but the wait it times from: the customer
// wrote and no agent answered yet. Its run is never due; an agent who
// joins while it is pending starts the agent's clocks (agent no-reply,
// auto-reassign) at once.
const RunAwaitingReply = "awaiting_reply"

// runKinds are every kind of run: the close ends them all.
var runKinds = append(slices.Clone(TimeoutKinds), RunAwaitingReply)

// Notice kinds of the system messages timeouts send.
const (
	// NoticeNoReplyReminder tells the customer the agent will answer soon
	// (agent no-reply).
	NoticeNoReplyReminder = "no_reply_reminder"
	// NoticeCustomerReminder asks a silent customer to answer (customer
	// no-reply, and the reminder before a no-reply close).
	NoticeCustomerReminder = "customer_reminder"
	// NoticeQueueReminder tells a queued customer they are still waiting.
	NoticeQueueReminder = "queue_reminder"
)

// ClosedByTimeout is the closer of a conversation a timeout closes.
const ClosedByTimeout = "timeout"

// Run is one run of a timeout: an event of the conversation starts it,
// another ends it, or its timer fires and ConversationTimedOut ends it.
type Run struct {
	Kind string
	// ID names the run, derived from the event that started it: the
	// message, the conversation (its first inactivity run), the queue
	// episode, or the run it follows.
	ID uuid.UUID
	// N numbers the runs of a series (queue reminders): 1, 2, …
	N int
	// Keep: a pending run of the kind goes on instead of restarting. The
	// customer waits for an agent since the first unanswered message, not
	// the last.
	Keep bool
	// IfPending, when set, starts the run only while a run of that kind
	// is pending.
	IfPending string
}

// Key names the run's timer and the command that fires it: one per kind
// and run, so a run fires once, and the timeouts that start with the same
// message (agent no-reply, auto-reassign) stay apart.
func (r Run) Key() uuid.UUID { return uuid.NewSHA1(r.ID, []byte(r.Kind)) }

// RunChange is what one event does to the runs of a conversation's
// timeouts: End ends runs of those kinds, then Start starts runs
// (restarting a pending one unless it is kept).
type RunChange struct {
	ConversationID uuid.UUID
	End            []string
	Start          []Run
}

// TimeoutRuns answers what event does to the conversation's timeouts. It
// is the one statement of when each timeout runs: the aggregate folds it
// (State.Runs) to know which run a firing timer may still decide on, and
// the timers projector folds it to keep the durable timers.
//
//   - agent no-reply and auto-reassign run from a customer message while
//     an agent serves (the first unanswered one), or from an agent's join
//     while a customer message waits for an answer, until an agent writes
//     or the agent leaves;
//   - customer no-reply and the no-reply reminder run from an agent's
//     latest message until the customer writes or the agent leaves; the
//     reminder leads to the no-reply close, which a message of either side
//     ends;
//   - inactivity runs from the start and from every message of the
//     customer, an agent or the robot (system notices do not count);
//   - queue reminders run from the start of a queue episode until it ends,
//     one after the other;
//   - the close ends them all.
func TimeoutRuns(event any) RunChange {
	kind := func(k string, id uuid.UUID, keep bool) Run { return Run{Kind: k, ID: id, N: 1, Keep: keep} }
	switch e := event.(type) {
	case eventschema.ConversationStarted:
		return RunChange{ConversationID: e.ConversationID, Start: []Run{kind(eventschema.TimeoutInactivity, e.ConversationID, false)}}
	case eventschema.MessageSent:
		c := RunChange{ConversationID: e.ConversationID}
		switch e.SenderKind {
		case eventschema.SenderCustomer:
			c.End = []string{eventschema.TimeoutCustomerNoReply, eventschema.TimeoutNoReplyRemind, eventschema.TimeoutNoReplyClose}
			c.Start = []Run{kind(eventschema.TimeoutInactivity, e.MessageID, false), kind(RunAwaitingReply, e.MessageID, true)}
			if e.SegmentID != uuid.Nil {
				c.Start = append(c.Start, kind(eventschema.TimeoutAgentNoReply, e.MessageID, true),
					kind(eventschema.TimeoutAutoReassign, e.MessageID, true))
			}
		case eventschema.SenderAgent:
			c.End = []string{eventschema.TimeoutAgentNoReply, eventschema.TimeoutAutoReassign, eventschema.TimeoutNoReplyClose, RunAwaitingReply}
			c.Start = []Run{kind(eventschema.TimeoutInactivity, e.MessageID, false),
				kind(eventschema.TimeoutCustomerNoReply, e.MessageID, false), kind(eventschema.TimeoutNoReplyRemind, e.MessageID, false)}
		case eventschema.SenderRobot:
			c.Start = []Run{kind(eventschema.TimeoutInactivity, e.MessageID, false)}
		}
		return c
	case eventschema.ConversationQueued:
		return RunChange{ConversationID: e.ConversationID, Start: []Run{kind(eventschema.TimeoutQueueReminder, e.EpisodeID, false)}}
	case eventschema.ConversationLeftQueue:
		return RunChange{ConversationID: e.ConversationID, End: []string{eventschema.TimeoutQueueReminder}}
	case eventschema.AgentJoined:
		joined := func(k string) Run {
			return Run{Kind: k, ID: e.SegmentID, N: 1, Keep: true, IfPending: RunAwaitingReply}
		}
		return RunChange{ConversationID: e.ConversationID, End: []string{eventschema.TimeoutQueueReminder},
			Start: []Run{joined(eventschema.TimeoutAgentNoReply), joined(eventschema.TimeoutAutoReassign)}}
	case eventschema.AgentLeft:
		return RunChange{ConversationID: e.ConversationID, End: []string{eventschema.TimeoutAgentNoReply, eventschema.TimeoutAutoReassign,
			eventschema.TimeoutCustomerNoReply, eventschema.TimeoutNoReplyRemind, eventschema.TimeoutNoReplyClose}}
	case eventschema.ConversationClosed:
		return RunChange{ConversationID: e.ConversationID, End: runKinds}
	case eventschema.ConversationTimedOut:
		c := RunChange{ConversationID: e.ConversationID, End: []string{e.Timeout}}
		if e.Next != "" {
			n := 1
			if e.Next == e.Timeout {
				n = e.N + 1
			}
			c.Start = []Run{{Kind: e.Next, ID: uuid.NewSHA1(e.RunID, []byte(e.Next)), N: n}}
		}
		return c
	}
	return RunChange{}
}

// evolveRuns folds an event's RunChange into the pending runs.
func evolveRuns(runs map[string]Run, event any) map[string]Run {
	c := TimeoutRuns(event)
	if len(c.End) == 0 && len(c.Start) == 0 {
		return runs
	}
	out := make(map[string]Run, len(runs)+len(c.Start))
	for k, r := range runs {
		if !slices.Contains(c.End, k) {
			out[k] = r
		}
	}
	for _, r := range c.Start {
		if _, pending := out[r.Kind]; pending && r.Keep {
			continue
		}
		if _, waits := out[r.IfPending]; r.IfPending != "" && !waits {
			continue
		}
		out[r.Kind] = r
	}
	return out
}

// NoReplyRule is conversation.agent_no_reply or
// conversation.customer_no_reply.
type NoReplyRule struct {
	Enabled        bool     `json:"enabled"`
	TimeoutSeconds int      `json:"timeout_seconds"`
	Actions        []string `json:"actions"`
	Message        string   `json:"message"`
	AlarmLevel     int      `json:"alarm_level"`
}

// ReassignRule is transfer.auto_reassign.
type ReassignRule struct {
	Enabled                  bool `json:"enabled"`
	AgentReplyTimeoutSeconds int  `json:"agent_reply_timeout_seconds"`
}

// CloseOnNoReplyRule is conversation.close_on_customer_no_reply.
type CloseOnNoReplyRule struct {
	Enabled            bool   `json:"enabled"`
	RemindAfterSeconds int    `json:"remind_after_seconds"`
	RemindMessage      string `json:"remind_message"`
	CloseAfterSeconds  int    `json:"close_after_seconds"`
	CloseMessage       string `json:"close_message"`
}

// InactivityRule is conversation.inactivity_close_enabled, _hours, _tag_ids
// and _remark (the closing message is sent as the close's notice).
type InactivityRule struct {
	Enabled bool
	Hours   int
	TagIDs  []uuid.UUID
	Remark  string
}

// QueueReminderRule is queue.remind_customers.
type QueueReminderRule struct {
	Enabled            bool   `json:"enabled"`
	Message            string `json:"message"`
	EffectiveTime      string `json:"effective_time"`
	RemindAfterSeconds int    `json:"remind_after_seconds"`
	Count              int    `json:"count"`
	IntervalSeconds    int    `json:"interval_seconds"`
	NoteButton         bool   `json:"note_button"`
}

// TimeoutRules are the tenant's settings of the conversation timeouts.
type TimeoutRules struct {
	AgentNoReply    NoReplyRule
	AutoReassign    ReassignRule
	CustomerNoReply NoReplyRule
	CloseOnNoReply  CloseOnNoReplyRule
	Inactivity      InactivityRule
	QueueReminders  QueueReminderRule
}

// ReadTimeoutRules reads the timeout settings through setting (a tenant's
// current value or documented default of a key). Values were checked when
// they were set; one that does not decode stays zero, which turns its
// timeout off.
func ReadTimeoutRules(setting func(key string) (json.RawMessage, bool)) TimeoutRules {
	read := func(key string, into any) {
		if raw, ok := setting(key); ok {
			_ = json.Unmarshal(raw, into)
		}
	}
	var r TimeoutRules
	read("conversation.agent_no_reply", &r.AgentNoReply)
	read("transfer.auto_reassign", &r.AutoReassign)
	read("conversation.customer_no_reply", &r.CustomerNoReply)
	read("conversation.close_on_customer_no_reply", &r.CloseOnNoReply)
	read("conversation.inactivity_close_enabled", &r.Inactivity.Enabled)
	read("conversation.inactivity_close_hours", &r.Inactivity.Hours)
	read("conversation.inactivity_close_tag_ids", &r.Inactivity.TagIDs)
	read("conversation.inactivity_close_remark", &r.Inactivity.Remark)
	read("queue.remind_customers", &r.QueueReminders)
	return r
}

// Delay answers how long after its start run falls due, and false when
// its timeout is off. Queue reminders after the first come every interval.
func (r TimeoutRules) Delay(run Run) (time.Duration, bool) {
	sec := func(on bool, n int) (time.Duration, bool) { return time.Duration(n) * time.Second, on && n > 0 }
	switch run.Kind {
	case eventschema.TimeoutAgentNoReply:
		return sec(r.AgentNoReply.Enabled, r.AgentNoReply.TimeoutSeconds)
	case eventschema.TimeoutAutoReassign:
		return sec(r.AutoReassign.Enabled, r.AutoReassign.AgentReplyTimeoutSeconds)
	case eventschema.TimeoutCustomerNoReply:
		return sec(r.CustomerNoReply.Enabled, r.CustomerNoReply.TimeoutSeconds)
	case eventschema.TimeoutNoReplyRemind:
		return sec(r.CloseOnNoReply.Enabled, r.CloseOnNoReply.RemindAfterSeconds)
	case eventschema.TimeoutNoReplyClose:
		return sec(r.CloseOnNoReply.Enabled, r.CloseOnNoReply.CloseAfterSeconds)
	case eventschema.TimeoutInactivity:
		return sec(r.Inactivity.Enabled, r.Inactivity.Hours*3600)
	case eventschema.TimeoutQueueReminder:
		if run.N > 1 {
			return sec(r.QueueReminders.Enabled, r.QueueReminders.IntervalSeconds)
		}
		return sec(r.QueueReminders.Enabled, r.QueueReminders.RemindAfterSeconds)
	}
	return 0, false
}

// InEffectiveTime reports whether a queue reminder's effective time
// (all_day, work_hours, non_work_hours) includes a moment that is, or is
// not, working time.
func InEffectiveTime(effective string, workingTime bool) bool {
	switch effective {
	case "work_hours":
		return workingTime
	case "non_work_hours":
		return !workingTime
	}
	return true
}

// Elapsed is a run whose timer fired, with what the decision needs besides
// the conversation.
type Elapsed struct {
	Run   Run
	Rules TimeoutRules
	// WorkingTime: now is inside the working hours of the time plan of the
	// conversation's team (true when it has none); for queue reminders.
	WorkingTime bool
	// TeamMembers counts the agents of the conversation's team: a team
	// without agents takes no conversation back (auto-reassign).
	TeamMembers int
	// Close is what a close by a timeout sends: its notice and the
	// automatic rating invitation.
	Close CloseNotices
	// TransferID and EpisodeID name the automatic transfer and the queue
	// episode it opens.
	TransferID, EpisodeID uuid.UUID
}

// Elapse decides what the system does when a timeout's run ran out, by the
// tenant's rules as they are now. A run that is over (its ending event is
// already in the log, and ends the timer too) decides nothing. Otherwise
// ConversationTimedOut comes first, ending the run whatever happens next,
// so a timer whose setting was turned off meanwhile fires once and stops;
// the events of its actions follow.
func Elapse(s State, e Elapsed) ([]any, error) {
	if !s.Exists {
		return nil, errMissing()
	}
	if !slices.Contains(TimeoutKinds, e.Run.Kind) {
		return nil, domain.Errorf(domain.Invalid, "timeout.kind", "timeout", "no timeout %q", e.Run.Kind)
	}
	run, pending := s.Runs[e.Run.Kind]
	if s.IsClosed || !pending || run.ID != e.Run.ID {
		return nil, nil
	}
	t := eventschema.ConversationTimedOut{TenantID: s.TenantID, ConversationID: s.ID, Timeout: run.Kind, RunID: run.ID,
		N: max(run.N, 1), Actions: []string{}, AgentID: s.Segment.AgentID}
	after := Evolve(s, t)
	var follow []any
	// then appends the events of an action taken.
	then := func(action string, evs []any, err error) error {
		if err != nil {
			return err
		}
		if len(evs) > 0 || action == eventschema.TimeoutRemindAgent {
			t.Actions = append(t.Actions, action)
			follow = append(follow, evs...)
		}
		return nil
	}
	notice := func(kind, text string, actions ...string) ([]any, error) {
		if text = strings.TrimSpace(text); text == "" {
			return nil, nil
		}
		return SendNotices(fold(after, follow), run.Key(), []Notice{{Kind: kind, Text: text, Actions: actions}})
	}
	remindAgent := func(actions []string) error {
		if slices.Contains(actions, eventschema.TimeoutRemindAgent) && s.Segment.ID != uuid.Nil {
			return then(eventschema.TimeoutRemindAgent, nil, nil)
		}
		return nil
	}
	off := func(key string) { t.Detail = key + " is off" }
	var err error
	switch r := e.Rules; run.Kind {
	case eventschema.TimeoutAgentNoReply:
		a := r.AgentNoReply
		if !a.Enabled {
			off("conversation.agent_no_reply")
			break
		}
		if err = remindAgent(a.Actions); err != nil {
			break
		}
		if slices.Contains(a.Actions, eventschema.TimeoutRemindCustomer) {
			evs, nerr := notice(NoticeNoReplyReminder, a.Message)
			if err = then(eventschema.TimeoutRemindCustomer, evs, nerr); err != nil {
				break
			}
		}
		if slices.Contains(a.Actions, eventschema.TimeoutAlarm) {
			err = then(eventschema.TimeoutAlarm, []any{alarm(s, eventschema.AlarmAgentNoReply, min(max(a.AlarmLevel, 1), 3),
				fmt.Sprintf("agent %s did not reply within %d seconds", s.Segment.AgentID, a.TimeoutSeconds))}, nil)
		}
	case eventschema.TimeoutAutoReassign:
		switch {
		case !r.AutoReassign.Enabled:
			off("transfer.auto_reassign")
		case s.TeamID == uuid.Nil:
			t.Detail = "the conversation has no team to go back to"
		case e.TeamMembers == 0:
			t.Detail = "the conversation's team has no agents"
		case s.Pending.ID != uuid.Nil:
			t.Detail = "a transfer waits for confirmation"
		default:
			evs, terr := RequestTransfer(after, TransferRequest{TransferID: e.TransferID,
				By: Actor{Kind: "system", ID: ClosedByTimeout}, ToKind: ToTeam, ToID: s.TeamID,
				Reason: "the agent did not reply in time", Automatic: true, EpisodeID: e.EpisodeID, TeamMembers: e.TeamMembers})
			if de, ok := terr.(*domain.Error); ok {
				// A rule of transfers stands in the way: the run ends, the
				// conversation stays, and the log says why.
				t.Detail = de.Message
				break
			}
			err = then(eventschema.TimeoutTransfer, evs, terr)
		}
	case eventschema.TimeoutCustomerNoReply:
		c := r.CustomerNoReply
		if !c.Enabled {
			off("conversation.customer_no_reply")
			break
		}
		if err = remindAgent(c.Actions); err != nil {
			break
		}
		if slices.Contains(c.Actions, eventschema.TimeoutRemindCustomer) {
			evs, nerr := notice(NoticeCustomerReminder, c.Message)
			err = then(eventschema.TimeoutRemindCustomer, evs, nerr)
		}
	case eventschema.TimeoutNoReplyRemind:
		if !r.CloseOnNoReply.Enabled {
			off("conversation.close_on_customer_no_reply")
			break
		}
		evs, nerr := notice(NoticeCustomerReminder, r.CloseOnNoReply.RemindMessage)
		err = then(eventschema.TimeoutRemindCustomer, evs, nerr)
		t.Next = eventschema.TimeoutNoReplyClose
	case eventschema.TimeoutNoReplyClose:
		if !r.CloseOnNoReply.Enabled {
			off("conversation.close_on_customer_no_reply")
			break
		}
		evs, cerr := CloseWithNotices(after, CloseRequest{Reason: eventschema.ClosedByCustomerNoReply, By: ClosedByTimeout}, e.Close)
		err = then(eventschema.TimeoutClose, evs, cerr)
	case eventschema.TimeoutInactivity:
		in := r.Inactivity
		if !in.Enabled {
			off("conversation.inactivity_close_enabled")
			break
		}
		if len(in.TagIDs) > 0 {
			evs, terr := Tag(after, in.TagIDs, in.Remark)
			if err = then(eventschema.TimeoutTag, evs, terr); err != nil {
				break
			}
		}
		evs, cerr := CloseWithNotices(fold(after, follow), CloseRequest{Reason: eventschema.ClosedByInactivity, By: ClosedByTimeout}, e.Close)
		err = then(eventschema.TimeoutClose, evs, cerr)
	case eventschema.TimeoutQueueReminder:
		q := r.QueueReminders
		if !q.Enabled {
			off("queue.remind_customers")
			break
		}
		if InEffectiveTime(q.EffectiveTime, e.WorkingTime) {
			var actions []string
			if q.NoteButton {
				actions = append(actions, ActionLeaveNote)
			}
			evs, nerr := notice(NoticeQueueReminder, q.Message, actions...)
			err = then(eventschema.TimeoutRemindCustomer, evs, nerr)
		} else {
			t.Detail = "outside the reminders' effective time (" + q.EffectiveTime + ")"
		}
		if t.N < q.Count {
			t.Next = eventschema.TimeoutQueueReminder
		}
	}
	if err != nil {
		return nil, err
	}
	return append([]any{t}, follow...), nil
}
