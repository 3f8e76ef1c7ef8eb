package projections

import (
	"context"
	"encoding/json"

	"github.com/google/uuid"

	"supportd/eventschema"
	"supportd/readmodels"
)

// Notifications turns events that concern a user but were caused by someone
// else into notices for that user's console: the manual's "when the
// administrator modifies the maximum number, the system will send a notice
// to the corresponding agent", and likewise for role changes and for the
// decision on an agent's blacklist request.
type Notifications struct {
	reg *eventschema.Registry
}

// NewNotifications returns the notifications projector.
func NewNotifications(reg *eventschema.Registry) *Notifications { return &Notifications{reg: reg} }

// Name implements Projector.
func (*Notifications) Name() string { return "notifications" }

// Tables implements Projector.
func (*Notifications) Tables() []string { return []string{readmodels.NotificationsTable} }

// Apply implements Projector. The event ID is the row's key, so a replay
// inserts nothing twice.
func (p *Notifications) Apply(ctx context.Context, db DB, e eventschema.Envelope) error {
	if !noticeEvents[e.Type] {
		return nil
	}
	payload, err := p.reg.Decode(e)
	if err != nil {
		return err
	}
	var (
		kind   string
		detail any
	)
	switch ev := payload.(type) {
	case eventschema.AgentCapacitySet:
		if !ev.SetByAdmin {
			return nil
		}
		kind, detail = readmodels.NoticeCapacityChanged, map[string]any{"capacity": ev.Capacity, "previous": ev.Previous, "by": e.Metadata.Actor.ID}
	case eventschema.AgentRoleChanged:
		kind, detail = readmodels.NoticeRoleChanged, map[string]any{"from": ev.From, "to": ev.To, "by": e.Metadata.Actor.ID}
	case eventschema.CustomerBlacklisted:
		if ev.RequestID == uuid.Nil {
			return nil // no request, nobody waiting for a decision
		}
		kind, detail = readmodels.NoticeBlacklistDecided, map[string]any{"customer_id": ev.CustomerID, "request_id": ev.RequestID,
			"decision": "approved", "by": ev.ApprovedBy}
	case eventschema.BlacklistRequestRejected:
		if ev.RequestedBy == nil {
			return nil
		}
		kind, detail = readmodels.NoticeBlacklistDecided, map[string]any{"customer_id": ev.CustomerID, "request_id": ev.RequestID,
			"decision": "rejected", "by": ev.RejectedBy, "remark": ev.Remark}
	default:
		return nil
	}
	b, err := json.Marshal(detail)
	if err != nil {
		return err
	}
	tenant, agent := e.Metadata.TenantID, agentOf(payload)
	return db.Exec(ctx, `
		INSERT INTO notifications (event_id, tenant_id, agent_id, kind, detail, created_at)
		VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (event_id) DO NOTHING`,
		e.ID, tenant, agent, kind, b, occurredAt(e))
}

func agentOf(payload any) any {
	switch ev := payload.(type) {
	case eventschema.AgentCapacitySet:
		return ev.AgentID
	case eventschema.AgentRoleChanged:
		return ev.AgentID
	case eventschema.CustomerBlacklisted:
		return ev.By
	case eventschema.BlacklistRequestRejected:
		return *ev.RequestedBy
	}
	return nil
}

var noticeEvents = map[string]bool{"AgentCapacitySet": true, "AgentRoleChanged": true, "CustomerBlacklisted": true, "BlacklistRequestRejected": true}

// EventTypes implements Selective.
func (*Notifications) EventTypes() []string {
	return []string{"AgentCapacitySet", "AgentRoleChanged", "CustomerBlacklisted", "BlacklistRequestRejected"}
}
