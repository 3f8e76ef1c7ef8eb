package api

import (
	"errors"
	"log/slog"
	"net/http"

	"github.com/labstack/echo/v4"
)

// errStarting answers the requests that come before the service has
// reached its database.
var errStarting = errors.New("the service is starting")

// Starting is the handler served while the service cannot reach its
// database yet (it keeps trying): /healthz answers 200, since the process
// is alive and needs no restart; /readyz and every other route answer 503
// with Retry-After, in the same problem shape as the API's.
func Starting(log *slog.Logger) http.Handler {
	if log == nil {
		log = slog.Default()
	}
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = errorHandler(log)
	e.Use(securityHeaders)
	e.GET("/healthz", func(c echo.Context) error { return c.JSON(http.StatusOK, health{Status: "starting"}) })
	e.GET("/readyz", func(c echo.Context) error {
		c.Response().Header().Set("Retry-After", "1")
		return c.JSON(http.StatusServiceUnavailable, health{Status: "starting"})
	})
	e.Any("/*", func(echo.Context) error { return errStarting })
	return e
}
