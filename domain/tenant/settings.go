package tenant

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/google/uuid"

	"supportd/domain"
	"supportd/domain/satisfaction"
	"supportd/eventschema"
)

// Definition describes one setting: its documented default and what values
// it accepts.
type Definition struct {
	Default json.RawMessage
	// Check validates a value and returns it in canonical JSON.
	Check func(json.RawMessage) (json.RawMessage, error)
	Doc   string
}

// SettingBool returns a boolean setting's current value.
func (s State) SettingBool(key string) bool {
	v, _ := s.Setting(key)
	return string(v) == "true"
}

// Channels are the channels customers reach the tenant through; per-channel
// settings (rating invitations, channel priority) name them.
var Channels = []string{"web", "app", "wechat", "weibo", "whatsapp", "line", "messenger", "email"}

// Effective times of queue reminders and routing bindings: all day, or only
// inside or outside the working hours of the time plan that applies.
var effectiveTimes = []string{"all_day", "work_hours", "non_work_hours"}

// Settings is the catalogue of tenant settings, keyed by a dotted name and
// grouped by area. Defaults are those of the product manual (seed 002,
// "Function Settings"; seed 000, conversation and notification settings);
// where the manual states none, the Doc says that the default was chosen
// and why. Durations carry their unit in the key.
var Settings = map[string]Definition{
	// Transfers.
	"transfer.require_confirmation": boolSetting(false,
		"a transfer to an agent succeeds only after that agent accepts it"),
	"transfer.confirmation_timeout_seconds": intSetting(240, 10, 3600,
		"how long a transfer waits for the receiving agent to accept (the manual shows 4 minutes)"),
	"transfer.skip_greetings": boolSetting(false,
		"team and agent greetings are not sent when a transferred conversation is picked up"),
	"transfer.notify_customer": boolSetting(true,
		"after an agent transfers a conversation manually, the customer is told; default chosen (on) because the manual leaves it open and silence confuses customers"),
	"transfer.notice_message": textSetting("Your conversation has been transferred to another agent. Please wait a moment.", 0, 500,
		"the transfer notice sent to the customer with transfer.notify_customer on; empty sends nothing; text chosen"),
	"conversation.notify_experts": boolSetting(false,
		"seed 000's invite/remove expert switch: the customer is told when an agent invites an expert or removes one; default chosen (off)"),
	"conversation.expert_invited_message": textSetting("An expert has joined the conversation to help.", 1, 500,
		"what the customer is told when an expert is invited, with conversation.notify_experts on; text chosen"),
	"conversation.expert_removed_message": textSetting("The expert has left the conversation.", 1, 500,
		"what the customer is told when an expert is removed, with conversation.notify_experts on; text chosen"),
	"transfer.auto_reassign": objectSetting(
		"reassign a conversation to another agent by the assignment rules when its agent does not answer a new customer message in time; off by default (chosen), 3 minutes when turned on (chosen)",
		nil,
		field{"enabled", boolSetting(false, "")},
		field{"agent_reply_timeout_seconds", intSetting(180, 10, 86400, "")},
	),

	// Queue.
	"queue.allow_manual_join": boolSetting(true,
		"agents may join conversations from the queue list (admins always may)"),
	"queue.allow_viewing_queued": boolSetting(false,
		"agents may read the messages of queued conversations"),
	"queue.remind_customers": objectSetting(
		"remind queuing customers: after remind_after_seconds in the queue, send message, count times, every interval_seconds, during effective_time; note_button adds a Note button that leaves a message and closes the queued conversation. Off by default; the manual shows 3 minutes and one reminder; the 60 s interval is chosen",
		queueReminderRule,
		field{"enabled", boolSetting(false, "")},
		field{"message", textSetting("", 0, 500, "")},
		field{"effective_time", enumSetting("all_day", effectiveTimes, "")},
		field{"remind_after_seconds", intSetting(180, 10, 86400, "")},
		field{"count", intSetting(1, 1, 10, "")},
		field{"interval_seconds", intSetting(60, 10, 86400, "")},
		field{"note_button", boolSetting(false, "")},
	),

	// Dispatch.
	"dispatch.team_business_hours_only": boolSetting(false,
		"conversations are auto-assigned only during the team's working hours"),
	"dispatch.familiarity": boolSetting(false,
		"assign returning customers to an agent who served them before"),
	"dispatch.familiarity_mode": enumSetting("last_agent", []string{"last_agent", "most_served"},
		"with familiarity on: the agent who served the customer last, or the one who served them most often; default chosen (last_agent)"),
	"dispatch.working_hours_source": enumSetting("team", []string{"team", "agent"},
		"new conversations are assigned to agents inside their team's working hours (team, under dispatch.team_business_hours_only) or their personal ones (agent: an agent's time plan, PUT /v1/agents/{id}/time-plan, decides its auto-assignment and greeting; an agent without one follows the team); default chosen (team)"),
	"dispatch.channel_priority": objectSetting(
		"when enabled, waiting and concurrent conversations are assigned in this channel order (each channel at most once; unlisted channels come last); off by default (chosen)",
		nil,
		field{"enabled", boolSetting(false, "")},
		field{"order", listSetting(Channels, Channels, "")},
	),

	// Conversations.
	"conversation.inactivity_close_hours": intSetting(24, 1, 720,
		"a conversation with no message for this long is closed"),
	"conversation.inactivity_close_enabled": boolSetting(true,
		"close inactive conversations automatically (the manual shows it on, with 24 hours)"),
	"conversation.inactivity_close_message": textSetting(
		"I'm going to close this conversation. Thank you for your time. Have a nice day!", 0, 500,
		"sent to the customer when an inactive conversation is closed; empty sends nothing"),
	"conversation.inactivity_close_tag_ids": uuidListSetting(50,
		"conversation tags added to an inactive conversation as it is closed (the manual's \"add the following tags and remarks\"); none by default (chosen)"),
	"conversation.inactivity_close_remark": textSetting("", 0, 1000,
		"the remark that goes with those tags (none without tags); empty by default (chosen)"),
	"conversation.force_tag": boolSetting(false,
		"an agent must add at least one conversation tag before closing a conversation"),
	"conversation.customer_no_reply": objectSetting(
		"when the customer does not answer an agent's message within timeout_seconds: remind_agent highlights the conversation, remind_customer sends message; off by default (chosen), 3 minutes (chosen)",
		needsMessageFor("remind_customer"),
		field{"enabled", boolSetting(false, "")},
		field{"timeout_seconds", intSetting(180, 10, 86400, "")},
		field{"actions", listSetting([]string{"remind_agent"}, []string{"remind_agent", "remind_customer"}, "")},
		field{"message", textSetting("", 0, 500, "")},
	),
	"conversation.agent_no_reply": objectSetting(
		"when an agent does not answer the customer within timeout_seconds (the manual shows 1 minute): remind the agent, send message to the customer, record an alarm of alarm_level; off by default (chosen)",
		needsMessageFor("remind_customer"),
		field{"enabled", boolSetting(false, "")},
		field{"timeout_seconds", intSetting(60, 10, 86400, "")},
		field{"actions", listSetting([]string{"remind_agent"}, []string{"remind_agent", "remind_customer", "alarm"}, "")},
		field{"message", textSetting("", 0, 500, "")},
		field{"alarm_level", intSetting(1, 1, 3, "")},
	),
	"conversation.close_on_customer_no_reply": objectSetting(
		"when the customer does not reply: after remind_after_seconds send remind_message, and after close_after_seconds more close the conversation with close_message (empty messages are not sent); off by default as the manual says; the 5 and 10 minutes are chosen",
		nil,
		field{"enabled", boolSetting(false, "")},
		field{"remind_after_seconds", intSetting(300, 10, 86400, "")},
		field{"remind_message", textSetting("", 0, 500, "")},
		field{"close_after_seconds", intSetting(600, 10, 86400, "")},
		field{"close_message", textSetting("", 0, 500, "")},
	),
	"conversation.notify_on_manual_close": boolSetting(false,
		"send the customer a closing notice when an agent ends a conversation; default chosen (off)"),
	"conversation.closing_message": textSetting("This conversation has ended. Thank you for contacting us!", 0, 500,
		"the closing notice sent to the customer when an agent or admin ends a conversation with notify_on_manual_close on; empty sends nothing; text chosen"),
	"conversation.confirm_end": boolSetting(false,
		"consoles ask for confirmation before an agent ends a conversation; default chosen (off)"),
	"conversation.recall_window_seconds": intSetting(120, 0, 600,
		"how long after sending an agent may recall a message (the manual says 2 minutes; 0 turns recall off)"),
	"conversation.display_mode": enumSetting("aggregated", []string{"aggregated", "per_channel"},
		"consoles show the conversations of all channels in one tab or one tab per channel; default chosen (aggregated)"),

	// Agents and the agent workspace.
	"agents.may_set_capacity": boolSetting(false,
		"agents set their own maximum conversations; otherwise admins do"),
	"agents.status_change_needs_approval": boolSetting(false,
		"an agent leaving online for busy, away or invisible needs an admin's approval"),
	"agents.blacklist_needs_approval": boolSetting(false,
		"an agent adding a customer to the blacklist needs an admin's approval; default chosen (off), admins are never affected"),
	"agents.sort_by_agent_messages": boolSetting(false,
		"a conversation with a new agent message moves to the top of the conversation list"),
	"agents.show_last_message_time": boolSetting(false,
		"the conversation list shows the time since the last message exchanged; default chosen (off)"),
	"agents.clean_ui": boolSetting(false,
		"the chat window hides nicknames and groups send times within a minute; default chosen (off)"),
	"agents.agents_page": boolSetting(false,
		"agents see the Agents page in agent mode; default chosen (off)"),
	"agents.scheduler_nickname": textSetting("System", 1, 50,
		"the sender name of system messages; default chosen"),
	"agents.new_message_alert": enumSetting("floating", []string{"floating", "browser", "none"},
		"how consoles announce new messages; default chosen (floating)"),

	// Satisfaction ratings.
	"rating.auto_invite": channelFlags(false,
		"when a conversation closes unrated, invite the customer to rate it, per channel; off on every channel by default (chosen)"),
	"rating.invite_robot_only": boolSetting(false,
		"also invite a rating when only the robot served the conversation; default chosen (off)"),
	"rating.skip_single_message": boolSetting(true,
		"no automatic invitation when the conversation holds a single message (the manual shows it on)"),
	"rating.skip_when_auto_closed": boolSetting(false,
		"no rating request when the system closed the conversation"),
	"rating.accept": enumSetting("last", []string{"first", "last"},
		"which of several ratings of one conversation counts (the manual's switch is off: the last)"),
	"rating.window_minutes": intSetting(480, 1, 10080,
		"how long after a conversation ends the customer may still rate it (the manual shows 8 hours)"),
	"rating.descending_options": boolSetting(false,
		"numbered survey options count down instead of up"),
	"rating.problem_solving": boolSetting(false,
		"the survey also asks whether the problem was solved; default chosen (off)"),
	"rating.options": {
		Default: mustJSON(satisfaction.Default()),
		Doc: "the rating options customers are offered, for teams without their own: per star level (1 to 5) a text prompt " +
			"(at most 50 characters) and up to 10 labels (1 to 20 characters); a star level with labels is rated only with one of them " +
			"(an object {\"stars\": [{\"stars\", \"prompt\", \"labels\"}]}; the manual's prompts and no labels by default)",
		Check: func(v json.RawMessage) (json.RawMessage, error) {
			var o eventschema.RatingOptions
			if err := strictDecode(v, &o); err != nil {
				return nil, fmt.Errorf(`must be {"stars": [{"stars": 1-5, "prompt": "…", "labels": ["…"]}]}`)
			}
			o, err := satisfaction.Validate(o)
			if err != nil {
				return nil, errors.New(err.(*domain.Error).Message)
			}
			return mustJSON(o), nil
		},
	},
	"rating.receipt_channels": listSetting([]string{}, Channels,
		"channels on which a rating is answered with a receipt; none by default (chosen)"),

	// Welcome message.
	"welcome.enabled": boolSetting(false,
		"a customer opening the chat window receives the welcome message before writing; default chosen (off)"),
	"welcome.message": textSetting("", 0, 500,
		"the welcome message: text only, at most 500 characters"),
	"welcome.team_menu": boolSetting(false,
		"the welcome message offers a menu of teams to choose from"),

	// Greetings.
	"greetings.default_address": textSetting("Dear customer", 1, 50,
		"what ##dear## in team and agent greetings becomes when the customer has no valid nickname (the manual lets admins customise it; text chosen)"),

	// Routing.
	"routing.default_team_id": uuidSetting(
		"the team that receives a conversation no routing rule matches (its admins are alerted); empty: none, the conversation stays unrouted"),

	// The robot.
	"robot.bot_first": boolSetting(false,
		"Prioritize Bot Reception: with a robot set in robot.robot_id, every new conversation starts with the robot until the customer asks for an agent (seed 003); off by default"),
	"robot.robot_id": uuidSetting(
		"the tenant's robot, which receives new conversations with robot.bot_first on; empty: none (routing rules may still name robots)"),
	"robot.agent_team_id": uuidSetting(
		"Chat with Agent Settings, transfer to team: the team a robot hands a conversation to when the customer asks for an agent; empty: the team of the next routing rule that names one, else routing.default_team_id"),

	// Alerts to the administrator.
	"alerts.unmatched_routing_rule": boolSetting(true,
		"alert the administrators when a conversation matches no routing rule; default chosen (on)"),
	"alerts.excessive_waiting": objectSetting(
		"alert the administrators when the waiting conversations of one channel exceed threshold; default chosen (on, 10)",
		nil,
		field{"enabled", boolSetting(true, "")},
		field{"threshold", intSetting(10, 1, 10000, "")},
	),
	"alerts.new_assignment": boolSetting(true,
		"alert an agent when a new conversation is assigned to them; default chosen (on)"),
}

func boolSetting(def bool, doc string) Definition {
	return Definition{
		Default: mustJSON(def),
		Doc:     doc,
		Check: func(v json.RawMessage) (json.RawMessage, error) {
			var b bool
			if err := strictDecode(v, &b); err != nil {
				return nil, fmt.Errorf("must be true or false")
			}
			return mustJSON(b), nil
		},
	}
}

func intSetting(def, lo, hi int, doc string) Definition {
	if doc != "" {
		doc = fmt.Sprintf("%s (%d to %d)", doc, lo, hi)
	}
	return Definition{
		Default: mustJSON(def),
		Doc:     doc,
		Check: func(v json.RawMessage) (json.RawMessage, error) {
			var n int
			if err := strictDecode(v, &n); err != nil || n < lo || n > hi {
				return nil, fmt.Errorf("must be a whole number from %d to %d", lo, hi)
			}
			return mustJSON(n), nil
		},
	}
}

// uuidSetting accepts a UUID in canonical form, or "" for none.
func uuidSetting(doc string) Definition {
	if doc != "" {
		doc += " (a UUID or \"\")"
	}
	return Definition{
		Default: mustJSON(""),
		Doc:     doc,
		Check: func(v json.RawMessage) (json.RawMessage, error) {
			var s string
			if err := strictDecode(v, &s); err != nil {
				return nil, fmt.Errorf("must be a UUID or \"\"")
			}
			s = strings.TrimSpace(s)
			if s == "" {
				return mustJSON(""), nil
			}
			id, err := uuid.Parse(s)
			if err != nil || id == uuid.Nil || len(s) != 36 {
				return nil, fmt.Errorf("must be a UUID or \"\"")
			}
			return mustJSON(id.String()), nil
		},
	}
}

// uuidListSetting accepts a list of at most max distinct UUIDs (not the
// nil UUID), in canonical form and in the order given.
func uuidListSetting(max int, doc string) Definition {
	if doc != "" {
		doc = fmt.Sprintf("%s (a list of at most %d distinct UUIDs)", doc, max)
	}
	return Definition{
		Default: mustJSON([]string{}),
		Doc:     doc,
		Check: func(v json.RawMessage) (json.RawMessage, error) {
			var in []string
			if err := strictDecode(v, &in); err != nil || in == nil {
				return nil, fmt.Errorf("must be a list of UUIDs")
			}
			if len(in) > max {
				return nil, fmt.Errorf("must list at most %d UUIDs", max)
			}
			out := make([]string, 0, len(in))
			for _, s := range in {
				id, err := uuid.Parse(strings.TrimSpace(s))
				if err != nil || id == uuid.Nil || len(strings.TrimSpace(s)) != 36 {
					return nil, fmt.Errorf("%q is not a UUID", s)
				}
				if slices.Contains(out, id.String()) {
					return nil, fmt.Errorf("%q is listed twice", s)
				}
				out = append(out, id.String())
			}
			return mustJSON(out), nil
		},
	}
}

// enumSetting accepts one of a fixed set of strings.
func enumSetting(def string, allowed []string, doc string) Definition {
	if doc != "" {
		doc = fmt.Sprintf("%s (one of %s)", doc, strings.Join(allowed, ", "))
	}
	return Definition{
		Default: mustJSON(def),
		Doc:     doc,
		Check: func(v json.RawMessage) (json.RawMessage, error) {
			var s string
			if err := strictDecode(v, &s); err != nil || !slices.Contains(allowed, s) {
				return nil, fmt.Errorf("must be one of %s", strings.Join(allowed, ", "))
			}
			return mustJSON(s), nil
		},
	}
}

// textSetting accepts a string of lo to hi characters (not bytes: the
// messages are written in any language), trimmed of surrounding space.
func textSetting(def string, lo, hi int, doc string) Definition {
	if doc != "" {
		doc = fmt.Sprintf("%s (%d to %d characters)", doc, lo, hi)
	}
	return Definition{
		Default: mustJSON(def),
		Doc:     doc,
		Check: func(v json.RawMessage) (json.RawMessage, error) {
			var s string
			if err := strictDecode(v, &s); err != nil {
				return nil, fmt.Errorf("must be a string")
			}
			s = strings.TrimSpace(s)
			if n := utf8.RuneCountInString(s); n < lo || n > hi {
				return nil, fmt.Errorf("must be %d to %d characters", lo, hi)
			}
			return mustJSON(s), nil
		},
	}
}

// listSetting accepts a list of distinct values out of allowed, in the
// order given (the order matters for priorities).
func listSetting(def, allowed []string, doc string) Definition {
	if doc != "" {
		doc = fmt.Sprintf("%s (a list of distinct values out of %s)", doc, strings.Join(allowed, ", "))
	}
	return Definition{
		Default: mustJSON(def),
		Doc:     doc,
		Check: func(v json.RawMessage) (json.RawMessage, error) {
			var in []string
			if err := strictDecode(v, &in); err != nil || in == nil {
				return nil, fmt.Errorf("must be a list of strings")
			}
			seen := map[string]bool{}
			for _, s := range in {
				if !slices.Contains(allowed, s) {
					return nil, fmt.Errorf("%q is not one of %s", s, strings.Join(allowed, ", "))
				}
				if seen[s] {
					return nil, fmt.Errorf("%q is listed twice", s)
				}
				seen[s] = true
			}
			return mustJSON(in), nil
		},
	}
}

// channelFlags is one boolean per channel, e.g. {"web": true, "app": false}.
// Channels left out keep def.
func channelFlags(def bool, doc string) Definition {
	fields := make([]field, len(Channels))
	for i, c := range Channels {
		fields[i] = field{c, boolSetting(def, "")}
	}
	return objectSetting(doc, nil, fields...)
}

// field is one property of an object setting, checked by its own
// definition.
type field struct {
	name string
	def  Definition
}

// objectSetting accepts a JSON object with exactly the given properties
// (no others); a property left out takes its default. rule, if set, checks
// the whole object after each property passed its own check.
func objectSetting(doc string, rule func(map[string]json.RawMessage) error, fields ...field) Definition {
	def := map[string]json.RawMessage{}
	names := make([]string, len(fields))
	for i, f := range fields {
		def[f.name] = f.def.Default
		names[i] = f.name
	}
	sort.Strings(names)
	if doc != "" {
		doc = fmt.Sprintf("%s (an object with %s)", doc, strings.Join(names, ", "))
	}
	return Definition{
		Default: mustJSON(def),
		Doc:     doc,
		Check: func(v json.RawMessage) (json.RawMessage, error) {
			var in map[string]json.RawMessage
			if err := strictDecode(v, &in); err != nil || in == nil {
				return nil, fmt.Errorf("must be an object with %s", strings.Join(names, ", "))
			}
			for k := range in {
				if !slices.Contains(names, k) {
					return nil, fmt.Errorf("unknown property %q; want %s", k, strings.Join(names, ", "))
				}
			}
			out := make(map[string]json.RawMessage, len(fields))
			for _, f := range fields {
				raw, ok := in[f.name]
				if !ok {
					out[f.name] = f.def.Default
					continue
				}
				c, err := f.def.Check(raw)
				if err != nil {
					return nil, fmt.Errorf("%s: %v", f.name, err)
				}
				out[f.name] = c
			}
			if rule != nil {
				if err := rule(out); err != nil {
					return nil, err
				}
			}
			return mustJSON(out), nil
		},
	}
}

// queueReminderRule: an enabled reminder needs a message to send.
func queueReminderRule(o map[string]json.RawMessage) error {
	if string(o["enabled"]) == "true" && string(o["message"]) == `""` {
		return fmt.Errorf("message: must not be empty when enabled")
	}
	return nil
}

// needsMessageFor: an action that sends the customer a message needs one.
func needsMessageFor(action string) func(map[string]json.RawMessage) error {
	return func(o map[string]json.RawMessage) error {
		var actions []string
		_ = json.Unmarshal(o["actions"], &actions)
		if string(o["enabled"]) == "true" && slices.Contains(actions, action) && string(o["message"]) == `""` {
			return fmt.Errorf("message: must not be empty when %s is chosen", action)
		}
		return nil
	}
}

func strictDecode(v json.RawMessage, into any) error {
	d := json.NewDecoder(bytes.NewReader(v))
	d.DisallowUnknownFields()
	if err := d.Decode(into); err != nil {
		return err
	}
	if d.More() {
		return fmt.Errorf("trailing data")
	}
	return nil
}

func mustJSON(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}
