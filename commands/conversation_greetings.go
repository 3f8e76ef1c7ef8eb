package commands

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"

	"supportd/domain/conversation"
	"supportd/domain/tenant"
	"supportd/domain/timeplan"
	"supportd/eventschema"
)

// GreetJoined sends the greetings of the agent serving a conversation now:
// the greeting of the team the conversation is routed to, then the agent's
// own, with ##dear## replaced by the customer's name or the tenant's
// greetings.default_address; none on a transfer when
// transfer.skip_greetings is on (conversation.Greetings). The messages'
// IDs derive from the segment, so greeting one segment twice sends once:
// every way an agent joins (the queue, the dispatcher, transfers) calls it
// after its join is recorded.
func (h *Handler) GreetJoined(ctx context.Context, m Meta, sc Scope, conversationID uuid.UUID) (Result, error) {
	t, err := load(ctx, h, tenantAggregate(sc.TenantID), uuid.Nil)
	if err != nil {
		return Result{}, err
	}
	address := defaultAddressOf(t.state)
	skip := t.state.SettingBool("transfer.skip_greetings")
	c, err := load(ctx, h, conversationAggregate(sc.TenantID, conversationID), uuid.Nil)
	if err != nil {
		return Result{}, err
	}
	seg, team := c.state.Segment, c.state.TeamID
	g := conversation.Greeting{DefaultAddress: address, SkipOnTransfer: skip, How: seg.How, AfterTransfer: seg.AfterTransfer}
	planID := uuid.Nil
	if team != uuid.Nil {
		tm, err := load(ctx, h, teamAggregate(sc.TenantID, team), uuid.Nil)
		if err != nil {
			return Result{}, err
		}
		if tm.state.TenantID == sc.TenantID && !tm.state.Deleted {
			g.TeamGreeting, planID = tm.state.Greeting, tm.state.PlanID
		}
	}
	if seg.AgentID != uuid.Nil {
		a, err := load(ctx, h, agentAggregate(sc.TenantID, seg.AgentID), uuid.Nil)
		if err != nil {
			return Result{}, err
		}
		g.AgentGreeting = a.state.Profile.Greeting
		// With personal working hours, the agent's own plan says whether
		// the agent greets.
		if a.state.PlanID != uuid.Nil && settingString(t.state, "dispatch.working_hours_source") == "agent" {
			planID = a.state.PlanID
		}
	}
	if g.OffHours, err = h.offHours(ctx, sc.TenantID, planID, t.state.TimeZone); err != nil {
		return Result{}, err
	}
	return onConversation(ctx, h, m, sc, conversationID, func(s conversation.State) ([]any, error) {
		if s.Segment.ID == uuid.Nil || s.Segment.ID != seg.ID {
			// Nobody serves, or another agent took over meanwhile: that
			// join greets on its own.
			return nil, nil
		}
		g.CustomerName = s.CustomerName
		return conversation.SendNotices(s, s.Segment.ID, conversation.Greetings(g))
	})
}

// offHours reports whether now is outside the working hours of plan (the
// tenant's default plan when zero) in the tenant's time zone. Without any
// plan, every hour is a working hour.
func (h *Handler) offHours(ctx context.Context, tenantID, planID uuid.UUID, timeZone string) (bool, error) {
	if planID == uuid.Nil {
		d, err := load(ctx, h, defaultsAggregate(tenantID), uuid.Nil)
		if err != nil {
			return false, err
		}
		planID = d.state.Plan
	}
	if planID == uuid.Nil {
		return false, nil
	}
	p, err := load(ctx, h, timePlanAggregate(tenantID, planID), uuid.Nil)
	if err != nil || !p.state.Live(tenantID) {
		return false, err
	}
	plan, _, err := timeplan.ParseSchedule(p.state.Schedule)
	if err != nil {
		return false, fmt.Errorf("time plan %s: %w", planID, err)
	}
	loc, err := time.LoadLocation(timeZone)
	if err != nil {
		loc = time.UTC
	}
	return !plan.IsWorkingTime(h.clock.Now(), loc), nil
}

// greetAfter follows a command that may have let an agent join: when it
// succeeded, the joined agent's greetings are sent (once per segment: a
// command that opened no segment re-greets the current one, which sends
// nothing new). A failed greeting fails the request, so a client retry
// with the same Idempotency-Key sends it; the join itself is not repeated.
func (h *Handler) greetAfter(ctx context.Context, m Meta, sc Scope, conversationID uuid.UUID, res Result, err error) (Result, error) {
	if err != nil || res.Events == 0 {
		return res, err
	}
	gm := Meta{TenantID: sc.TenantID, Actor: eventschema.Actor{Kind: eventschema.ActorSystem, ID: "greetings"},
		CommandID: uuid.NewSHA1(m.CommandID, []byte("greet")), CorrelationID: m.CommandID, CausationID: m.CommandID}
	g, err := h.GreetJoined(ctx, gm, sc, conversationID)
	if err != nil {
		return res, fmt.Errorf("greet joined agent: %w", err)
	}
	if g.Events > 0 {
		res.Version, res.Position = g.Version, g.Position
		res.Events += g.Events
	}
	return res, nil
}

// defaultAddress is the tenant's greetings.default_address: what ##dear##
// becomes for a customer without a valid nickname.
func (h *Handler) defaultAddress(ctx context.Context, tenantID uuid.UUID) (string, error) {
	t, err := load(ctx, h, tenantAggregate(tenantID), uuid.Nil)
	if err != nil {
		return "", err
	}
	return defaultAddressOf(t.state), nil
}

func defaultAddressOf(t tenant.State) string {
	var address string
	if raw, ok := t.Setting("greetings.default_address"); ok {
		_ = json.Unmarshal(raw, &address)
	}
	return address
}
