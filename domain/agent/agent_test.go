package agent_test

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"supportd/domain"
	"supportd/domain/agent"
	"supportd/eventschema"
)

var (
	tenantID = uuid.MustParse("0190f3b0-0000-7000-8000-000000000001")
	agentID  = uuid.MustParse("0190f3b0-0000-7000-8000-0000000000b1")
	who      = agent.Identity{TenantID: tenantID, AgentID: agentID}
	s1       = uuid.MustParse("0190f3b0-0000-7000-8000-0000000000e1")
	s2       = uuid.MustParse("0190f3b0-0000-7000-8000-0000000000e2")
	expires  = time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)
	signedIn = eventschema.AgentSignedIn{TenantID: tenantID, AgentID: agentID, SessionID: s1, TokenHash: "t1", ExpiresAt: expires, ClientIP: "10.1.1.1"}
	online   = eventschema.AgentStatusChanged{TenantID: tenantID, AgentID: agentID, From: "offline", To: "online", Reason: "sign_in", SessionID: s1}
	busy     = eventschema.AgentStatusChanged{TenantID: tenantID, AgentID: agentID, From: "online", To: "busy", Reason: "manual"}
	edited   = eventschema.AgentProfileEdited{TenantID: tenantID, AgentID: agentID, Nickname: "Ann", Phone: "+49 30 1234", AvatarURL: "https://cdn.acme.example/ann.png", Language: "de"}
)

func given(events ...any) agent.State {
	var s agent.State
	for _, e := range events {
		s = agent.Evolve(s, e)
	}
	return s
}

func TestAgentDecisions(t *testing.T) {
	second := eventschema.AgentSignedIn{TenantID: tenantID, AgentID: agentID, SessionID: s2, TokenHash: "t2", ExpiresAt: expires, ClientIP: "10.1.1.2"}
	lastSeen := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	silentAt := lastSeen.Add(agent.HeartbeatTimeout)
	silenced := eventschema.AgentSessionSilenced{TenantID: tenantID, AgentID: agentID, SessionID: s1, ClientIP: "10.1.1.1", LastSeen: lastSeen, SilentAt: silentAt}
	wentSilent := eventschema.AgentStatusChanged{TenantID: tenantID, AgentID: agentID, From: "online", To: "offline", Reason: "heartbeat_timeout", SessionID: s1}
	wentSilentBusy := eventschema.AgentStatusChanged{TenantID: tenantID, AgentID: agentID, From: "busy", To: "offline", Reason: "heartbeat_timeout", SessionID: s1}
	cases := []struct {
		name   string
		given  []any
		decide func(agent.State) ([]any, error)
		want   []any
		code   string
	}{
		{"first sign-in goes online", nil,
			func(s agent.State) ([]any, error) { return agent.SignIn(s, who, s1, "t1", expires, "10.1.1.1", false) },
			[]any{signedIn, online}, ""},
		{"invisible sign-in", nil,
			func(s agent.State) ([]any, error) { return agent.SignIn(s, who, s1, "t1", expires, "10.1.1.1", true) },
			[]any{eventschema.AgentSignedIn{TenantID: tenantID, AgentID: agentID, SessionID: s1, TokenHash: "t1", ExpiresAt: expires, ClientIP: "10.1.1.1", Invisible: true},
				eventschema.AgentStatusChanged{TenantID: tenantID, AgentID: agentID, From: "offline", To: "invisible", Reason: "sign_in", SessionID: s1}}, ""},
		{"second session keeps the status", []any{signedIn, online, busy},
			func(s agent.State) ([]any, error) { return agent.SignIn(s, who, s2, "t2", expires, "10.1.1.2", false) },
			[]any{second}, ""},
		{"last sign-out goes offline", []any{signedIn, online, busy},
			func(s agent.State) ([]any, error) { return agent.SignOut(s, who, s1, "10.1.1.1", "logout") },
			[]any{eventschema.AgentSignedOut{TenantID: tenantID, AgentID: agentID, SessionID: s1, ClientIP: "10.1.1.1", Reason: "logout"},
				eventschema.AgentStatusChanged{TenantID: tenantID, AgentID: agentID, From: "busy", To: "offline", Reason: "sign_out", SessionID: s1, ClientIP: "10.1.1.1"}}, ""},
		{"sign-out of one of two sessions", []any{signedIn, online, second},
			func(s agent.State) ([]any, error) { return agent.SignOut(s, who, s2, "10.1.1.2", "logout") },
			[]any{eventschema.AgentSignedOut{TenantID: tenantID, AgentID: agentID, SessionID: s2, ClientIP: "10.1.1.2", Reason: "logout"}}, ""},
		{"silent console: offline from its last heartbeat + 30 s, session kept", []any{signedIn, online, busy},
			func(s agent.State) ([]any, error) { return agent.Silence(s, who, s1, lastSeen) },
			[]any{silenced, eventschema.AgentStatusChanged{TenantID: tenantID, AgentID: agentID, From: "busy", To: "offline",
				Reason: "heartbeat_timeout", SessionID: s1, ClientIP: "10.1.1.1", EffectiveAt: &silentAt}}, ""},
		{"silent console while another is present", []any{signedIn, online, second},
			func(s agent.State) ([]any, error) { return agent.Silence(s, who, s1, lastSeen) },
			[]any{silenced}, ""},
		{"the last present console goes silent after another did", []any{signedIn, online, second, silenced},
			func(s agent.State) ([]any, error) { return agent.Silence(s, who, s2, lastSeen) },
			[]any{eventschema.AgentSessionSilenced{TenantID: tenantID, AgentID: agentID, SessionID: s2, ClientIP: "10.1.1.2", LastSeen: lastSeen, SilentAt: silentAt},
				eventschema.AgentStatusChanged{TenantID: tenantID, AgentID: agentID, From: "online", To: "offline",
					Reason: "heartbeat_timeout", SessionID: s2, ClientIP: "10.1.1.2", EffectiveAt: &silentAt}}, ""},
		{"noticing a silence twice is harmless", []any{signedIn, online, silenced, wentSilent},
			func(s agent.State) ([]any, error) { return agent.Silence(s, who, s1, lastSeen) }, nil, ""},
		{"an ended session cannot go silent", []any{signedIn, online, eventschema.AgentSignedOut{SessionID: s1}},
			func(s agent.State) ([]any, error) { return agent.Silence(s, who, s1, lastSeen) }, nil, ""},
		{"a heartbeat brings back the status the silence took", []any{signedIn, online, busy, silenced, wentSilentBusy},
			func(s agent.State) ([]any, error) { return agent.Resume(s, who, s1, "10.1.1.9") },
			[]any{eventschema.AgentSessionResumed{TenantID: tenantID, AgentID: agentID, SessionID: s1, ClientIP: "10.1.1.9"},
				eventschema.AgentStatusChanged{TenantID: tenantID, AgentID: agentID, From: "offline", To: "busy", Reason: "heartbeat", SessionID: s1, ClientIP: "10.1.1.9"}}, ""},
		{"a heartbeat while another console kept the agent present", []any{signedIn, online, second, silenced},
			func(s agent.State) ([]any, error) { return agent.Resume(s, who, s1, "10.1.1.1") },
			[]any{eventschema.AgentSessionResumed{TenantID: tenantID, AgentID: agentID, SessionID: s1, ClientIP: "10.1.1.1"}}, ""},
		{"a heartbeat after a new sign-in set the status keeps it", []any{signedIn, online, silenced, wentSilent,
			second, eventschema.AgentStatusChanged{TenantID: tenantID, AgentID: agentID, From: "offline", To: "invisible", Reason: "sign_in", SessionID: s2}},
			func(s agent.State) ([]any, error) { return agent.Resume(s, who, s1, "10.1.1.1") },
			[]any{eventschema.AgentSessionResumed{TenantID: tenantID, AgentID: agentID, SessionID: s1, ClientIP: "10.1.1.1"}}, ""},
		{"a heartbeat from a present console decides nothing", []any{signedIn, online},
			func(s agent.State) ([]any, error) { return agent.Resume(s, who, s1, "10.1.1.1") }, nil, ""},
		{"signing out the last present console while another is silent", []any{signedIn, online, second, silenced},
			func(s agent.State) ([]any, error) { return agent.SignOut(s, who, s2, "10.1.1.2", "logout") },
			[]any{eventschema.AgentSignedOut{TenantID: tenantID, AgentID: agentID, SessionID: s2, ClientIP: "10.1.1.2", Reason: "logout"},
				eventschema.AgentStatusChanged{TenantID: tenantID, AgentID: agentID, From: "online", To: "offline", Reason: "sign_out", SessionID: s2, ClientIP: "10.1.1.2"}}, ""},
		{"a silent agent cannot choose a status without a heartbeat", []any{signedIn, online, silenced, wentSilent},
			func(s agent.State) ([]any, error) {
				return agent.ChangeStatus(s, who, agent.StatusRequest{To: agent.Online})
			},
			nil, "agent.offline"},
		{"a session that expired while silent signs out", []any{signedIn, online, silenced, wentSilent},
			func(s agent.State) ([]any, error) { return agent.SignOut(s, who, s1, "", "expired") },
			[]any{eventschema.AgentSignedOut{TenantID: tenantID, AgentID: agentID, SessionID: s1, Reason: "expired"}}, ""},
		{"signing out twice is harmless", []any{signedIn, online},
			func(s agent.State) ([]any, error) {
				return agent.SignOut(agent.Evolve(s, eventschema.AgentSignedOut{SessionID: s1}), who, s1, "", "logout")
			}, nil, ""},
		{"change status", []any{signedIn, online},
			func(s agent.State) ([]any, error) {
				return agent.ChangeStatus(s, who, agent.StatusRequest{To: agent.Busy})
			},
			[]any{busy}, ""},
		{"offline cannot change status", nil,
			func(s agent.State) ([]any, error) {
				return agent.ChangeStatus(s, who, agent.StatusRequest{To: agent.Busy})
			},
			nil, "agent.offline"},
		{"offline is not a status choice", []any{signedIn, online},
			func(s agent.State) ([]any, error) {
				return agent.ChangeStatus(s, who, agent.StatusRequest{To: agent.Offline})
			},
			nil, "agent.status"},
		{"leaving online needs approval", []any{signedIn, online},
			func(s agent.State) ([]any, error) {
				return agent.ChangeStatus(s, who, agent.StatusRequest{To: agent.Away, NeedsApproval: true})
			}, nil, "agent.status_needs_approval"},
		{"admins need no approval", []any{signedIn, online},
			func(s agent.State) ([]any, error) {
				return agent.ChangeStatus(s, who, agent.StatusRequest{To: agent.Busy, NeedsApproval: true, ByAdmin: true})
			}, []any{busy}, ""},
		{"returning online needs no approval", []any{signedIn, online, busy},
			func(s agent.State) ([]any, error) {
				return agent.ChangeStatus(s, who, agent.StatusRequest{To: agent.Online, NeedsApproval: true})
			}, []any{eventschema.AgentStatusChanged{TenantID: tenantID, AgentID: agentID, From: "busy", To: "online", Reason: "manual"}}, ""},
		{"admin sets capacity", nil,
			func(s agent.State) ([]any, error) { return agent.SetCapacity(s, who, 8, true, false) },
			[]any{eventschema.AgentCapacitySet{TenantID: tenantID, AgentID: agentID, Capacity: 8, Previous: agent.DefaultCapacity, SetByAdmin: true}}, ""},
		{"agent may not when admins decide", nil,
			func(s agent.State) ([]any, error) { return agent.SetCapacity(s, who, 8, false, false) },
			nil, "agent.capacity_by_admin"},
		{"admin may not when agents decide", nil,
			func(s agent.State) ([]any, error) { return agent.SetCapacity(s, who, 8, true, true) },
			nil, "agent.capacity_by_agent"},
		{"zero capacity stops auto-assignment", nil,
			func(s agent.State) ([]any, error) { return agent.SetCapacity(s, who, 0, false, true) },
			[]any{eventschema.AgentCapacitySet{TenantID: tenantID, AgentID: agentID, Capacity: 0, Previous: agent.DefaultCapacity}}, ""},
		{"negative capacity", nil,
			func(s agent.State) ([]any, error) { return agent.SetCapacity(s, who, -1, true, false) },
			nil, "agent.capacity"},
		{"edit profile, trimmed", nil,
			func(s agent.State) ([]any, error) {
				return agent.EditProfile(s, who, agent.Profile{Nickname: " Ann ", Phone: "+49 30 1234", AvatarURL: "https://cdn.acme.example/ann.png", Language: "de"})
			},
			[]any{edited}, ""},
		{"unchanged profile decides nothing", []any{edited},
			func(s agent.State) ([]any, error) {
				return agent.EditProfile(s, who, agent.Profile{Nickname: "Ann", Phone: "+49 30 1234", AvatarURL: "https://cdn.acme.example/ann.png", Language: "de"})
			}, nil, ""},
		{"profile needs a nickname", nil,
			func(s agent.State) ([]any, error) { return agent.EditProfile(s, who, agent.Profile{Nickname: "  "}) },
			nil, "agent.nickname"},
		{"avatar must be a web URL", nil,
			func(s agent.State) ([]any, error) {
				return agent.EditProfile(s, who, agent.Profile{Nickname: "Ann", AvatarURL: "javascript:alert(1)"})
			}, nil, "agent.avatar_url"},
		{"phone too long", nil,
			func(s agent.State) ([]any, error) {
				return agent.EditProfile(s, who, agent.Profile{Nickname: "Ann", Phone: strings.Repeat("1", 51)})
			}, nil, "agent.phone"},
		{"disabling ends every session", []any{signedIn, online, second},
			func(s agent.State) ([]any, error) { return agent.SignOutAll(s, who, "disabled") },
			[]any{eventschema.AgentSignedOut{TenantID: tenantID, AgentID: agentID, SessionID: s1, Reason: "disabled"},
				eventschema.AgentSignedOut{TenantID: tenantID, AgentID: agentID, SessionID: s2, Reason: "disabled"},
				eventschema.AgentStatusChanged{TenantID: tenantID, AgentID: agentID, From: "online", To: "offline", Reason: "disabled"}}, ""},
		{"disabling a user never signed in decides nothing", nil,
			func(s agent.State) ([]any, error) { return agent.SignOutAll(s, who, "disabled") }, nil, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.decide(given(tc.given...))
			if tc.code != "" {
				de, ok := err.(*domain.Error)
				if !ok || de.Code != tc.code {
					t.Fatalf("err = %v, want %s", err, tc.code)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if g, w := asJSON(got), asJSON(tc.want); !reflect.DeepEqual(g, w) {
				t.Errorf("events\n got %v\nwant %v", g, w)
			}
		})
	}
}

func TestStatusMeanings(t *testing.T) {
	for _, tc := range []struct {
		s          agent.Status
		auto, xfer bool
	}{
		{agent.Online, true, true}, {agent.Busy, false, true}, {agent.Away, false, true},
		{agent.Invisible, false, true}, {agent.Offline, false, false},
	} {
		if tc.s.AutoAssignable() != tc.auto || tc.s.AcceptsTransfers() != tc.xfer {
			t.Errorf("%s: auto %v transfers %v", tc.s, tc.s.AutoAssignable(), tc.s.AcceptsTransfers())
		}
	}
}

func asJSON(events []any) []string {
	var out []string
	for _, e := range events {
		b, _ := json.Marshal(e)
		out = append(out, string(b))
	}
	return out
}
