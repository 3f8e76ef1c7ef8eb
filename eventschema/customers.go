package eventschema

import (
	"time"

	"github.com/google/uuid"
)

// Customer events live in stream "customer-{customer id}". A customer
// belongs to one tenant; every event names it, so that a stream reached
// with another tenant's ID is recognised as not the caller's.

// Sources of a customer profile change.
const (
	// ProfileFromConversation: the customer's info, saved automatically
	// when a conversation starts (or the channel pushes it).
	ProfileFromConversation = "conversation"
	// ProfileFromAgent: an agent edited the profile.
	ProfileFromAgent = "agent"
	// ProfileFromImport: an admin imported profiles in bulk.
	ProfileFromImport = "import"
)

// CustomerProfileSaved records new values of profile fields, keyed by the
// field IDs of the tenant's profile-field catalogue ("nickname", "phone",
// "email", or a custom field's ID). Fields holds only what changed; an
// empty value clears a field. The first event of a customer's stream is
// always one of these: it is when the customer was first seen, even with
// no fields at all.
type CustomerProfileSaved struct {
	TenantID   uuid.UUID         `json:"tenant_id"`
	CustomerID uuid.UUID         `json:"customer_id"`
	Source     string            `json:"source" jsonschema:"enum=conversation,enum=agent,enum=import"`
	Fields     map[string]string `json:"fields"`
}

// CustomerTagged records a customer tag of the tenant's catalogue added to
// the customer.
type CustomerTagged struct {
	TenantID   uuid.UUID `json:"tenant_id"`
	CustomerID uuid.UUID `json:"customer_id"`
	TagID      uuid.UUID `json:"tag_id"`
}

// CustomerUntagged records a customer tag taken off the customer.
type CustomerUntagged struct {
	TenantID   uuid.UUID `json:"tenant_id"`
	CustomerID uuid.UUID `json:"customer_id"`
	TagID      uuid.UUID `json:"tag_id"`
}

// CustomerVIPSet records whether the customer is a VIP: VIP conversations
// are queued first.
type CustomerVIPSet struct {
	TenantID   uuid.UUID `json:"tenant_id"`
	CustomerID uuid.UUID `json:"customer_id"`
	VIP        bool      `json:"vip"`
}

// CustomerConversationClaimed records that ConversationID is the customer's
// ongoing conversation on a channel (and channel account): a customer has
// at most one there, and a start while it is open returns it. The claim
// lapses when that conversation closes, or when its start never happened
// within a minute of ClaimedAt (a start that crashed half-way).
type CustomerConversationClaimed struct {
	TenantID       uuid.UUID `json:"tenant_id"`
	CustomerID     uuid.UUID `json:"customer_id"`
	Channel        string    `json:"channel"`
	ChannelAccount string    `json:"channel_account"`
	ConversationID uuid.UUID `json:"conversation_id"`
	ClaimedAt      time.Time `json:"claimed_at"`
}

// BlacklistRequested records an agent's request to blacklist the customer,
// waiting for an admin because the tenant's "blacklisting needs approval"
// switch is on. RequestedBy is the agent.
type BlacklistRequested struct {
	TenantID    uuid.UUID `json:"tenant_id"`
	CustomerID  uuid.UUID `json:"customer_id"`
	RequestID   uuid.UUID `json:"request_id"`
	Reason      string    `json:"reason" jsonschema:"minLength=1,maxLength=500"`
	RequestedBy uuid.UUID `json:"requested_by"`
}

// BlacklistRequestRejected records an admin's refusal of a blacklist
// request; the customer stays as it was.
type BlacklistRequestRejected struct {
	TenantID   uuid.UUID `json:"tenant_id"`
	CustomerID uuid.UUID `json:"customer_id"`
	RequestID  uuid.UUID `json:"request_id"`
	RejectedBy uuid.UUID `json:"rejected_by"`
	Remark     string    `json:"remark" jsonschema:"maxLength=500"`
	// RequestedBy is the agent who asked, told of the decision (absent
	// from rejections recorded before it was).
	RequestedBy *uuid.UUID `json:"requested_by,omitempty"`
}

// CustomerBlacklisted records that the customer may start no conversation
// until removed from the blacklist. By is who added it (the agent who asked,
// when approved); RequestID and ApprovedBy name the request and the admin
// who approved it, nil when no approval was involved.
type CustomerBlacklisted struct {
	TenantID   uuid.UUID `json:"tenant_id"`
	CustomerID uuid.UUID `json:"customer_id"`
	Reason     string    `json:"reason" jsonschema:"minLength=1,maxLength=500"`
	By         uuid.UUID `json:"by"`
	RequestID  uuid.UUID `json:"request_id"`
	ApprovedBy uuid.UUID `json:"approved_by"`
}

// CustomerUnblacklisted records the customer's removal from the blacklist.
type CustomerUnblacklisted struct {
	TenantID   uuid.UUID `json:"tenant_id"`
	CustomerID uuid.UUID `json:"customer_id"`
	By         uuid.UUID `json:"by"`
}

func registerCustomers(r *Registry) {
	Register[CustomerProfileSaved](r, "CustomerProfileSaved", 1)
	Register[CustomerTagged](r, "CustomerTagged", 1)
	Register[CustomerUntagged](r, "CustomerUntagged", 1)
	Register[CustomerVIPSet](r, "CustomerVIPSet", 1)
	Register[CustomerConversationClaimed](r, "CustomerConversationClaimed", 1)
	Register[BlacklistRequested](r, "BlacklistRequested", 1)
	Register[BlacklistRequestRejected](r, "BlacklistRequestRejected", 1)
	Register[CustomerBlacklisted](r, "CustomerBlacklisted", 1)
	Register[CustomerUnblacklisted](r, "CustomerUnblacklisted", 1)
}
