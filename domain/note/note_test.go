package note_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/google/uuid"

	"supportd/domain/access"
	"supportd/domain/domaintest"
	n "supportd/domain/note"
	"supportd/eventschema"
)

func id(i int) uuid.UUID { return uuid.MustParse(fmt.Sprintf("0190f3b0-0000-7000-8000-%012d", i)) }

var (
	tenant = id(1)
	conv   = id(2)
	noteID = id(3)
	ann    = id(11)
	bob    = id(12)
	boss   = id(19)
	rem1   = id(31)

	left    = eventschema.NoteLeft{TenantID: tenant, ConversationID: conv, NoteID: noteID, Text: "Call me back", Contact: "+49 30 1"}
	toAnn   = eventschema.NoteAssigned{TenantID: tenant, NoteID: noteID, ConversationID: conv, AgentID: ann}
	toBob   = eventschema.NoteAssigned{TenantID: tenant, NoteID: noteID, ConversationID: conv, AgentID: bob, PreviousAgentID: ann}
	annOff  = eventschema.NoteUnassigned{TenantID: tenant, NoteID: noteID, ConversationID: conv, AgentID: ann}
	pending = eventschema.NoteStatusChanged{TenantID: tenant, NoteID: noteID, ConversationID: conv, From: "open", To: "pending"}
	solved  = eventschema.NoteStatusChanged{TenantID: tenant, NoteID: noteID, ConversationID: conv, From: "pending", To: "solved"}

	asAnn   = n.Actor{ID: ann}
	asBob   = n.Actor{ID: bob}
	asAdmin = n.Actor{ID: boss, Admin: true}

	annOK  = n.Candidate{ID: ann, Known: true, Enabled: true}
	bobOK  = n.Candidate{ID: bob, Known: true, Enabled: true}
	bobOff = n.Candidate{ID: bob, Known: true}
	nobody = n.Candidate{ID: id(99)}
)

func given(events ...any) n.State { return domaintest.Given(n.Evolve, events...) }

type tcase struct {
	name   string
	given  []any
	decide func(n.State) ([]any, error)
	want   []any
	code   string
}

func run(t *testing.T, cases []tcase) {
	t.Helper()
	for _, tc := range cases {
		domaintest.Case[n.State]{Name: tc.name, Given: tc.given, When: tc.decide, Then: tc.want, Code: tc.code}.Run(t, n.Evolve)
	}
}

func TestEvolveTakesNoteLeftInAnyPlace(t *testing.T) {
	// Commands fold the note's stream, then the NoteLeft read from the
	// conversation's stream: the state is the same either way.
	a := given(left, toAnn, pending)
	b := given(toAnn, pending, left)
	if a != b || a.Status != "pending" || a.AssigneeID != ann || !a.Exists || a.ConversationID != conv {
		t.Errorf("states %+v and %+v", a, b)
	}
	if s := given(left); s.Status != "open" || s.AssigneeID != uuid.Nil {
		t.Errorf("a new note %+v", s)
	}
}

func TestAssign(t *testing.T) {
	assign := func(by n.Actor, to n.Candidate) func(n.State) ([]any, error) {
		return func(s n.State) ([]any, error) { return n.Assign(s, by, to) }
	}
	run(t, []tcase{
		{"an agent takes an unassigned note", []any{left}, assign(asAnn, annOK), []any{toAnn}, ""},
		{"taking it again changes nothing", []any{left, toAnn}, assign(asAnn, annOK), nil, ""},
		{"an agent gives a note to another: admins only", []any{left}, assign(asAnn, bobOK), nil, "note.assign_others"},
		{"an agent takes a note another holds: admins only", []any{left, toAnn}, assign(asBob, bobOK), nil, "note.not_assignee"},
		{"an admin reassigns", []any{left, toAnn}, assign(asAdmin, bobOK), []any{toBob}, ""},
		{"an admin assigns an unassigned note", []any{left}, assign(asAdmin, annOK), []any{toAnn}, ""},
		{"not to a disabled account", []any{left}, assign(asAdmin, bobOff), nil, "agent.disabled"},
		{"not to an unknown agent", []any{left}, assign(asAdmin, nobody), nil, "agent.not_found"},
		{"not a note never left", nil, assign(asAdmin, annOK), nil, "note.not_found"},
	})
}

func TestUnassign(t *testing.T) {
	unassign := func(by n.Actor) func(n.State) ([]any, error) {
		return func(s n.State) ([]any, error) { return n.Unassign(s, by) }
	}
	run(t, []tcase{
		{"the holder gives it back", []any{left, toAnn}, unassign(asAnn), []any{annOff}, ""},
		{"an admin takes it off its holder", []any{left, toAnn}, unassign(asAdmin), []any{annOff}, ""},
		{"another agent may not", []any{left, toAnn}, unassign(asBob), nil, "note.not_assignee"},
		{"an unassigned note stays so", []any{left, toAnn, annOff}, unassign(asBob), nil, ""},
		{"not a note never left", nil, unassign(asAdmin), nil, "note.not_found"},
	})
}

func TestChangeStatus(t *testing.T) {
	status := func(by n.Actor, to string) func(n.State) ([]any, error) {
		return func(s n.State) ([]any, error) { return n.ChangeStatus(s, by, to) }
	}
	reopen := eventschema.NoteStatusChanged{TenantID: tenant, NoteID: noteID, ConversationID: conv, From: "solved", To: "open"}
	solveOpen := eventschema.NoteStatusChanged{TenantID: tenant, NoteID: noteID, ConversationID: conv, From: "open", To: "solved"}
	run(t, []tcase{
		{"the holder marks it pending", []any{left, toAnn}, status(asAnn, "pending"), []any{pending}, ""},
		{"then solved", []any{left, toAnn, pending}, status(asAnn, "solved"), []any{solved}, ""},
		{"open straight to solved", []any{left, toAnn}, status(asAnn, "solved"), []any{solveOpen}, ""},
		{"a solved note is opened again", []any{left, toAnn, pending, solved}, status(asAnn, "open"), []any{reopen}, ""},
		{"the same status changes nothing", []any{left, toAnn, pending}, status(asAnn, "pending"), nil, ""},
		{"an admin changes any note's status", []any{left, toAnn, pending, solved}, status(asAdmin, "open"), []any{reopen}, ""},
		{"an unassigned note is taken first", []any{left}, status(asAnn, "pending"), nil, "note.not_assignee"},
		{"another agent's note is not ours", []any{left, toAnn}, status(asBob, "solved"), nil, "note.not_assignee"},
		{"unknown statuses are refused", []any{left, toAnn}, status(asAnn, "closed"), nil, "note.status"},
		{"not a note never left", nil, status(asAdmin, "open"), nil, "note.not_found"},
	})
}

func TestRemark(t *testing.T) {
	remark := func(by n.Actor, text string) func(n.State) ([]any, error) {
		return func(s n.State) ([]any, error) { return n.Remark(s, by, rem1, text) }
	}
	byAnn := eventschema.NoteRemarked{TenantID: tenant, NoteID: noteID, ConversationID: conv, RemarkID: rem1, AuthorID: ann, Text: "Called back"}
	byBoss := byAnn
	byBoss.AuthorID = boss
	run(t, []tcase{
		{"the holder remarks", []any{left, toAnn}, remark(asAnn, "Called back"), []any{byAnn}, ""},
		{"also on a solved note", []any{left, toAnn, pending, solved}, remark(asAnn, "Called back"), []any{byAnn}, ""},
		{"an admin remarks on any note", []any{left}, remark(asAdmin, "Called back"), []any{byBoss}, ""},
		{"another agent may not", []any{left, toAnn}, remark(asBob, "Called back"), nil, "note.not_assignee"},
		{"not empty", []any{left, toAnn}, remark(asAnn, "  "), nil, "note.remark"},
		{"not too long", []any{left, toAnn}, remark(asAnn, strings.Repeat("x", n.MaxRemark+1)), nil, "note.remark"},
		{"not a note never left", nil, remark(asAdmin, "hi"), nil, "note.not_found"},
	})
}

func TestActorOf(t *testing.T) {
	if a := n.ActorOf(access.Principal{AgentID: ann.String(), Role: access.Agent()}); a != asAnn {
		t.Errorf("agent %+v", a)
	}
	if a := n.ActorOf(access.Principal{AgentID: boss.String(), Role: access.Admin()}); a != asAdmin {
		t.Errorf("admin %+v", a)
	}
}

// reachSees reads a Reach the way the notes read model filters by it.
func reachSees(r n.Reach, v n.View) bool {
	if v.AssigneeID != "" && v.AssigneeID == r.User {
		return true
	}
	if v.AssigneeID != "" && !r.Held {
		return false
	}
	return r.Teams == nil || slices.Contains(r.Teams, v.TeamID)
}

func TestScope(t *testing.T) {
	teamA, teamB := id(41).String(), id(42).String()
	lead, _ := access.NewCustomRole(id(50).String(), "Lead", []access.Capability{access.History, access.AdminHistory}, access.TeamScope)
	wide, _ := access.NewCustomRole(id(51).String(), "Wide", []access.Capability{access.History}, access.TenantScope)
	users := map[string]access.Principal{
		"agent of A":       {AgentID: ann.String(), Role: access.Agent(), Teams: []string{teamA}},
		"admin":            {AgentID: boss.String(), Role: access.Admin()},
		"lead of A":        {AgentID: bob.String(), Role: lead, Teams: []string{teamA}},
		"tenant-wide user": {AgentID: id(13).String(), Role: wide},
	}
	notes := map[string]n.View{
		"unassigned, A":     {TeamID: teamA},
		"unassigned, B":     {TeamID: teamB},
		"unassigned, none":  {},
		"Ann's, A":          {TeamID: teamA, AssigneeID: ann.String()},
		"Ann's, B":          {TeamID: teamB, AssigneeID: ann.String()},
		"someone else's, A": {TeamID: teamA, AssigneeID: id(14).String()},
	}
	want := map[string][]string{
		"agent of A":       {"Ann's, A", "Ann's, B", "unassigned, A"},
		"admin":            {"Ann's, A", "Ann's, B", "someone else's, A", "unassigned, A", "unassigned, B", "unassigned, none"},
		"lead of A":        {"Ann's, A", "someone else's, A", "unassigned, A"},
		"tenant-wide user": {"unassigned, A", "unassigned, B", "unassigned, none"},
	}
	for user, p := range users {
		var got, reached []string
		for name, v := range notes {
			if n.Sees(p, v) {
				got = append(got, name)
			}
			if reachSees(n.ReachOf(p), v) {
				reached = append(reached, name)
			}
		}
		slices.Sort(got)
		slices.Sort(reached)
		if !slices.Equal(got, want[user]) {
			t.Errorf("%s sees %v, want %v", user, got, want[user])
		}
		if !slices.Equal(reached, got) {
			t.Errorf("%s: the list's reach %v differs from Sees %v", user, reached, got)
		}
	}
}
