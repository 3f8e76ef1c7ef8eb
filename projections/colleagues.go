package projections

import (
	"context"
	"fmt"

	"supportd/eventschema"
	"supportd/readmodels"
)

// Colleagues projects the colleague chat streams into the colleague
// messages read model (readmodels/colleagues.go): the history of each pair
// and which messages still wait for their recipient.
type Colleagues struct {
	reg *eventschema.Registry
}

// NewColleagues returns the colleague chat projector.
func NewColleagues(reg *eventschema.Registry) *Colleagues { return &Colleagues{reg: reg} }

// Name implements Projector.
func (*Colleagues) Name() string { return "colleagues" }

// Tables implements Projector.
func (*Colleagues) Tables() []string { return []string{readmodels.ColleagueMessagesTable} }

// Apply implements Projector. Both statements are idempotent: a message is
// keyed by its ID, and delivery only fills what is still empty.
func (p *Colleagues) Apply(ctx context.Context, db DB, e eventschema.Envelope) error {
	if e.Type != "ColleagueMessageSent" && e.Type != "ColleagueMessagesDelivered" {
		return nil
	}
	_, pair, ok := eventschema.ObjectOf("colleaguechat", e.Stream)
	if !ok {
		return fmt.Errorf("colleague chat stream %q: not a colleague chat", e.Stream)
	}
	payload, err := p.reg.Decode(e)
	if err != nil {
		return err
	}
	at := occurredAt(e)
	switch ev := payload.(type) {
	case eventschema.ColleagueMessageSent:
		return db.Exec(ctx, `
			INSERT INTO colleague_messages (message_id, pair_id, tenant_id, seq, from_agent_id, to_agent_id, type, text, file, sent_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT DO NOTHING`,
			ev.MessageID, pair, ev.TenantID, int64(ev.Seq), ev.FromAgentID, ev.ToAgentID, ev.Type, ev.Text, jsonOrNil(ev.File), at)
	case eventschema.ColleagueMessagesDelivered:
		return db.Exec(ctx, `UPDATE colleague_messages SET delivered_at = $4
			WHERE tenant_id = $5 AND pair_id = $1 AND to_agent_id = $2 AND seq <= $3 AND delivered_at IS NULL`,
			pair, ev.ToAgentID, int64(ev.UpToSeq), at, ev.TenantID)
	}
	return nil
}

// EventTypes implements Selective.
func (*Colleagues) EventTypes() []string {
	return []string{"ColleagueMessageSent", "ColleagueMessagesDelivered"}
}
