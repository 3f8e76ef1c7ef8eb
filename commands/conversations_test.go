package commands_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"golang.org/x/crypto/bcrypt"

	"supportd/commands"
	"supportd/credentials"
	"supportd/domain"
	"supportd/domain/conversation"
	"supportd/eventschema"
	"supportd/eventstore/postgres"
	"supportd/eventstore/postgres/pgtest"
)

// movingClock is a clock the test moves on: the windows of recall and
// rating are measured against it.
type movingClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *movingClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *movingClock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func codeOf(err error) string {
	if de, ok := err.(*domain.Error); ok {
		return de.Code
	}
	if err != nil {
		return err.Error()
	}
	return ""
}

func TestConversationWindowsAndScope(t *testing.T) {
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
	if err := h.Credentials.(credentials.Store).Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	blacklisted := uuid.Must(uuid.NewV7())
	h.Blacklisted = func(_ context.Context, _, customerID uuid.UUID) (bool, error) { return customerID == blacklisted, nil }

	tenantID := uuid.Must(uuid.NewV7())
	if _, err := h.CreateTenant(ctx, admin(), commands.CreateTenant{TenantID: tenantID, Name: "Acme", TimeZone: "UTC", Admin: boss}); err != nil {
		t.Fatal(err)
	}
	sc := commands.Scope{TenantID: tenantID, Channel: "web"}
	convID, customer := uuid.Must(uuid.NewV7()), uuid.Must(uuid.NewV7())
	if _, err := h.StartConversation(ctx, admin(), commands.StartConversation{TenantID: tenantID, ConversationID: convID,
		Channel: "web", CustomerID: blacklisted}); codeOf(err) != "conversation.customer_blacklisted" {
		t.Fatalf("blacklisted start: %v", err)
	}
	if _, err := h.StartConversation(ctx, admin(), commands.StartConversation{TenantID: tenantID, ConversationID: convID,
		Channel: "web", CustomerID: customer}); err != nil {
		t.Fatal(err)
	}
	send := func(id uuid.UUID) error {
		_, err := h.SendMessage(ctx, admin(), commands.SendMessage{Scope: sc, ConversationID: convID, MessageID: id,
			Sender: conversation.Actor{Kind: eventschema.SenderCustomer}, Type: "text", Text: "hello"})
		return err
	}
	recall := func(id uuid.UUID) error {
		_, err := h.RecallMessage(ctx, admin(), commands.RecallMessage{Scope: sc, ConversationID: convID, MessageID: id,
			By: conversation.Actor{Kind: eventschema.SenderCustomer}})
		return err
	}
	early, late := uuid.Must(uuid.NewV7()), uuid.Must(uuid.NewV7())
	if err := send(early); err != nil {
		t.Fatal(err)
	}
	if err := send(late); err != nil {
		t.Fatal(err)
	}
	clock.add(time.Minute)
	if err := recall(early); err != nil {
		t.Fatalf("recall within 2 minutes: %v", err)
	}
	clock.add(61 * time.Second)
	if err := recall(late); codeOf(err) != "message.recall_window" {
		t.Fatalf("recall after 2 minutes: %v", err)
	}

	// Another tenant, or another channel, does not see the conversation.
	for _, other := range []commands.Scope{{TenantID: uuid.Must(uuid.NewV7())}, {TenantID: tenantID, Channel: "app"}} {
		_, err := h.SendMessage(ctx, admin(), commands.SendMessage{Scope: other, ConversationID: convID, MessageID: uuid.Must(uuid.NewV7()),
			Sender: conversation.Actor{Kind: eventschema.SenderCustomer}, Type: "text", Text: "x"})
		if codeOf(err) != "conversation.not_found" {
			t.Errorf("scope %+v: %v", other, err)
		}
	}

	// The rating window (8 hours by default) runs from the close.
	if _, err := h.CloseConversation(ctx, admin(), commands.CloseConversation{Scope: sc, ConversationID: convID,
		Reason: eventschema.ClosedByCustomer}); err != nil {
		t.Fatal(err)
	}
	rate := func() error {
		_, err := h.Rate(ctx, admin(), commands.Rate{Scope: sc, ConversationID: convID, Rating: conversation.Rating{Stars: 4}})
		return err
	}
	clock.add(8 * time.Hour)
	if err := rate(); err != nil {
		t.Fatalf("rate within the window: %v", err)
	}
	clock.add(time.Second)
	if err := rate(); codeOf(err) != "rating.window_closed" {
		t.Fatalf("rate after the window: %v", err)
	}
}
