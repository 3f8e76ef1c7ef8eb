// Package customer is the customer aggregate: one customer of a tenant,
// with its profile, customer tags, VIP flag and blacklist state. Stream:
// "customer-{tenant id}_{customer id}".
//
// Identity. A customer is identified by a UUID. Channels that know the
// customer by a UUID of their own send it as is; channels that know it by
// an external ID (a WhatsApp number, a web visitor ID, a CRM partner ID)
// get ID(tenant, channel, external ID), a UUIDv5, so the same person on
// the same channel of the same tenant is always the same customer, and
// equal external IDs of two tenants or two channels never meet. Streams
// are global, so every decision checks the tenant the stream belongs to:
// another tenant's customer is "not found".
package customer

import (
	"maps"
	"net/mail"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"supportd/domain"
	"supportd/domain/profilefields"
	"supportd/domain/tags"
	"supportd/eventschema"
)

// Stream returns the stream of customer id.
func Stream(tenantID, id uuid.UUID) string {
	return eventschema.ObjectStream("customer", tenantID, id)
}

// namespace is the UUIDv5 namespace of customer IDs derived from external
// IDs. Never change it: it would give every such customer a new identity.
var namespace = uuid.MustParse("3b0a4c2e-6d1f-5e8a-9c47-2f6b1d8e0a53")

// ID derives the customer ID of a customer a channel knows by externalID.
func ID(tenantID uuid.UUID, channel, externalID string) uuid.UUID {
	return uuid.NewSHA1(namespace, []byte(tenantID.String()+"\x00"+channel+"\x00"+externalID))
}

// StartValues are the profile values a conversation start saves: the
// profile the channel sent, with the customer's name as its nickname unless
// the profile names one.
func StartValues(profile map[string]string, customerName string) map[string]string {
	values := maps.Clone(profile)
	if values == nil {
		values = map[string]string{}
	}
	if name := strings.TrimSpace(customerName); name != "" && values["nickname"] == "" {
		values["nickname"] = name
	}
	return values
}

// IDField is the system profile field showing the customer's ID. The
// manual: "The customer ID uniquely identifies the customer. It cannot be
// edited." Only the channel (a conversation) sets it.
const IDField = "customer_id"

// Limits of profile values and blacklist reasons.
const (
	MaxTextLen      = 200
	MaxMultilineLen = 2000
	MaxReasonLen    = 500
)

// Blacklist request statuses.
const (
	Pending  = "pending"
	Approved = "approved"
	Rejected = "rejected"
)

// Request is a blacklist request of an agent.
type Request struct {
	ID          uuid.UUID
	Reason      string
	RequestedBy uuid.UUID
	Status      string
}

// State is what the customer's decisions need to know. Its maps are owned
// by the fold: Evolve updates them in place, decisions only read them.
type State struct {
	ID       uuid.UUID
	TenantID uuid.UUID
	Exists   bool
	// Profile holds the non-empty values by field ID.
	Profile map[string]string
	// Edited marks the fields whose value an agent or an import set: the
	// automatic save of a conversation does not overwrite them.
	Edited      map[string]bool
	Tags        map[uuid.UUID]bool
	VIP         bool
	Blacklisted bool
	Reason      string
	Requests    map[uuid.UUID]Request
	// Pending is the open blacklist request, uuid.Nil if none.
	Pending uuid.UUID
	// Claims are the customer's ongoing conversations by channel (see
	// ongoing.go).
	Claims map[ChannelKey]Claim
}

// Evolve folds one event into the state. It copies a map before changing
// it: a state once returned never changes, so it may be kept and folded on
// from again (the command handler caches customers' states).
func Evolve(s State, event any) State {
	if s.Profile == nil {
		s.Profile, s.Edited, s.Tags, s.Requests = map[string]string{}, map[string]bool{}, map[uuid.UUID]bool{}, map[uuid.UUID]Request{}
	}
	switch e := event.(type) {
	case eventschema.CustomerProfileSaved:
		s.ID, s.TenantID, s.Exists = e.CustomerID, e.TenantID, true
		s.Profile, s.Edited = maps.Clone(s.Profile), maps.Clone(s.Edited)
		for k, v := range e.Fields {
			if v == "" {
				delete(s.Profile, k)
				delete(s.Edited, k)
				continue
			}
			s.Profile[k] = v
			if e.Source != eventschema.ProfileFromConversation {
				s.Edited[k] = true
			}
		}
	case eventschema.CustomerTagged:
		s.Tags = maps.Clone(s.Tags)
		s.Tags[e.TagID] = true
	case eventschema.CustomerUntagged:
		s.Tags = maps.Clone(s.Tags)
		delete(s.Tags, e.TagID)
	case eventschema.CustomerVIPSet:
		s.VIP = e.VIP
	case eventschema.BlacklistRequested:
		s.Requests = maps.Clone(s.Requests)
		s.Requests[e.RequestID] = Request{ID: e.RequestID, Reason: e.Reason, RequestedBy: e.RequestedBy, Status: Pending}
		s.Pending = e.RequestID
	case eventschema.BlacklistRequestRejected:
		s.Requests = maps.Clone(s.Requests)
		r := s.Requests[e.RequestID]
		r.Status = Rejected
		s.Requests[e.RequestID] = r
		s.Pending = uuid.Nil
	case eventschema.CustomerBlacklisted:
		s.Blacklisted, s.Reason = true, e.Reason
		if e.RequestID != uuid.Nil {
			s.Requests = maps.Clone(s.Requests)
			r := s.Requests[e.RequestID]
			r.Status = Approved
			s.Requests[e.RequestID] = r
			s.Pending = uuid.Nil
		}
	case eventschema.CustomerUnblacklisted:
		s.Blacklisted, s.Reason = false, ""
	case eventschema.CustomerConversationClaimed:
		s.Claims = maps.Clone(s.Claims)
		if s.Claims == nil {
			s.Claims = map[ChannelKey]Claim{}
		}
		s.Claims[ChannelKey{e.Channel, e.ChannelAccount}] = Claim{ConversationID: e.ConversationID, At: e.ClaimedAt}
	}
	return s
}

// Of reports whether s is an existing customer of tenantID.
func (s State) Of(tenantID uuid.UUID) bool { return s.Exists && s.TenantID == tenantID }

// IsBlacklisted reports whether the customer may not start a conversation
// with tenantID's agents. An unknown customer is not blacklisted.
func (s State) IsBlacklisted(tenantID uuid.UUID) bool { return s.Of(tenantID) && s.Blacklisted }

// IsVIP reports whether the customer is a VIP of tenantID: a conversation
// it starts is a VIP's, whatever the channel says.
func (s State) IsVIP(tenantID uuid.UUID) bool { return s.Of(tenantID) && s.VIP }

// ErrBlacklisted is the clear refusal a blacklisted customer gets when it
// tries to start a conversation.
func ErrBlacklisted() error {
	return domain.Errorf(domain.Forbidden, "customer.blacklisted", "customer_id",
		"this customer is on the blacklist and cannot start conversations")
}

func notFound(id uuid.UUID) error {
	return domain.Errorf(domain.NotFound, "customer.not_found", "customer_id", "customer %s not found", id)
}

// existing checks that s is a customer of tenantID; another tenant's
// customer is indistinguishable from a missing one.
func existing(s State, tenantID, id uuid.UUID) error {
	if !s.Of(tenantID) {
		return notFound(id)
	}
	return nil
}

// SaveProfile decides a profile change from source, with values keyed by
// the field IDs of the tenant's form. An empty value clears a field.
//
// The merge rule:
//   - an agent (or an import) sets exactly the fields it names, and they
//     become the agent's: agents may not edit read-only fields or the
//     customer ID (imports may edit read-only fields, not the ID); an
//     unknown or disabled field, or a value the field's type refuses, fails
//     the whole change;
//   - a conversation (the automatic save when a customer starts one) fills
//     a field only where no agent-set value is kept: it never overwrites
//     what an agent or an import set, unless that value was cleared. Fields
//     it cannot save (unknown, disabled, badly typed) are dropped, never
//     refused, so a conversation start does not fail on customer info, and
//     empty values are ignored, so info a channel omits clears nothing;
//   - the first save of a conversation creates the customer, even with no
//     values; agents and imports change existing customers only, except an
//     import, which may create one.
func SaveProfile(s State, form profilefields.State, tenantID, id uuid.UUID, source string, values map[string]string) ([]any, error) {
	if s.Exists && s.TenantID != tenantID {
		return nil, notFound(id)
	}
	if id == uuid.Nil {
		return nil, domain.Errorf(domain.Invalid, "customer.id", "customer_id", "must be a UUID")
	}
	lenient := source == eventschema.ProfileFromConversation
	switch source {
	case eventschema.ProfileFromConversation, eventschema.ProfileFromImport:
	case eventschema.ProfileFromAgent:
		if !s.Exists {
			return nil, notFound(id)
		}
	default:
		return nil, domain.Errorf(domain.Invalid, "customer.profile_source", "source", "must be conversation, agent or import")
	}
	changed := map[string]string{}
	for _, k := range slices.Sorted(maps.Keys(values)) {
		v, err := checkValue(form, source, k, values[k])
		if err != nil {
			if lenient {
				continue
			}
			return nil, err
		}
		if lenient && (v == "" || s.Edited[k]) {
			continue // an agent's value stands; a missing value clears nothing
		}
		if s.Profile[k] != v || (v != "" && !lenient && !s.Edited[k]) {
			changed[k] = v
		}
	}
	if s.Exists && len(changed) == 0 {
		return nil, nil
	}
	return []any{eventschema.CustomerProfileSaved{TenantID: tenantID, CustomerID: id, Source: source, Fields: changed}}, nil
}

// checkValue validates one value against the form and normalises it.
func checkValue(form profilefields.State, source, fieldID, v string) (string, error) {
	f, err := form.Find(fieldID)
	if err != nil {
		return "", domain.Errorf(domain.Invalid, "customer.profile_field_unknown", fieldID, "no profile field %q", fieldID)
	}
	if !f.Enabled {
		return "", domain.Errorf(domain.Invalid, "customer.profile_field_disabled", fieldID, "the field %q is switched off", f.Name)
	}
	switch {
	case fieldID == IDField && source != eventschema.ProfileFromConversation:
		return "", domain.Errorf(domain.Forbidden, "customer.profile_field_read_only", fieldID, "the customer ID cannot be edited")
	case f.ReadOnly && source == eventschema.ProfileFromAgent:
		return "", domain.Errorf(domain.Forbidden, "customer.profile_field_read_only", fieldID, "the field %q is read-only", f.Name)
	}
	v = strings.TrimSpace(v)
	if v == "" {
		return "", nil
	}
	bad := func(format string, args ...any) (string, error) {
		return "", domain.Errorf(domain.Invalid, "customer.profile_value", fieldID, format, args...)
	}
	switch f.Type {
	case profilefields.Multiline:
		if utf8.RuneCountInString(v) > MaxMultilineLen {
			return bad("at most %d characters", MaxMultilineLen)
		}
	case profilefields.Number:
		if _, err := strconv.ParseFloat(v, 64); err != nil {
			return bad("%q is not a number", v)
		}
	case profilefields.Date:
		if _, err := time.Parse(time.DateOnly, v); err != nil {
			return bad("%q is not a date (YYYY-MM-DD)", v)
		}
	case profilefields.Select:
		if !slices.Contains(f.Options, v) {
			return bad("%q is not one of the options %v", v, f.Options)
		}
	default:
		if strings.ContainsAny(v, "\r\n") || utf8.RuneCountInString(v) > MaxTextLen {
			return bad("one line of at most %d characters", MaxTextLen)
		}
	}
	if fieldID == "email" {
		if a, err := mail.ParseAddress(v); err != nil || a.Address != v {
			return bad("%q is not an e-mail address", v)
		}
	}
	return v, nil
}

// Tag decides adding a tag of the tenant's customer-tag catalogue; adding
// a tag the customer has changes nothing.
func Tag(s State, catalogue tags.Customer, tenantID, id, tagID uuid.UUID) ([]any, error) {
	if err := existing(s, tenantID, id); err != nil {
		return nil, err
	}
	if _, ok := catalogue.Tags[tagID]; !ok {
		return nil, domain.Errorf(domain.Invalid, "customer.tag_unknown", "tag_id", "no customer tag %s in the catalogue", tagID)
	}
	if s.Tags[tagID] {
		return nil, nil
	}
	return []any{eventschema.CustomerTagged{TenantID: tenantID, CustomerID: id, TagID: tagID}}, nil
}

// Untag decides taking a tag off; a tag deleted from the catalogue can
// still be taken off, and taking off a tag the customer lacks changes
// nothing.
func Untag(s State, tenantID, id, tagID uuid.UUID) ([]any, error) {
	if err := existing(s, tenantID, id); err != nil {
		return nil, err
	}
	if !s.Tags[tagID] {
		return nil, nil
	}
	return []any{eventschema.CustomerUntagged{TenantID: tenantID, CustomerID: id, TagID: tagID}}, nil
}

// SetVIP decides the customer's VIP flag.
func SetVIP(s State, tenantID, id uuid.UUID, vip bool) ([]any, error) {
	if err := existing(s, tenantID, id); err != nil {
		return nil, err
	}
	if s.VIP == vip {
		return nil, nil
	}
	return []any{eventschema.CustomerVIPSet{TenantID: tenantID, CustomerID: id, VIP: vip}}, nil
}

// Blacklister is who adds a customer to the blacklist and under which
// rule: admins are never affected by the approval switch.
type Blacklister struct {
	By    uuid.UUID
	Admin bool
	// NeedsApproval is the tenant's "blacklisting needs approval" switch.
	NeedsApproval bool
}

// Blacklist decides an agent's "Add to Blacklist" with a reason: with the
// approval switch on and a non-admin actor it becomes a pending request
// (requestID), else the customer is blacklisted at once. An admin who
// blacklists a customer with a pending request approves that request. A
// second request while one is pending is refused.
func Blacklist(s State, tenantID, id, requestID uuid.UUID, who Blacklister, reason string) ([]any, error) {
	if err := existing(s, tenantID, id); err != nil {
		return nil, err
	}
	reason = strings.TrimSpace(reason)
	if reason == "" || utf8.RuneCountInString(reason) > MaxReasonLen {
		return nil, domain.Errorf(domain.Invalid, "blacklist.reason", "reason", "a reason of 1 to %d characters is required", MaxReasonLen)
	}
	if s.Blacklisted {
		return nil, domain.Errorf(domain.Conflict, "customer.blacklisted", "", "the customer is already on the blacklist")
	}
	if who.NeedsApproval && !who.Admin {
		if s.Pending != uuid.Nil {
			return nil, domain.Errorf(domain.Conflict, "blacklist.request_pending", "", "a blacklist request for this customer is already waiting for approval")
		}
		if requestID == uuid.Nil {
			return nil, domain.Errorf(domain.Invalid, "blacklist.request_id", "request_id", "must be a UUID")
		}
		return []any{eventschema.BlacklistRequested{TenantID: tenantID, CustomerID: id, RequestID: requestID, Reason: reason, RequestedBy: who.By}}, nil
	}
	e := eventschema.CustomerBlacklisted{TenantID: tenantID, CustomerID: id, Reason: reason, By: who.By}
	if s.Pending != uuid.Nil {
		e.RequestID, e.ApprovedBy = s.Pending, who.By
	}
	return []any{e}, nil
}

// pending returns the pending request requestID of the customer.
func pending(s State, tenantID, id, requestID uuid.UUID) (Request, error) {
	if err := existing(s, tenantID, id); err != nil {
		return Request{}, err
	}
	r, ok := s.Requests[requestID]
	if !ok {
		return r, domain.Errorf(domain.NotFound, "blacklist_request.not_found", "request_id", "blacklist request %s not found", requestID)
	}
	if r.Status != Pending {
		return r, domain.Errorf(domain.Conflict, "blacklist_request.decided", "request_id", "the request was already %s", r.Status)
	}
	return r, nil
}

// Approve decides an admin's approval of a pending request: the customer
// is blacklisted with the requester's reason.
func Approve(s State, tenantID, id, requestID, admin uuid.UUID) ([]any, error) {
	r, err := pending(s, tenantID, id, requestID)
	if err != nil {
		return nil, err
	}
	return []any{eventschema.CustomerBlacklisted{TenantID: tenantID, CustomerID: id, Reason: r.Reason, By: r.RequestedBy,
		RequestID: requestID, ApprovedBy: admin}}, nil
}

// Reject decides an admin's refusal of a pending request, with an
// optional remark.
func Reject(s State, tenantID, id, requestID, admin uuid.UUID, remark string) ([]any, error) {
	r, err := pending(s, tenantID, id, requestID)
	if err != nil {
		return nil, err
	}
	remark = strings.TrimSpace(remark)
	if utf8.RuneCountInString(remark) > MaxReasonLen {
		return nil, domain.Errorf(domain.Invalid, "blacklist.remark", "remark", "at most %d characters", MaxReasonLen)
	}
	return []any{eventschema.BlacklistRequestRejected{TenantID: tenantID, CustomerID: id, RequestID: requestID, RejectedBy: admin,
		Remark: remark, RequestedBy: &r.RequestedBy}}, nil
}

// Unblacklist decides removing the customer from the blacklist, after
// which it may start conversations again.
func Unblacklist(s State, tenantID, id, by uuid.UUID) ([]any, error) {
	if err := existing(s, tenantID, id); err != nil {
		return nil, err
	}
	if !s.Blacklisted {
		return nil, domain.Errorf(domain.Conflict, "customer.not_blacklisted", "", "the customer is not on the blacklist")
	}
	return []any{eventschema.CustomerUnblacklisted{TenantID: tenantID, CustomerID: id, By: by}}, nil
}
