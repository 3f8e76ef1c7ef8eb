package api

import (
	"github.com/labstack/echo/v4"

	"supportd/domain/access"
	"supportd/readmodels"
)

func (h *handlers) alarmRoutes(g *echo.Group) {
	g.GET("/alarms", h.listAlarms, need(access.Monitor))
}

// listAlarms lists the alerts raised for the tenant's administrators,
// newest first, filtered by kind, minimum level, conversation and time.
func (h *handlers) listAlarms(c echo.Context) error {
	if err := h.awaitPosition(c); err != nil {
		return err
	}
	f := readmodels.AlarmFilter{Kind: c.QueryParam("kind")}
	var err error
	if f.After, f.Limit, err = pageParams(c); err != nil {
		return err
	}
	if f.MinLevel, err = queryInt(c, "min_level"); err != nil {
		return err
	}
	if f.ConversationID, err = queryUUID(c, "conversation_id"); err != nil {
		return err
	}
	if f.Since, err = queryTime(c, "since"); err != nil {
		return err
	}
	cl := callerOf(c)
	items, next, err := readmodels.ListAlarms(c.Request().Context(), h.d.Reads, cl.tenantID, f)
	if err != nil {
		return err
	}
	return page(c, items, next)
}
