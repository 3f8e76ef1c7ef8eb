package commands

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"supportd/domain"
	"supportd/domain/conversation"
	"supportd/domain/dispatch"
	"supportd/domain/tenant"
	"supportd/domain/timeplan"
	"supportd/eventschema"
)

// ElapseTimeout is a conversation timeout whose run ran out. Its durable
// timer fires it with the timer's ID as command ID, so a run is decided
// once however often the timer fires.
type ElapseTimeout struct {
	Scope
	ConversationID uuid.UUID
	Run            conversation.Run
	// Reassign, when set, is called after an automatic transfer put the
	// conversation back in its team's queue, with the agent who let the
	// customer wait (Dispatcher.ReassignElsewhere).
	Reassign func(ctx context.Context, tenantID, conversationID, avoid uuid.UUID) error
}

// ElapseTimeout handles the ElapseTimeout command (conversation.Elapse) by
// the tenant's timeout settings as they are now. It reads the closing
// notices and rating invitation of a system close, the conversation
// team's size for an automatic transfer, and for queue reminders whether
// now is inside the working hours of the team's time plan (the team's own,
// else the tenant's default; with no plan it always is).
func (h *Handler) ElapseTimeout(ctx context.Context, m Meta, c ElapseTimeout) (Result, error) {
	if m.CommandID == uuid.Nil {
		m.CommandID = c.Run.Key()
	}
	t, err := load(ctx, h, tenantAggregate(c.TenantID), uuid.Nil)
	if err != nil {
		return Result{}, err
	}
	cur, err := load(ctx, h, conversationAggregate(c.TenantID, c.ConversationID), uuid.Nil)
	if err != nil {
		return Result{}, err
	}
	e := conversation.Elapsed{Run: c.Run, Rules: conversation.ReadTimeoutRules(t.state.Setting), WorkingTime: true,
		Close: closeNotices(t.state), TransferID: derivedID(m, "transfer"), EpisodeID: derivedID(m, "episode")}
	switch c.Run.Kind {
	case eventschema.TimeoutQueueReminder:
		if e.WorkingTime, err = h.workingTime(ctx, t.state, cur.state.Episode.TeamID, h.clock.Now()); err != nil {
			return Result{}, err
		}
	case eventschema.TimeoutAutoReassign:
		if team := cur.state.TeamID; team != uuid.Nil {
			tm, err := load(ctx, h, teamAggregate(c.TenantID, team), uuid.Nil)
			if err != nil {
				return Result{}, err
			}
			if tm.state.Exists && !tm.state.Deleted && tm.state.TenantID == c.TenantID {
				e.TeamMembers = len(tm.state.Members)
			}
		}
	}
	var avoid uuid.UUID
	res, err := onConversation(ctx, h, m, c.Scope, c.ConversationID, func(s conversation.State) ([]any, error) {
		out, err := conversation.Elapse(s, e)
		avoid = uuid.Nil
		if err == nil && c.Run.Kind == eventschema.TimeoutAutoReassign && fold(s, out).Status() == conversation.Queued {
			avoid = s.Segment.AgentID
		}
		return out, err
	})
	if err != nil || res.Events == 0 || avoid == uuid.Nil || c.Reassign == nil {
		return res, err
	}
	// The transfer is recorded: offering the conversation to another agent
	// at once is a courtesy the dispatcher would otherwise do by its rules.
	if err := c.Reassign(ctx, c.TenantID, c.ConversationID, avoid); err != nil {
		return res, fmt.Errorf("reassign %s: %w", c.ConversationID, err)
	}
	return res, nil
}

// workingTime reports whether now is inside the working hours of team's
// time plan (the team's own, else the tenant's default) in the tenant's
// zone; true when there is no plan to keep.
func (h *Handler) workingTime(ctx context.Context, t tenant.State, teamID uuid.UUID, now time.Time) (bool, error) {
	var planID uuid.UUID
	if teamID != uuid.Nil {
		tm, err := load(ctx, h, teamAggregate(t.ID, teamID), uuid.Nil)
		if err != nil {
			return false, err
		}
		planID = tm.state.PlanID
	}
	if planID == uuid.Nil {
		d, err := load(ctx, h, defaultsAggregate(t.ID), uuid.Nil)
		if err != nil {
			return false, err
		}
		planID = d.state.Plan
	}
	if planID == uuid.Nil {
		return true, nil
	}
	p, err := load(ctx, h, timePlanAggregate(t.ID, planID), uuid.Nil)
	if err != nil {
		return false, err
	}
	if !p.state.Live(t.ID) {
		return true, nil
	}
	plan, _, err := timeplan.ParseSchedule(p.state.Schedule)
	if err != nil {
		return false, fmt.Errorf("time plan %s: %w", planID, err)
	}
	loc, err := time.LoadLocation(t.TimeZone)
	if err != nil {
		return false, fmt.Errorf("tenant time zone %q: %w", t.TimeZone, err)
	}
	return plan.IsWorkingTime(now, loc), nil
}

// ReassignElsewhere offers a conversation that an automatic transfer put
// back in its team's queue to the team's best eligible agent other than
// avoid, the agent who let the customer wait (seed 000: "reassigns the
// conversation to other agents according to the auto-assignment rules").
// It assigns the way a sweep does (reserve on the agent's stream, confirm
// on the conversation's), so capacity holds. It steps aside, leaving the
// conversation to the sweep, when another conversation of the team waits
// (the queue's order comes first) or when no other agent is eligible: then
// the sweep may give it back to the same agent rather than let it wait.
func (d *Dispatcher) ReassignElsewhere(ctx context.Context, tenantID, conversationID, avoid uuid.UUID) error {
	l, err := load(ctx, d.Handler, conversationAggregate(tenantID, conversationID), uuid.Nil)
	if err != nil {
		return err
	}
	s := l.state
	if s.Status() != conversation.Queued || s.TenantID != tenantID {
		return nil
	}
	q := QueuedConversation{TenantID: tenantID, ConversationID: conversationID, EpisodeID: s.Episode.ID, TeamID: s.Episode.TeamID, VIP: s.VIP}
	queue, err := d.Queue(ctx)
	if err != nil {
		return err
	}
	for _, o := range queue {
		if o.TenantID == tenantID && o.TeamID == q.TeamID && o.ConversationID != conversationID {
			return nil
		}
	}
	cands, err := d.Candidates(ctx, tenantID, q.TeamID)
	if err != nil {
		return err
	}
	var facts []dispatch.Candidate
	for _, c := range cands {
		if c.AgentID == avoid {
			continue
		}
		f, err := d.maintain(ctx, tenantID, c.AgentID)
		if err != nil {
			return err
		}
		facts = append(facts, f)
	}
	for _, c := range dispatch.Rank(facts) {
		r, err := d.Reserve(ctx, q, c.AgentID)
		var de *domain.Error
		if errors.As(err, &de) || errors.Is(err, ErrConflict) {
			continue // the agent changed since it was read: the next one
		}
		if err != nil {
			return err
		}
		_, err = d.confirm(ctx, r)
		return err
	}
	return nil
}
