package api

import (
	"net/http"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"supportd/commands"
	"supportd/domain"
	"supportd/domain/access"
	"supportd/domain/alarm"
	"supportd/readmodels"
)

func (h *handlers) alarmRoutes(g *echo.Group) {
	g.GET("/alarms", h.listAlarms, need(access.Monitor))
	g.POST("/alarms/processed", h.processAlarms, need(access.Monitor))
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
	if f.Processed, err = boolParam(c, "processed"); err != nil {
		return err
	}
	cl := callerOf(c)
	items, next, err := readmodels.ListAlarms(c.Request().Context(), h.d.Reads, cl.tenantID, f)
	if err != nil {
		return err
	}
	return page(c, items, next)
}

// processAlarms marks alarms processed: those named, or, with all, the
// oldest unprocessed ones (up to alarm.MaxBatch a call; the answer's
// "processed" says how many, so a console repeats until it is 0).
func (h *handlers) processAlarms(c echo.Context) error {
	m, err := meta(c)
	if err != nil {
		return err
	}
	var req struct {
		AlarmIDs []uuid.UUID `json:"alarm_ids"`
		All      bool        `json:"all"`
	}
	if err := c.Bind(&req); err != nil {
		return err
	}
	if err := h.awaitPosition(c); err != nil {
		return err
	}
	ctx, cl := c.Request().Context(), callerOf(c)
	ids := req.AlarmIDs
	if req.All {
		if ids, err = readmodels.UnprocessedAlarms(ctx, h.d.Reads, cl.tenantID, alarm.MaxBatch); err != nil {
			return err
		}
		if len(ids) == 0 {
			return c.JSON(http.StatusOK, map[string]any{"processed": 0, "events": 0})
		}
	} else {
		unknown, err := readmodels.UnknownAlarms(ctx, h.d.Reads, cl.tenantID, ids)
		if err != nil {
			return err
		}
		if len(unknown) > 0 {
			return domain.Errorf(domain.NotFound, "alarm.not_found", "alarm_ids", "no alarm %s", unknown[0])
		}
	}
	res, err := h.d.Commands.ProcessAlarms(ctx, m, commands.ProcessAlarms{TenantID: cl.tenantID, AlarmIDs: ids})
	if err != nil {
		return err
	}
	distinct := map[uuid.UUID]bool{}
	for _, id := range ids {
		distinct[id] = true
	}
	return c.JSON(http.StatusOK, map[string]any{"processed": len(distinct), "stream": res.Stream, "version": res.Version,
		"position": res.Position, "events": res.Events})
}
