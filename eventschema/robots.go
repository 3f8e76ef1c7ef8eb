package eventschema

import "github.com/google/uuid"

// A tenant's robots live in one stream, "robots-{tenant id}": they are
// few, and one stream keeps their number bounded.

// Robot is a robot's whole definition, as admins last saved it. Customer
// messages of the conversations it hosts are POSTed to WebhookURL (when
// set), signed with Secret like every webhook delivery.
type Robot struct {
	Name       string `json:"name" jsonschema:"minLength=1,maxLength=100"`
	AvatarURL  string `json:"avatar_url" jsonschema:"maxLength=2000"`
	WebhookURL string `json:"webhook_url" jsonschema:"maxLength=2000"`
	Secret     string `json:"secret" jsonschema:"maxLength=1200"`
}

// RobotRegistered records a new robot and the hash of its API token, with
// which it answers customers, hands conversations over and closes them.
type RobotRegistered struct {
	TenantID  uuid.UUID `json:"tenant_id"`
	RobotID   uuid.UUID `json:"robot_id"`
	Robot     Robot     `json:"robot"`
	TokenHash string    `json:"token_hash"`
}

// RobotChanged records a robot's new definition, whole.
type RobotChanged struct {
	TenantID uuid.UUID `json:"tenant_id"`
	RobotID  uuid.UUID `json:"robot_id"`
	Robot    Robot     `json:"robot"`
}

// RobotTokenIssued records a new API token of a robot; the previous one
// stops working.
type RobotTokenIssued struct {
	TenantID  uuid.UUID `json:"tenant_id"`
	RobotID   uuid.UUID `json:"robot_id"`
	TokenHash string    `json:"token_hash"`
}

// RobotRemoved records the removal of a robot: its token stops working and
// its pending deliveries are given up.
type RobotRemoved struct {
	TenantID uuid.UUID `json:"tenant_id"`
	RobotID  uuid.UUID `json:"robot_id"`
}

func registerRobots(r *Registry) {
	Register[RobotRegistered](r, "RobotRegistered", 1)
	Register[RobotChanged](r, "RobotChanged", 1)
	Register[RobotTokenIssued](r, "RobotTokenIssued", 1)
	Register[RobotRemoved](r, "RobotRemoved", 1)
}
