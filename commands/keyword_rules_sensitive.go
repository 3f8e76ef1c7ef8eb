package commands

import (
	"context"

	"github.com/google/uuid"

	"supportd/domain/keywords"
)

// SetSensitiveWords replaces one side's sensitive words and the level of
// the alarm they raise.
type SetSensitiveWords struct {
	TenantID uuid.UUID
	// Side is eventschema.SideAgent or SideCustomer.
	Side  string
	Words []string
	// AlarmLevel 0 is keywords.DefaultAlarmLevel.
	AlarmLevel int
}

// SetSensitiveWords handles the SetSensitiveWords command.
func (h *Handler) SetSensitiveWords(ctx context.Context, m Meta, c SetSensitiveWords) (Result, error) {
	m.TenantID = c.TenantID
	return Execute(ctx, h, m, keywordsAggregate(c.TenantID), func(s keywords.State) ([]any, error) {
		return keywords.SetSensitiveWords(s, c.TenantID, c.Side, c.Words, c.AlarmLevel)
	})
}
