package readmodels

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// Tables of the customers read model, written by the "customers" projector.
const (
	CustomersTable         = "customers"
	CustomerTagLinksTable  = "customer_tag_links"
	BlacklistTable         = "blacklist"
	BlacklistRequestsTable = "blacklist_requests"
)

// Customer is one customer as the consoles show it.
type Customer struct {
	CustomerID uuid.UUID `json:"customer_id"`
	// Profile holds the non-empty values by profile-field ID.
	Profile     map[string]string `json:"profile"`
	Tags        []uuid.UUID       `json:"tags"`
	VIP         bool              `json:"vip"`
	Blacklisted bool              `json:"blacklisted"`
	// Channel is the channel the customer first came from.
	Channel   string    `json:"channel"`
	FirstSeen time.Time `json:"first_seen"`
	UpdatedAt time.Time `json:"updated_at"`
	// Version is the customer stream's version, usable as If-Match.
	Version uint64 `json:"version"`
}

const customerColumns = `c.customer_id, c.profile,
	ARRAY(SELECT l.tag_id FROM customer_tag_links l WHERE l.tenant_id = c.tenant_id AND l.customer_id = c.customer_id ORDER BY l.tag_id),
	c.vip, c.blacklisted, c.channel, c.first_seen, c.updated_at, c.version`

func scanCustomer(r pgx.Row) (Customer, error) {
	var (
		c Customer
		v int64
	)
	err := r.Scan(&c.CustomerID, &c.Profile, &c.Tags, &c.VIP, &c.Blacklisted, &c.Channel, &c.FirstSeen, &c.UpdatedAt, &v)
	c.Version = uint64(max(v, 0)) // -1: no event of the customer's own yet
	if c.Tags == nil {
		c.Tags = []uuid.UUID{}
	}
	return c, err
}

// CustomerFilter narrows the customer list.
type CustomerFilter struct {
	// Query matches the nickname, real name, phone, e-mail, the channel's
	// customer ID or the customer's UUID (case-insensitive substring).
	Query       string
	TagID       uuid.UUID
	Blacklisted *bool
	VIP         *bool
	// After is the cursor returned with the previous page.
	After string
	Limit int
	// Scope, when set, keeps the customers within a team-scoped user's
	// data scope (CustomerScope).
	Scope *CustomerScope
}

// CustomerScope is a team-scoped user's reach over customers: those with
// a conversation routed to one of Teams, and those Agent served.
type CustomerScope struct {
	Agent uuid.UUID
	Teams []uuid.UUID
}

// scopeSQL is the condition that customer c (a customers row alias) is in
// scope, with the scope's values as arguments $n and $n+1.
func (s CustomerScope) sql(alias, agentArg, teamsArg string) string {
	return fmt.Sprintf(`(EXISTS (SELECT 1 FROM conversations v WHERE v.tenant_id = %[1]s.tenant_id AND v.customer_id = %[1]s.customer_id AND v.team_id = ANY(%[3]s))
		OR EXISTS (SELECT 1 FROM dispatch_familiarity f WHERE f.tenant_id = %[1]s.tenant_id AND f.customer_id = %[1]s.customer_id AND f.agent_id = %[2]s))`,
		alias, agentArg, teamsArg)
}

// CustomerInScope reports whether a customer is within scope.
func CustomerInScope(ctx context.Context, q Querier, tenantID, customerID uuid.UUID, s CustomerScope) (bool, error) {
	var ok bool
	err := q.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM (SELECT $1::uuid AS tenant_id, $2::uuid AS customer_id) c WHERE `+
		s.sql("c", "$3", "$4")+`)`, tenantID, customerID, s.Agent, s.Teams).Scan(&ok)
	if err != nil {
		return false, fmt.Errorf("customer %s in scope: %w", customerID, err)
	}
	return ok, nil
}

// ListCustomers lists a tenant's customers, newest first, with keyset
// pagination. It returns the page and the cursor of the next one (""
// when this is the last).
func ListCustomers(ctx context.Context, q Querier, tenantID uuid.UUID, f CustomerFilter) ([]Customer, string, error) {
	limit := f.Limit
	if limit <= 0 || limit > 200 {
		limit = 50
	}
	where := []string{"c.tenant_id = $1"}
	args := []any{tenantID}
	arg := func(v any) string {
		args = append(args, v)
		return fmt.Sprintf("$%d", len(args))
	}
	if s := strings.TrimSpace(f.Query); s != "" {
		p := arg("%" + strings.NewReplacer(`\`, `\\`, "%", `\%`, "_", `\_`).Replace(strings.ToLower(s)) + "%")
		var or []string
		for _, k := range []string{"nickname", "real_name", "phone", "email", "customer_id"} {
			or = append(or, fmt.Sprintf("lower(c.profile->>'%s') LIKE %s", k, p))
		}
		or = append(or, "c.customer_id::text LIKE "+p)
		where = append(where, "("+strings.Join(or, " OR ")+")")
	}
	if f.TagID != uuid.Nil {
		where = append(where, "EXISTS (SELECT 1 FROM customer_tag_links l WHERE l.tenant_id = c.tenant_id AND l.customer_id = c.customer_id AND l.tag_id = "+arg(f.TagID)+")")
	}
	if f.Blacklisted != nil {
		where = append(where, "c.blacklisted = "+arg(*f.Blacklisted))
	}
	if f.VIP != nil {
		where = append(where, "c.vip = "+arg(*f.VIP))
	}
	if f.Scope != nil {
		where = append(where, f.Scope.sql("c", arg(f.Scope.Agent), arg(f.Scope.Teams)))
	}
	if f.After != "" {
		cur, err := decodeCursor(f.After)
		if err != nil {
			return nil, "", err
		}
		t, err := time.Parse(time.RFC3339Nano, cur.Key)
		if err != nil {
			return nil, "", fmt.Errorf("cursor: %w", ErrInvalidFilter)
		}
		where = append(where, fmt.Sprintf("(c.first_seen, c.customer_id) < (%s, %s)", arg(t), arg(cur.ID)))
	}
	rows, err := q.Query(ctx, `SELECT `+customerColumns+` FROM customers c WHERE `+strings.Join(where, " AND ")+
		` ORDER BY c.first_seen DESC, c.customer_id DESC LIMIT `+fmt.Sprint(limit+1), args...)
	if err != nil {
		return nil, "", fmt.Errorf("list customers: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Customer, error) { return scanCustomer(r) })
	if err != nil {
		return nil, "", fmt.Errorf("list customers: %w", err)
	}
	next := ""
	if len(out) > limit {
		out = out[:limit]
		last := out[limit-1]
		next = encodeCursor(agentCursor{Key: last.FirstSeen.Format(time.RFC3339Nano), ID: last.CustomerID})
	}
	if out == nil {
		out = []Customer{}
	}
	return out, next, nil
}

// GetCustomer returns a customer of the tenant, or ErrNotFound.
func GetCustomer(ctx context.Context, q Querier, tenantID, customerID uuid.UUID) (Customer, error) {
	c, err := scanCustomer(q.QueryRow(ctx, `SELECT `+customerColumns+` FROM customers c
		WHERE c.tenant_id = $1 AND c.customer_id = $2`, tenantID, customerID))
	if errors.Is(err, pgx.ErrNoRows) {
		return Customer{}, fmt.Errorf("customer %s: %w", customerID, ErrNotFound)
	}
	if err != nil {
		return Customer{}, fmt.Errorf("customer %s: %w", customerID, err)
	}
	return c, nil
}

// BlacklistEntry is a customer on the blacklist now.
type BlacklistEntry struct {
	CustomerID uuid.UUID `json:"customer_id"`
	Nickname   string    `json:"nickname"`
	Reason     string    `json:"reason"`
	AddedBy    uuid.UUID `json:"added_by"`
	// RequestID and ApprovedBy are set when an admin approved a request.
	RequestID  *uuid.UUID `json:"request_id"`
	ApprovedBy *uuid.UUID `json:"approved_by"`
	AddedAt    time.Time  `json:"added_at"`
}

// ListBlacklist lists a tenant's blacklist, latest first, keyset-paged by
// the cursor it returns.
func ListBlacklist(ctx context.Context, q Querier, tenantID uuid.UUID, after string, limit int) ([]BlacklistEntry, string, error) {
	if limit <= 0 || limit > 200 {
		limit = 50
	}
	sql := `SELECT b.customer_id, coalesce(c.profile->>'nickname', ''), b.reason, b.added_by, b.request_id, b.approved_by, b.added_at
		FROM blacklist b LEFT JOIN customers c ON c.tenant_id = b.tenant_id AND c.customer_id = b.customer_id WHERE b.tenant_id = $1`
	args := []any{tenantID}
	if after != "" {
		t, id, err := timeCursor(after)
		if err != nil {
			return nil, "", err
		}
		sql += ` AND (b.added_at, b.customer_id) < ($2, $3)`
		args = append(args, t, id)
	}
	rows, err := q.Query(ctx, sql+` ORDER BY b.added_at DESC, b.customer_id DESC LIMIT `+fmt.Sprint(limit+1), args...)
	if err != nil {
		return nil, "", fmt.Errorf("blacklist: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (BlacklistEntry, error) {
		var b BlacklistEntry
		err := r.Scan(&b.CustomerID, &b.Nickname, &b.Reason, &b.AddedBy, &b.RequestID, &b.ApprovedBy, &b.AddedAt)
		return b, err
	})
	if err != nil {
		return nil, "", fmt.Errorf("blacklist: %w", err)
	}
	next := ""
	if len(out) > limit {
		out = out[:limit]
		next = encodeCursor(agentCursor{Key: out[limit-1].AddedAt.Format(time.RFC3339Nano), ID: out[limit-1].CustomerID})
	}
	if out == nil {
		out = []BlacklistEntry{}
	}
	return out, next, nil
}

func timeCursor(s string) (time.Time, uuid.UUID, error) {
	cur, err := decodeCursor(s)
	if err != nil {
		return time.Time{}, uuid.Nil, err
	}
	t, err := time.Parse(time.RFC3339Nano, cur.Key)
	if err != nil {
		return time.Time{}, uuid.Nil, fmt.Errorf("cursor: %w", ErrInvalidFilter)
	}
	return t, cur.ID, nil
}

// BlacklistRequest is an agent's request to blacklist a customer.
type BlacklistRequest struct {
	RequestID   uuid.UUID  `json:"request_id"`
	CustomerID  uuid.UUID  `json:"customer_id"`
	Nickname    string     `json:"nickname"`
	Reason      string     `json:"reason"`
	RequestedBy uuid.UUID  `json:"requested_by"`
	RequestedAt time.Time  `json:"requested_at"`
	Status      string     `json:"status"`
	DecidedBy   *uuid.UUID `json:"decided_by"`
	DecidedAt   *time.Time `json:"decided_at"`
	Remark      string     `json:"remark"`
}

const requestColumns = `r.request_id, r.customer_id, coalesce(c.profile->>'nickname', ''), r.reason, r.requested_by,
	r.requested_at, r.status, r.decided_by, r.decided_at, r.remark`

func scanRequest(r pgx.Row) (BlacklistRequest, error) {
	var b BlacklistRequest
	err := r.Scan(&b.RequestID, &b.CustomerID, &b.Nickname, &b.Reason, &b.RequestedBy, &b.RequestedAt, &b.Status, &b.DecidedBy, &b.DecidedAt, &b.Remark)
	return b, err
}

// ListBlacklistRequests lists a tenant's blacklist requests, latest first,
// optionally only those of one status, keyset-paged.
func ListBlacklistRequests(ctx context.Context, q Querier, tenantID uuid.UUID, status, after string, limit int) ([]BlacklistRequest, string, error) {
	if limit <= 0 || limit > 200 {
		limit = 50
	}
	sql := `SELECT ` + requestColumns + ` FROM blacklist_requests r LEFT JOIN customers c ON c.tenant_id = r.tenant_id AND c.customer_id = r.customer_id WHERE r.tenant_id = $1`
	args := []any{tenantID}
	switch status {
	case "":
	case "pending", "approved", "rejected":
		args = append(args, status)
		sql += fmt.Sprintf(` AND r.status = $%d`, len(args))
	default:
		return nil, "", fmt.Errorf("status %q: want pending, approved or rejected: %w", status, ErrInvalidFilter)
	}
	if after != "" {
		t, id, err := timeCursor(after)
		if err != nil {
			return nil, "", err
		}
		args = append(args, t, id)
		sql += fmt.Sprintf(` AND (r.requested_at, r.request_id) < ($%d, $%d)`, len(args)-1, len(args))
	}
	rows, err := q.Query(ctx, sql+` ORDER BY r.requested_at DESC, r.request_id DESC LIMIT `+fmt.Sprint(limit+1), args...)
	if err != nil {
		return nil, "", fmt.Errorf("blacklist requests: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (BlacklistRequest, error) { return scanRequest(r) })
	if err != nil {
		return nil, "", fmt.Errorf("blacklist requests: %w", err)
	}
	next := ""
	if len(out) > limit {
		out = out[:limit]
		next = encodeCursor(agentCursor{Key: out[limit-1].RequestedAt.Format(time.RFC3339Nano), ID: out[limit-1].RequestID})
	}
	if out == nil {
		out = []BlacklistRequest{}
	}
	return out, next, nil
}

// GetBlacklistRequest returns a blacklist request of the tenant, or
// ErrNotFound.
func GetBlacklistRequest(ctx context.Context, q Querier, tenantID, requestID uuid.UUID) (BlacklistRequest, error) {
	b, err := scanRequest(q.QueryRow(ctx, `SELECT `+requestColumns+` FROM blacklist_requests r
		LEFT JOIN customers c ON c.tenant_id = r.tenant_id AND c.customer_id = r.customer_id WHERE r.tenant_id = $1 AND r.request_id = $2`, tenantID, requestID))
	if errors.Is(err, pgx.ErrNoRows) {
		return b, fmt.Errorf("blacklist request %s: %w", requestID, ErrNotFound)
	}
	if err != nil {
		return b, fmt.Errorf("blacklist request %s: %w", requestID, err)
	}
	return b, nil
}

// BlacklistLogTable is written by the "customers" projector.
const BlacklistLogTable = "blacklist_log"

// Blacklist log actions.
const (
	BlacklistAsked    = "requested" // an agent asked; an admin decides
	BlacklistRejected = "rejected"  // an admin refused a request
	BlacklistAdded    = "added"     // on the blacklist (at once, or approved)
	BlacklistRemoved  = "removed"   // off the blacklist
)

// BlacklistLogEntry is one line of the blacklist log. By is who asked,
// added (the agent who asked, when approved), rejected or removed;
// ApprovedBy the admin who approved; Reason the reason, or a rejection's
// remark.
type BlacklistLogEntry struct {
	EventID    uuid.UUID  `json:"event_id"`
	CustomerID uuid.UUID  `json:"customer_id"`
	Nickname   string     `json:"nickname"`
	Action     string     `json:"action"`
	By         *uuid.UUID `json:"by"`
	ApprovedBy *uuid.UUID `json:"approved_by"`
	RequestID  *uuid.UUID `json:"request_id"`
	Reason     string     `json:"reason"`
	At         time.Time  `json:"at"`
}

// BlacklistLogFilter selects log lines; zero values select everything.
type BlacklistLogFilter struct {
	CustomerID uuid.UUID
	Action     string
	From, To   time.Time // [From, To)
	After      string    // cursor
	Limit      int
}

// ListBlacklistLog lists a tenant's blacklist log, newest first, in keyset
// pages.
func ListBlacklistLog(ctx context.Context, q Querier, tenantID uuid.UUID, f BlacklistLogFilter) ([]BlacklistLogEntry, string, error) {
	limit := f.Limit
	if limit <= 0 || limit > 200 {
		limit = 50
	}
	sql := `SELECT l.event_id, l.customer_id, coalesce(c.profile->>'nickname', ''), l.action, l.by_agent, l.approved_by, l.request_id, l.reason, l.at
		FROM blacklist_log l LEFT JOIN customers c ON c.tenant_id = l.tenant_id AND c.customer_id = l.customer_id WHERE l.tenant_id = $1`
	args := []any{tenantID}
	arg := func(v any) string { args = append(args, v); return fmt.Sprintf("$%d", len(args)) }
	if f.CustomerID != uuid.Nil {
		sql += ` AND l.customer_id = ` + arg(f.CustomerID)
	}
	switch f.Action {
	case "":
	case BlacklistAsked, BlacklistRejected, BlacklistAdded, BlacklistRemoved:
		sql += ` AND l.action = ` + arg(f.Action)
	default:
		return nil, "", fmt.Errorf("action %q: want requested, rejected, added or removed: %w", f.Action, ErrInvalidFilter)
	}
	if !f.From.IsZero() {
		sql += ` AND l.at >= ` + arg(f.From)
	}
	if !f.To.IsZero() {
		sql += ` AND l.at < ` + arg(f.To)
	}
	if f.After != "" {
		t, id, err := timeCursor(f.After)
		if err != nil {
			return nil, "", err
		}
		sql += fmt.Sprintf(` AND (l.at, l.event_id) < (%s, %s)`, arg(t), arg(id))
	}
	rows, err := q.Query(ctx, sql+` ORDER BY l.at DESC, l.event_id DESC LIMIT `+fmt.Sprint(limit+1), args...)
	if err != nil {
		return nil, "", fmt.Errorf("blacklist log: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (BlacklistLogEntry, error) {
		var b BlacklistLogEntry
		err := r.Scan(&b.EventID, &b.CustomerID, &b.Nickname, &b.Action, &b.By, &b.ApprovedBy, &b.RequestID, &b.Reason, &b.At)
		return b, err
	})
	if err != nil {
		return nil, "", fmt.Errorf("blacklist log: %w", err)
	}
	next := ""
	if len(out) > limit {
		out = out[:limit]
		next = encodeCursor(agentCursor{Key: out[limit-1].At.Format(time.RFC3339Nano), ID: out[limit-1].EventID})
	}
	if out == nil {
		out = []BlacklistLogEntry{}
	}
	return out, next, nil
}
