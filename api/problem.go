package api

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"supportd/commands"
	"supportd/domain"
	"supportd/eventstore"
	"supportd/eventstore/postgres"
	"supportd/projections"
	"supportd/readmodels"
)

// Problem is an RFC 9457 problem document. Type is stable: clients switch
// on it (or on Code, the domain rule's name), never on Detail.
type Problem struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail,omitempty"`
	Code   string `json:"code,omitempty"`
	Field  string `json:"field,omitempty"`
	// Errors lists the items of a multi-item input that broke a rule (the
	// rows of a CSV import, by line number).
	Errors any `json:"errors,omitempty"`
	// retryAfter, in seconds, is sent as Retry-After when set.
	retryAfter int
}

// itemErrors is a rule violation about several items of one input.
type itemErrors interface{ Details() any }

const problemBase = "https://supportd.dev/problems/"

// ErrNotFound answers a request for something that does not exist (or
// that the caller may not know exists).
var ErrNotFound = errors.New("not found")

// problemFor maps every error to its HTTP problem. It is the one place where
// domain and store errors become statuses.
func problemFor(err error) Problem {
	var de *domain.Error
	var he *echo.HTTPError
	var wv *eventstore.WrongVersionError
	var tm *tooManyRequests
	switch {
	case errors.As(err, &tm):
		return Problem{Type: "too-many-requests", Title: "Too many requests", Status: http.StatusTooManyRequests, Code: tm.code, Detail: tm.detail,
			retryAfter: tm.retryAfterSeconds()}
	case errors.As(err, &de):
		p := Problem{Detail: de.Error(), Code: de.Code, Field: de.Field}
		var ie itemErrors
		if errors.As(err, &ie) {
			p.Errors = ie.Details()
		}
		switch de.Kind {
		case domain.Invalid:
			p.Type, p.Title, p.Status = "validation", "Invalid input", http.StatusUnprocessableEntity
		case domain.NotFound:
			p.Type, p.Title, p.Status = "not-found", "Not found", http.StatusNotFound
		case domain.Forbidden:
			p.Type, p.Title, p.Status = "forbidden", "Forbidden", http.StatusForbidden
		default:
			p.Type, p.Title, p.Status = "conflict", "Conflict with the current state", http.StatusConflict
		}
		return p
	case errors.Is(err, commands.ErrVersionMismatch):
		return Problem{Type: "precondition-failed", Title: "The resource changed", Status: http.StatusPreconditionFailed, Detail: err.Error()}
	case errors.As(err, &wv), errors.Is(err, commands.ErrConflict):
		return Problem{Type: "concurrent-update", Title: "Concurrent update", Status: http.StatusConflict, Detail: "the resource was changed by another request; try again"}
	case errors.Is(err, readmodels.ErrInvalidFilter):
		return Problem{Type: "validation", Title: "Invalid input", Status: http.StatusUnprocessableEntity, Detail: err.Error()}
	case errors.Is(err, ErrNotFound), errors.Is(err, readmodels.ErrNotFound), errors.Is(err, commands.ErrForeignStream):
		// Another tenant's stream answers as if it did not exist.
		return Problem{Type: "not-found", Title: "Not found", Status: http.StatusNotFound}
	case errors.Is(err, errUnauthorized):
		return Problem{Type: "unauthorized", Title: "Authentication required", Status: http.StatusUnauthorized}
	case errors.Is(err, errStarting):
		return Problem{Type: "unavailable", Title: "Service unavailable", Status: http.StatusServiceUnavailable,
			Detail: "the service is starting; try again shortly", retryAfter: 1}
	case errors.Is(err, context.DeadlineExceeded):
		return Problem{Type: "timeout", Title: "Timed out", Status: http.StatusServiceUnavailable, retryAfter: 1}
	case errors.Is(err, errTooManyStreams):
		return Problem{Type: "too-many-streams", Title: "Too many live streams", Status: http.StatusTooManyRequests,
			Detail: "close another live stream first", retryAfter: 5}
	case errors.As(err, &he):
		p := Problem{Type: "http", Title: http.StatusText(he.Code), Status: he.Code}
		if msg, ok := he.Message.(string); ok && msg != http.StatusText(he.Code) {
			p.Detail = msg
		}
		if he.Code == http.StatusBadRequest || he.Code == http.StatusUnprocessableEntity {
			p.Type = "validation"
		}
		return p
	case errors.Is(err, projections.ErrStopped):
		// A read model this request waits for is not kept up to date.
		return Problem{Type: "unavailable", Title: "Service unavailable", Status: http.StatusServiceUnavailable,
			Detail: "a read model is not being updated; see /readyz", retryAfter: 30}
	case databaseUnavailable(err):
		return Problem{Type: "unavailable", Title: "Service unavailable", Status: http.StatusServiceUnavailable,
			Detail: "the database cannot be reached; try again shortly", retryAfter: 1}
	}
	return Problem{Type: "internal", Title: "Internal error", Status: http.StatusInternalServerError}
}

// databaseUnavailable reports whether err says that the database is away
// rather than that the request was wrong: the caller may try again.
func databaseUnavailable(err error) bool { return postgres.Unavailable(err) }

// errorHandler writes every error as problem+json.
func errorHandler(log *slog.Logger) echo.HTTPErrorHandler {
	return func(err error, c echo.Context) {
		if c.Response().Committed {
			return
		}
		p := problemFor(err)
		if p.Status >= 500 {
			log.Error("request failed", "method", c.Request().Method, "path", c.Path(), "err", err)
		}
		p.Type = problemBase + p.Type
		if p.retryAfter > 0 {
			c.Response().Header().Set("Retry-After", strconv.Itoa(p.retryAfter))
		}
		c.Response().Header().Set(echo.HeaderContentType, "application/problem+json")
		c.Response().WriteHeader(p.Status)
		_ = json.NewEncoder(c.Response()).Encode(p)
	}
}
