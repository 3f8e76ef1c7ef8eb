package commands

import (
	"context"
	"encoding/json"

	"github.com/google/uuid"

	"supportd/domain"
	"supportd/domain/tenant"
)

// ChangeTenantSetting sets one function switch or timeout of a tenant.
type ChangeTenantSetting struct {
	TenantID uuid.UUID
	Key      string
	Value    json.RawMessage
}

// ChangeTenantSetting handles the ChangeTenantSetting command. A setting
// that names a team or a robot must name one of the tenant's.
func (h *Handler) ChangeTenantSetting(ctx context.Context, m Meta, c ChangeTenantSetting) (Result, error) {
	if err := h.checkSettingReference(ctx, c); err != nil {
		return Result{}, err
	}
	m.TenantID = c.TenantID
	return Execute(ctx, h, m, tenantAggregate(c.TenantID), func(s tenant.State) ([]any, error) {
		return tenant.ChangeSetting(s, c.Key, c.Value)
	})
}

// settingReferences are the settings whose value names an object, by the
// kind of object.
var settingReferences = map[string]string{
	"routing.default_team_id": "team", "robot.agent_team_id": "team", "robot.robot_id": "robot",
}

// checkSettingReference refuses a setting naming a team or robot the
// tenant does not have (an empty value names none and passes).
func (h *Handler) checkSettingReference(ctx context.Context, c ChangeTenantSetting) error {
	kind, ok := settingReferences[c.Key]
	if !ok {
		return nil
	}
	var v string
	if json.Unmarshal(c.Value, &v) != nil {
		return nil // not a string: the setting's own check refuses it
	}
	id, err := uuid.Parse(v)
	if err != nil || id == uuid.Nil {
		return nil
	}
	switch kind {
	case "team":
		t, err := load(ctx, h, teamAggregate(c.TenantID, id), uuid.Nil)
		if err != nil {
			return err
		}
		if t.state.Exists && !t.state.Deleted && t.state.TenantID == c.TenantID {
			return nil
		}
	case "robot":
		r, err := load(ctx, h, robotsAggregate(c.TenantID), uuid.Nil)
		if err != nil {
			return err
		}
		if _, ok := r.state.Robots[id]; ok {
			return nil
		}
	}
	return domain.Errorf(domain.Invalid, "setting.reference", "value", "no such %s %s", kind, id)
}
