package eventschema

import "github.com/google/uuid"

// Keyword rules and sensitive words of a tenant live in one stream,
// "keywords-{tenant id}": the rules' order is a fact about the whole set
// (the first rule that matches a message decides), and every message sent
// reads both, so one stream is one read per message.

// Keyword rule actions (seed 002, "Keyword Match").
const (
	// KeywordPromptAgent shows the rule's text to the serving agent only.
	KeywordPromptAgent = "prompt_agent"
	// KeywordReplyAsDispatcher sends the rule's text to the customer as a
	// system message, under the dispatcher's nickname; customer and agent
	// both see it.
	KeywordReplyAsDispatcher = "reply_as_dispatcher"
)

// KeywordRule is a keyword rule as admins last saved it.
type KeywordRule struct {
	Name string `json:"name" jsonschema:"minLength=1,maxLength=100"`
	// Pattern is a regular expression (RE2 syntax) matched against the
	// text of customer messages, ignoring case.
	Pattern string `json:"pattern" jsonschema:"minLength=1,maxLength=500"`
	Action  string `json:"action" jsonschema:"enum=prompt_agent,enum=reply_as_dispatcher"`
	// Text is the prompt shown to the agent or the reply sent to the
	// customer.
	Text string `json:"text" jsonschema:"minLength=1,maxLength=1000"`
	// Channels limits the rule to conversations of these channels; empty:
	// every channel.
	Channels []string `json:"channels"`
	Enabled  bool     `json:"enabled"`
}

// KeywordRuleDefined records a new keyword rule; it ranks last. Rank is its
// 0-based place after this event.
type KeywordRuleDefined struct {
	TenantID uuid.UUID   `json:"tenant_id"`
	RuleID   uuid.UUID   `json:"rule_id"`
	Rule     KeywordRule `json:"rule"`
	Rank     int         `json:"rank" jsonschema:"minimum=0"`
}

// KeywordRuleChanged records a rule's new definition, whole; its rank
// stays.
type KeywordRuleChanged struct {
	TenantID uuid.UUID   `json:"tenant_id"`
	RuleID   uuid.UUID   `json:"rule_id"`
	Rule     KeywordRule `json:"rule"`
}

// KeywordRuleDeleted records the removal of a keyword rule; the rules
// below it move up.
type KeywordRuleDeleted struct {
	TenantID uuid.UUID `json:"tenant_id"`
	RuleID   uuid.UUID `json:"rule_id"`
}

// KeywordRulesReordered records the order admins gave every keyword rule,
// first tried first.
type KeywordRulesReordered struct {
	TenantID uuid.UUID   `json:"tenant_id"`
	RuleIDs  []uuid.UUID `json:"rule_ids"`
}

// Sides of the sensitive word lists: words agents write, words customers
// write.
const (
	SideAgent    = "agent"
	SideCustomer = "customer"
)

// SensitiveWordsSet records one side's list of sensitive words, whole, and
// the level of the alarm a message containing one of them raises.
type SensitiveWordsSet struct {
	TenantID   uuid.UUID `json:"tenant_id"`
	Side       string    `json:"side" jsonschema:"enum=agent,enum=customer"`
	Words      []string  `json:"words"`
	AlarmLevel int       `json:"alarm_level" jsonschema:"minimum=1,maximum=3"`
}

// KeywordPrompted records that a customer message matched a keyword rule
// whose action prompts the agent: Text was shown to AgentID, the agent
// serving the conversation, and to nobody else. It lives in the
// conversation's stream, after the message that set it off.
type KeywordPrompted struct {
	TenantID       uuid.UUID `json:"tenant_id"`
	ConversationID uuid.UUID `json:"conversation_id"`
	// MessageID is the customer's message that matched.
	MessageID uuid.UUID `json:"message_id"`
	RuleID    uuid.UUID `json:"rule_id"`
	AgentID   uuid.UUID `json:"agent_id"`
	Text      string    `json:"text" jsonschema:"minLength=1"`
}

func registerKeywords(r *Registry) {
	Register[KeywordRuleDefined](r, "KeywordRuleDefined", 1)
	Register[KeywordRuleChanged](r, "KeywordRuleChanged", 1)
	Register[KeywordRuleDeleted](r, "KeywordRuleDeleted", 1)
	Register[KeywordRulesReordered](r, "KeywordRulesReordered", 1)
	Register[SensitiveWordsSet](r, "SensitiveWordsSet", 1)
	Register[KeywordPrompted](r, "KeywordPrompted", 1)
}
