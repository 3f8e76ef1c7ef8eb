package api

import (
	"context"
	"net/http"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"supportd/readmodels"
)

// The tenant's ordered rule lists (routing rules, keyword rules) are read
// alike: from a read model, each row shown as its API view.

// listRuleViews answers every rule of the caller's tenant, in order.
func listRuleViews[R, V any](h *handlers, c echo.Context,
	list func(context.Context, readmodels.Querier, uuid.UUID) ([]R, error), view func(R) (V, error)) error {
	if err := h.awaitPosition(c); err != nil {
		return err
	}
	rules, err := list(c.Request().Context(), h.d.Reads, callerOf(c).tenantID)
	if err != nil {
		return err
	}
	items := make([]V, 0, len(rules))
	for _, r := range rules {
		v, err := view(r)
		if err != nil {
			return err
		}
		items = append(items, v)
	}
	return c.JSON(http.StatusOK, map[string]any{"items": items})
}

// getRuleView answers the caller's tenant's rule named by the path's
// rule_id.
func getRuleView[R, V any](h *handlers, c echo.Context,
	get func(context.Context, readmodels.Querier, uuid.UUID, uuid.UUID) (R, error), view func(R) (V, error)) error {
	id, err := pathID(c, "rule_id")
	if err != nil {
		return err
	}
	if err := h.awaitPosition(c); err != nil {
		return err
	}
	r, err := get(c.Request().Context(), h.d.Reads, callerOf(c).tenantID, id)
	if err != nil {
		return err
	}
	v, err := view(r)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, v)
}
