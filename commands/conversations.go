package commands

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"github.com/google/uuid"

	"supportd/domain"
	"supportd/domain/access"
	"supportd/domain/conversation"
	"supportd/domain/routing"
	"supportd/domain/tenant"
	"supportd/eventschema"
	"supportd/eventstore"
)

func conversationAggregate(tenantID, id uuid.UUID) Aggregate[conversation.State] {
	return Aggregate[conversation.State]{Tenant: tenantID, Stream: conversation.Stream(tenantID, id), Evolve: conversation.Evolve, Cache: true}
}

// Scope is whose conversation a command may touch: the caller's tenant
// and, for a channel (the customer side), the channel its key belongs to.
// A conversation outside the scope is reported as not found, exactly like
// one that does not exist.
type Scope struct {
	TenantID uuid.UUID
	// Channel, when set, must be the conversation's channel.
	Channel string
	// User, when set, is the user acting: the conversation must be within
	// its data scope (access.Principal.ActsOnConversation).
	User *access.Principal
	// Robot, when set, is the robot acting: the conversation must be one
	// it hosts now (until it hands over).
	Robot uuid.UUID
}

// check is the one place a conversation command meets its scope: another
// tenant's, another channel's or, for a team-scoped user, another team's
// conversation is not found, as it is not listed.
func (sc Scope) check(s conversation.State) error {
	if !s.Exists || s.TenantID != sc.TenantID || (sc.Channel != "" && s.Channel != sc.Channel) || !sc.reaches(s) ||
		(sc.Robot != uuid.Nil && s.Robot != sc.Robot) {
		return domain.Errorf(domain.NotFound, "conversation.not_found", "", "no such conversation")
	}
	return nil
}

func (sc Scope) reaches(s conversation.State) bool {
	if sc.User == nil {
		return true
	}
	user, _ := uuid.Parse(sc.User.AgentID)
	v := access.ConversationView{TookPart: s.TookPart(user)}
	if s.TeamID != uuid.Nil {
		v.TeamID = s.TeamID.String()
	}
	return sc.User.ActsOnConversation(v)
}

// onConversation runs decide on conversation id within scope.
func onConversation(ctx context.Context, h *Handler, m Meta, sc Scope, id uuid.UUID, decide func(conversation.State) ([]any, error)) (Result, error) {
	m.TenantID = sc.TenantID
	return Execute(ctx, h, m, conversationAggregate(m.TenantID, id), func(s conversation.State) ([]any, error) {
		if err := sc.check(s); err != nil {
			return nil, err
		}
		return decide(s)
	})
}

// derivedID names a resource a command creates (segment, episode, message):
// derived from the command ID, so a retried command names the same one.
func derivedID(m Meta, what string) uuid.UUID {
	return uuid.NewSHA1(m.CommandID, []byte(what))
}

// fold applies events to a state, for a command that decides in two steps
// on one stream (start, then route).
func fold(s conversation.State, events []any) conversation.State {
	for _, e := range events {
		s = conversation.Evolve(s, e)
	}
	return s
}

// times are when some facts of a conversation were recorded: what the
// recall window and the rating window are measured from. The aggregate's
// state holds no times (events carry them in their metadata), so commands
// that need them read them here.
type times struct {
	sent     map[uuid.UUID]time.Time
	closedAt time.Time
}

func (h *Handler) conversationTimes(ctx context.Context, tenantID, id uuid.UUID) (times, error) {
	t := times{sent: map[uuid.UUID]time.Time{}}
	stream := conversation.Stream(tenantID, id)
	for from := uint64(0); ; {
		page, err := h.readStream(ctx, tenantID, stream, eventstore.Forwards, from, readPage)
		if err != nil {
			return t, err
		}
		for _, e := range page {
			at := e.Metadata.OccurredAt
			if at.IsZero() {
				at = e.RecordedAt
			}
			switch e.Type {
			case "MessageSent":
				var p struct {
					MessageID uuid.UUID `json:"message_id"`
				}
				if err := json.Unmarshal(e.Data, &p); err != nil {
					return t, err
				}
				t.sent[p.MessageID] = at
			case "ConversationClosed":
				t.closedAt = at
			}
		}
		if len(page) < readPage {
			return t, nil
		}
		from = page[len(page)-1].StreamVersion + 1
	}
}

// settingUUID reads a UUID setting of the tenant (uuid.Nil: none).
func settingUUID(t tenant.State, key string) uuid.UUID {
	id, _ := uuid.Parse(settingString(t, key))
	return id
}

// settingString is a string setting's value, "" when unset.
func settingString(t tenant.State, key string) string {
	var v string
	if raw, ok := t.Setting(key); ok {
		_ = json.Unmarshal(raw, &v)
	}
	return v
}

// settingInt reads an integer setting of the tenant.
func settingInt(raw json.RawMessage, def int) int {
	var n int
	if json.Unmarshal(raw, &n) != nil {
		return def
	}
	return n
}

// StartConversation starts a conversation: a customer from a channel, or
// an agent reaching out (StartedBy).
type StartConversation struct {
	TenantID       uuid.UUID
	ConversationID uuid.UUID
	Channel        string
	ChannelAccount string
	Entry          string
	EntryTeamID    uuid.UUID
	CustomerID     uuid.UUID
	CustomerName   string
	VIP            bool
	StartedBy      uuid.UUID
	// Profile is the customer's profile as the channel sends it: saved to
	// the customer (SaveCustomerProfile, source conversation) and matched
	// by customer-profile routing rules.
	Profile map[string]string
	// Lookups answers what routing reads from the read models; nil: no
	// time plans (split rules take their working-hours target) and agents
	// in no team.
	Lookups RouteLookups
}

// RouteLookups are the read-model answers routing needs: the tenant's time
// plans in its zone, and the teams of an agent a rule targets.
type RouteLookups interface {
	RoutingPlans(ctx context.Context, tenantID uuid.UUID) (routing.Plans, error)
	TeamsOf(ctx context.Context, tenantID, agentID uuid.UUID) ([]uuid.UUID, error)
}

// RouteDecision is where a new customer conversation goes: the placement
// conversation.Place decides from (its episode ID aside). Skip: an
// outbound conversation, which its agent serves and nothing routes.
type RouteDecision struct {
	Skip      bool
	Placement conversation.Placement
}

// Route decides where a new customer conversation goes, by the tenant's
// routing rules (routing.Decide): facts of the start (channel, channel
// account, entry, profile), the time plans' working time in the tenant's
// zone, the default team of routing.default_team_id, the robot of
// prioritized bot reception. A familiar agent is the dispatcher's choice,
// among the team's eligible agents, when it assigns.
func (h *Handler) Route(ctx context.Context, c StartConversation) (RouteDecision, error) {
	if c.StartedBy != uuid.Nil {
		return RouteDecision{Skip: true}, nil
	}
	if c.EntryTeamID != uuid.Nil {
		t, err := load(ctx, h, teamAggregate(c.TenantID, c.EntryTeamID), uuid.Nil)
		if err != nil {
			return RouteDecision{}, err
		}
		if !t.state.Exists || t.state.Deleted || t.state.TenantID != c.TenantID {
			return RouteDecision{}, domain.Errorf(domain.Invalid, "conversation.entry_team", "entry_team_id", "no such team")
		}
	}
	t, err := load(ctx, h, tenantAggregate(c.TenantID), uuid.Nil)
	if err != nil {
		return RouteDecision{}, err
	}
	rules, _, err := h.RoutingRules(ctx, c.TenantID)
	if err != nil {
		return RouteDecision{}, err
	}
	plans := routing.Plans{}
	if c.Lookups != nil {
		if plans, err = c.Lookups.RoutingPlans(ctx, c.TenantID); err != nil {
			return RouteDecision{}, err
		}
	}
	opts := routing.Options{DefaultTeam: settingUUID(t.state, "routing.default_team_id")}
	opts.BotFirst, opts.Robot = t.state.SettingBool("robot.bot_first"), settingUUID(t.state, "robot.robot_id")
	facts := routing.Facts{Channel: c.Channel, ChannelAccount: c.ChannelAccount, Entry: c.Entry, Profile: c.Profile}
	d := routing.Decide(rules, facts, h.clock.Now(), plans.WorkingTime, opts)
	p := conversation.Placement{Decision: d, EntryTeamID: c.EntryTeamID,
		AlertUnmatched: t.state.SettingBool("alerts.unmatched_routing_rule")}
	if d.TargetKind == routing.TargetAgent && c.Lookups != nil {
		teams, err := c.Lookups.TeamsOf(ctx, c.TenantID, d.TargetID)
		if err != nil {
			return RouteDecision{}, err
		}
		if len(teams) > 0 {
			p.AgentTeamID = teams[0]
		}
	}
	return RouteDecision{Placement: p}, nil
}

// StartConversation handles the StartConversation command: the blacklist
// is consulted, the customer's profile saved, the channel claimed for the
// conversation on the customer's stream (a customer with an ongoing
// conversation there gets *OngoingError) with its VIP flag read (a VIP
// customer's conversation is a VIP one), the conversation starts, Route
// places it and the welcome message greets the customer.
func (h *Handler) StartConversation(ctx context.Context, m Meta, c StartConversation) (Result, error) {
	if m.CommandID == uuid.Nil {
		// The episode, the segment and the profile save derive their IDs
		// from it.
		m.CommandID = uuid.Must(uuid.NewV7())
	}
	blacklisted := false
	if h.Blacklisted != nil && c.StartedBy == uuid.Nil {
		var err error
		if blacklisted, err = h.Blacklisted(ctx, c.TenantID, c.CustomerID); err != nil {
			return Result{}, err
		}
	}
	if err := h.saveStartProfile(ctx, m, c, blacklisted); err != nil {
		return Result{}, err
	}
	if c.CustomerID != uuid.Nil && !blacklisted {
		// A start refused for its values claims nothing.
		if _, err := conversation.StartConversation(conversation.State{}, startOf(m, c), false); err != nil {
			return Result{}, err
		}
		vip, err := h.claimChannel(ctx, m, c)
		if err != nil {
			return Result{}, err
		}
		// The VIP flag of the customer's profile makes its conversations
		// VIP ones (the queue takes them first).
		c.VIP = c.VIP || (vip && c.StartedBy == uuid.Nil)
	}
	route, err := h.Route(ctx, c)
	if err != nil {
		return Result{}, err
	}
	t, err := load(ctx, h, tenantAggregate(c.TenantID), uuid.Nil)
	if err != nil {
		return Result{}, err
	}
	var welcome string
	if raw, ok := t.state.Setting("welcome.message"); ok {
		_ = json.Unmarshal(raw, &welcome)
	}
	m.TenantID = c.TenantID
	// An outbound conversation seats the agent who starts it.
	return seatWith(ctx, h, m, c.TenantID, c.ConversationID, c.StartedBy, eventschema.JoinedManual, func(m Meta, name func([]any) []any) (Result, error) {
		return Execute(ctx, h, m, conversationAggregate(m.TenantID, c.ConversationID), func(s conversation.State) ([]any, error) {
			out, err := decideStart(s, m, c, route, t.state, welcome, blacklisted)
			return name(out), err
		})
	})
}

func startOf(m Meta, c StartConversation) conversation.Start {
	return conversation.Start{TenantID: c.TenantID, ConversationID: c.ConversationID,
		Channel: c.Channel, ChannelAccount: c.ChannelAccount, Entry: c.Entry, EntryTeamID: c.EntryTeamID,
		CustomerID: c.CustomerID, CustomerName: c.CustomerName, VIP: c.VIP, StartedBy: c.StartedBy,
		SegmentID: derivedID(m, "segment")}
}

// decideStart decides a conversation's start: the start itself, then where
// routing places it, then the welcome message.
func decideStart(s conversation.State, m Meta, c StartConversation, route RouteDecision, t tenant.State, welcome string, blacklisted bool) ([]any, error) {
	out, err := conversation.StartConversation(s, startOf(m, c), blacklisted)
	if err != nil || route.Skip {
		return out, err
	}
	p := route.Placement
	p.EpisodeID = derivedID(m, "episode")
	placed, err := conversation.Place(fold(s, out), p)
	if err != nil {
		return nil, err
	}
	out = append(out, placed...)
	if n, ok := conversation.Welcome(c.Channel, t.SettingBool("welcome.enabled"), welcome); ok {
		sent, err := conversation.SendNotices(fold(s, out), c.ConversationID, []conversation.Notice{n})
		if err != nil {
			return nil, err
		}
		out = append(out, sent...)
	}
	return out, nil
}

// SendMessage sends a message into a conversation.
type SendMessage struct {
	Scope
	ConversationID uuid.UUID
	MessageID      uuid.UUID
	// Sender: Kind is an eventschema.Sender… constant. A customer sender
	// with an empty ID is the conversation's customer (the channel side
	// does not know the ID).
	Sender   conversation.Actor
	Type     string
	Text     string
	File     *eventschema.FileRef
	Location *eventschema.Location
	Custom   json.RawMessage
	Notice   string
}

// SendMessage handles the SendMessage command.
// The message's keyword rules and sensitive words are applied in the same
// append (messageReaction).
func (h *Handler) SendMessage(ctx context.Context, m Meta, c SendMessage) (Result, error) {
	react, err := h.messageReaction(ctx, c.TenantID, c.Sender.Kind)
	if err != nil {
		return Result{}, err
	}
	var defaultAddress string
	if c.Sender.Kind == eventschema.SenderAgent && strings.Contains(c.Text, conversation.Placeholder) {
		if defaultAddress, err = h.defaultAddress(ctx, c.TenantID); err != nil {
			return Result{}, err
		}
	}
	return onConversation(ctx, h, m, c.Scope, c.ConversationID, func(s conversation.State) ([]any, error) {
		sender := c.Sender
		if sender.Kind == eventschema.SenderCustomer && sender.ID == "" {
			sender.ID = s.CustomerID.String()
		}
		out, err := conversation.SendMessage(s, conversation.Send{MessageID: c.MessageID, Sender: sender, Type: c.Type,
			Text: c.Text, File: c.File, Location: c.Location, Custom: c.Custom, Notice: c.Notice, DefaultAddress: defaultAddress})
		if err != nil {
			return nil, err
		}
		return react(s, out)
	})
}

// RecallMessage takes a message back, within the tenant's recall window
// (conversation.recall_window_seconds, 2 minutes by default).
type RecallMessage struct {
	Scope
	ConversationID uuid.UUID
	MessageID      uuid.UUID
	By             conversation.Actor
}

// RecallMessage handles the RecallMessage command.
func (h *Handler) RecallMessage(ctx context.Context, m Meta, c RecallMessage) (Result, error) {
	t, err := load(ctx, h, tenantAggregate(c.TenantID), uuid.Nil)
	if err != nil {
		return Result{}, err
	}
	raw, _ := t.state.Setting("conversation.recall_window_seconds")
	window := time.Duration(settingInt(raw, 120)) * time.Second
	at, err := h.conversationTimes(ctx, c.TenantID, c.ConversationID)
	if err != nil {
		return Result{}, err
	}
	now := h.clock.Now()
	return onConversation(ctx, h, m, c.Scope, c.ConversationID, func(s conversation.State) ([]any, error) {
		by := c.By
		if by.Kind == eventschema.SenderCustomer && by.ID == "" {
			by.ID = s.CustomerID.String()
		}
		return conversation.RecallMessage(s, conversation.Recall{MessageID: c.MessageID, By: by,
			SentAt: at.sent[c.MessageID], Now: now, Window: window})
	})
}

// Whisper is an admin's message only the serving agent sees.
type Whisper struct {
	Scope
	ConversationID uuid.UUID
	WhisperID      uuid.UUID
	AdminID        uuid.UUID
	Text           string
}

// Whisper handles the Whisper command.
func (h *Handler) Whisper(ctx context.Context, m Meta, c Whisper) (Result, error) {
	return onConversation(ctx, h, m, c.Scope, c.ConversationID, func(s conversation.State) ([]any, error) {
		return conversation.Whisper(s, c.WhisperID, c.AdminID, c.Text)
	})
}

// JoinFromQueue is an agent joining a queued conversation from the queue
// list, or an admin assigning one (Assign) to AgentID.
type JoinFromQueue struct {
	Scope
	ConversationID uuid.UUID
	AgentID        uuid.UUID
	ByAdmin        bool
	Assign         bool
}

// JoinFromQueue handles the JoinFromQueue command. It reads the tenant's
// queue.allow_manual_join switch and the queued team's members.
func (h *Handler) JoinFromQueue(ctx context.Context, m Meta, c JoinFromQueue) (Result, error) {
	res, err := h.joinFromQueue(ctx, m, c)
	return h.greetAfter(ctx, m, c.Scope, c.ConversationID, res, err)
}

func (h *Handler) joinFromQueue(ctx context.Context, m Meta, c JoinFromQueue) (Result, error) {
	t, err := load(ctx, h, tenantAggregate(c.TenantID), uuid.Nil)
	if err != nil {
		return Result{}, err
	}
	if a, err := t.state.RequireAccount(c.AgentID); err != nil {
		return Result{}, err
	} else if !a.Enabled {
		return Result{}, domain.Errorf(domain.Conflict, "agent.disabled", "agent_id", "the account is disabled")
	}
	allow := t.state.SettingBool("queue.allow_manual_join")
	how := eventschema.JoinedManual
	if c.Assign {
		how = eventschema.JoinedAdmin
	}
	return seat(ctx, h, m, c.Scope, c.ConversationID, c.AgentID, how, func(s conversation.State) ([]any, error) {
		member := false
		if s.Episode.TeamID != uuid.Nil && !c.ByAdmin {
			tm, err := load(ctx, h, teamAggregate(c.TenantID, s.Episode.TeamID), uuid.Nil)
			if err != nil {
				return nil, err
			}
			member = tm.state.Members[c.AgentID]
		}
		return conversation.JoinFromQueue(s, conversation.FromQueue{AgentID: c.AgentID, SegmentID: derivedID(m, "segment"),
			ByAdmin: c.ByAdmin, Assign: c.Assign, AllowManualJoin: allow, Member: member})
	})
}

// AssignFromQueue is an admin handing a queued conversation to an agent.
func (h *Handler) AssignFromQueue(ctx context.Context, m Meta, sc Scope, conversationID, agentID uuid.UUID) (Result, error) {
	return h.JoinFromQueue(ctx, m, JoinFromQueue{Scope: sc, ConversationID: conversationID, AgentID: agentID, ByAdmin: true, Assign: true})
}
