package commands

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"

	"supportd/domain"
	"supportd/domain/agent"
	"supportd/domain/conversation"
	"supportd/eventschema"
)

// seat is onConversation for a decision that may seat agentID by another
// way than auto-assignment (how: a manual join, an admin's assignment, a
// transfer). Every conversation an agent serves holds one of its slots, so
// that capacity counts them all and the agent's stream alone says how
// many it holds. The steps are the dispatcher's:
//
//  1. take a slot on the agent's stream (agent.Take: no capacity check,
//     the manual lets these ways exceed it);
//  2. decide on the conversation; the AgentJoined that seats the agent
//     names the slot, so that its end releases it (Dispatcher.settle);
//  3. give the slot back at once when the decision seated nobody.
//
// A crash after step 1 leaves a slot that no join names: the dispatcher's
// settling releases it after its grace (dispatch.Fate), so a slot is never
// lost, only held a little longer, which errs on the side of capacity.
func seat(ctx context.Context, h *Handler, m Meta, sc Scope, conversationID, agentID uuid.UUID, how string,
	decide func(conversation.State) ([]any, error)) (Result, error) {
	return seatWith(ctx, h, m, sc.TenantID, conversationID, agentID, how, func(m Meta, name func([]any) []any) (Result, error) {
		return onConversation(ctx, h, m, sc, conversationID, func(s conversation.State) ([]any, error) {
			out, err := decide(s)
			return name(out), err
		})
	})
}

// seatWith is seat for any command on the conversation's stream: run
// makes the command's decision and passes its events through name, which
// names the slot in the join that seats the agent.
func seatWith(ctx context.Context, h *Handler, m Meta, tenantID, conversationID, agentID uuid.UUID, how string,
	run func(m Meta, name func([]any) []any) (Result, error)) (Result, error) {
	if agentID == uuid.Nil {
		return run(m, func(out []any) []any { return out })
	}
	if m.CommandID == uuid.Nil {
		m.CommandID = uuid.Must(uuid.NewV7()) // the slot's ID derives from it
	}
	// A command already applied answers what it did: its join holds (or
	// held) its slot.
	if l, err := load(ctx, h, conversationAggregate(tenantID, conversationID), m.CommandID); err != nil {
		return Result{}, err
	} else if l.done != nil {
		return run(m, func(out []any) []any { return out })
	}
	who := agent.Identity{TenantID: tenantID, AgentID: agentID}
	slot := agent.Slot{ReservationID: derivedID(m, "slot"), ConversationID: conversationID, How: how}
	take := m
	take.CommandID = derivedID(m, "slot-take")
	for {
		held := false
		if _, err := Execute(ctx, h, take, agentAggregate(tenantID, agentID), func(s agent.State) ([]any, error) {
			return agent.Take(s, who, slot)
		}); err != nil {
			return Result{}, fmt.Errorf("take a slot of agent %s: %w", agentID, err)
		}
		a, err := load(ctx, h, agentAggregate(tenantID, agentID), uuid.Nil)
		if err != nil {
			return Result{}, fmt.Errorf("take a slot of agent %s: %w", agentID, err)
		}
		_, held = a.state.Slots[slot.ReservationID]
		if held {
			break
		}
		// A retry of a command refused before: its slot was given back,
		// and a reservation is never used twice.
		slot.ReservationID, take.CommandID = uuid.Must(uuid.NewV7()), uuid.Must(uuid.NewV7())
	}
	named := false
	res, err := run(m, func(out []any) []any {
		named = false // a decision retried after a conflict starts again
		for i, e := range out {
			if j, ok := e.(eventschema.AgentJoined); ok && j.AgentID == agentID && j.ReservationID == uuid.Nil {
				j.ReservationID = slot.ReservationID
				out[i], named = j, true
			}
		}
		return out
	})
	var de *domain.Error
	// Seated nobody: refused, or nothing to do. (Events from an earlier
	// run of the same command, which named the slot, keep it.)
	if errors.As(err, &de) || (err == nil && !named && res.Events == 0) {
		release := m
		release.CommandID = derivedID(m, "slot-release")
		if _, rerr := Execute(ctx, h, release, agentAggregate(tenantID, agentID), func(s agent.State) ([]any, error) {
			return agent.Release(s, who, slot.ReservationID, eventschema.SlotCompensated)
		}); rerr != nil {
			// The dispatcher's settling releases it later.
			return res, errors.Join(err, fmt.Errorf("give back the slot of agent %s: %w", agentID, rerr))
		}
	}
	return res, err
}
