package eventschema

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"sort"

	"github.com/google/uuid"
)

// ErrUnknownType is returned for an event type name, or a Go type, that the
// registry does not know.
var ErrUnknownType = errors.New("unknown event type")

// Upcaster lifts the JSON of one schema version to the next one.
type Upcaster func(old json.RawMessage) (json.RawMessage, error)

// Type describes one registered event type in its current version.
type Type struct {
	Name    string
	Version int
	GoType  reflect.Type
}

// Registry maps event type names and schema versions to Go payload types.
// It is built once at start-up and read concurrently afterwards.
type Registry struct {
	byName    map[string]Type
	byGoType  map[reflect.Type]Type
	upcasters map[string]map[int]Upcaster // name → from-version → upcaster
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry {
	return &Registry{
		byName:    map[string]Type{},
		byGoType:  map[reflect.Type]Type{},
		upcasters: map[string]map[int]Upcaster{},
	}
}

// Register adds payload type T under name at its current schema version.
// Registering a name or a Go type twice is a programming error and panics.
func Register[T any](r *Registry, name string, version int) {
	t := reflect.TypeFor[T]()
	if t.Kind() != reflect.Struct {
		panic(fmt.Sprintf("eventschema: %s: payload %s is not a struct", name, t))
	}
	if _, dup := r.byName[name]; dup {
		panic("eventschema: duplicate event type " + name)
	}
	if _, dup := r.byGoType[t]; dup {
		panic(fmt.Sprintf("eventschema: Go type %s registered twice", t))
	}
	if version < 1 {
		panic("eventschema: versions start at 1: " + name)
	}
	et := Type{Name: name, Version: version, GoType: t}
	r.byName[name] = et
	r.byGoType[t] = et
}

// AddUpcaster registers fn as the step from version from to from+1 of name.
func (r *Registry) AddUpcaster(name string, from int, fn Upcaster) {
	if r.upcasters[name] == nil {
		r.upcasters[name] = map[int]Upcaster{}
	}
	r.upcasters[name][from] = fn
}

// Types lists the registered types sorted by name.
func (r *Registry) Types() []Type {
	out := make([]Type, 0, len(r.byName))
	for _, t := range r.byName {
		out = append(out, t)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Lookup returns the registered type called name.
func (r *Registry) Lookup(name string) (Type, bool) {
	t, ok := r.byName[name]
	return t, ok
}

// Encode turns a payload into a Proposed event carrying md.
func (r *Registry) Encode(id uuid.UUID, payload any, md Metadata) (Proposed, error) {
	t := reflect.TypeOf(payload)
	if t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	et, ok := r.byGoType[t]
	if !ok {
		return Proposed{}, fmt.Errorf("encode %v: %w", t, ErrUnknownType)
	}
	data, err := json.Marshal(payload)
	if err != nil {
		return Proposed{}, fmt.Errorf("encode %s: %w", et.Name, err)
	}
	return Proposed{ID: id, Type: et.Name, Version: et.Version, Data: data, Metadata: md}, nil
}

// Decode returns the payload of e as a value of its registered Go type,
// upcasting old schema versions first.
func (r *Registry) Decode(e Envelope) (any, error) {
	et, ok := r.byName[e.Type]
	if !ok {
		return nil, fmt.Errorf("decode %s: %w", e.Type, ErrUnknownType)
	}
	data, err := r.Upcast(e.Type, e.Version, e.Data)
	if err != nil {
		return nil, err
	}
	v := reflect.New(et.GoType)
	if err := json.Unmarshal(data, v.Interface()); err != nil {
		return nil, fmt.Errorf("decode %s v%d: %w", e.Type, et.Version, err)
	}
	return v.Elem().Interface(), nil
}

// Upcast lifts data of the given schema version of name to the current one.
func (r *Registry) Upcast(name string, version int, data json.RawMessage) (json.RawMessage, error) {
	et, ok := r.byName[name]
	if !ok {
		return nil, fmt.Errorf("upcast %s: %w", name, ErrUnknownType)
	}
	if version > et.Version {
		return nil, fmt.Errorf("upcast %s: stored version %d is newer than known version %d", name, version, et.Version)
	}
	for v := version; v < et.Version; v++ {
		up, ok := r.upcasters[name][v]
		if !ok {
			return nil, fmt.Errorf("upcast %s: no upcaster from version %d", name, v)
		}
		var err error
		if data, err = up(data); err != nil {
			return nil, fmt.Errorf("upcast %s from version %d: %w", name, v, err)
		}
	}
	return data, nil
}
