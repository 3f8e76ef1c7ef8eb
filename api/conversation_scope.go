package api

import (
	"context"
	"net/http"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"supportd/commands"
	"supportd/domain/access"
	"supportd/readmodels"
)

// visibleConversation reads a conversation of the caller's tenant that the
// caller's data scope lets it see (access.Principal.SeesConversation); one
// it may not see is not found, like another tenant's.
func (h *handlers) visibleConversation(ctx context.Context, cl caller, id uuid.UUID) (readmodels.Conversation, error) {
	conv, err := readmodels.GetConversation(ctx, h.d.Reads, cl.tenantID, id)
	if err != nil {
		return conv, err
	}
	v := access.ConversationView{Queued: conv.Status == "queued"}
	if conv.TeamID != nil {
		v.TeamID = conv.TeamID.String()
	}
	if cl.agentID != uuid.Nil {
		if v.TookPart, err = readmodels.TookPart(ctx, h.d.Reads, cl.tenantID, id, cl.agentID); err != nil {
			return conv, err
		}
	}
	if v.Queued {
		if v.ViewQueued, err = h.settingBool(ctx, cl.tenantID, "queue.allow_viewing_queued"); err != nil {
			return conv, err
		}
	}
	if !cl.principal.SeesConversation(v) {
		return readmodels.Conversation{}, readmodels.ErrNotFound
	}
	return conv, nil
}

// pinConversation pins a conversation the caller sees to the top of the
// caller's own list (POST) or takes the pin off (DELETE).
func (h *handlers) pinConversation(c echo.Context) error {
	id, err := pathID(c, "conversation_id")
	if err != nil {
		return err
	}
	cl := callerOf(c)
	if _, err := h.visibleConversation(c.Request().Context(), cl, id); err != nil {
		return err
	}
	m, err := meta(c)
	if err != nil {
		return err
	}
	res, err := h.d.Commands.PinConversation(c.Request().Context(), m, commands.PinConversation{Scope: userScope(c),
		ConversationID: id, UserID: cl.agentID, Pin: c.Request().Method == http.MethodPost})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, res)
}
