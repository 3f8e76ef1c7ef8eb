package main

import (
	"context"
	"time"

	"github.com/google/uuid"

	"supportd/commands"
	"supportd/domain/dispatch"
	"supportd/readmodels"
)

// readModelDispatcher is the dispatcher as a server runs it, fed by the
// read models: the queue, a team's enabled members with their ranking facts
// and working hours, the tenant's dispatch settings, customers' familiar
// agents and the slots to settle.
func readModelDispatcher(h *commands.Handler, pool readmodels.Querier) *commands.Dispatcher {
	return &commands.Dispatcher{
		Handler: h, Clock: commands.SystemClock{},
		Queue: func(ctx context.Context) ([]commands.QueuedConversation, error) {
			rows, err := readmodels.DispatchQueue(ctx, pool)
			out := make([]commands.QueuedConversation, len(rows))
			for i, r := range rows {
				out[i] = commands.QueuedConversation(r)
			}
			return out, err
		},
		Candidates: func(ctx context.Context, tenantID, teamID uuid.UUID) ([]commands.Candidate, error) {
			t, err := readmodels.GetDispatchTeam(ctx, pool, tenantID, teamID)
			if err != nil {
				return nil, err
			}
			members := make([]commands.Candidate, len(t.Members))
			for i, m := range t.Members {
				members[i] = commands.Candidate(m)
			}
			return commands.TeamCandidates(members, commands.Hours{TeamOnly: t.HoursOnly, Personal: t.PersonalHours,
				TimeZone: t.TimeZone, Schedule: t.Schedule}, time.Now())
		},
		Policy: func(ctx context.Context, tenantID uuid.UUID) (dispatch.Policy, error) {
			settings, err := readmodels.DispatchSettings(ctx, pool, tenantID)
			return commands.PolicyOf(settings), err
		},
		Familiarity: func(ctx context.Context, tenantID, customerID uuid.UUID) ([]dispatch.Served, error) {
			rows, err := readmodels.CustomerFamiliarity(ctx, pool, tenantID, customerID)
			out := make([]dispatch.Served, len(rows))
			for i, r := range rows {
				out[i] = dispatch.Served{AgentID: r.AgentID, Conversations: r.Conversations, Last: r.LastServedAt}
			}
			return out, err
		},
		Unsettled: func(ctx context.Context, reservedBefore time.Time) ([]commands.SlotRef, error) {
			rows, err := readmodels.UnsettledSlots(ctx, pool, reservedBefore)
			out := make([]commands.SlotRef, len(rows))
			for i, r := range rows {
				out[i] = commands.SlotRef(r)
			}
			return out, err
		},
	}
}
