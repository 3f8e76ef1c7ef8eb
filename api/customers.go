package api

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"supportd/commands"
	"supportd/domain/access"
	"supportd/domain/customer"
	"supportd/eventschema"
	"supportd/readmodels"
)

// Customers: agents view and edit profiles, tags and the VIP flag, and add
// customers to the blacklist (or ask to, when the tenant's approval switch
// is on); removing a customer from the blacklist is for admins and for
// roles with agent.unblacklist (seed 003: agents remove from the customer's
// details; the built-in agent role has it), viewing the blacklist and its
// log is admin work, approving requests needs admin.approvals. Channels save
// the customer info they know (the automatic save). Every look-up is
// confined to the caller's tenant: another tenant's customer is a 404.
func (h *handlers) customerRoutes(g *echo.Group) {
	g.GET("/customers", h.listCustomers, need(access.Customers))
	g.GET("/customers/:customer_id", h.getCustomer, need(access.Customers))
	g.PUT("/customers/:customer_id/profile", h.editCustomerProfile, need(access.Customers))
	g.POST("/customers/:customer_id/tags", h.tagCustomer, need(access.Customers))
	g.DELETE("/customers/:customer_id/tags/:tag_id", h.untagCustomer, need(access.Customers))
	g.PUT("/customers/:customer_id/vip", h.setCustomerVIP, need(access.Customers))
	g.POST("/customers/:customer_id/blacklist", h.blacklistCustomer, need(access.Customers))
	g.DELETE("/customers/:customer_id/blacklist", h.unblacklistCustomer, need(access.AdminCustomers, access.Unblacklist))
	g.GET("/blacklist", h.listBlacklist, need(access.AdminCustomers))
	g.GET("/blacklist/log", h.listBlacklistLog, need(access.AdminCustomers))
	g.GET("/blacklist-requests", h.listBlacklistRequests, need(access.Approvals))
	g.POST("/blacklist-requests/:request_id/approve", h.approveBlacklist, need(access.Approvals))
	g.POST("/blacklist-requests/:request_id/reject", h.rejectBlacklist, need(access.Approvals))
	g.POST("/channel/customers", h.saveChannelCustomer, channelOnly)
}

// pageParams reads the keyset page parameters every list takes.
func pageParams(c echo.Context) (after string, limit int, err error) {
	if v := c.QueryParam("limit"); v != "" {
		if limit, err = strconv.Atoi(v); err != nil {
			return "", 0, echo.NewHTTPError(http.StatusUnprocessableEntity, "limit: want an integer")
		}
	}
	return c.QueryParam("after"), limit, nil
}

func boolParam(c echo.Context, name string) (*bool, error) {
	v := c.QueryParam(name)
	if v == "" {
		return nil, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return nil, echo.NewHTTPError(http.StatusUnprocessableEntity, name+": want true or false")
	}
	return &b, nil
}

// page answers one page of a keyset-paged list.
func page[T any](c echo.Context, items []T, next string) error {
	out := map[string]any{"items": items, "next": nil}
	if next != "" {
		out["next"] = next
	}
	return c.JSON(http.StatusOK, out)
}

func (h *handlers) listCustomers(c echo.Context) error {
	if err := h.awaitPosition(c); err != nil {
		return err
	}
	f := readmodels.CustomerFilter{Query: c.QueryParam("q")}
	var err error
	if f.After, f.Limit, err = pageParams(c); err != nil {
		return err
	}
	if v := c.QueryParam("tag_id"); v != "" {
		if f.TagID, err = uuid.Parse(v); err != nil {
			return echo.NewHTTPError(http.StatusUnprocessableEntity, "tag_id: want a UUID")
		}
	}
	if f.Blacklisted, err = boolParam(c, "blacklisted"); err != nil {
		return err
	}
	if f.VIP, err = boolParam(c, "vip"); err != nil {
		return err
	}
	f.Scope = customerScope(c)
	items, next, err := readmodels.ListCustomers(c.Request().Context(), h.d.Reads, callerOf(c).tenantID, f)
	if err != nil {
		return err
	}
	return page(c, items, next)
}

func (h *handlers) getCustomer(c echo.Context) error {
	id, err := pathID(c, "customer_id")
	if err != nil {
		return err
	}
	if err := h.awaitPosition(c); err != nil {
		return err
	}
	if err := h.customerInScope(c, id); err != nil {
		return err
	}
	cu, err := readmodels.GetCustomer(c.Request().Context(), h.d.Reads, callerOf(c).tenantID, id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, cu)
}

// customerCommand parses the customer ID, within the caller's data scope,
// and the command's metadata.
func (h *handlers) customerCommand(c echo.Context) (uuid.UUID, commands.Meta, error) {
	id, err := pathID(c, "customer_id")
	if err != nil {
		return id, commands.Meta{}, err
	}
	if err := h.customerInScope(c, id); err != nil {
		return id, commands.Meta{}, err
	}
	m, err := meta(c)
	return id, m, err
}

// customerScope is the caller's reach over customers: nil (every one of
// the tenant) with tenant scope, else the customers of its teams'
// conversations and those it served (the manual's data scope; seed 002
// "Customer").
func customerScope(c echo.Context) *readmodels.CustomerScope {
	cl := callerOf(c)
	if cl.principal.Role.DataScope != access.TeamScope || cl.agentID == uuid.Nil {
		return nil
	}
	s := &readmodels.CustomerScope{Agent: cl.agentID, Teams: []uuid.UUID{}}
	for _, t := range cl.principal.Teams {
		if id, err := uuid.Parse(t); err == nil {
			s.Teams = append(s.Teams, id)
		}
	}
	return s
}

// customerInScope answers 404 for a customer outside the caller's data
// scope, as for another tenant's: the one place customer routes check it.
func (h *handlers) customerInScope(c echo.Context, id uuid.UUID) error {
	s := customerScope(c)
	if s == nil {
		return nil
	}
	ok, err := readmodels.CustomerInScope(c.Request().Context(), h.d.Reads, callerOf(c).tenantID, id, *s)
	if err != nil {
		return err
	}
	if !ok {
		return ErrNotFound
	}
	return nil
}

func (h *handlers) editCustomerProfile(c echo.Context) error {
	id, m, err := h.customerCommand(c)
	if err != nil {
		return err
	}
	var req struct {
		Fields map[string]string `json:"fields"`
	}
	if err := c.Bind(&req); err != nil {
		return err
	}
	res, err := h.d.Commands.SaveCustomerProfile(c.Request().Context(), m, commands.SaveCustomerProfile{
		TenantID: callerOf(c).tenantID, CustomerID: id, Source: eventschema.ProfileFromAgent, Values: req.Fields})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, res)
}

func (h *handlers) tagCustomer(c echo.Context) error {
	id, m, err := h.customerCommand(c)
	if err != nil {
		return err
	}
	var req struct {
		TagID uuid.UUID `json:"tag_id"`
	}
	if err := c.Bind(&req); err != nil {
		return err
	}
	res, err := h.d.Commands.TagCustomer(c.Request().Context(), m, commands.TagCustomer{
		TenantID: callerOf(c).tenantID, CustomerID: id, TagID: req.TagID})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, res)
}

func (h *handlers) untagCustomer(c echo.Context) error {
	id, m, err := h.customerCommand(c)
	if err != nil {
		return err
	}
	tag, err := pathID(c, "tag_id")
	if err != nil {
		return err
	}
	res, err := h.d.Commands.UntagCustomer(c.Request().Context(), m, commands.UntagCustomer{
		TenantID: callerOf(c).tenantID, CustomerID: id, TagID: tag})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, res)
}

func (h *handlers) setCustomerVIP(c echo.Context) error {
	id, m, err := h.customerCommand(c)
	if err != nil {
		return err
	}
	var req struct {
		VIP bool `json:"vip"`
	}
	if err := c.Bind(&req); err != nil {
		return err
	}
	res, err := h.d.Commands.SetCustomerVIP(c.Request().Context(), m, commands.SetCustomerVIP{
		TenantID: callerOf(c).tenantID, CustomerID: id, VIP: req.VIP})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, res)
}

// blacklistCustomer answers 201 with status "blacklisted", or, when the
// approval switch made it a request, 202 with status "requested" and the
// request's ID.
func (h *handlers) blacklistCustomer(c echo.Context) error {
	id, m, err := h.customerCommand(c)
	if err != nil {
		return err
	}
	var req struct {
		Reason string `json:"reason"`
	}
	if err := c.Bind(&req); err != nil {
		return err
	}
	cl := callerOf(c)
	requestID := newID(m, uuid.Nil)
	res, err := h.d.Commands.Blacklist(c.Request().Context(), m, commands.Blacklist{
		TenantID: cl.tenantID, CustomerID: id, RequestID: requestID, Reason: req.Reason,
		CanApprove: cl.principal.Role.Allows(access.Approvals)})
	if err != nil {
		return err
	}
	// Whether it became a request is read back from the customer's stream,
	// so a retried call answers as the first did.
	blacklisted, err := h.d.Commands.CustomerBlacklisted(c.Request().Context(), cl.tenantID, id)
	if err != nil {
		return err
	}
	out := map[string]any{"stream": res.Stream, "version": res.Version, "position": res.Position, "events": res.Events}
	if blacklisted {
		closed, last, err := h.closeForBlacklist(c, m, res.Position, id)
		if err != nil {
			return err
		}
		if closed > 0 {
			out["position"] = last.Position // read-your-writes covers the closes
		}
		out["status"], out["closed_conversations"] = "blacklisted", closed
		return c.JSON(http.StatusCreated, out)
	}
	out["status"], out["request_id"] = "requested", requestID
	return c.JSON(http.StatusAccepted, out)
}

func (h *handlers) unblacklistCustomer(c echo.Context) error {
	id, m, err := h.customerCommand(c)
	if err != nil {
		return err
	}
	res, err := h.d.Commands.Unblacklist(c.Request().Context(), m, commands.Unblacklist{TenantID: callerOf(c).tenantID, CustomerID: id})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, res)
}

func (h *handlers) listBlacklist(c echo.Context) error {
	if err := h.awaitPosition(c); err != nil {
		return err
	}
	after, limit, err := pageParams(c)
	if err != nil {
		return err
	}
	items, next, err := readmodels.ListBlacklist(c.Request().Context(), h.d.Reads, callerOf(c).tenantID, after, limit)
	if err != nil {
		return err
	}
	return page(c, items, next)
}

// listBlacklistLog lists who asked, added, rejected and removed, when and
// why, newest first.
func (h *handlers) listBlacklistLog(c echo.Context) error {
	if err := h.awaitPosition(c); err != nil {
		return err
	}
	f := readmodels.BlacklistLogFilter{Action: c.QueryParam("action")}
	var err error
	if f.After, f.Limit, err = pageParams(c); err != nil {
		return err
	}
	if id, err := queryUUID(c, "customer_id"); err != nil {
		return err
	} else if id != nil {
		f.CustomerID = *id
	}
	for name, dst := range map[string]*time.Time{"from": &f.From, "to": &f.To} {
		if t, err := queryTime(c, name); err != nil {
			return err
		} else if t != nil {
			*dst = *t
		}
	}
	items, next, err := readmodels.ListBlacklistLog(c.Request().Context(), h.d.Reads, callerOf(c).tenantID, f)
	if errors.Is(err, readmodels.ErrInvalidFilter) {
		return echo.NewHTTPError(http.StatusUnprocessableEntity, err.Error())
	}
	if err != nil {
		return err
	}
	return page(c, items, next)
}

func (h *handlers) listBlacklistRequests(c echo.Context) error {
	if err := h.awaitPosition(c); err != nil {
		return err
	}
	after, limit, err := pageParams(c)
	if err != nil {
		return err
	}
	items, next, err := readmodels.ListBlacklistRequests(c.Request().Context(), h.d.Reads, callerOf(c).tenantID, c.QueryParam("status"), after, limit)
	if err != nil {
		return err
	}
	return page(c, items, next)
}

// decideBlacklistRequest finds the request's customer in the caller's
// tenant (a 404 for another tenant's request) and runs decide on it.
func (h *handlers) decideBlacklistRequest(c echo.Context, decide func(commands.Meta, commands.DecideBlacklistRequest) (commands.Result, error)) error {
	id, err := pathID(c, "request_id")
	if err != nil {
		return err
	}
	m, err := meta(c)
	if err != nil {
		return err
	}
	var req struct {
		Remark string `json:"remark"`
	}
	if c.Request().ContentLength != 0 {
		if err := c.Bind(&req); err != nil {
			return err
		}
	}
	if err := h.awaitPosition(c); err != nil {
		return err
	}
	tenantID := callerOf(c).tenantID
	r, err := readmodels.GetBlacklistRequest(c.Request().Context(), h.d.Reads, tenantID, id)
	if err != nil {
		return err
	}
	res, err := decide(m, commands.DecideBlacklistRequest{TenantID: tenantID, CustomerID: r.CustomerID, RequestID: id, Remark: req.Remark})
	if err != nil {
		return err
	}
	// An approval closes the customer's ongoing conversations.
	closed, last, err := h.closeForBlacklist(c, m, res.Position, r.CustomerID)
	if err != nil {
		return err
	}
	if closed > 0 {
		res.Position = last.Position // read-your-writes covers the closes
	}
	return c.JSON(http.StatusOK, res)
}

func (h *handlers) approveBlacklist(c echo.Context) error {
	return h.decideBlacklistRequest(c, func(m commands.Meta, d commands.DecideBlacklistRequest) (commands.Result, error) {
		return h.d.Commands.ApproveBlacklist(c.Request().Context(), m, d)
	})
}

func (h *handlers) rejectBlacklist(c echo.Context) error {
	return h.decideBlacklistRequest(c, func(m commands.Meta, d commands.DecideBlacklistRequest) (commands.Result, error) {
		return h.d.Commands.RejectBlacklist(c.Request().Context(), m, d)
	})
}

// saveChannelCustomer is the automatic save of customer info by a channel:
// it names the customer by UUID, or by its own external ID (from which the
// customer's UUID is derived), and answers the customer's ID and whether it
// is blacklisted.
func (h *handlers) saveChannelCustomer(c echo.Context) error {
	m, err := meta(c)
	if err != nil {
		return err
	}
	var req struct {
		CustomerID uuid.UUID         `json:"customer_id"`
		ExternalID string            `json:"external_id"`
		Profile    map[string]string `json:"profile"`
	}
	if err := c.Bind(&req); err != nil {
		return err
	}
	cl := callerOf(c)
	id := req.CustomerID
	if id == uuid.Nil && req.ExternalID != "" {
		id = customer.ID(cl.tenantID, cl.channel.Channel, req.ExternalID)
	}
	if id == uuid.Nil {
		return echo.NewHTTPError(http.StatusUnprocessableEntity, "customer_id or external_id is required")
	}
	ctx := c.Request().Context()
	res, err := h.d.Commands.SaveCustomerProfile(ctx, m, commands.SaveCustomerProfile{
		TenantID: cl.tenantID, CustomerID: id, Source: eventschema.ProfileFromConversation, Values: req.Profile})
	if err != nil {
		return err
	}
	blacklisted, err := h.d.Commands.CustomerBlacklisted(ctx, cl.tenantID, id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"customer_id": id, "blacklisted": blacklisted, "stream": res.Stream,
		"version": res.Version, "position": res.Position, "events": res.Events})
}

// closeForBlacklist closes the ongoing conversations of a customer just
// blacklisted (at position): the conversations read model is let catch up
// with the blacklisting first, so every conversation started before it is
// found, and starts after it are refused. The race left: a start that read
// the customer just before the blacklisting and appended just after it.
func (h *handlers) closeForBlacklist(c echo.Context, m commands.Meta, position eventschema.Position, customerID uuid.UUID) (int, commands.Result, error) {
	if h.d.WaitFor != nil {
		if err := h.d.WaitFor(c.Request().Context(), position); err != nil {
			return 0, commands.Result{}, err
		}
	}
	return h.d.Commands.CloseForBlacklist(c.Request().Context(), m, callerOf(c).tenantID, customerID)
}
