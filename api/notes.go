package api

import (
	"context"
	"encoding/csv"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"supportd/commands"
	"supportd/domain/access"
	"supportd/domain/note"
	"supportd/readmodels"
)

// Notes: the Notes page of both consoles (seed 002), behind agent.history
// or admin.history.
// What a user sees is the notes' data scope (note.Sees): the notes it
// holds and the unassigned ones of its teams, and with admin.history
// those others hold too. A note out of scope is not found, like another
// tenant's. Who may do what to a note is the note's rule (domain/note).
func (h *handlers) noteRoutes(g *echo.Group) {
	notes := need(access.History, access.AdminHistory)
	g.GET("/notes", h.listNotes, notes)
	g.GET("/notes/export.csv", h.exportNotes, notes)
	g.GET("/notes/:note_id", h.getNote, notes)
	g.POST("/notes/:note_id/assign", h.assignNote, notes, signedIn)
	g.POST("/notes/:note_id/status", h.changeNoteStatus, notes, signedIn)
	g.POST("/notes/:note_id/remarks", h.remarkNote, notes, signedIn)
}

// noteReach is the caller's data scope as a list filter.
func noteReach(cl caller) *readmodels.NoteReach {
	r := note.ReachOf(cl.principal)
	out := &readmodels.NoteReach{User: cl.agentID, Held: r.Held}
	if r.Teams != nil {
		out.Teams = []uuid.UUID{}
		for _, t := range r.Teams {
			if id, err := uuid.Parse(t); err == nil {
				out.Teams = append(out.Teams, id)
			}
		}
	}
	return out
}

// noteFilter reads the list's filters from the query, once the read
// models show min_position.
func (h *handlers) noteFilter(c echo.Context) (readmodels.NoteFilter, error) {
	cl := callerOf(c)
	if err := h.awaitPosition(c); err != nil {
		return readmodels.NoteFilter{}, err
	}
	f := readmodels.NoteFilter{Reach: noteReach(cl), Status: c.QueryParam("status"), Channel: c.QueryParam("channel"),
		Sort: c.QueryParam("sort")}
	var err error
	if f.After, f.Limit, err = pageParams(c); err != nil {
		return f, err
	}
	switch a := c.QueryParam("assignee"); a {
	case "":
	case "none":
		f.Unassigned = true
	case "me":
		f.AssigneeID = &cl.agentID
	default:
		id, err := uuid.Parse(a)
		if err != nil {
			return f, echo.NewHTTPError(http.StatusUnprocessableEntity, "assignee: want an agent ID, me or none")
		}
		f.AssigneeID = &id
	}
	if f.TeamID, err = queryUUID(c, "team_id"); err != nil {
		return f, err
	}
	if f.From, err = queryTime(c, "from"); err != nil {
		return f, err
	}
	if f.To, err = queryTime(c, "to"); err != nil {
		return f, err
	}
	if v := c.QueryParam("number"); v != "" {
		if f.Number, err = strconv.ParseInt(v, 10, 64); err != nil || f.Number < 1 {
			return f, echo.NewHTTPError(http.StatusUnprocessableEntity, "number: want a note number")
		}
	}
	return f, nil
}

// listNotes answers a page of notes and, on the first page, the counts of
// the page's tabs (open, pending, solved, all, unassigned) under the same
// filters but status and assignee.
func (h *handlers) listNotes(c echo.Context) error {
	f, err := h.noteFilter(c)
	if err != nil {
		return err
	}
	ctx, cl := c.Request().Context(), callerOf(c)
	items, next, err := readmodels.ListNotes(ctx, h.d.Reads, cl.tenantID, f)
	if err != nil {
		return err
	}
	out := map[string]any{"items": items, "next": nil, "counts": nil}
	if next != "" {
		out["next"] = next
	}
	if f.After == "" {
		if out["counts"], err = readmodels.CountNotes(ctx, h.d.Reads, cl.tenantID, f); err != nil {
			return err
		}
	}
	return c.JSON(http.StatusOK, out)
}

// visibleNote reads a note of the caller's tenant within the caller's data
// scope; any other is not found.
func (h *handlers) visibleNote(ctx context.Context, cl caller, id uuid.UUID) (readmodels.Note, error) {
	n, err := readmodels.GetNote(ctx, h.d.Reads, cl.tenantID, id)
	if err != nil {
		return n, err
	}
	v := note.View{}
	if n.TeamID != nil {
		v.TeamID = n.TeamID.String()
	}
	if n.AssigneeID != nil {
		v.AssigneeID = n.AssigneeID.String()
	}
	if !note.Sees(cl.principal, v) {
		return readmodels.Note{}, readmodels.ErrNotFound
	}
	return n, nil
}

// getNote answers a note with its remarks.
func (h *handlers) getNote(c echo.Context) error {
	id, err := pathID(c, "note_id")
	if err != nil {
		return err
	}
	if err := h.awaitPosition(c); err != nil {
		return err
	}
	ctx := c.Request().Context()
	n, err := h.visibleNote(ctx, callerOf(c), id)
	if err != nil {
		return err
	}
	remarks, err := readmodels.ListNoteRemarks(ctx, h.d.Reads, callerOf(c).tenantID, id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"note": n, "remarks": remarks})
}

// onVisibleNote runs a command on a note the caller sees: the note's ID
// from the path, the body bound into R.
func onVisibleNote[R any](h *handlers, c echo.Context, run func(ctx context.Context, m commands.Meta, ref commands.NoteRef, by note.Actor, req R) (commands.Result, error)) (commands.Result, error) {
	id, err := pathID(c, "note_id")
	if err != nil {
		return commands.Result{}, err
	}
	var req R
	if err := c.Bind(&req); err != nil {
		return commands.Result{}, err
	}
	ctx, cl := c.Request().Context(), callerOf(c)
	n, err := h.visibleNote(ctx, cl, id)
	if err != nil {
		return commands.Result{}, err
	}
	m, err := meta(c)
	if err != nil {
		return commands.Result{}, err
	}
	m = commands.WithCommandID(m)
	ref := commands.NoteRef{TenantID: cl.tenantID, NoteID: id, ConversationID: n.ConversationID}
	return run(ctx, m, ref, note.ActorOf(cl.principal), req)
}

// assignNote gives the note to an agent, or back to its team (agent_id
// null).
func (h *handlers) assignNote(c echo.Context) error {
	res, err := onVisibleNote(h, c, func(ctx context.Context, m commands.Meta, ref commands.NoteRef, by note.Actor, req struct {
		AgentID *uuid.UUID `json:"agent_id"`
	}) (commands.Result, error) {
		cmd := commands.AssignNote{NoteRef: ref, By: by}
		if req.AgentID != nil {
			cmd.AgentID = *req.AgentID
		}
		return h.d.Commands.AssignNote(ctx, m, cmd)
	})
	return commandResult(c, res, err)
}

func (h *handlers) changeNoteStatus(c echo.Context) error {
	res, err := onVisibleNote(h, c, func(ctx context.Context, m commands.Meta, ref commands.NoteRef, by note.Actor, req struct {
		Status string `json:"status"`
	}) (commands.Result, error) {
		return h.d.Commands.ChangeNoteStatus(ctx, m, commands.ChangeNoteStatus{NoteRef: ref, By: by, Status: req.Status})
	})
	return commandResult(c, res, err)
}

func (h *handlers) remarkNote(c echo.Context) error {
	var remarkID uuid.UUID
	res, err := onVisibleNote(h, c, func(ctx context.Context, m commands.Meta, ref commands.NoteRef, by note.Actor, req struct {
		Text string `json:"text"`
	}) (commands.Result, error) {
		remarkID = commands.NewID(m, 0)
		return h.d.Commands.RemarkNote(ctx, m, commands.RemarkNote{NoteRef: ref, By: by, RemarkID: remarkID, Text: req.Text})
	})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, createdAnswer{ID: remarkID, Result: res})
}

// inert keeps a customer's text from being read as a formula by the
// spreadsheet that opens the export: a cell starting with =, +, -, @ or a
// control character gets a leading apostrophe.
func inert(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// noteCSVColumns are the export's columns: the page's (number, created by,
// created at, updated at, channel, assigned to, status), then the note.
var noteCSVColumns = []string{"number", "created_by", "created_at", "updated_at", "channel", "assigned_to", "status",
	"contact", "text", "remarks", "note_id", "conversation_id"}

// exportPage is how many notes the export reads at a time: each page is a
// short query, so a slow download holds no database connection.
const exportPage = 500

// exportNotes streams the filtered list as CSV, newest first (or by the
// sort asked for), times in the tenant's zone.
func (h *handlers) exportNotes(c echo.Context) error {
	f, err := h.noteFilter(c)
	if err != nil {
		return err
	}
	ctx, cl := c.Request().Context(), callerOf(c)
	t, err := readmodels.GetTenant(ctx, h.d.Reads, cl.tenantID)
	if err != nil {
		return err
	}
	loc, err := time.LoadLocation(t.TimeZone)
	if err != nil {
		loc = time.UTC
	}
	f.After, f.Limit = "", exportPage
	items, next, err := readmodels.ListNotes(ctx, h.d.Reads, cl.tenantID, f)
	if err != nil {
		return err
	}
	res := c.Response()
	res.Header().Set(echo.HeaderContentType, "text/csv; charset=utf-8")
	res.Header().Set(echo.HeaderContentDisposition, fmt.Sprintf("attachment; filename=%q", "notes.csv"))
	res.WriteHeader(http.StatusOK)
	w := csv.NewWriter(res)
	if err := w.Write(noteCSVColumns); err != nil {
		return err
	}
	for {
		for _, n := range items {
			if err := w.Write([]string{strconv.FormatInt(n.Number, 10), inert(n.CustomerName), n.CreatedAt.In(loc).Format(time.RFC3339),
				n.UpdatedAt.In(loc).Format(time.RFC3339), n.Channel, n.AssigneeName, n.Status, inert(n.Contact), inert(n.Text),
				strconv.Itoa(n.Remarks), n.NoteID.String(), n.ConversationID.String()}); err != nil {
				return err
			}
		}
		w.Flush()
		if err := w.Error(); err != nil {
			return err
		}
		res.Flush()
		if next == "" {
			return nil
		}
		f.After = next
		if items, next, err = readmodels.ListNotes(ctx, h.d.Reads, cl.tenantID, f); err != nil {
			return fmt.Errorf("export notes: %w", err)
		}
	}
}
