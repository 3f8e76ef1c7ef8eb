package projections

import (
	"context"
	"encoding/json"

	"supportd/eventschema"
	"supportd/readmodels"
)

// Keywords projects the tenants' keyword streams into the keyword rules
// and sensitive words read models, and the KeywordPrompted events of
// conversations into the prompts agents were shown
// (readmodels/keywords.go). Ranks stay 0..n-1 without gaps, as the domain
// counts them: a deletion moves the rules below it up.
type Keywords struct {
	reg *eventschema.Registry
}

// NewKeywords returns the keywords projector.
func NewKeywords(reg *eventschema.Registry) *Keywords { return &Keywords{reg: reg} }

// Name implements Projector.
func (*Keywords) Name() string { return "keywords" }

// Tables implements Projector.
func (*Keywords) Tables() []string {
	return []string{readmodels.KeywordRulesTable, readmodels.SensitiveWordsTable, readmodels.KeywordPromptsTable}
}

var keywordEvents = map[string]bool{
	"KeywordRuleDefined": true, "KeywordRuleChanged": true, "KeywordRuleDeleted": true,
	"KeywordRulesReordered": true, "SensitiveWordsSet": true, "KeywordPrompted": true,
}

// Apply implements Projector.
func (p *Keywords) Apply(ctx context.Context, db DB, e eventschema.Envelope) error {
	if !keywordEvents[e.Type] {
		return nil
	}
	payload, err := p.reg.Decode(e)
	if err != nil {
		return err
	}
	v, at := int64(e.StreamVersion), occurredAt(e)
	switch ev := payload.(type) {
	case eventschema.KeywordRuleDefined:
		rule, err := json.Marshal(ev.Rule)
		if err != nil {
			return err
		}
		return db.Exec(ctx, `
			INSERT INTO keyword_rules (rule_id, tenant_id, rank, rule, created_at, updated_at, version)
			VALUES ($1, $3, $4, $5, $6, $6, $2) ON CONFLICT (tenant_id, rule_id) DO NOTHING`,
			ev.RuleID, v, ev.TenantID, ev.Rank, rule, at)
	case eventschema.KeywordRuleChanged:
		rule, err := json.Marshal(ev.Rule)
		if err != nil {
			return err
		}
		return db.Exec(ctx, `UPDATE keyword_rules SET rule = $3, updated_at = $4, version = $2
			WHERE tenant_id = $5 AND rule_id = $1 AND version < $2`, ev.RuleID, v, rule, at, ev.TenantID)
	case eventschema.KeywordRuleDeleted:
		if err := db.Exec(ctx, `UPDATE keyword_rules o SET rank = o.rank - 1, version = $2
			FROM keyword_rules d
			WHERE d.tenant_id = $3 AND d.rule_id = $1 AND NOT d.deleted AND o.tenant_id = d.tenant_id
			  AND NOT o.deleted AND o.rank > d.rank AND o.version < $2`, ev.RuleID, v, ev.TenantID); err != nil {
			return err
		}
		return db.Exec(ctx, `UPDATE keyword_rules SET deleted = true, updated_at = $3, version = $2
			WHERE tenant_id = $4 AND rule_id = $1 AND version < $2`, ev.RuleID, v, at, ev.TenantID)
	case eventschema.KeywordRulesReordered:
		return db.Exec(ctx, `UPDATE keyword_rules SET rank = array_position($2::uuid[], rule_id) - 1, version = $3
			WHERE tenant_id = $1 AND rule_id = ANY($2::uuid[]) AND version < $3`, ev.TenantID, ev.RuleIDs, v)
	case eventschema.SensitiveWordsSet:
		return db.Exec(ctx, `
			INSERT INTO sensitive_words (tenant_id, side, words, alarm_level, updated_at, version)
			VALUES ($1, $2, $3, $4, $5, $6)
			ON CONFLICT (tenant_id, side) DO UPDATE SET words = excluded.words, alarm_level = excluded.alarm_level,
				updated_at = excluded.updated_at, version = excluded.version
			WHERE sensitive_words.version < excluded.version`, ev.TenantID, ev.Side, ev.Words, ev.AlarmLevel, at, v)
	case eventschema.KeywordPrompted:
		return db.Exec(ctx, `
			INSERT INTO keyword_prompts (conversation_id, message_id, tenant_id, seq, rule_id, agent_id, text, prompted_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING`,
			ev.ConversationID, ev.MessageID, ev.TenantID, v, ev.RuleID, ev.AgentID, ev.Text, at)
	}
	return nil
}

// EventTypes implements Selective.
func (*Keywords) EventTypes() []string { return typesOf(keywordEvents) }
