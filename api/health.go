package api

import (
	"context"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
)

type health struct {
	Status     string            `json:"status"`
	Checks     map[string]string `json:"checks,omitempty"`
	Projectors []ProjectorStatus `json:"projectors,omitempty"`
}

func (h *handlers) health(c echo.Context) error {
	return c.JSON(http.StatusOK, health{Status: "ok"})
}

// ready fails while a dependency does not answer or a projector has stopped
// on an event it could not apply: the read models would go stale silently.
func (h *handlers) ready(c echo.Context) error {
	ctx, cancel := context.WithTimeout(c.Request().Context(), 2*time.Second)
	defer cancel()
	out := health{Status: "ok", Checks: map[string]string{}}
	for name, check := range h.d.Checks {
		if err := check(ctx); err != nil {
			// The error's text may name hosts, users and databases: it
			// goes to the log only.
			h.d.Logger.Warn("readiness check failed", "check", name, "err", err)
			out.Status, out.Checks[name] = "unavailable", "unavailable"
		} else {
			out.Checks[name] = "ok"
		}
	}
	if h.d.Projectors != nil {
		out.Projectors = h.d.Projectors()
		for _, p := range out.Projectors {
			if p.Stopped {
				out.Status = "unavailable"
			}
		}
	}
	status := http.StatusOK
	if out.Status != "ok" {
		status = http.StatusServiceUnavailable
	}
	return c.JSON(status, out)
}
