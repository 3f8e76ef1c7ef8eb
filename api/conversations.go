package api

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"supportd/commands"
	"supportd/domain/access"
	"supportd/domain/conversation"
	"supportd/eventschema"
	"supportd/readmodels"
)

// Conversations: the agent workspace. Working a conversation needs
// agent.conversations; whispering needs admin.monitor. Every conversation
// is looked up within the caller's tenant: another tenant's is not found.
func (h *handlers) conversationRoutes(g *echo.Group) {
	conv := need(access.Conversations)
	g.GET("/conversations", h.listConversations, conv)
	g.GET("/conversations/:conversation_id", h.getConversation, conv)
	g.POST("/conversations/:conversation_id/messages", h.agentSendMessage, conv)
	g.POST("/conversations/:conversation_id/messages/:message_id/recall", h.agentRecallMessage, conv)
	g.POST("/conversations/:conversation_id/transfer", h.requestTransfer, conv)
	g.POST("/conversations/:conversation_id/transfer/accept", h.acceptTransfer, conv)
	g.POST("/conversations/:conversation_id/transfer/reject", h.rejectTransfer, conv)
	g.POST("/conversations/:conversation_id/experts", h.inviteExpert, conv)
	g.DELETE("/conversations/:conversation_id/experts/:agent_id", h.removeExpert, conv)
	g.POST("/conversations/:conversation_id/tags", h.tagConversation, conv)
	g.DELETE("/conversations/:conversation_id/tags/:tag_id", h.untagConversation, conv)
	g.POST("/conversations/:conversation_id/rating-invitation", h.inviteRating, conv)
	g.POST("/conversations/:conversation_id/close", h.agentClose, conv)
	g.POST("/conversations/:conversation_id/whisper", h.whisper, need(access.Monitor))
	g.POST("/conversations/:conversation_id/pin", h.pinConversation, conv)
	g.DELETE("/conversations/:conversation_id/pin", h.pinConversation, conv)
}

// userScope is the scope of a tenant user's commands: the tenant.
func userScope(c echo.Context) commands.Scope {
	cl := callerOf(c)
	p := cl.principal
	return commands.Scope{TenantID: cl.tenantID, User: &p}
}

// userActor is how a user appears to the conversation's rules: as an admin
// when its role may monitor conversations (admins act on any), else as an
// agent (who acts only on what it serves).
func userActor(c echo.Context) conversation.Actor {
	cl := callerOf(c)
	if cl.principal.Role.Allows(access.Monitor) {
		return conversation.Actor{Kind: "admin", ID: cl.agentID.String()}
	}
	return conversation.Actor{Kind: "agent", ID: cl.agentID.String()}
}

// commandOnConversation is the shape of most commands on one
// conversation: its ID from the path, the body bound into R, the command's
// metadata from the request; it answers the command's result.
func commandOnConversation[R any](c echo.Context, run func(ctx context.Context, m commands.Meta, id uuid.UUID, req R) (commands.Result, error)) error {
	id, err := pathID(c, "conversation_id")
	if err != nil {
		return err
	}
	var req R
	if err := c.Bind(&req); err != nil {
		return err
	}
	m, err := meta(c)
	if err != nil {
		return err
	}
	res, err := run(c.Request().Context(), m, id, req)
	return commandResult(c, res, err)
}

func commandResult(c echo.Context, res commands.Result, err error) error {
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, res)
}

func queryInt(c echo.Context, name string) (int, error) {
	v := c.QueryParam(name)
	if v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, echo.NewHTTPError(http.StatusUnprocessableEntity, name+": want an integer")
	}
	return n, nil
}

func queryTime(c echo.Context, name string) (*time.Time, error) {
	v := c.QueryParam(name)
	if v == "" {
		return nil, nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return nil, echo.NewHTTPError(http.StatusUnprocessableEntity, name+": want an RFC 3339 time")
	}
	return &t, nil
}

func queryUUID(c echo.Context, name string) (*uuid.UUID, error) {
	v := c.QueryParam(name)
	if v == "" {
		return nil, nil
	}
	id, err := uuid.Parse(v)
	if err != nil {
		return nil, echo.NewHTTPError(http.StatusUnprocessableEntity, name+": want a UUID")
	}
	return &id, nil
}

// listConversations lists ongoing conversations: an agent's own; with
// admin.ongoing every one of the tenant, filtered by team or agent.
func (h *handlers) listConversations(c echo.Context) error {
	if err := h.awaitPosition(c); err != nil {
		return err
	}
	cl := callerOf(c)
	f := readmodels.ConversationFilter{Status: c.QueryParam("status"), Sort: c.QueryParam("sort"), After: c.QueryParam("after")}
	var err error
	if f.Limit, err = queryInt(c, "limit"); err != nil {
		return err
	}
	if f.TeamID, err = queryUUID(c, "team_id"); err != nil {
		return err
	}
	if f.AgentID, err = queryUUID(c, "agent_id"); err != nil {
		return err
	}
	if f.CustomerTag, err = queryUUID(c, "customer_tag_id"); err != nil {
		return err
	}
	if f.From, err = queryTime(c, "from"); err != nil {
		return err
	}
	if f.To, err = queryTime(c, "to"); err != nil {
		return err
	}
	f.CustomerName = c.QueryParam("customer_name")
	if f.AgentMessagesLead, err = h.settingBool(c.Request().Context(), cl.tenantID, "agents.sort_by_agent_messages"); err != nil {
		return err
	}
	f.Viewer = cl.agentID
	switch {
	case !cl.principal.Role.Allows(access.AdminOngoing):
		me := cl.agentID
		f.AgentID, f.TeamID = &me, nil
	case cl.principal.Role.DataScope != access.TenantScope:
		// A team-scoped role lists its teams' conversations only.
		f.Teams = []uuid.UUID{}
		for _, t := range cl.principal.Teams {
			if id, err := uuid.Parse(t); err == nil {
				f.Teams = append(f.Teams, id)
			}
		}
	}
	items, next, err := readmodels.ListConversations(c.Request().Context(), h.d.Reads, cl.tenantID, f)
	if err != nil {
		return err
	}
	page := map[string]any{"items": items, "next": nil}
	if next != "" {
		page["next"] = next
	}
	return c.JSON(http.StatusOK, page)
}

// getConversation answers the detail: the conversation, its messages (with
// whispers), transfer records and experts.
func (h *handlers) getConversation(c echo.Context) error {
	id, err := pathID(c, "conversation_id")
	if err != nil {
		return err
	}
	if err := h.awaitPosition(c); err != nil {
		return err
	}
	ctx, q, cl := c.Request().Context(), h.d.Reads, callerOf(c)
	conv, err := h.visibleConversation(ctx, cl, id)
	if err != nil {
		return err
	}
	if conv.Pinned, err = readmodels.PinnedBy(ctx, q, cl.tenantID, id, cl.agentID); err != nil {
		return err
	}
	msgs, err := readmodels.ListMessages(ctx, q, cl.tenantID, id, true, 0, 500)
	if err != nil {
		return err
	}
	transfers, err := readmodels.ListTransfers(ctx, q, cl.tenantID, id)
	if err != nil {
		return err
	}
	experts, err := readmodels.ListExperts(ctx, q, cl.tenantID, id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"conversation": conv, "messages": msgs, "transfers": transfers, "experts": experts})
}

// messageRequest is a message as both sides send it.
type messageRequest struct {
	MessageID uuid.UUID             `json:"message_id"`
	Type      string                `json:"type"`
	Text      string                `json:"text"`
	File      *eventschema.FileRef  `json:"file"`
	Location  *eventschema.Location `json:"location"`
	Custom    json.RawMessage       `json:"custom"`
}

func (h *handlers) sendMessage(c echo.Context, sc commands.Scope, sender conversation.Actor, m commands.Meta) error {
	id, err := pathID(c, "conversation_id")
	if err != nil {
		return err
	}
	var req messageRequest
	if err := c.Bind(&req); err != nil {
		return err
	}
	msgID := newID(m, req.MessageID)
	res, err := h.d.Commands.SendMessage(c.Request().Context(), m, commands.SendMessage{Scope: sc, ConversationID: id,
		MessageID: msgID, Sender: sender, Type: req.Type, Text: req.Text, File: req.File, Location: req.Location, Custom: req.Custom})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, map[string]any{"message_id": msgID, "stream": res.Stream, "version": res.Version,
		"position": res.Position, "events": res.Events})
}

func (h *handlers) agentSendMessage(c echo.Context) error {
	m, err := meta(c)
	if err != nil {
		return err
	}
	return h.sendMessage(c, userScope(c), conversation.Actor{Kind: eventschema.SenderAgent, ID: callerOf(c).agentID.String()}, m)
}

func (h *handlers) agentRecallMessage(c echo.Context) error {
	return h.recallMessage(c, userScope(c), conversation.Actor{Kind: eventschema.SenderAgent, ID: callerOf(c).agentID.String()})
}

func (h *handlers) recallMessage(c echo.Context, sc commands.Scope, by conversation.Actor) error {
	id, err := pathID(c, "conversation_id")
	if err != nil {
		return err
	}
	msgID, err := pathID(c, "message_id")
	if err != nil {
		return err
	}
	m, err := meta(c)
	if err != nil {
		return err
	}
	res, err := h.d.Commands.RecallMessage(c.Request().Context(), m, commands.RecallMessage{Scope: sc, ConversationID: id, MessageID: msgID, By: by})
	return commandResult(c, res, err)
}

type transferRequest struct {
	TransferID uuid.UUID `json:"transfer_id"`
	ToKind     string    `json:"to_kind"`
	ToID       uuid.UUID `json:"to_id"`
	Reason     string    `json:"reason"`
}

func (h *handlers) requestTransfer(c echo.Context) error {
	id, err := pathID(c, "conversation_id")
	if err != nil {
		return err
	}
	var req transferRequest
	if err := c.Bind(&req); err != nil {
		return err
	}
	m, err := meta(c)
	if err != nil {
		return err
	}
	transferID := newID(m, req.TransferID)
	res, err := h.d.Commands.RequestTransfer(c.Request().Context(), m, commands.RequestTransfer{Scope: userScope(c),
		ConversationID: id, TransferID: transferID, By: userActor(c), ToKind: req.ToKind, ToID: req.ToID, Reason: req.Reason})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"transfer_id": transferID, "stream": res.Stream, "version": res.Version,
		"position": res.Position, "events": res.Events})
}

func (h *handlers) answerTransfer(c echo.Context, accept bool) error {
	id, err := pathID(c, "conversation_id")
	if err != nil {
		return err
	}
	m, err := meta(c)
	if err != nil {
		return err
	}
	a := commands.AnswerTransfer{Scope: userScope(c), ConversationID: id, AgentID: callerOf(c).agentID}
	if accept {
		res, err := h.d.Commands.AcceptTransfer(c.Request().Context(), m, a)
		return commandResult(c, res, err)
	}
	res, err := h.d.Commands.RejectTransfer(c.Request().Context(), m, a)
	return commandResult(c, res, err)
}

func (h *handlers) acceptTransfer(c echo.Context) error { return h.answerTransfer(c, true) }
func (h *handlers) rejectTransfer(c echo.Context) error { return h.answerTransfer(c, false) }

func (h *handlers) inviteExpert(c echo.Context) error {
	return commandOnConversation(c, func(ctx context.Context, m commands.Meta, id uuid.UUID, req struct {
		AgentID uuid.UUID `json:"agent_id"`
	}) (commands.Result, error) {
		return h.d.Commands.InviteExpert(ctx, m, commands.Expert{Scope: userScope(c), ConversationID: id, AgentID: req.AgentID, By: userActor(c)})
	})
}

func (h *handlers) removeExpert(c echo.Context) error {
	return commandOnConversation(c, func(ctx context.Context, m commands.Meta, id uuid.UUID, _ struct{}) (commands.Result, error) {
		agentID, err := pathID(c, "agent_id")
		if err != nil {
			return commands.Result{}, err
		}
		return h.d.Commands.RemoveExpert(ctx, m, commands.Expert{Scope: userScope(c), ConversationID: id, AgentID: agentID, By: userActor(c)})
	})
}

func (h *handlers) tagConversation(c echo.Context) error {
	return commandOnConversation(c, func(ctx context.Context, m commands.Meta, id uuid.UUID, req struct {
		TagIDs []uuid.UUID `json:"tag_ids"`
		Remark string      `json:"remark"`
	}) (commands.Result, error) {
		return h.d.Commands.TagConversation(ctx, m, commands.TagConversation{Scope: userScope(c),
			ConversationID: id, TagIDs: req.TagIDs, Remark: req.Remark})
	})
}

func (h *handlers) untagConversation(c echo.Context) error {
	id, err := pathID(c, "conversation_id")
	if err != nil {
		return err
	}
	tagID, err := pathID(c, "tag_id")
	if err != nil {
		return err
	}
	m, err := meta(c)
	if err != nil {
		return err
	}
	res, err := h.d.Commands.TagConversation(c.Request().Context(), m, commands.TagConversation{Scope: userScope(c),
		ConversationID: id, TagIDs: []uuid.UUID{tagID}, Remove: true})
	return commandResult(c, res, err)
}

func (h *handlers) inviteRating(c echo.Context) error {
	id, err := pathID(c, "conversation_id")
	if err != nil {
		return err
	}
	m, err := meta(c)
	if err != nil {
		return err
	}
	res, err := h.d.Commands.InviteRating(c.Request().Context(), m, userScope(c), id, callerOf(c).agentID)
	return commandResult(c, res, err)
}

// agentClose closes as the serving agent, or, for a user who may monitor
// and does not serve the conversation, as an admin.
func (h *handlers) agentClose(c echo.Context) error {
	id, err := pathID(c, "conversation_id")
	if err != nil {
		return err
	}
	m, err := meta(c)
	if err != nil {
		return err
	}
	ctx, cl := c.Request().Context(), callerOf(c)
	reason := eventschema.ClosedByAgent
	if cl.principal.Role.Allows(access.Monitor) {
		if conv, err := readmodels.GetConversation(ctx, h.d.Reads, cl.tenantID, id); err == nil &&
			(conv.AgentID == nil || *conv.AgentID != cl.agentID) {
			reason = eventschema.ClosedByAdmin
		}
	}
	res, err := h.d.Commands.CloseConversation(ctx, m, commands.CloseConversation{Scope: userScope(c), ConversationID: id,
		Reason: reason, By: cl.agentID.String()})
	return commandResult(c, res, err)
}

func (h *handlers) whisper(c echo.Context) error {
	id, err := pathID(c, "conversation_id")
	if err != nil {
		return err
	}
	var req struct {
		Text string `json:"text"`
	}
	if err := c.Bind(&req); err != nil {
		return err
	}
	m, err := meta(c)
	if err != nil {
		return err
	}
	whisperID := newID(m, uuid.Nil)
	res, err := h.d.Commands.Whisper(c.Request().Context(), m, commands.Whisper{Scope: userScope(c), ConversationID: id,
		WhisperID: whisperID, AdminID: callerOf(c).agentID, Text: req.Text})
	return commandResult(c, res, err)
}
