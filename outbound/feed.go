package outbound

import (
	"context"
	"slices"

	"github.com/google/uuid"

	"supportd/domain/conversation"
	"supportd/domain/webhook"
	"supportd/eventschema"
	"supportd/eventstore"
)

// Feed reads what a conversation's customer has been told, from the
// conversation's stream: the customer-side SSE stream replays it to a
// client that reconnects.
type Feed struct {
	Store    eventstore.Store
	Registry *eventschema.Registry
	Names    Names
}

// Conversation is who a conversation belongs to.
type Conversation struct {
	TenantID uuid.UUID
	Channel  string
}

// Replay answers the conversation's tenant and channel and its outbound
// events after position after, in log order. A conversation that does not
// exist fails with ErrNoConversation.
func (f *Feed) Replay(ctx context.Context, tenantID, conv uuid.UUID, after eventschema.Position) (Conversation, []webhook.Event, error) {
	started, err := startOf(ctx, f.Store, f.Registry, tenantID, conv)
	if err != nil {
		return Conversation{}, nil, err
	}
	c := Conversation{TenantID: started.TenantID, Channel: started.Channel}
	// Read backwards from the end until the position is reached: a client
	// that resumes is usually only a few events behind.
	const page = 200
	stream := conversation.Stream(tenantID, conv)
	var newer []eventschema.Envelope
	for from := eventstore.End; ; {
		events, err := f.Store.ReadStream(ctx, stream, eventstore.Backwards, from, page)
		if err != nil {
			return c, nil, err
		}
		done := len(events) < page
		for _, e := range events {
			if !after.Less(e.Position) {
				done = true
				break
			}
			newer = append(newer, e)
		}
		if done || events[len(events)-1].StreamVersion == 0 {
			break
		}
		from = events[len(events)-1].StreamVersion - 1
	}
	slices.Reverse(newer)
	var out []webhook.Event
	recalled := map[uuid.UUID]bool{}
	for _, e := range newer {
		ev, ok, err := f.Convert(ctx, e)
		if err != nil {
			return c, nil, err
		}
		if ok {
			out = append(out, ev)
			if r, isRecall := ev.Payload.(webhook.Recall); isRecall {
				recalled[r.MessageID] = true
			}
		}
	}
	// A message recalled since is replayed without its content.
	for i, ev := range out {
		if m, ok := ev.Payload.(webhook.Message); ok && recalled[m.MessageID] {
			out[i].Payload = m.Redacted()
		}
	}
	return c, out, nil
}

// Convert turns one event into what the customer is told, if anything.
func (f *Feed) Convert(ctx context.Context, e eventschema.Envelope) (webhook.Event, bool, error) {
	if !webhook.MayBeOutbound(e.Type) {
		return webhook.Event{}, false, nil
	}
	payload, err := f.Registry.Decode(e)
	if err != nil {
		return webhook.Event{}, false, err
	}
	ev, ok := webhook.Outbound(e, payload, nameOf(ctx, f.Names, e.Metadata.TenantID))
	return ev, ok, nil
}
