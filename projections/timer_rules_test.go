package projections

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/google/uuid"

	"supportd/domain/conversation"
	"supportd/domain/tenant"
	"supportd/eventschema"
)

// TestConversationTimeoutRule: each run a conversation event starts gets a
// timer keyed by the run, due by the settings given, without a due time
// when its timeout is off; ended runs end their timers.
func TestConversationTimeoutRule(t *testing.T) {
	at := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	tenantID, conv, msg, seg, ep := uuid.New(), uuid.New(), uuid.New(), uuid.New(), uuid.New()
	envelope := eventschema.Envelope{Metadata: eventschema.Metadata{TenantID: tenantID, OccurredAt: at}}
	// settings are values changed from the documented defaults.
	settings := func(values map[string]string) Settings {
		s := tenant.State{Settings: map[string]json.RawMessage{}}
		for k, v := range values {
			s.Settings[k] = json.RawMessage(v)
		}
		return s.Setting
	}
	on := settings(map[string]string{
		"conversation.agent_no_reply":           `{"enabled":true,"timeout_seconds":60}`,
		"transfer.auto_reassign":                `{"enabled":false,"agent_reply_timeout_seconds":180}`,
		"conversation.inactivity_close_enabled": `true`,
		"conversation.inactivity_close_hours":   `2`,
		"queue.remind_customers":                `{"enabled":true,"remind_after_seconds":120,"interval_seconds":30,"count":3}`,
	})
	timer := func(kind string, runID uuid.UUID, n int, keep bool, due time.Duration) ScheduledTimer {
		r := conversation.Run{Kind: kind, ID: runID, N: n}
		s := ScheduledTimer{ID: r.Key(), Kind: ConversationTimerKind(kind), Subject: conv, StartedAt: at, Keep: keep,
			Payload: ConversationTimerPayload{ConversationID: conv, Timeout: kind, RunID: runID, N: n}}
		if due > 0 {
			s.DueAt = at.Add(due)
		}
		return s
	}
	end := func(kinds ...string) []SubjectTimers {
		out := make([]string, len(kinds))
		for i, k := range kinds {
			out[i] = ConversationTimerKind(k)
		}
		return []SubjectTimers{{Subject: conv, Kinds: out}}
	}
	next := uuid.NewSHA1(ep, []byte(eventschema.TimeoutQueueReminder))
	ifAwaiting := func(s ScheduledTimer) ScheduledTimer {
		s.IfPending = ConversationTimerKind(conversation.RunAwaitingReply)
		return s
	}
	cases := []struct {
		name     string
		event    any
		settings Settings
		want     TimerChange
	}{
		{"a customer message to an agent: kept timers, one without a due time", eventschema.MessageSent{ConversationID: conv, MessageID: msg,
			SenderKind: "customer", SegmentID: seg}, on, TimerChange{
			End: end(eventschema.TimeoutCustomerNoReply, eventschema.TimeoutNoReplyRemind, eventschema.TimeoutNoReplyClose),
			Schedule: []ScheduledTimer{timer(eventschema.TimeoutInactivity, msg, 1, false, 2*time.Hour), timer(conversation.RunAwaitingReply, msg, 1, true, 0),
				timer(eventschema.TimeoutAgentNoReply, msg, 1, true, time.Minute), timer(eventschema.TimeoutAutoReassign, msg, 1, true, 0)}}},
		{"a join while the customer waits: the agent's clocks from the join", eventschema.AgentJoined{ConversationID: conv, SegmentID: seg}, on, TimerChange{
			End: end(eventschema.TimeoutQueueReminder),
			Schedule: []ScheduledTimer{ifAwaiting(timer(eventschema.TimeoutAgentNoReply, seg, 1, true, time.Minute)),
				ifAwaiting(timer(eventschema.TimeoutAutoReassign, seg, 1, true, 0))}}},
		{"defaults: inactivity after 24 hours, the rest off", eventschema.ConversationStarted{ConversationID: conv}, settings(nil), TimerChange{
			Schedule: []ScheduledTimer{timer(eventschema.TimeoutInactivity, conv, 1, false, 24*time.Hour)}}},
		{"the first queue reminder", eventschema.ConversationQueued{ConversationID: conv, EpisodeID: ep}, on, TimerChange{
			Schedule: []ScheduledTimer{timer(eventschema.TimeoutQueueReminder, ep, 1, false, 2*time.Minute)}}},
		{"the next queue reminder after the interval", eventschema.ConversationTimedOut{ConversationID: conv, Timeout: eventschema.TimeoutQueueReminder,
			RunID: ep, N: 1, Next: eventschema.TimeoutQueueReminder}, on, TimerChange{End: end(eventschema.TimeoutQueueReminder),
			Schedule: []ScheduledTimer{timer(eventschema.TimeoutQueueReminder, next, 2, false, 30*time.Second)}}},
		{"the close ends them all", eventschema.ConversationClosed{ConversationID: conv}, on, TimerChange{
			End: end(append(append([]string{}, conversation.TimeoutKinds...), conversation.RunAwaitingReply)...)}},
		{"events of other aggregates", eventschema.TenantCreated{TenantID: tenantID}, on, TimerChange{}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := conversationTimeoutRule(envelope, tc.event, tc.settings); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got  %+v\nwant %+v", got, tc.want)
			}
		})
	}
}
