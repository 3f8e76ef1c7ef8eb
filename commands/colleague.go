package commands

import (
	"context"

	"github.com/google/uuid"

	"supportd/domain"
	"supportd/domain/colleague"
	"supportd/eventschema"
)

func colleagueAggregate(tenantID, a, b uuid.UUID) Aggregate[colleague.State] {
	return Aggregate[colleague.State]{Tenant: tenantID, Stream: colleague.Stream(tenantID, a, b), Evolve: colleague.Evolve}
}

// SendColleagueMessage is an agent writing to a colleague of its tenant.
type SendColleagueMessage struct {
	TenantID  uuid.UUID
	MessageID uuid.UUID
	From, To  uuid.UUID
	Type      string
	Text      string
	File      *eventschema.FileRef
}

// SendColleagueMessage handles the SendColleagueMessage command. The
// colleague is looked up in the tenant's roster: another tenant's agent is
// not found.
func (h *Handler) SendColleagueMessage(ctx context.Context, m Meta, c SendColleagueMessage) (Result, error) {
	t, err := load(ctx, h, tenantAggregate(c.TenantID), uuid.Nil)
	if err != nil {
		return Result{}, err
	}
	if _, err := t.state.RequireAccount(c.From); err != nil {
		return Result{}, err
	}
	to, ok := t.state.Account(c.To)
	m.TenantID = c.TenantID
	return Execute(ctx, h, m, colleagueAggregate(m.TenantID, c.From, c.To), func(s colleague.State) ([]any, error) {
		return colleague.SendMessage(s, colleague.Send{TenantID: c.TenantID, MessageID: c.MessageID, From: c.From, To: c.To,
			Recipient: colleague.Recipient{Exists: ok, Enabled: to.Enabled}, Type: c.Type, Text: c.Text, File: c.File})
	})
}

// MarkColleagueMessagesDelivered records that the recipient's console
// received a colleague's messages, up to UpTo (nil: every one so far).
type MarkColleagueMessagesDelivered struct {
	TenantID  uuid.UUID
	Recipient uuid.UUID
	Colleague uuid.UUID
	UpTo      uuid.UUID
}

// MarkColleagueMessagesDelivered handles the
// MarkColleagueMessagesDelivered command.
func (h *Handler) MarkColleagueMessagesDelivered(ctx context.Context, m Meta, c MarkColleagueMessagesDelivered) (Result, error) {
	m.TenantID = c.TenantID
	return Execute(ctx, h, m, colleagueAggregate(m.TenantID, c.Recipient, c.Colleague), func(s colleague.State) ([]any, error) {
		if s.TenantID != uuid.Nil && s.TenantID != c.TenantID {
			return nil, domain.Errorf(domain.NotFound, "colleague.not_found", "agent_id", "no such colleague")
		}
		return colleague.Deliver(s, c.Recipient, c.Colleague, c.UpTo)
	})
}
