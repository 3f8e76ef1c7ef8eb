// Package domain holds every business rule of supportd, once. Its
// subpackages are aggregates: each folds its events into a state and decides
// which new events a command produces. Nothing here does I/O, reads the
// clock or logs; time and IDs arrive as arguments.
package domain

import (
	"errors"
	"fmt"
)

// Kind classifies a rule violation. The API maps kinds to HTTP statuses in
// one place.
type Kind int

// The kinds of rule violations.
const (
	// Invalid: the command's input breaks a rule (HTTP 422).
	Invalid Kind = iota + 1
	// NotFound: the command names something that does not exist (HTTP 404).
	NotFound
	// Conflict: the current state does not allow the command (HTTP 409).
	Conflict
	// Forbidden: the actor may not do this (HTTP 403).
	Forbidden
)

func (k Kind) String() string {
	switch k {
	case Invalid:
		return "invalid"
	case NotFound:
		return "not found"
	case Conflict:
		return "conflict"
	case Forbidden:
		return "forbidden"
	}
	return "unknown"
}

// Error is a rule violation. Code is stable and machine-readable
// ("tenant.exists"); Field names the offending input, if one does.
type Error struct {
	Kind    Kind
	Code    string
	Field   string
	Message string
}

func (e *Error) Error() string {
	if e.Field != "" {
		return fmt.Sprintf("%s: %s", e.Field, e.Message)
	}
	return e.Message
}

// Errorf returns a rule violation of kind with a formatted message.
func Errorf(kind Kind, code, field, format string, args ...any) *Error {
	return &Error{Kind: kind, Code: code, Field: field, Message: fmt.Sprintf(format, args...)}
}

// KindOf returns the kind of the rule violation in err's chain, or 0.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return 0
}
