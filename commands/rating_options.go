package commands

import (
	"context"
	"encoding/json"

	"github.com/google/uuid"

	"supportd/domain/satisfaction"
	"supportd/domain/team"
	"supportd/domain/tenant"
	"supportd/eventschema"
)

// SetTeamRatingOptions sets a team's own rating options; nil Options
// returns the team to the tenant's.
type SetTeamRatingOptions struct {
	TenantID uuid.UUID
	TeamID   uuid.UUID
	Options  *eventschema.RatingOptions
}

// SetTeamRatingOptions handles the SetTeamRatingOptions command.
func (h *Handler) SetTeamRatingOptions(ctx context.Context, m Meta, c SetTeamRatingOptions) (Result, error) {
	m.TenantID = c.TenantID
	return Execute(ctx, h, m, teamAggregate(m.TenantID, c.TeamID), func(s team.State) ([]any, error) {
		return team.SetRatingOptions(s, c.TenantID, c.Options)
	})
}

// RatingOptions are the options in force for a conversation routed to
// teamID (zero: none): the team's own (own true), else the tenant's
// rating.options. They are read from the streams, so a change applies at
// once.
func (h *Handler) RatingOptions(ctx context.Context, tenantID, teamID uuid.UUID) (o eventschema.RatingOptions, own bool, err error) {
	if teamID != uuid.Nil {
		tm, err := load(ctx, h, teamAggregate(tenantID, teamID), uuid.Nil)
		if err != nil {
			return o, false, err
		}
		if tm.state.TenantID == tenantID && !tm.state.Deleted && tm.state.RatingOptions != nil {
			return *tm.state.RatingOptions, true, nil
		}
	}
	t, err := load(ctx, h, tenantAggregate(tenantID), uuid.Nil)
	if err != nil {
		return o, false, err
	}
	return tenantRatingOptions(t.state), false, nil
}

func tenantRatingOptions(t tenant.State) eventschema.RatingOptions {
	if raw, ok := t.Setting("rating.options"); ok {
		var o eventschema.RatingOptions
		if json.Unmarshal(raw, &o) == nil {
			return o
		}
	}
	return satisfaction.Default()
}

// ConversationRatingOptions are the options a conversation's customer is
// offered, within scope.
func (h *Handler) ConversationRatingOptions(ctx context.Context, sc Scope, conversationID uuid.UUID) (eventschema.RatingOptions, error) {
	c, err := load(ctx, h, conversationAggregate(sc.TenantID, conversationID), uuid.Nil)
	if err != nil {
		return eventschema.RatingOptions{}, err
	}
	if err := sc.check(c.state); err != nil {
		return eventschema.RatingOptions{}, err
	}
	o, _, err := h.RatingOptions(ctx, sc.TenantID, c.state.TeamID)
	return o, err
}
