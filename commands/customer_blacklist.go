package commands

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"

	"supportd/domain"
	"supportd/domain/customer"
	"supportd/eventschema"
)

// BlacklistSwitch is the tenant setting that makes agents' blacklisting
// wait for an admin's approval.
const BlacklistSwitch = "agents.blacklist_needs_approval"

// actorUUID is the user behind m, uuid.Nil for an API token or the system.
func actorUUID(m Meta) uuid.UUID {
	id, err := uuid.Parse(m.Actor.ID)
	if err != nil {
		return uuid.Nil
	}
	return id
}

// Blacklist is an agent's "Add to Blacklist" with a reason. It blacklists
// the customer at once, or, when the tenant's approval switch is on and
// the actor may not approve blacklisting itself, files request RequestID
// for an admin.
type Blacklist struct {
	TenantID   uuid.UUID
	CustomerID uuid.UUID
	RequestID  uuid.UUID
	Reason     string
	// CanApprove: the actor may approve blacklist requests (an admin), so
	// the switch does not apply to it.
	CanApprove bool
}

// Blacklist handles the Blacklist command (RequestBlacklist, when the
// switch turns it into a request).
func (h *Handler) Blacklist(ctx context.Context, m Meta, c Blacklist) (Result, error) {
	t, err := load(ctx, h, tenantAggregate(c.TenantID), uuid.Nil)
	if err != nil {
		return Result{}, err
	}
	who := customer.Blacklister{By: actorUUID(m), Admin: c.CanApprove, NeedsApproval: t.state.SettingBool(BlacklistSwitch)}
	m.TenantID = c.TenantID
	return Execute(ctx, h, m, customerAggregate(m.TenantID, c.CustomerID), func(s customer.State) ([]any, error) {
		return customer.Blacklist(s, c.TenantID, c.CustomerID, c.RequestID, who, c.Reason)
	})
}

// DecideBlacklistRequest is an admin's approval or rejection of a pending
// blacklist request of a customer.
type DecideBlacklistRequest struct {
	TenantID   uuid.UUID
	CustomerID uuid.UUID
	RequestID  uuid.UUID
	// Remark explains a rejection.
	Remark string
}

// ApproveBlacklist blacklists the customer as the request asked.
func (h *Handler) ApproveBlacklist(ctx context.Context, m Meta, c DecideBlacklistRequest) (Result, error) {
	m.TenantID = c.TenantID
	return Execute(ctx, h, m, customerAggregate(m.TenantID, c.CustomerID), func(s customer.State) ([]any, error) {
		return customer.Approve(s, c.TenantID, c.CustomerID, c.RequestID, actorUUID(m))
	})
}

// RejectBlacklist refuses the request; the customer stays as it was.
func (h *Handler) RejectBlacklist(ctx context.Context, m Meta, c DecideBlacklistRequest) (Result, error) {
	m.TenantID = c.TenantID
	return Execute(ctx, h, m, customerAggregate(m.TenantID, c.CustomerID), func(s customer.State) ([]any, error) {
		return customer.Reject(s, c.TenantID, c.CustomerID, c.RequestID, actorUUID(m), c.Remark)
	})
}

// Unblacklist removes a customer from the blacklist.
type Unblacklist struct {
	TenantID   uuid.UUID
	CustomerID uuid.UUID
}

// Unblacklist handles the Unblacklist command.
func (h *Handler) Unblacklist(ctx context.Context, m Meta, c Unblacklist) (Result, error) {
	m.TenantID = c.TenantID
	return Execute(ctx, h, m, customerAggregate(m.TenantID, c.CustomerID), func(s customer.State) ([]any, error) {
		return customer.Unblacklist(s, c.TenantID, c.CustomerID, actorUUID(m))
	})
}

// CloseForBlacklist closes the ongoing conversations of a customer who is
// on the tenant's blacklist, with reason blacklist: the manual's "the
// conversation is automatically closed" when an agent blacklists the
// customer it chats with. It does nothing while the customer is not
// blacklisted (a request waits for approval). Each close's command ID
// derives from m's and the conversation's, so a retried request closes
// each conversation once; a conversation closed meanwhile is skipped. It
// answers how many it closed and the result of the last close. Ongoing
// reads a read model: callers let it catch up with the blacklisting first.
func (h *Handler) CloseForBlacklist(ctx context.Context, m Meta, tenantID, customerID uuid.UUID) (closed int, last Result, err error) {
	if h.Ongoing == nil {
		return 0, last, nil
	}
	blacklisted, err := h.CustomerBlacklisted(ctx, tenantID, customerID)
	if err != nil || !blacklisted {
		return 0, last, err
	}
	ids, err := h.Ongoing(ctx, tenantID, customerID)
	if err != nil {
		return 0, last, fmt.Errorf("ongoing conversations of %s: %w", customerID, err)
	}
	for _, id := range ids {
		cm := m
		cm.CommandID = uuid.NewSHA1(m.CommandID, id[:])
		cm.CausationID, cm.CorrelationID = m.CommandID, m.CommandID
		res, err := h.CloseConversation(ctx, cm, CloseConversation{Scope: Scope{TenantID: tenantID}, ConversationID: id,
			Reason: eventschema.ClosedByBlacklist, By: actorUUID(m).String()})
		var de *domain.Error
		if errors.As(err, &de) && de.Code == "conversation.closed" {
			continue
		}
		if err != nil {
			return closed, last, fmt.Errorf("close %s for the blacklist: %w", id, err)
		}
		if res.Events > 0 {
			closed, last = closed+1, res
		}
	}
	return closed, last, nil
}

// CustomerBlacklisted tells a conversation start whether the customer is on
// tenantID's blacklist, by folding the customer's stream: the log, not a
// read model, so a customer blacklisted a moment ago is refused at once. A
// customer never seen is not blacklisted, nor is another tenant's.
func (h *Handler) CustomerBlacklisted(ctx context.Context, tenantID, customerID uuid.UUID) (bool, error) {
	l, err := load(ctx, h, customerAggregate(tenantID, customerID), uuid.Nil)
	if err != nil {
		return false, err
	}
	return l.state.IsBlacklisted(tenantID), nil
}
