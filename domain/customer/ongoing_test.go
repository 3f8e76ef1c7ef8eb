package customer_test

import (
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/google/uuid"

	"supportd/domain/customer"
	"supportd/eventschema"
)

func TestClaimConversation(t *testing.T) {
	now := time.Date(2026, 12, 6, 9, 0, 0, 0, time.UTC)
	web := customer.ChannelKey{Channel: "web", Account: "Main site"}
	first, second := id(100), id(101)
	claim := func(conv uuid.UUID, key customer.ChannelKey, at time.Time) eventschema.CustomerConversationClaimed {
		return eventschema.CustomerConversationClaimed{TenantID: tenant, CustomerID: cust, Channel: key.Channel,
			ChannelAccount: key.Account, ConversationID: conv, ClaimedAt: at}
	}
	held := claim(first, web, now.Add(-time.Hour))
	tests := []struct {
		name    string
		given   []any
		key     customer.ChannelKey
		claimed customer.Claimed // what the first conversation is now
		want    []any
		ongoing uuid.UUID
	}{
		{"first start claims the channel", nil, web, customer.ClaimedOpen, []any{claim(second, web, now)}, uuid.Nil},
		{"a start while the first is open is the first", []any{held}, web, customer.ClaimedOpen, nil, first},
		{"a start after the first closed claims anew", []any{held}, web, customer.ClaimedClosed, []any{claim(second, web, now)}, uuid.Nil},
		{"another channel account is another channel", []any{held}, customer.ChannelKey{Channel: "web", Account: "Shop"}, customer.ClaimedOpen,
			[]any{claim(second, customer.ChannelKey{Channel: "web", Account: "Shop"}, now)}, uuid.Nil},
		{"another channel", []any{held}, customer.ChannelKey{Channel: "app"}, customer.ClaimedOpen,
			[]any{claim(second, customer.ChannelKey{Channel: "app"}, now)}, uuid.Nil},
		{"a start in flight holds the channel", []any{claim(first, web, now.Add(-10*time.Second))}, web, customer.ClaimedNotStarted, nil, first},
		{"a start that never happened lapses", []any{claim(first, web, now.Add(-customer.ClaimTimeout))}, web, customer.ClaimedNotStarted,
			[]any{claim(second, web, now)}, uuid.Nil},
		{"the start's own claim (a retry) decides nothing", []any{claim(second, web, now.Add(-time.Second))}, web, customer.ClaimedOpen, nil, uuid.Nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var s customer.State
			for _, e := range tc.given {
				s = customer.Evolve(s, e)
			}
			asked := false
			got, ongoing, err := customer.ClaimConversation(s, tenant, cust, tc.key, second, now, func(c uuid.UUID) (customer.Claimed, error) {
				if c != first {
					t.Errorf("asked about %s", c)
				}
				asked = true
				return tc.claimed, nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) || ongoing != tc.ongoing {
				t.Errorf("got %v, ongoing %s; want %v, ongoing %s", got, ongoing, tc.want, tc.ongoing)
			}
			if _, claimedThere := s.Claims[tc.key]; asked != (claimedThere && s.Claims[tc.key].ConversationID != second) {
				t.Errorf("asked about the claim: %v", asked)
			}
		})
	}
	t.Run("a failed look-up decides nothing", func(t *testing.T) {
		boom := errors.New("boom")
		got, _, err := customer.ClaimConversation(customer.Evolve(customer.State{}, held), tenant, cust, web, second, now,
			func(uuid.UUID) (customer.Claimed, error) { return 0, boom })
		if !errors.Is(err, boom) || got != nil {
			t.Errorf("got %v, %v", got, err)
		}
	})
}
