package keywords_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/uuid"

	"supportd/domain/conversation"
	"supportd/domain/keywords"
	"supportd/eventschema"
)

// BenchmarkReactFullRuleSet: a customer message of about 80 and of 1000
// characters against the most a tenant may have, 100 rules (none matching
// until the last) and 500 sensitive words per side: the worst cost a
// customer message pays.
func BenchmarkReactFullRuleSet(b *testing.B) {
	var events []any
	for i := range keywords.MaxRules {
		pattern := fmt.Sprintf(`\b(order|parcel)\s*#?%04d\b`, i)
		if i == keywords.MaxRules-1 {
			pattern = `\brefund\b`
		}
		events = append(events, eventschema.KeywordRuleDefined{TenantID: tenant, RuleID: uuid.NewSHA1(tenant, []byte{byte(i), byte(i >> 8)}),
			Rule: rule(fmt.Sprint("R", i), pattern, eventschema.KeywordReplyAsDispatcher), Rank: i})
	}
	words := make([]string, keywords.MaxWords)
	for i := range words {
		words[i] = fmt.Sprintf("badword%03d", i)
	}
	events = append(events, eventschema.SensitiveWordsSet{TenantID: tenant, Side: "customer", Words: words, AlarmLevel: 1})
	k := given(events...)
	s := conversation.Evolve(conversation.State{}, eventschema.ConversationStarted{TenantID: tenant, ConversationID: conv, Channel: "web", CustomerID: customer})
	for _, n := range []int{1, 23} {
		text := strings.Repeat("where is my parcel, I ordered it weeks ago ", n) + "refund"
		sent := eventschema.MessageSent{TenantID: tenant, ConversationID: conv, MessageID: msg, SenderKind: "customer",
			SenderID: customer.String(), Type: "text", Text: text}
		b.Run(fmt.Sprintf("%d-chars", len(text)), func(b *testing.B) {
			for range b.N {
				out, err := keywords.React(k, s, sent, "System")
				if err != nil || len(out) != 1 {
					b.Fatal(out, err)
				}
			}
		})
	}
}
