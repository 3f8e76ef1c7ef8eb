package api

import (
	"crypto/subtle"
	"errors"
	"strings"

	"github.com/labstack/echo/v4"
)

var errUnauthorized = errors.New("unauthorized")

// authenticate admits requests bearing the operator token. Tenants' own
// users, roles and tokens replace it.
func authenticate(token string) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if c.Path() == "/v1/openapi.json" {
				return next(c)
			}
			got, ok := strings.CutPrefix(c.Request().Header.Get("Authorization"), "Bearer ")
			if !ok || token == "" || subtle.ConstantTimeCompare([]byte(got), []byte(token)) != 1 {
				c.Response().Header().Set("WWW-Authenticate", `Bearer realm="supportd"`)
				return errUnauthorized
			}
			return next(c)
		}
	}
}
