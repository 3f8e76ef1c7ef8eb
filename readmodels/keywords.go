package readmodels

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// Tables of the keywords read model, written by the "keywords" projector.
const (
	KeywordRulesTable   = "keyword_rules"
	SensitiveWordsTable = "sensitive_words"
	KeywordPromptsTable = "keyword_prompts"
)

// KeywordRule is one keyword rule as admins see it.
type KeywordRule struct {
	RuleID uuid.UUID `json:"rule_id"`
	// Rank is the place in the order rules are tried, 0 first.
	Rank int `json:"rank"`
	// Rule is the eventschema.KeywordRule as last saved.
	Rule      json.RawMessage `json:"rule"`
	CreatedAt time.Time       `json:"created_at"`
	UpdatedAt time.Time       `json:"updated_at"`
	// Version is the version of the tenant's keywords stream that last
	// changed this rule.
	Version uint64 `json:"version"`
}

const keywordRuleColumns = `rule_id, rank, rule, created_at, updated_at, version`

func scanKeywordRule(r pgx.Row) (KeywordRule, error) {
	var (
		x    KeywordRule
		rule []byte
		v    int64
	)
	err := r.Scan(&x.RuleID, &x.Rank, &rule, &x.CreatedAt, &x.UpdatedAt, &v)
	x.Rule, x.Version = rule, uint64(v)
	return x, err
}

// ListKeywordRules lists a tenant's keyword rules in the order they are
// tried.
func ListKeywordRules(ctx context.Context, q Querier, tenantID uuid.UUID) ([]KeywordRule, error) {
	rows, err := q.Query(ctx, `SELECT `+keywordRuleColumns+` FROM keyword_rules
		WHERE tenant_id = $1 AND NOT deleted ORDER BY rank, rule_id`, tenantID)
	if err != nil {
		return nil, fmt.Errorf("list keyword rules: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (KeywordRule, error) { return scanKeywordRule(r) })
	if err != nil {
		return nil, fmt.Errorf("list keyword rules: %w", err)
	}
	if out == nil {
		out = []KeywordRule{}
	}
	return out, nil
}

// GetKeywordRule returns a keyword rule of the tenant, or ErrNotFound.
func GetKeywordRule(ctx context.Context, q Querier, tenantID, ruleID uuid.UUID) (KeywordRule, error) {
	x, err := scanKeywordRule(q.QueryRow(ctx, `SELECT `+keywordRuleColumns+` FROM keyword_rules
		WHERE tenant_id = $1 AND rule_id = $2 AND NOT deleted`, tenantID, ruleID))
	if errors.Is(err, pgx.ErrNoRows) {
		return KeywordRule{}, fmt.Errorf("keyword rule %s: %w", ruleID, ErrNotFound)
	}
	if err != nil {
		return KeywordRule{}, fmt.Errorf("keyword rule %s: %w", ruleID, err)
	}
	return x, nil
}

// SensitiveWords is one side's list of sensitive words.
type SensitiveWords struct {
	Side       string     `json:"side"`
	Words      []string   `json:"words"`
	AlarmLevel int        `json:"alarm_level"`
	UpdatedAt  *time.Time `json:"updated_at"`
	Version    *uint64    `json:"version"`
}

// GetSensitiveWords returns the lists of both sides, agent first; a side
// never set has no words and the default level, defaultLevel.
func GetSensitiveWords(ctx context.Context, q Querier, tenantID uuid.UUID, defaultLevel int) ([]SensitiveWords, error) {
	rows, err := q.Query(ctx, `SELECT s.side, coalesce(w.words, '{}'), coalesce(w.alarm_level, $2), w.updated_at, w.version
		FROM unnest(ARRAY['agent', 'customer']) WITH ORDINALITY AS s(side, n)
		LEFT JOIN sensitive_words w ON w.tenant_id = $1 AND w.side = s.side
		ORDER BY s.n`, tenantID, defaultLevel)
	if err != nil {
		return nil, fmt.Errorf("sensitive words: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (SensitiveWords, error) {
		var (
			x SensitiveWords
			v *int64
		)
		err := r.Scan(&x.Side, &x.Words, &x.AlarmLevel, &x.UpdatedAt, &v)
		if v != nil {
			u := uint64(*v)
			x.Version = &u
		}
		return x, err
	})
	if err != nil {
		return nil, fmt.Errorf("sensitive words: %w", err)
	}
	return out, nil
}

// KeywordPrompt is what a keyword rule prompted the serving agent with.
type KeywordPrompt struct {
	MessageID  uuid.UUID `json:"message_id"`
	RuleID     uuid.UUID `json:"rule_id"`
	AgentID    uuid.UUID `json:"agent_id"`
	Text       string    `json:"text"`
	Seq        uint64    `json:"seq"`
	PromptedAt time.Time `json:"prompted_at"`
}

// ListKeywordPrompts lists the prompts of a conversation of the tenant, in
// order; ErrNotFound when the tenant has no such conversation.
func ListKeywordPrompts(ctx context.Context, q Querier, tenantID, conversationID uuid.UUID) ([]KeywordPrompt, error) {
	var exists bool
	if err := q.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM conversations WHERE tenant_id = $1 AND conversation_id = $2)`,
		tenantID, conversationID).Scan(&exists); err != nil {
		return nil, fmt.Errorf("keyword prompts: %w", err)
	}
	if !exists {
		return nil, fmt.Errorf("conversation %s: %w", conversationID, ErrNotFound)
	}
	rows, err := q.Query(ctx, `SELECT message_id, rule_id, agent_id, text, seq, prompted_at FROM keyword_prompts
		WHERE tenant_id = $1 AND conversation_id = $2 ORDER BY seq`, tenantID, conversationID)
	if err != nil {
		return nil, fmt.Errorf("keyword prompts: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (KeywordPrompt, error) {
		var (
			x   KeywordPrompt
			seq int64
		)
		err := r.Scan(&x.MessageID, &x.RuleID, &x.AgentID, &x.Text, &seq, &x.PromptedAt)
		x.Seq = uint64(seq)
		return x, err
	})
	if err != nil {
		return nil, fmt.Errorf("keyword prompts: %w", err)
	}
	if out == nil {
		out = []KeywordPrompt{}
	}
	return out, nil
}
