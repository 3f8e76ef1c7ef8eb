package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"supportd/commands"
	"supportd/domain"
	"supportd/domain/conversation"
	"supportd/domain/customer"
	"supportd/domain/routing"
	"supportd/eventschema"
	"supportd/readmodels"
)

// channelConversationRoutes are the customer side of conversations, called
// with a channel key: the channel is the key's, and a conversation of
// another tenant or channel is not found.
func (h *handlers) channelConversationRoutes(g *echo.Group) {
	g.POST("/channel/conversations", h.startConversation, channelOnly)
	g.POST("/channel/conversations/:conversation_id/messages", h.customerSendMessage, channelOnly)
	g.GET("/channel/conversations/:conversation_id/messages", h.customerMessages, channelOnly)
	g.GET("/channel/conversations/:conversation_id/rating-options", h.customerRatingOptions, channelOnly)
	g.POST("/channel/conversations/:conversation_id/messages/:message_id/recall", h.customerRecallMessage, channelOnly)
	g.POST("/channel/conversations/:conversation_id/note", h.leaveNote, channelOnly)
	g.POST("/channel/conversations/:conversation_id/rating", h.rateConversation, channelOnly)
	g.POST("/channel/conversations/:conversation_id/close", h.customerClose, channelOnly)
	g.POST("/channel/conversations/:conversation_id/agent-request", h.requestAgent, channelOnly)
}

// routeLookups answers routing from the read models: the tenant's time
// plans in its zone and the teams of an agent.
type routeLookups struct{ h *handlers }

func (l routeLookups) RoutingPlans(ctx context.Context, tenantID uuid.UUID) (routing.Plans, error) {
	plans, _, err := l.h.routingPlans(ctx, tenantID)
	return plans, err
}

func (l routeLookups) TeamsOf(ctx context.Context, tenantID, agentID uuid.UUID) ([]uuid.UUID, error) {
	return readmodels.TeamsOf(ctx, l.h.d.Reads, tenantID, agentID)
}

// profileValues reads the profile of a start: a JSON object whose string,
// number and boolean values are kept as text; other values (objects,
// lists, null) are no profile values and are dropped, as fields the
// catalogue does not know are.
func profileValues(raw json.RawMessage) (map[string]string, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	var in map[string]any
	if err := json.Unmarshal(raw, &in); err != nil {
		return nil, domain.Errorf(domain.Invalid, "conversation.profile", "profile", "must be an object of field values")
	}
	out := make(map[string]string, len(in))
	for k, v := range in {
		switch v := v.(type) {
		case string:
			out[k] = v
		case float64, bool:
			out[k] = fmt.Sprint(v)
		}
	}
	return out, nil
}

func channelScope(c echo.Context) commands.Scope {
	cl := callerOf(c)
	return commands.Scope{TenantID: cl.tenantID, Channel: cl.channel.Channel}
}

// customerMeta is a command's metadata on the customer side: the actor is
// the customer, named when known, else by the channel key that speaks for
// it.
func customerMeta(c echo.Context, customerID uuid.UUID) (commands.Meta, error) {
	m, err := meta(c)
	id := "channel-key:" + callerOf(c).channel.KeyID.String()
	if customerID != uuid.Nil {
		id = customerID.String()
	}
	m.Actor = eventschema.Actor{Kind: eventschema.ActorCustomer, ID: id}
	return m, err
}

var customerSender = conversation.Actor{Kind: eventschema.SenderCustomer}

type startRequest struct {
	ConversationID uuid.UUID       `json:"conversation_id"`
	CustomerID     uuid.UUID       `json:"customer_id"`
	ExternalID     string          `json:"external_id"`
	CustomerName   string          `json:"customer_name"`
	Profile        json.RawMessage `json:"profile"`
	VIP            bool            `json:"vip"`
	Entry          string          `json:"entry"`
	EntryTeamID    uuid.UUID       `json:"entry_team_id"`
	ChannelAccount string          `json:"channel_account"`
}

// startConversation starts a customer's conversation on the key's channel.
func (h *handlers) startConversation(c echo.Context) error {
	var req startRequest
	if err := c.Bind(&req); err != nil {
		return err
	}
	cl := callerOf(c)
	if req.CustomerID == uuid.Nil && req.ExternalID != "" {
		// The channel's own ID names the customer within the channel.
		req.CustomerID = customer.ID(cl.tenantID, cl.channel.Channel, req.ExternalID)
	}
	if req.CustomerID == uuid.Nil {
		return domain.Errorf(domain.Invalid, "customer.id", "customer_id", "customer_id or external_id is required")
	}
	if err := h.limitCustomer(cl.channel, "customer "+req.CustomerID.String()); err != nil {
		return err
	}
	m, err := customerMeta(c, req.CustomerID)
	if err != nil {
		return err
	}
	profile, err := profileValues(req.Profile)
	if err != nil {
		return err
	}
	if req.ExternalID != "" {
		if profile == nil {
			profile = map[string]string{}
		}
		profile[customer.IDField] = req.ExternalID
	}
	id := newID(m, req.ConversationID)
	sc := channelScope(c)
	res, err := h.d.Commands.StartConversation(c.Request().Context(), m, commands.StartConversation{TenantID: sc.TenantID,
		ConversationID: id, Channel: sc.Channel, ChannelAccount: req.ChannelAccount, Entry: req.Entry, EntryTeamID: req.EntryTeamID,
		CustomerID: req.CustomerID, CustomerName: req.CustomerName, VIP: req.VIP, Profile: profile, Lookups: routeLookups{h}})
	if ongoing := (*commands.OngoingError)(nil); errors.As(err, &ongoing) {
		// The customer's ongoing conversation on this channel is the
		// answer: the chat window reopens it rather than queueing again.
		return c.JSON(http.StatusOK, map[string]any{"conversation_id": ongoing.ConversationID, "customer_id": req.CustomerID,
			"ongoing": true, "position": ongoing.Position, "events": 0})
	}
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, map[string]any{"conversation_id": id, "customer_id": req.CustomerID, "stream": res.Stream, "version": res.Version,
		"position": res.Position, "events": res.Events, "ongoing": false})
}

// customerRatingOptions answers the star prompts and labels the chat
// window offers when the customer rates this conversation.
func (h *handlers) customerRatingOptions(c echo.Context) error {
	id, err := pathID(c, "conversation_id")
	if err != nil {
		return err
	}
	opts, err := h.d.Commands.ConversationRatingOptions(c.Request().Context(), channelScope(c), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, opts)
}

func (h *handlers) customerSendMessage(c echo.Context) error {
	m, err := customerMeta(c, uuid.Nil)
	if err != nil {
		return err
	}
	return h.sendMessage(c, channelScope(c), customerSender, m)
}

func (h *handlers) customerRecallMessage(c echo.Context) error {
	return h.recallMessage(c, channelScope(c), customerSender)
}

// customerMessages lists what the customer's chat window shows: no
// whispers, recalled messages blanked.
func (h *handlers) customerMessages(c echo.Context) error {
	id, err := pathID(c, "conversation_id")
	if err != nil {
		return err
	}
	if err := h.awaitPosition(c); err != nil {
		return err
	}
	ctx, sc := c.Request().Context(), channelScope(c)
	conv, err := readmodels.GetConversation(ctx, h.d.Reads, sc.TenantID, id)
	if err != nil {
		return err
	}
	if conv.Channel != sc.Channel {
		return ErrNotFound
	}
	after, err := queryInt(c, "after")
	if err != nil {
		return err
	}
	limit, err := queryInt(c, "limit")
	if err != nil {
		return err
	}
	msgs, err := readmodels.ListMessages(ctx, h.d.Reads, sc.TenantID, id, false, uint64(max(after, 0)), limit)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"status": conv.Status, "items": msgs})
}

func (h *handlers) leaveNote(c echo.Context) error {
	id, err := pathID(c, "conversation_id")
	if err != nil {
		return err
	}
	var req struct {
		Text    string `json:"text"`
		Contact string `json:"contact"`
	}
	if err := c.Bind(&req); err != nil {
		return err
	}
	m, err := customerMeta(c, uuid.Nil)
	if err != nil {
		return err
	}
	noteID := newID(m, uuid.Nil)
	res, err := h.d.Commands.LeaveNote(c.Request().Context(), m, commands.LeaveNote{Scope: channelScope(c), ConversationID: id,
		NoteID: noteID, Text: req.Text, Contact: req.Contact})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, map[string]any{"note_id": noteID, "stream": res.Stream, "version": res.Version,
		"position": res.Position, "events": res.Events})
}

func (h *handlers) rateConversation(c echo.Context) error {
	id, err := pathID(c, "conversation_id")
	if err != nil {
		return err
	}
	var req struct {
		Stars    int      `json:"stars"`
		Labels   []string `json:"labels"`
		Remark   string   `json:"remark"`
		Resolved *bool    `json:"resolved"`
	}
	if err := c.Bind(&req); err != nil {
		return err
	}
	m, err := customerMeta(c, uuid.Nil)
	if err != nil {
		return err
	}
	res, err := h.d.Commands.Rate(c.Request().Context(), m, commands.Rate{Scope: channelScope(c), ConversationID: id,
		Rating: conversation.Rating{Stars: req.Stars, Labels: req.Labels, Remark: req.Remark, Resolved: req.Resolved}})
	return commandResult(c, res, err)
}

func (h *handlers) customerClose(c echo.Context) error {
	id, err := pathID(c, "conversation_id")
	if err != nil {
		return err
	}
	m, err := customerMeta(c, uuid.Nil)
	if err != nil {
		return err
	}
	res, err := h.d.Commands.CloseConversation(c.Request().Context(), m, commands.CloseConversation{Scope: channelScope(c),
		ConversationID: id, Reason: eventschema.ClosedByCustomer})
	return commandResult(c, res, err)
}

// requestAgent is the customer asking for an agent while a robot hosts the
// conversation; the profile, if given, lets customer-profile rules choose
// the team.
func (h *handlers) requestAgent(c echo.Context) error {
	id, err := pathID(c, "conversation_id")
	if err != nil {
		return err
	}
	var req struct {
		Profile json.RawMessage `json:"profile"`
	}
	if c.Request().ContentLength != 0 {
		if err := c.Bind(&req); err != nil {
			return err
		}
	}
	profile, err := profileValues(req.Profile)
	if err != nil {
		return err
	}
	m, err := customerMeta(c, uuid.Nil)
	if err != nil {
		return err
	}
	res, err := h.d.Commands.RequestAgent(c.Request().Context(), m, commands.RequestAgent{Scope: channelScope(c),
		ConversationID: id, Profile: profile, Lookups: routeLookups{h}})
	return commandResult(c, res, err)
}
