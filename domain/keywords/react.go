package keywords

import (
	"fmt"

	"github.com/google/uuid"

	"supportd/domain/conversation"
	"supportd/eventschema"
)

// NoticeKeywordReply names the system message a reply_as_dispatcher rule
// sends (eventschema.MessageSent.Notice).
const NoticeKeywordReply = "keyword_reply"

// AlarmSensitiveWord is the kind of the alarm a sensitive word raises.
const AlarmSensitiveWord = "sensitive_word"

// ReplyID names the keyword reply to a message: derived from it, so a
// retried message replies once.
func ReplyID(messageID uuid.UUID) uuid.UUID {
	return uuid.NewSHA1(messageID, []byte(NoticeKeywordReply))
}

// React decides what a message just sent into conversation s sets off,
// after its MessageSent:
//   - for each sensitive word of the sender's side (customer or agent, an
//     invited expert included) the text contains, an AlarmRaised of kind
//     sensitive_word at the side's level, naming the word and the side. The
//     message is delivered all the same: the manual has sensitive words
//     watched from Chat Monitoring, not blocked, and a customer's words
//     cannot be unsaid;
//   - for a customer's message, the reaction of the rule that matches it
//     (Match): a KeywordPrompted for the serving agent, or a reply to the
//     customer as the dispatcher, a system message sent under dispatcher
//     (the tenant's agents.scheduler_nickname) as its sender ID.
//
// Messages of the system and the robot set nothing off.
func React(k State, s conversation.State, sent eventschema.MessageSent, dispatcher string) ([]any, error) {
	var side string
	switch sent.SenderKind {
	case eventschema.SenderCustomer:
		side = eventschema.SideCustomer
	case eventschema.SenderAgent:
		side = eventschema.SideAgent
	default:
		return nil, nil
	}
	s = conversation.Evolve(s, sent)
	var out []any
	level := k.Sensitive[side].AlarmLevel
	if level == 0 {
		level = DefaultAlarmLevel
	}
	for _, w := range k.SensitiveIn(side, sent.Text) {
		out = append(out, eventschema.AlarmRaised{TenantID: s.TenantID, ConversationID: s.ID, Kind: AlarmSensitiveWord,
			Level: level, Detail: sensitiveDetail(side, sent.SenderID, w)})
	}
	if side != eventschema.SideCustomer {
		return out, nil
	}
	r, ok := k.Match(s.Channel, sent.Text, s.Segment.AgentID != uuid.Nil)
	if !ok {
		return out, nil
	}
	if r.Action == eventschema.KeywordPromptAgent {
		return append(out, eventschema.KeywordPrompted{TenantID: s.TenantID, ConversationID: s.ID, MessageID: sent.MessageID,
			RuleID: r.ID, AgentID: s.Segment.AgentID, Text: r.Text}), nil
	}
	reply, err := conversation.SendMessage(s, conversation.Send{MessageID: ReplyID(sent.MessageID),
		Sender: conversation.Actor{Kind: eventschema.SenderSystem, ID: dispatcher}, Type: "text", Text: r.Text,
		Notice: NoticeKeywordReply})
	if err != nil {
		return nil, fmt.Errorf("keyword rule %s: %w", r.ID, err)
	}
	return append(out, reply...), nil
}

// sensitiveDetail names the word and the side (and the agent) in an
// alarm's detail.
func sensitiveDetail(side, senderID, word string) string {
	if side == eventschema.SideAgent {
		return fmt.Sprintf("agent side: agent %s wrote the sensitive word %q", senderID, word)
	}
	return fmt.Sprintf("customer side: the customer wrote the sensitive word %q", word)
}
