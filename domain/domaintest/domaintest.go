// Package domaintest runs the domain's given/when/then cases: the given
// events fold into a state, the decision runs on it, and what it decides
// (events, or a refusal with a domain error code) is compared with what
// the case expects. Events compare by type and JSON, as they are stored.
package domaintest

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"

	"supportd/domain"
)

// Case is one given/when/then case on a state S.
type Case[S any] struct {
	Name  string
	Given []any
	When  func(S) ([]any, error)
	Then  []any
	// Code is the code of the domain error the decision refuses with
	// ("": it decides Then); Field, if set, the field the error names.
	Code, Field string
}

// Given folds events into a state with evolve.
func Given[S any](evolve func(S, any) S, events ...any) S {
	var s S
	for _, e := range events {
		s = evolve(s, e)
	}
	return s
}

// Run runs the case as a subtest of t.
func (c Case[S]) Run(t *testing.T, evolve func(S, any) S) {
	t.Helper()
	t.Run(c.Name, func(t *testing.T) {
		got, err := c.When(Given(evolve, c.Given...))
		if c.Code != "" {
			var de *domain.Error
			if !errors.As(err, &de) || de.Code != c.Code || (c.Field != "" && de.Field != c.Field) {
				t.Fatalf("err = %v, want %s (field %q)", err, c.Code, c.Field)
			}
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		if g, w := AsJSON(got), AsJSON(c.Then); !reflect.DeepEqual(g, w) {
			t.Errorf("events\n got %v\nwant %v", g, w)
		}
	})
}

// AsJSON renders events as their type name followed by their JSON.
func AsJSON(events []any) []string {
	out := make([]string, len(events))
	for i, e := range events {
		b, _ := json.Marshal(e)
		out[i] = reflect.TypeOf(e).Name() + string(b)
	}
	return out
}
