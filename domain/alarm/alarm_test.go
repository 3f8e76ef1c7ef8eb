package alarm_test

import (
	"fmt"
	"reflect"
	"testing"

	"github.com/google/uuid"

	"supportd/domain"
	"supportd/domain/alarm"
	"supportd/eventschema"
)

func id(n int) uuid.UUID { return uuid.MustParse(fmt.Sprintf("0190f3b0-0000-7000-8000-%012x", n)) }

func TestProcess(t *testing.T) {
	tenant, admin := id(1), id(2)
	many := make([]uuid.UUID, alarm.MaxBatch+1)
	for i := range many {
		many[i] = id(100 + i)
	}
	cases := []struct {
		name string
		ids  []uuid.UUID
		want []any
		code string
	}{
		{"sorted, once each", []uuid.UUID{id(12), id(11), id(12)},
			[]any{eventschema.AlarmsProcessed{TenantID: tenant, AlarmIDs: []uuid.UUID{id(11), id(12)}, ProcessedBy: admin}}, ""},
		{"none", nil, nil, "alarm.ids"},
		{"too many", many, nil, "alarm.ids"},
		{"a nil ID", []uuid.UUID{id(11), uuid.Nil}, nil, "alarm.ids"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := alarm.Process(tenant, admin, tc.ids)
			if tc.code != "" {
				if de, ok := err.(*domain.Error); !ok || de.Code != tc.code {
					t.Fatalf("err = %v, want %s", err, tc.code)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %v, %v; want %v", got, err, tc.want)
			}
		})
	}
}
