package projections

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/google/uuid"

	"supportd/eventschema"
	"supportd/readmodels"
)

// Customers projects the customer streams into the customers read model
// (readmodels/customers.go): profiles, tags, VIP flags, the blacklist and
// the blacklist requests. A tag deleted from the tenant's catalogue is
// taken off every customer, as the catalogue event promises.
type Customers struct {
	reg *eventschema.Registry
}

// NewCustomers returns the customers projector.
func NewCustomers(reg *eventschema.Registry) *Customers { return &Customers{reg: reg} }

// Name implements Projector.
func (*Customers) Name() string { return "customers" }

// Tables implements Projector.
func (*Customers) Tables() []string {
	return []string{readmodels.CustomersTable, readmodels.CustomerTagLinksTable, readmodels.BlacklistTable, readmodels.BlacklistRequestsTable,
		readmodels.BlacklistLogTable}
}

var customerEvents = map[string]bool{
	"ConversationStarted": true, "CustomerProfileSaved": true, "CustomerTagged": true, "CustomerUntagged": true, "CustomerVIPSet": true,
	"BlacklistRequested": true, "BlacklistRequestRejected": true, "CustomerBlacklisted": true, "CustomerUnblacklisted": true,
	"CustomerTagDeleted": true,
}

// customerGuard keeps a replayed older event of a customer stream from
// changing anything: statements on the side tables apply only while the
// customer row is behind the event, and the row's version moves last. The
// row is the customer's ($1) of the tenant in parameter n, at a version
// before $2.
func customerGuard(n int) string {
	return fmt.Sprintf(` AND EXISTS (SELECT 1 FROM customers WHERE tenant_id = $%d AND customer_id = $1 AND version < $2)`, n)
}

// Apply implements Projector.
func (p *Customers) Apply(ctx context.Context, db DB, e eventschema.Envelope) error {
	if !customerEvents[e.Type] {
		return nil
	}
	payload, err := p.reg.Decode(e)
	if err != nil {
		return err
	}
	v, at := int64(e.StreamVersion), occurredAt(e)
	tenantID := e.Metadata.TenantID
	touch := func(id uuid.UUID, set string, args ...any) error {
		n := 4 + len(args)
		return db.Exec(ctx, `UPDATE customers SET `+set+`updated_at = $3, version = $2 WHERE tenant_id = $`+strconv.Itoa(n)+` AND customer_id = $1 AND version < $2`,
			append(append([]any{id, v, at}, args...), tenantID)...)
	}
	switch ev := payload.(type) {
	case eventschema.ConversationStarted:
		// The channel a customer first came from. The start's profile save
		// (commands.saveStartProfile) made the record just before; a row
		// made here (at version -1, before the customer stream's first
		// event, which still applies to it) only covers a start that saved
		// none.
		if ev.CustomerID == uuid.Nil {
			return nil
		}
		return db.Exec(ctx, `
			INSERT INTO customers (customer_id, tenant_id, channel, first_seen, updated_at, version)
			VALUES ($1, $2, $3, $4, $4, -1)
			ON CONFLICT (tenant_id, customer_id) DO UPDATE SET channel = excluded.channel WHERE customers.channel = ''`,
			ev.CustomerID, tenantID, ev.Channel, at)
	case eventschema.CustomerProfileSaved:
		set, cleared := map[string]string{}, []string{}
		for k, val := range ev.Fields {
			if val == "" {
				cleared = append(cleared, k)
			} else {
				set[k] = val
			}
		}
		js, err := json.Marshal(set)
		if err != nil {
			return err
		}
		return db.Exec(ctx, `
			INSERT INTO customers (customer_id, tenant_id, profile, first_seen, updated_at, version)
			VALUES ($1, $4, $5::jsonb, $3, $3, $2)
			ON CONFLICT (tenant_id, customer_id) DO UPDATE SET profile = (customers.profile || $5::jsonb) - $6::text[],
				updated_at = $3, version = $2 WHERE customers.version < $2`,
			ev.CustomerID, v, at, tenantID, string(js), cleared)
	case eventschema.CustomerTagged:
		if err := db.Exec(ctx, `INSERT INTO customer_tag_links (customer_id, tag_id, tenant_id)
			SELECT $1::uuid, $3::uuid, $4::uuid WHERE true`+customerGuard(4)+` ON CONFLICT DO NOTHING`, ev.CustomerID, v, ev.TagID, tenantID); err != nil {
			return err
		}
		return touch(ev.CustomerID, "")
	case eventschema.CustomerUntagged:
		if err := db.Exec(ctx, `DELETE FROM customer_tag_links WHERE tenant_id = $4 AND customer_id = $1 AND tag_id = $3`+customerGuard(4),
			ev.CustomerID, v, ev.TagID, tenantID); err != nil {
			return err
		}
		return touch(ev.CustomerID, "")
	case eventschema.CustomerVIPSet:
		return touch(ev.CustomerID, "vip = $4, ", ev.VIP)
	case eventschema.BlacklistRequested:
		if err := logBlacklist(ctx, db, e, ev.CustomerID, readmodels.BlacklistAsked, ev.RequestedBy, uuid.Nil, ev.RequestID, ev.Reason); err != nil {
			return err
		}
		if err := db.Exec(ctx, `INSERT INTO blacklist_requests (request_id, tenant_id, customer_id, reason, requested_by, requested_at, status)
			SELECT $3::uuid, $4::uuid, $1::uuid, $5::text, $6::uuid, $7::timestamptz, 'pending' WHERE true`+customerGuard(4)+` ON CONFLICT DO NOTHING`,
			ev.CustomerID, v, ev.RequestID, tenantID, ev.Reason, ev.RequestedBy, at); err != nil {
			return err
		}
		return touch(ev.CustomerID, "")
	case eventschema.BlacklistRequestRejected:
		if err := logBlacklist(ctx, db, e, ev.CustomerID, readmodels.BlacklistRejected, ev.RejectedBy, uuid.Nil, ev.RequestID, ev.Remark); err != nil {
			return err
		}
		if err := db.Exec(ctx, `UPDATE blacklist_requests SET status = 'rejected', decided_by = $4, decided_at = $5, remark = $6
			WHERE tenant_id = $7 AND request_id = $3`+customerGuard(7), ev.CustomerID, v, ev.RequestID, ev.RejectedBy, at, ev.Remark, tenantID); err != nil {
			return err
		}
		return touch(ev.CustomerID, "")
	case eventschema.CustomerBlacklisted:
		if err := logBlacklist(ctx, db, e, ev.CustomerID, readmodels.BlacklistAdded, ev.By, ev.ApprovedBy, ev.RequestID, ev.Reason); err != nil {
			return err
		}
		if ev.RequestID != uuid.Nil {
			if err := db.Exec(ctx, `UPDATE blacklist_requests SET status = 'approved', decided_by = $4, decided_at = $5
				WHERE tenant_id = $6 AND request_id = $3`+customerGuard(6), ev.CustomerID, v, ev.RequestID, ev.ApprovedBy, at, tenantID); err != nil {
				return err
			}
		}
		if err := db.Exec(ctx, `INSERT INTO blacklist (customer_id, tenant_id, reason, added_by, request_id, approved_by, added_at)
			SELECT $1::uuid, $3::uuid, $4::text, $5::uuid, $6::uuid, $7::uuid, $8::timestamptz WHERE true`+customerGuard(3)+` ON CONFLICT (tenant_id, customer_id) DO NOTHING`,
			ev.CustomerID, v, tenantID, ev.Reason, ev.By, nilable(ev.RequestID), nilable(ev.ApprovedBy), at); err != nil {
			return err
		}
		return touch(ev.CustomerID, "blacklisted = true, ")
	case eventschema.CustomerUnblacklisted:
		if err := logBlacklist(ctx, db, e, ev.CustomerID, readmodels.BlacklistRemoved, ev.By, uuid.Nil, uuid.Nil, ""); err != nil {
			return err
		}
		if err := db.Exec(ctx, `DELETE FROM blacklist WHERE tenant_id = $3 AND customer_id = $1`+customerGuard(3), ev.CustomerID, v, tenantID); err != nil {
			return err
		}
		return touch(ev.CustomerID, "blacklisted = false, ")
	case eventschema.CustomerTagDeleted:
		return db.Exec(ctx, `DELETE FROM customer_tag_links WHERE tenant_id = $1 AND tag_id = $2`, ev.TenantID, ev.TagID)
	}
	return nil
}

// logBlacklist writes one line of the blacklist log; the event's ID keys
// it, so a replay writes nothing twice.
func logBlacklist(ctx context.Context, db DB, e eventschema.Envelope, customerID uuid.UUID, action string, by, approvedBy, requestID uuid.UUID, reason string) error {
	return db.Exec(ctx, `
		INSERT INTO blacklist_log (event_id, tenant_id, customer_id, action, by_agent, approved_by, request_id, reason, at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (event_id) DO NOTHING`,
		e.ID, e.Metadata.TenantID, customerID, action, nilable(by), nilable(approvedBy), nilable(requestID), reason, occurredAt(e))
}

// nilable stores uuid.Nil as NULL.
func nilable(id uuid.UUID) *uuid.UUID {
	if id == uuid.Nil {
		return nil
	}
	return &id
}

// EventTypes implements Selective.
func (*Customers) EventTypes() []string { return typesOf(customerEvents) }
