package note

import (
	"slices"

	"supportd/domain/access"
)

// View is what deciding whether a user sees a note needs to know of it.
type View struct {
	// TeamID is the team the note's conversation was routed to ("" for
	// none).
	TeamID string
	// AssigneeID holds the note ("" for nobody).
	AssigneeID string
}

// Sees is the data scope of notes. A user sees the notes it holds and the
// unassigned notes of the teams its role's data scope covers (its own
// teams, or all with tenant scope), for any of them to take. With the
// admin-mode notes page (admin.history) it also sees the notes others hold
// in those teams.
func Sees(p access.Principal, v View) bool {
	if v.AssigneeID != "" && v.AssigneeID == p.AgentID {
		return true
	}
	if v.AssigneeID != "" && !p.Role.Allows(access.AdminHistory) {
		return false
	}
	return p.SeesTeam(v.TeamID)
}

// Reach is Sees as a filter over a list of notes: the notes User holds,
// and those of Teams (every team when Teams is nil) that are unassigned or,
// with Held, held by anyone.
type Reach struct {
	User  string
	Held  bool
	Teams []string
}

// ReachOf is the part of the notes p sees (Sees), for listing them.
func ReachOf(p access.Principal) Reach {
	r := Reach{User: p.AgentID, Held: p.Role.Allows(access.AdminHistory)}
	if p.Role.DataScope != access.TenantScope {
		r.Teams = slices.Clone(p.Teams)
		if r.Teams == nil {
			r.Teams = []string{}
		}
	}
	return r
}
