package api

import (
	"crypto/subtle"
	"fmt"
	"net"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
)

// securityHeaders tells browsers not to sniff types, frame the API or leak
// its addresses in Referer, on every response; and never to store what the
// API answers (tokens, keys, personal data) in a cache.
func securityHeaders(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		h := c.Response().Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
		h.Set("Referrer-Policy", "no-referrer")
		if strings.HasPrefix(c.Request().URL.Path, "/v1/") && c.Request().URL.Path != "/v1/openapi.json" {
			h.Set("Cache-Control", "no-store")
		}
		return next(c)
	}
}

// IPExtractor answers how the client's address is found: the connection's
// peer, or X-Forwarded-For when (and only when) the peer is one of the
// trusted proxies. Without trusted proxies, X-Forwarded-For and X-Real-IP
// are ignored: any client could name any address in them.
func IPExtractor(trusted []*net.IPNet) echo.IPExtractor {
	if len(trusted) == 0 {
		return echo.ExtractIPDirect()
	}
	opts := []echo.TrustOption{echo.TrustLoopback(false), echo.TrustLinkLocal(false), echo.TrustPrivateNet(false)}
	for _, n := range trusted {
		opts = append(opts, echo.TrustIPRange(n))
	}
	return echo.ExtractIPFromXFFHeader(opts...)
}

// ParseCIDRs reads a comma-separated list of CIDR ranges (a bare address is
// its own range).
func ParseCIDRs(list string) ([]*net.IPNet, error) {
	var out []*net.IPNet
	for _, s := range strings.Split(list, ",") {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		if !strings.Contains(s, "/") {
			if ip := net.ParseIP(s); ip != nil {
				if ip.To4() != nil {
					s += "/32"
				} else {
					s += "/128"
				}
			}
		}
		_, n, err := net.ParseCIDR(s)
		if err != nil {
			return nil, fmt.Errorf("trusted proxy %q: want an address or CIDR range", s)
		}
		out = append(out, n)
	}
	return out, nil
}

// metricsAuth admits scrapes that bear the metrics token (or, without one,
// the operator token): metrics name tenants' activity and the server's
// internals.
func (h *handlers) metricsAuth(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		want := h.d.MetricsToken
		if want == "" {
			want = h.d.OperatorToken
		}
		token, ok := strings.CutPrefix(c.Request().Header.Get("Authorization"), "Bearer ")
		if !ok || want == "" || subtle.ConstantTimeCompare([]byte(token), []byte(want)) != 1 {
			c.Response().Header().Set("WWW-Authenticate", `Bearer realm="supportd metrics"`)
			return echo.NewHTTPError(http.StatusUnauthorized, "metrics need the metrics token")
		}
		return next(c)
	}
}
