package api

import (
	"context"
	"net/http"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"supportd/commands"
	"supportd/domain/access"
	"supportd/domain/conversation"
	"supportd/eventschema"
	"supportd/readmodels"
)

// Robots are registered by admins with the routing settings they serve
// (admin.settings), and speak with their own token on the robot routes:
// answer the customer, hand over to agents, close, only while they host
// the conversation.
func (h *handlers) robotRoutes(g *echo.Group) {
	settings := need(access.ManageSettings)
	g.GET("/robots", h.listRobots, settings)
	g.POST("/robots", h.registerRobot, settings)
	g.GET("/robots/:robot_id", h.getRobot, settings)
	g.PUT("/robots/:robot_id", h.changeRobot, settings)
	g.DELETE("/robots/:robot_id", h.removeRobot, settings)
	g.POST("/robots/:robot_id/token", h.issueRobotToken, settings)

	g.GET("/robot", h.getOwnRobot, robotOnly)
	g.POST("/robot/conversations/:conversation_id/messages", h.robotSendMessage, robotOnly)
	g.POST("/robot/conversations/:conversation_id/hand-over", h.robotHandOver, robotOnly)
	g.POST("/robot/conversations/:conversation_id/close", h.robotClose, robotOnly)
}

type robotRequest struct {
	RobotID    uuid.UUID `json:"robot_id"`
	Name       string    `json:"name"`
	AvatarURL  string    `json:"avatar_url"`
	WebhookURL string    `json:"webhook_url"`
	Secret     string    `json:"secret"`
}

func (r robotRequest) robot() eventschema.Robot {
	return eventschema.Robot{Name: r.Name, AvatarURL: r.AvatarURL, WebhookURL: r.WebhookURL, Secret: r.Secret}
}

func (h *handlers) listRobots(c echo.Context) error {
	if err := h.awaitPosition(c); err != nil {
		return err
	}
	items, err := readmodels.ListRobots(c.Request().Context(), h.d.Reads, callerOf(c).tenantID)
	if err != nil {
		return err
	}
	return listAnswer(c, items, "")
}

func (h *handlers) registerRobot(c echo.Context) error {
	var req robotRequest
	if err := c.Bind(&req); err != nil {
		return err
	}
	m, err := meta(c)
	if err != nil {
		return err
	}
	res, err := h.d.Commands.RegisterRobot(c.Request().Context(), m, commands.RegisterRobot{
		TenantID: callerOf(c).tenantID, RobotID: newID(m, req.RobotID), Robot: req.robot()})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, res)
}

func (h *handlers) getRobot(c echo.Context) error {
	id, err := pathID(c, "robot_id")
	if err != nil {
		return err
	}
	if err := h.awaitPosition(c); err != nil {
		return err
	}
	r, err := readmodels.GetRobot(c.Request().Context(), h.d.Reads, callerOf(c).tenantID, id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, r)
}

func (h *handlers) changeRobot(c echo.Context) error {
	id, err := pathID(c, "robot_id")
	if err != nil {
		return err
	}
	return command(c, http.StatusOK, func(ctx context.Context, m commands.Meta, req robotRequest) (commands.Result, error) {
		return h.d.Commands.ChangeRobot(ctx, m, commands.ChangeRobot{TenantID: callerOf(c).tenantID, RobotID: id, Robot: req.robot()})
	})
}

func (h *handlers) removeRobot(c echo.Context) error {
	id, err := pathID(c, "robot_id")
	if err != nil {
		return err
	}
	m, err := meta(c)
	if err != nil {
		return err
	}
	res, err := h.d.Commands.RemoveRobot(c.Request().Context(), m, commands.RemoveRobot{TenantID: callerOf(c).tenantID, RobotID: id})
	return commandResult(c, res, err)
}

func (h *handlers) issueRobotToken(c echo.Context) error {
	id, err := pathID(c, "robot_id")
	if err != nil {
		return err
	}
	m, err := meta(c)
	if err != nil {
		return err
	}
	res, err := h.d.Commands.IssueRobotToken(c.Request().Context(), m, commands.IssueRobotToken{TenantID: callerOf(c).tenantID, RobotID: id})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, res)
}

func (h *handlers) getOwnRobot(c echo.Context) error {
	cl := callerOf(c)
	r, err := readmodels.GetRobot(c.Request().Context(), h.d.Reads, cl.tenantID, cl.robotID)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, r)
}

// robotScope is a robot's reach: the conversations it hosts now.
func robotScope(c echo.Context) commands.Scope {
	cl := callerOf(c)
	return commands.Scope{TenantID: cl.tenantID, Robot: cl.robotID}
}

func (h *handlers) robotSendMessage(c echo.Context) error {
	m, err := meta(c)
	if err != nil {
		return err
	}
	return h.sendMessage(c, robotScope(c), conversation.Actor{Kind: eventschema.SenderRobot, ID: callerOf(c).robotID.String()}, m)
}

// robotHandOver passes the conversation to the agents: it is queued for
// the robot settings' team (robot.agent_team_id), else the next routing
// rule's team, else the default team, as when the customer asks.
func (h *handlers) robotHandOver(c echo.Context) error {
	id, err := pathID(c, "conversation_id")
	if err != nil {
		return err
	}
	m, err := meta(c)
	if err != nil {
		return err
	}
	res, err := h.d.Commands.RequestAgent(c.Request().Context(), m, commands.RequestAgent{Scope: robotScope(c),
		ConversationID: id, Lookups: routeLookups{h}})
	return commandResult(c, res, err)
}

func (h *handlers) robotClose(c echo.Context) error {
	id, err := pathID(c, "conversation_id")
	if err != nil {
		return err
	}
	m, err := meta(c)
	if err != nil {
		return err
	}
	res, err := h.d.Commands.CloseConversation(c.Request().Context(), m, commands.CloseConversation{Scope: robotScope(c),
		ConversationID: id, Reason: eventschema.ClosedByRobot, By: callerOf(c).robotID.String()})
	return commandResult(c, res, err)
}
