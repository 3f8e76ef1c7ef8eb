package commands

import (
	"context"

	"github.com/google/uuid"

	"supportd/domain/alarm"
)

// ProcessAlarms marks alarms of a tenant processed.
type ProcessAlarms struct {
	TenantID uuid.UUID
	AlarmIDs []uuid.UUID
}

// ProcessAlarms handles the ProcessAlarms command. The stream only
// serialises the marks; nothing in it constrains a new one.
func (h *Handler) ProcessAlarms(ctx context.Context, m Meta, c ProcessAlarms) (Result, error) {
	m.TenantID = c.TenantID
	agg := Aggregate[struct{}]{Tenant: c.TenantID, Stream: alarm.Stream(c.TenantID), Evolve: func(s struct{}, _ any) struct{} { return s }}
	return Execute(ctx, h, m, agg, func(struct{}) ([]any, error) {
		return alarm.Process(c.TenantID, actorUUID(m), c.AlarmIDs)
	})
}
