package commands_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/google/uuid"
	"golang.org/x/crypto/bcrypt"

	"supportd/commands"
	"supportd/credentials"
	"supportd/domain/customer"
	"supportd/eventschema"
	"supportd/eventstore"
	"supportd/eventstore/postgres"
	"supportd/eventstore/postgres/pgtest"
)

// TestOneOngoingConversationPerChannel: racing starts of one customer on one
// channel start one conversation, and every other start is that one; the
// rule is per channel and account, ends with the close, and a claim whose
// start never happened lapses.
func TestOneOngoingConversationPerChannel(t *testing.T) {
	t.Parallel()
	pool := pgtest.NewPool(t)
	ctx := context.Background()
	if err := postgres.Migrate(ctx, pool); err != nil {
		t.Fatal(err)
	}
	store := postgres.New(pool)
	t.Cleanup(store.Close)
	clock := &movingClock{t: now}
	h := commands.NewHandler(store, eventschema.Catalog(), clock)
	h.Passwords = commands.Bcrypt{Cost: bcrypt.MinCost}
	h.Credentials = credentials.Store{DB: pool}
	if err := h.Credentials.(credentials.Store).Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	tenantID := uuid.Must(uuid.NewV7())
	if _, err := h.CreateTenant(ctx, admin(), commands.CreateTenant{TenantID: tenantID, Name: "Acme", TimeZone: "UTC", Admin: boss}); err != nil {
		t.Fatal(err)
	}
	cust := uuid.Must(uuid.NewV7())
	start := func(channel, account string) (uuid.UUID, error) {
		id := uuid.Must(uuid.NewV7())
		_, err := h.StartConversation(ctx, admin(), commands.StartConversation{TenantID: tenantID, ConversationID: id,
			Channel: channel, ChannelAccount: account, CustomerID: cust, CustomerName: "Lu"})
		return id, err
	}
	exists := func(id uuid.UUID) bool {
		t.Helper()
		events, err := store.ReadStream(ctx, "conversation-"+tenantID.String()+"_"+id.String(), eventstore.Forwards, 0, 1)
		if err != nil {
			t.Fatal(err)
		}
		return len(events) > 0
	}

	// 16 starts race on the same channel.
	const racers = 16
	ids, errs := make([]uuid.UUID, racers), make([]error, racers)
	var wg sync.WaitGroup
	for i := range racers {
		wg.Go(func() { ids[i], errs[i] = start("web", "Main site") })
	}
	wg.Wait()
	var winner uuid.UUID
	for i, err := range errs {
		if err == nil {
			if winner != uuid.Nil {
				t.Fatalf("two conversations started: %s and %s", winner, ids[i])
			}
			winner = ids[i]
		}
	}
	if winner == uuid.Nil || !exists(winner) {
		t.Fatalf("no conversation started: %v", errs)
	}
	for i, err := range errs {
		var ongoing *commands.OngoingError
		switch {
		case err == nil:
		case !errors.As(err, &ongoing) || ongoing.ConversationID != winner:
			t.Errorf("start %d: %v, want the ongoing %s", i, err, winner)
		case exists(ids[i]):
			t.Errorf("start %d answered ongoing but started %s", i, ids[i])
		}
	}

	// Another channel account, another channel: conversations of their own.
	for _, ch := range []struct{ channel, account string }{{"web", "Shop"}, {"app", "Main site"}} {
		if id, err := start(ch.channel, ch.account); err != nil || !exists(id) {
			t.Errorf("start on %v: %v", ch, err)
		}
	}

	// After the close, the next start is a new conversation.
	sc := commands.Scope{TenantID: tenantID, Channel: "web"}
	if _, err := h.CloseConversation(ctx, admin(), commands.CloseConversation{Scope: sc, ConversationID: winner,
		Reason: eventschema.ClosedByCustomer}); err != nil {
		t.Fatal(err)
	}
	next, err := start("web", "Main site")
	if err != nil || !exists(next) {
		t.Fatalf("start after the close: %v", err)
	}

	// A start that claimed and crashed before starting holds the channel
	// for customer.ClaimTimeout, then lapses.
	other := uuid.Must(uuid.NewV7())
	crashed := uuid.Must(uuid.NewV7())
	claim, err := eventschema.Catalog().Encode(uuid.Must(uuid.NewV7()),
		eventschema.CustomerConversationClaimed{TenantID: tenantID, CustomerID: other, Channel: "web", ConversationID: crashed, ClaimedAt: clock.Now()},
		eventschema.Metadata{TenantID: tenantID, OccurredAt: clock.Now()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.Append(ctx, customer.Stream(tenantID, other), eventstore.Any, []eventschema.Proposed{claim}); err != nil {
		t.Fatal(err)
	}
	startOther := func() (uuid.UUID, error) {
		id := uuid.Must(uuid.NewV7())
		_, err := h.StartConversation(ctx, admin(), commands.StartConversation{TenantID: tenantID, ConversationID: id, Channel: "web", CustomerID: other})
		return id, err
	}
	var ongoing *commands.OngoingError
	if _, err := startOther(); !errors.As(err, &ongoing) || ongoing.ConversationID != crashed {
		t.Errorf("start while another is in flight: %v", err)
	}
	clock.add(customer.ClaimTimeout)
	if id, err := startOther(); err != nil || !exists(id) {
		t.Errorf("start after the crashed claim lapsed: %v", err)
	}

	// A start refused for its values claims nothing.
	if _, err := start("", "x"); codeOf(err) != "conversation.channel" {
		t.Errorf("start without a channel: %v", err)
	}
	third := uuid.Must(uuid.NewV7())
	if _, err := h.StartConversation(ctx, admin(), commands.StartConversation{TenantID: tenantID, ConversationID: third, Channel: "mail",
		CustomerID: cust, CustomerName: strings.Repeat("x", 101)}); codeOf(err) != "conversation.customer_name" {
		t.Errorf("start with a long name: %v", err)
	}
	if id, err := start("mail", ""); err != nil || !exists(id) {
		t.Errorf("start after a refused one: %v", err)
	}
}
