package access_test

import (
	"testing"

	"supportd/domain"
	"supportd/domain/access"
)

func TestCustomRoleID(t *testing.T) {
	cases := []struct {
		id   string
		kind domain.Kind
		code string
	}{
		{"0190f3b0-0000-7000-8000-0000000000c1", 0, ""},
		{"admin", domain.Conflict, "role.builtin"},
		{"agent", domain.Conflict, "role.builtin"},
		{"supervisor", domain.NotFound, "role.not_found"},
	}
	for _, tc := range cases {
		t.Run(tc.id, func(t *testing.T) {
			got, err := access.CustomRoleID(tc.id)
			if tc.kind == 0 {
				if err != nil || got.String() != tc.id {
					t.Fatalf("got %v, %v", got, err)
				}
				return
			}
			de, ok := err.(*domain.Error)
			if !ok || de.Kind != tc.kind || de.Code != tc.code {
				t.Fatalf("err = %v, want %v %s", err, tc.kind, tc.code)
			}
		})
	}
}

func TestSeesConversation(t *testing.T) {
	admin := access.Principal{Role: access.Admin()}
	agent := access.Principal{Role: access.Agent(), Teams: []string{"t1"}}
	teamLead := access.Principal{Role: access.Role{ID: "lead", Capabilities: []access.Capability{access.AdminOngoing},
		DataScope: access.TeamScope}, Teams: []string{"t1"}}
	cases := []struct {
		name string
		p    access.Principal
		v    access.ConversationView
		want bool
	}{
		{"admin, any team", admin, access.ConversationView{TeamID: "t2"}, true},
		{"admin, unrouted", admin, access.ConversationView{}, true},
		{"team lead, own team", teamLead, access.ConversationView{TeamID: "t1"}, true},
		{"team lead, other team", teamLead, access.ConversationView{TeamID: "t2"}, false},
		{"team lead, unrouted", teamLead, access.ConversationView{}, false},
		{"team lead, took part elsewhere", teamLead, access.ConversationView{TeamID: "t2", TookPart: true}, true},
		{"agent, took part", agent, access.ConversationView{TeamID: "t2", TookPart: true}, true},
		{"agent, own team, serving someone else", agent, access.ConversationView{TeamID: "t1"}, false},
		{"agent, own team's queue, viewing allowed", agent, access.ConversationView{TeamID: "t1", Queued: true, ViewQueued: true}, true},
		{"agent, own team's queue, viewing off", agent, access.ConversationView{TeamID: "t1", Queued: true}, false},
		{"agent, other team's queue", agent, access.ConversationView{TeamID: "t2", Queued: true, ViewQueued: true}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.p.SeesConversation(tc.v); got != tc.want {
				t.Errorf("SeesConversation = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestActsOnConversation(t *testing.T) {
	admin := access.Principal{Role: access.Admin()}
	agent := access.Principal{Role: access.Agent(), Teams: []string{"t1"}}
	teamLead := access.Principal{Role: access.Role{ID: "lead", Capabilities: []access.Capability{access.Monitor},
		DataScope: access.TeamScope}, Teams: []string{"t1"}}
	cases := []struct {
		name string
		p    access.Principal
		v    access.ConversationView
		want bool
	}{
		{"admin, any team", admin, access.ConversationView{TeamID: "t2"}, true},
		{"admin, unrouted", admin, access.ConversationView{}, true},
		{"team lead, own team", teamLead, access.ConversationView{TeamID: "t1"}, true},
		{"team lead, other team", teamLead, access.ConversationView{TeamID: "t2"}, false},
		{"team lead, unrouted", teamLead, access.ConversationView{}, false},
		{"team lead, took part elsewhere", teamLead, access.ConversationView{TeamID: "t2", TookPart: true}, true},
		{"agent, own team's queue (to join it)", agent, access.ConversationView{TeamID: "t1", Queued: true}, true},
		{"agent, other team", agent, access.ConversationView{TeamID: "t2"}, false},
		{"agent, took part in another team's", agent, access.ConversationView{TeamID: "t2", TookPart: true}, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.p.ActsOnConversation(tc.v); got != tc.want {
				t.Errorf("ActsOnConversation = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestActsOnAgent(t *testing.T) {
	lead := access.Principal{AgentID: "lead", Role: access.Role{DataScope: access.TeamScope}, Teams: []string{"a"}}
	admin := access.Principal{AgentID: "boss", Role: access.Admin()}
	cases := []struct {
		name  string
		p     access.Principal
		agent string
		teams []string
		want  bool
	}{
		{"tenant scope: anyone", admin, "x", nil, true},
		{"team scope: a member of its team", lead, "x", []string{"b", "a"}, true},
		{"team scope: another team's", lead, "x", []string{"b"}, false},
		{"team scope: a user in no team", lead, "x", nil, false},
		{"team scope: itself", lead, "lead", nil, true},
	}
	for _, tc := range cases {
		if got := tc.p.ActsOnAgent(tc.agent, tc.teams); got != tc.want {
			t.Errorf("%s: %v", tc.name, got)
		}
	}
}
