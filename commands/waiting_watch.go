package commands

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"supportd/internal/sweep"
	"time"

	"github.com/google/uuid"

	"supportd/domain/conversation"
	"supportd/domain/tenant"
	"supportd/eventschema"
)

// ChannelWaiting is the queue of one channel of a tenant: how many
// conversations wait, the newest, and the tenant's alerts.excessive_waiting
// value (nil: the default).
type ChannelWaiting struct {
	TenantID      uuid.UUID
	Channel       string
	Waiting       int
	NewestID      uuid.UUID
	NewestEpisode uuid.UUID
	AlertSetting  []byte
}

// WaitingWatch raises the excessive-waiting alarm: when the conversations
// of one channel waiting in the queue exceed the tenant's threshold, once
// per crossing (it raises again only after the queue fell back to the
// threshold). The alarm is recorded on the newest waiting conversation with
// a command ID derived from its queue episode, so a restart or a second
// replica raises the same crossing once.
type WaitingWatch struct {
	Handler *Handler
	// Waiting counts the queue per tenant and channel.
	Waiting func(ctx context.Context) ([]ChannelWaiting, error)
	Every   time.Duration
	Log     *slog.Logger

	over map[waitingKey]bool // channels above their threshold, alerted
}

type waitingKey struct {
	tenant  uuid.UUID
	channel string
}

// Run checks every w.Every until ctx ends.
func (w *WaitingWatch) Run(ctx context.Context) error {
	every := w.Every
	if every <= 0 {
		every = 2 * time.Second
	}
	l := sweep.Loop{Every: every, Failed: func(err error, failures int, pause time.Duration) {
		w.Log.Warn("waiting watch failed", "err", err, "failures", failures, "retry_in", pause)
	}}
	l.Run(ctx, func(ctx context.Context) error {
		_, err := w.Sweep(ctx)
		return err
	})
	return nil
}

// Sweep raises the alarms due now and answers how many it raised.
func (w *WaitingWatch) Sweep(ctx context.Context) (int, error) {
	rows, err := w.Waiting(ctx)
	if err != nil {
		return 0, err
	}
	if w.over == nil {
		w.over = map[waitingKey]bool{}
	}
	def := tenant.Settings["alerts.excessive_waiting"].Default
	still := map[waitingKey]bool{}
	raised := 0
	var errs []error
	for _, r := range rows {
		k := waitingKey{r.TenantID, r.Channel}
		alert := conversation.ParseWaitingAlert(def, r.AlertSetting)
		if !alert.Exceeded(r.Waiting) {
			continue
		}
		still[k] = true
		if w.over[k] {
			continue
		}
		m := Meta{TenantID: r.TenantID, Actor: eventschema.Actor{Kind: eventschema.ActorSystem, ID: "waiting-watch"},
			CommandID: uuid.NewSHA1(r.NewestEpisode, []byte(eventschema.AlarmExcessiveWaiting))}
		res, err := onConversation(ctx, w.Handler, m, Scope{TenantID: r.TenantID}, r.NewestID, func(s conversation.State) ([]any, error) {
			return conversation.ExcessiveWaiting(s, r.Waiting, alert)
		})
		if err != nil {
			errs = append(errs, fmt.Errorf("excessive waiting on %s: %w", r.Channel, err))
			delete(still, k) // try again at the next sweep
			continue
		}
		raised += res.Events
	}
	w.over = still
	return raised, errors.Join(errs...)
}
