package eventschema_test

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"supportd/eventschema"
)

type otherEvent struct {
	N int `json:"n"`
}

func TestRegisterRejectsMistakes(t *testing.T) {
	tests := []struct {
		name      string
		register  func(r *eventschema.Registry)
		wantPanic string
	}{
		{"struct payload", func(r *eventschema.Registry) { eventschema.Register[otherEvent](r, "Other", 1) }, ""},
		{"pointer payload", func(r *eventschema.Registry) { eventschema.Register[*otherEvent](r, "Other", 1) }, "is not a struct"},
		{"non-struct payload", func(r *eventschema.Registry) { eventschema.Register[string](r, "Other", 1) }, "is not a struct"},
		{"duplicate name", func(r *eventschema.Registry) { eventschema.Register[otherEvent](r, "Thing", 1) }, "duplicate event type Thing"},
		{"Go type twice", func(r *eventschema.Registry) { eventschema.Register[thingV3](r, "Thing2", 1) }, "registered twice"},
		{"version zero", func(r *eventschema.Registry) { eventschema.Register[otherEvent](r, "Other", 0) }, "versions start at 1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := thingRegistry(nil)
			got := func() (msg string) {
				defer func() {
					if p := recover(); p != nil {
						msg = p.(string)
					}
				}()
				tc.register(r)
				return ""
			}()
			if (tc.wantPanic == "") != (got == "") || !strings.Contains(got, tc.wantPanic) {
				t.Fatalf("panic %q, want %q", got, tc.wantPanic)
			}
		})
	}
}

func TestRegistryListsTypes(t *testing.T) {
	r := thingRegistry(nil)
	eventschema.Register[otherEvent](r, "Other", 1)
	want := []eventschema.Type{
		{Name: "Other", Version: 1, GoType: reflect.TypeFor[otherEvent]()},
		{Name: "Thing", Version: 3, GoType: reflect.TypeFor[thingV3]()},
	}
	if got := r.Types(); !reflect.DeepEqual(got, want) {
		t.Fatalf("Types() = %v, want %v", got, want)
	}
	if _, ok := r.Lookup("Nope"); ok {
		t.Fatal("Lookup found an unregistered type")
	}
}

func TestEncode(t *testing.T) {
	id := uuid.MustParse("0190f3b0-4c1a-7d2e-9a10-000000000001")
	md := eventschema.Metadata{
		TenantID:   uuid.MustParse("0190f3b0-0000-7000-8000-000000000001"),
		Actor:      eventschema.Actor{Kind: eventschema.ActorAgent, ID: "a-1"},
		OccurredAt: time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC),
	}
	thing := thingV3{ID: "t-1", Title: "Printer on fire", Priority: 1, Channel: "web"}
	const thingJSON = `{"id":"t-1","title":"Printer on fire","priority":1,"channel":"web"}`
	tests := []struct {
		name     string
		payload  any
		wantData string
		wantErr  error
	}{
		{"value", thing, thingJSON, nil},
		{"pointer", &thing, thingJSON, nil},
		{"unregistered Go type", otherEvent{N: 1}, "", eventschema.ErrUnknownType},
		{"unregistered pointer", &otherEvent{}, "", eventschema.ErrUnknownType},
		{"nil", nil, "", eventschema.ErrUnknownType},
		{"not a struct", "Thing", "", eventschema.ErrUnknownType},
	}
	r := thingRegistry(nil)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := r.Encode(id, tc.payload, md)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("error %v, want %v", err, tc.wantErr)
			}
			if err != nil {
				return
			}
			want := eventschema.Proposed{ID: id, Type: "Thing", Version: 3, Data: json.RawMessage(tc.wantData), Metadata: md}
			if !reflect.DeepEqual(p, want) {
				t.Fatalf("Encode = %+v (data %s), want %+v", p, p.Data, want)
			}
		})
	}
}

// TestDecodeAndUpcast covers every path of Decode and Upcast on a type at
// version 3, whose older versions are lifted by a chain of two upcasters.
func TestDecodeAndUpcast(t *testing.T) {
	want := thingV3{ID: "t-1", Title: "Printer on fire", Priority: 1, Channel: "web"}
	const (
		v1 = `{"id":"t-1","name":"Printer on fire","urgent":true}`
		v2 = `{"id":"t-1","title":"Printer on fire","priority":1}`
		v3 = `{"id":"t-1","title":"Printer on fire","priority":1,"channel":"web"}`
	)
	failing := func(json.RawMessage) (json.RawMessage, error) { return nil, errors.New("boom") }
	tests := []struct {
		name    string
		ups     map[int]eventschema.Upcaster // nil: the full chain
		typ     string
		version int
		data    string
		want    any
		wantErr string
	}{
		{name: "current version", typ: "Thing", version: 3, data: v3, want: want},
		{name: "one step", typ: "Thing", version: 2, data: v2, want: want},
		{name: "chain of two steps", typ: "Thing", version: 1, data: v1, want: want},
		{name: "not urgent", typ: "Thing", version: 1, data: `{"id":"t-2","name":"Slow","urgent":false}`,
			want: thingV3{ID: "t-2", Title: "Slow", Priority: 3, Channel: "web"}},
		{name: "unknown type", typ: "Nope", version: 1, data: `{}`, wantErr: "unknown event type"},
		{name: "newer than known version", typ: "Thing", version: 4, data: v3,
			wantErr: "stored version 4 is newer than known version 3"},
		{name: "missing first step", ups: map[int]eventschema.Upcaster{2: thingV2toV3}, typ: "Thing", version: 1, data: v1,
			wantErr: "no upcaster from version 1"},
		{name: "missing last step", ups: map[int]eventschema.Upcaster{1: thingV1toV2}, typ: "Thing", version: 1, data: v1,
			wantErr: "no upcaster from version 2"},
		{name: "missing step not needed", ups: map[int]eventschema.Upcaster{2: thingV2toV3}, typ: "Thing", version: 2, data: v2, want: want},
		{name: "failing step", ups: map[int]eventschema.Upcaster{1: thingV1toV2, 2: failing}, typ: "Thing", version: 1, data: v1,
			wantErr: "upcast Thing from version 2: boom"},
		{name: "payload not of the type", typ: "Thing", version: 3, data: `{"priority":"high"}`,
			wantErr: "decode Thing v3"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := thingRegistry(tc.ups)
			got, err := r.Decode(eventschema.Envelope{Type: tc.typ, Version: tc.version, Data: json.RawMessage(tc.data)})
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("Decode error %v, want %q", err, tc.wantErr)
				}
				if tc.typ == "Nope" && !errors.Is(err, eventschema.ErrUnknownType) {
					t.Fatalf("Decode error %v is not ErrUnknownType", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("Decode = %#v, want %#v", got, tc.want)
			}
			up, err := r.Upcast(tc.typ, tc.version, json.RawMessage(tc.data))
			if err != nil {
				t.Fatal(err)
			}
			if !jsonEqual(up, mustJSON(tc.want)) {
				t.Fatalf("Upcast = %s, want %s", up, mustJSON(tc.want))
			}
		})
	}
}

// TestUpcastCurrentVersionIsIdentity makes sure events already in the
// current shape are passed through untouched, byte for byte.
func TestUpcastCurrentVersionIsIdentity(t *testing.T) {
	r := thingRegistry(map[int]eventschema.Upcaster{})
	in := json.RawMessage(`{ "id": "t-1" }`)
	out, err := r.Upcast("Thing", 3, in)
	if err != nil || string(out) != string(in) {
		t.Fatalf("Upcast = %s, %v; want the input unchanged", out, err)
	}
}
