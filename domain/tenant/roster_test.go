package tenant_test

import (
	"testing"

	"github.com/google/uuid"

	"supportd/domain"
	"supportd/domain/access"
	"supportd/domain/tenant"
	"supportd/eventschema"
)

var (
	agentID = uuid.MustParse("0190f3b0-0000-7000-8000-0000000000b1")
	roleID  = uuid.MustParse("0190f3b0-0000-7000-8000-0000000000c1")
	tokenID = uuid.MustParse("0190f3b0-0000-7000-8000-0000000000d1")
	agent   = eventschema.AgentAdded{TenantID: id, AgentID: agentID, Email: "ann@acme.example", Nickname: "Ann", Role: "agent", Enabled: true}
	twoSeat = eventschema.TenantSeatsLicensed{TenantID: id, Seats: 2, Previous: tenant.DefaultSeats}
	role    = eventschema.RoleDefined{TenantID: id, RoleID: roleID, Name: "Inspector", Capabilities: []string{"admin.review"}, DataScope: "team"}
)

func TestRoster(t *testing.T) {
	newAgent := func(email string, enabled bool, role string) tenant.NewAgent {
		return tenant.NewAgent{AgentID: uuid.MustParse("0190f3b0-0000-7000-8000-0000000000b2"), Email: email, Nickname: "Bob", Role: role, Enabled: enabled}
	}
	cases := []struct {
		name   string
		given  []any
		decide func(tenant.State) ([]any, error)
		want   []any
		kind   domain.Kind
		code   string
	}{
		{"add agent", []any{created, added},
			func(s tenant.State) ([]any, error) {
				return tenant.AddAgent(s, newAgent("bob@acme.example", true, "agent"))
			},
			[]any{eventschema.AgentAdded{TenantID: id, AgentID: uuid.MustParse("0190f3b0-0000-7000-8000-0000000000b2"), Email: "bob@acme.example", Nickname: "Bob", Role: "agent", Enabled: true}}, 0, ""},
		{"e-mail taken, any case", []any{created, added},
			func(s tenant.State) ([]any, error) {
				return tenant.AddAgent(s, newAgent("BOSS@acme.example", true, "agent"))
			},
			nil, domain.Conflict, "agent.email_taken"},
		{"no free seat", []any{created, added, twoSeat, agent},
			func(s tenant.State) ([]any, error) {
				return tenant.AddAgent(s, newAgent("bob@acme.example", true, "agent"))
			},
			nil, domain.Conflict, "tenant.seats_exhausted"},
		{"disabled accounts take no seat", []any{created, added, twoSeat, agent},
			func(s tenant.State) ([]any, error) {
				return tenant.AddAgent(s, newAgent("bob@acme.example", false, "agent"))
			},
			[]any{eventschema.AgentAdded{TenantID: id, AgentID: uuid.MustParse("0190f3b0-0000-7000-8000-0000000000b2"), Email: "bob@acme.example", Nickname: "Bob", Role: "agent"}}, 0, ""},
		{"unknown role", []any{created, added},
			func(s tenant.State) ([]any, error) {
				return tenant.AddAgent(s, newAgent("bob@acme.example", true, roleID.String()))
			},
			nil, domain.Invalid, "agent.role"},
		{"last admin may not leave the admin role", []any{created, added, role},
			func(s tenant.State) ([]any, error) { return tenant.ChangeRole(s, adminID, roleID.String()) },
			nil, domain.Conflict, "tenant.last_admin"},
		{"agent to custom role", []any{created, added, role, agent},
			func(s tenant.State) ([]any, error) { return tenant.ChangeRole(s, agentID, roleID.String()) },
			[]any{eventschema.AgentRoleChanged{TenantID: id, AgentID: agentID, From: "agent", To: roleID.String()}}, 0, ""},
		{"enable needs a seat", []any{created, added, twoSeat, agent, eventschema.AgentDisabled{TenantID: id, AgentID: agentID},
			eventschema.AgentAdded{TenantID: id, AgentID: uuid.MustParse("0190f3b0-0000-7000-8000-0000000000b2"), Email: "bob@acme.example", Nickname: "Bob", Role: "agent", Enabled: true}},
			func(s tenant.State) ([]any, error) { return tenant.Enable(s, agentID) },
			nil, domain.Conflict, "tenant.seats_exhausted"},
		{"enable an enabled account: nothing", []any{created, added, agent},
			func(s tenant.State) ([]any, error) { return tenant.Enable(s, agentID) }, nil, 0, ""},
		{"disable the last admin", []any{created, added, agent},
			func(s tenant.State) ([]any, error) { return tenant.Disable(s, adminID) },
			nil, domain.Conflict, "tenant.last_admin"},
		{"disable an agent", []any{created, added, agent},
			func(s tenant.State) ([]any, error) { return tenant.Disable(s, agentID) },
			[]any{eventschema.AgentDisabled{TenantID: id, AgentID: agentID}}, 0, ""},
		{"remove the last admin", []any{created, added},
			func(s tenant.State) ([]any, error) { return tenant.Remove(s, adminID) },
			nil, domain.Conflict, "tenant.last_admin"},
		{"remove unknown", []any{created, added},
			func(s tenant.State) ([]any, error) { return tenant.Remove(s, agentID) },
			nil, domain.NotFound, "agent.not_found"},
		{"e-mail change to a taken one", []any{created, added, agent},
			func(s tenant.State) ([]any, error) { return tenant.ChangeEmail(s, agentID, "boss@acme.example") },
			nil, domain.Conflict, "agent.email_taken"},
		{"seats below enabled", []any{created, added, agent},
			func(s tenant.State) ([]any, error) { return tenant.LicenseSeats(s, 1) },
			nil, domain.Conflict, "tenant.seats_below_enabled"},
		{"license seats", []any{created, added},
			func(s tenant.State) ([]any, error) { return tenant.LicenseSeats(s, 2) },
			[]any{twoSeat}, 0, ""},
		{"role with unknown capability", []any{created, added},
			func(s tenant.State) ([]any, error) {
				return tenant.DefineRole(s, roleID, "X", []access.Capability{"admin.everything"}, access.TeamScope)
			}, nil, domain.Invalid, "role.capability"},
		{"role name taken", []any{created, added, role},
			func(s tenant.State) ([]any, error) {
				return tenant.DefineRole(s, uuid.New(), "inspector", nil, access.TeamScope)
			}, nil, domain.Conflict, "role.name_taken"},
		{"role capabilities sorted and unique", []any{created, added},
			func(s tenant.State) ([]any, error) {
				return tenant.DefineRole(s, roleID, "Inspector", []access.Capability{access.Review, access.Dashboard, access.Review}, access.TenantScope)
			}, []any{eventschema.RoleDefined{TenantID: id, RoleID: roleID, Name: "Inspector", Capabilities: []string{"admin.dashboard", "admin.review"}, DataScope: "tenant"}}, 0, ""},
		{"delete a role in use", []any{created, added, role, agent, eventschema.AgentRoleChanged{TenantID: id, AgentID: agentID, From: "agent", To: roleID.String()}},
			func(s tenant.State) ([]any, error) { return tenant.DeleteRole(s, roleID) },
			nil, domain.Conflict, "role.in_use"},
		{"delete a role an API token holds", []any{created, added, role, eventschema.APITokenIssued{TenantID: id, TokenID: tokenID, Name: "CRM", TokenHash: "x", Role: roleID.String(), IssuedBy: adminID}},
			func(s tenant.State) ([]any, error) { return tenant.DeleteRole(s, roleID) },
			nil, domain.Conflict, "role.in_use"},
		{"delete an unused role", []any{created, added, role},
			func(s tenant.State) ([]any, error) { return tenant.DeleteRole(s, roleID) },
			[]any{eventschema.RoleDeleted{TenantID: id, RoleID: roleID}}, 0, ""},
		{"redefine a role", []any{created, added, role},
			func(s tenant.State) ([]any, error) {
				return tenant.RedefineRole(s, roleID, "Inspector", []access.Capability{access.Review, access.ManageAgents}, access.TeamScope)
			}, []any{eventschema.RoleDefined{TenantID: id, RoleID: roleID, Name: "Inspector", Capabilities: []string{"admin.agents", "admin.review"}, DataScope: "team"}}, 0, ""},
		{"redefine a role unchanged decides nothing", []any{created, added, role},
			func(s tenant.State) ([]any, error) {
				return tenant.RedefineRole(s, roleID, "Inspector", []access.Capability{access.Review}, access.TeamScope)
			}, nil, 0, ""},
		{"redefine never creates (another tenant's ID)", []any{created, added},
			func(s tenant.State) ([]any, error) {
				return tenant.RedefineRole(s, roleID, "Inspector", nil, access.TeamScope)
			}, nil, domain.NotFound, "role.not_found"},
		{"own password needs the current one", []any{created, added, agent},
			func(s tenant.State) ([]any, error) { return tenant.ChangeOwnPassword(s, agentID, false) },
			nil, domain.Forbidden, "agent.current_password"},
		{"own password with the current one", []any{created, added, agent},
			func(s tenant.State) ([]any, error) { return tenant.ChangeOwnPassword(s, agentID, true) },
			[]any{eventschema.AgentPasswordChanged{TenantID: id, AgentID: agentID}}, 0, ""},
		{"revoke another tenant's token", []any{created, added},
			func(s tenant.State) ([]any, error) { return tenant.RevokeAPIToken(s, tokenID) },
			nil, domain.NotFound, "token.not_found"},
		{"API token with an unknown role", []any{created, added},
			func(s tenant.State) ([]any, error) {
				return tenant.IssueAPIToken(s, tokenID, "CRM", "x", roleID.String(), adminID)
			}, nil, domain.Invalid, "token.role"},
		{"channel key for an unknown channel", []any{created, added},
			func(s tenant.State) ([]any, error) { return tenant.IssueChannelKey(s, tokenID, "pigeon", "Loft", "x") },
			nil, domain.Invalid, "channel_key.channel"},
		{"channel key", []any{created, added},
			func(s tenant.State) ([]any, error) {
				return tenant.IssueChannelKey(s, tokenID, "web", " Site widget ", "x")
			},
			[]any{eventschema.ChannelKeyIssued{TenantID: id, KeyID: tokenID, Channel: "web", Name: "Site widget", KeyHash: "x"}}, 0, ""},
		{"revoke another tenant's channel key", []any{created, added},
			func(s tenant.State) ([]any, error) { return tenant.RevokeChannelKey(s, tokenID) },
			nil, domain.NotFound, "channel_key.not_found"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.decide(given(tc.given...))
			if tc.kind != 0 {
				de, ok := err.(*domain.Error)
				if !ok || de.Kind != tc.kind || de.Code != tc.code {
					t.Fatalf("err = %v, want %v %s", err, tc.kind, tc.code)
				}
				return
			}
			check(t, got, err, tc.want, 0, "")
		})
	}
}

func TestSignInCheck(t *testing.T) {
	disabled := eventschema.AgentDisabled{TenantID: id, AgentID: agentID}
	cases := []struct {
		name  string
		given []any
		email string
		ok    bool
		code  string
	}{
		{"right password", []any{created, added, agent}, "Ann@Acme.example", true, ""},
		{"wrong password", []any{created, added, agent}, "ann@acme.example", false, "auth.invalid_credentials"},
		{"unknown address looks the same", []any{created, added, agent}, "who@acme.example", true, "auth.invalid_credentials"},
		{"disabled", []any{created, added, agent, disabled}, "ann@acme.example", true, "auth.disabled"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a, err := tenant.SignInCheck(given(tc.given...), tc.email, tc.ok)
			if tc.code == "" {
				if err != nil || a.ID != agentID {
					t.Fatalf("got %v, %v", a, err)
				}
				return
			}
			de, ok := err.(*domain.Error)
			if !ok || de.Code != tc.code || de.Kind != domain.Forbidden {
				t.Fatalf("err = %v, want %s", err, tc.code)
			}
		})
	}
}
