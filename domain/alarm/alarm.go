// Package alarm holds how administrators process the alarms raised for
// them (eventschema.AlarmRaised, recorded on the conversation each one
// concerns). Processing is the tenant's bookkeeping, not a fact of the
// conversation: it lives on one stream per tenant, "alarms-{tenant id}".
package alarm

import (
	"slices"
	"strings"

	"github.com/google/uuid"

	"supportd/domain"
	"supportd/eventschema"
)

// Stream returns the stream of tenant's alarm processing.
func Stream(tenantID uuid.UUID) string { return "alarms-" + tenantID.String() }

// MaxBatch is how many alarms one command marks processed: the console's
// "mark all" sends a page at a time.
const MaxBatch = 1000

// Process decides marking alarms processed by an administrator. Which IDs
// name alarms of the tenant the caller checks against the alarm list;
// marking an alarm twice is harmless (the first mark stands).
func Process(tenantID, by uuid.UUID, ids []uuid.UUID) ([]any, error) {
	if len(ids) == 0 || len(ids) > MaxBatch || slices.Contains(ids, uuid.Nil) {
		return nil, domain.Errorf(domain.Invalid, "alarm.ids", "alarm_ids", "name 1 to %d alarms", MaxBatch)
	}
	ids = slices.Clone(ids)
	slices.SortFunc(ids, func(a, b uuid.UUID) int { return strings.Compare(a.String(), b.String()) })
	ids = slices.Compact(ids)
	return []any{eventschema.AlarmsProcessed{TenantID: tenantID, AlarmIDs: ids, ProcessedBy: by}}, nil
}
