package readmodels

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// Tables of the notes read model, written by the "notes" projector.
const (
	NotesTable             = "notes"
	NoteRemarksTable       = "note_remarks"
	NoteConversationsTable = "note_conversations"
	NoteTalliesTable       = "note_tallies"
)

// Note is a customer's note as the Notes page lists it.
type Note struct {
	NoteID         uuid.UUID `json:"note_id"`
	Number         int64     `json:"number"`
	ConversationID uuid.UUID `json:"conversation_id"`
	Channel        string    `json:"channel"`
	ChannelAccount string    `json:"channel_account"`
	// CustomerID and CustomerName are who left the note ("created by").
	CustomerID   uuid.UUID  `json:"customer_id"`
	CustomerName string     `json:"customer_name"`
	TeamID       *uuid.UUID `json:"team_id"`
	Text         string     `json:"text"`
	Contact      string     `json:"contact"`
	Status       string     `json:"status"`
	AssigneeID   *uuid.UUID `json:"assignee_id"`
	// AssigneeName is the holder's nickname; "" when unassigned.
	AssigneeName string    `json:"assignee_name"`
	Remarks      int       `json:"remarks"`
	CreatedAt    time.Time `json:"created_at"`
	UpdatedAt    time.Time `json:"updated_at"`
	// Version is the note stream's version, usable as If-Match; nil before
	// anyone worked on the note.
	Version *uint64 `json:"version"`
}

// NoteRemark is a remark written on a note.
type NoteRemark struct {
	RemarkID   uuid.UUID `json:"remark_id"`
	AuthorID   uuid.UUID `json:"author_id"`
	AuthorName string    `json:"author_name"`
	Text       string    `json:"text"`
	CreatedAt  time.Time `json:"created_at"`
}

// NoteReach is the part of a tenant's notes a user sees (note.Reach): the
// notes User holds, and those of Teams (every team when nil) that are
// unassigned or, with Held, held by anyone.
type NoteReach struct {
	User  uuid.UUID
	Held  bool
	Teams []uuid.UUID
}

// NoteFilter selects notes; zero fields select all.
type NoteFilter struct {
	// Reach limits the notes to a user's data scope; nil: all.
	Reach *NoteReach
	// Status is open, pending or solved.
	Status string
	// AssigneeID: the notes this user holds; Unassigned: those nobody
	// holds.
	AssigneeID *uuid.UUID
	Unassigned bool
	Channel    string
	TeamID     *uuid.UUID
	// From and To bound the creation time (from inclusive, to exclusive).
	From, To *time.Time
	// Number picks one note by its number.
	Number int64
	// Sort is "created" (newest first, by number; the default) or
	// "updated" (most recently worked first).
	Sort  string
	After string
	// Limit is the page size, 50 by default, at most 1000.
	Limit int
}

// NoteCounts are the tabs of the Notes page: how many notes of each
// status, in all, and unassigned.
type NoteCounts struct {
	Open       int `json:"open"`
	Pending    int `json:"pending"`
	Solved     int `json:"solved"`
	All        int `json:"all"`
	Unassigned int `json:"unassigned"`
}

const noteColumns = `n.note_id, n.number, n.conversation_id, n.channel, n.channel_account, n.customer_id, n.customer_name,
	n.team_id, n.text, n.contact, n.status, n.assignee_id, COALESCE(a.nickname, ''), n.remarks, n.created_at, n.updated_at, n.version`

const noteFrom = ` FROM notes n LEFT JOIN agents a ON a.tenant_id = n.tenant_id AND a.agent_id = n.assignee_id`

func scanNote(r pgx.Row) (Note, error) {
	var (
		n Note
		v int64
	)
	err := r.Scan(&n.NoteID, &n.Number, &n.ConversationID, &n.Channel, &n.ChannelAccount, &n.CustomerID, &n.CustomerName,
		&n.TeamID, &n.Text, &n.Contact, &n.Status, &n.AssigneeID, &n.AssigneeName, &n.Remarks, &n.CreatedAt, &n.UpdatedAt, &v)
	if v >= 0 {
		u := uint64(v)
		n.Version = &u
	}
	return n, err
}

// GetNote returns a tenant's note.
func GetNote(ctx context.Context, q Querier, tenantID, noteID uuid.UUID) (Note, error) {
	n, err := scanNote(q.QueryRow(ctx, `SELECT `+noteColumns+noteFrom+` WHERE n.tenant_id = $1 AND n.note_id = $2`, tenantID, noteID))
	if errors.Is(err, pgx.ErrNoRows) {
		return n, ErrNotFound
	}
	if err != nil {
		return n, fmt.Errorf("get note: %w", err)
	}
	return n, nil
}

// ListNoteRemarks returns a note's remarks, oldest first.
func ListNoteRemarks(ctx context.Context, q Querier, tenantID, noteID uuid.UUID) ([]NoteRemark, error) {
	rows, err := q.Query(ctx, `SELECT r.remark_id, r.author_id, COALESCE(a.nickname, ''), r.text, r.created_at
		FROM note_remarks r LEFT JOIN agents a ON a.tenant_id = r.tenant_id AND a.agent_id = r.author_id
		WHERE r.tenant_id = $1 AND r.note_id = $2 ORDER BY r.seq`, tenantID, noteID)
	if err != nil {
		return nil, fmt.Errorf("list note remarks: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (NoteRemark, error) {
		var m NoteRemark
		err := r.Scan(&m.RemarkID, &m.AuthorID, &m.AuthorName, &m.Text, &m.CreatedAt)
		return m, err
	})
	if err != nil {
		return nil, fmt.Errorf("list note remarks: %w", err)
	}
	if out == nil {
		out = []NoteRemark{}
	}
	return out, nil
}

// noteQuery is a query's conditions and their arguments.
type noteQuery struct {
	where []string
	args  []any
}

func (q *noteQuery) arg(v any) string {
	q.args = append(q.args, v)
	return fmt.Sprintf("$%d", len(q.args))
}

func (q *noteQuery) and(cond string) { q.where = append(q.where, cond) }

// noteWhere is the filter's conditions but status and assignee (the tabs
// count across them) and the cursor.
func noteWhere(tenantID uuid.UUID, f NoteFilter) *noteQuery {
	q := &noteQuery{where: []string{"n.tenant_id = $1"}, args: []any{tenantID}}
	if r := f.Reach; r != nil {
		team := "true"
		if r.Teams != nil {
			team = "n.team_id = ANY(" + q.arg(r.Teams) + ")"
		}
		others := "n.assignee_id IS NULL"
		if r.Held {
			others = "true"
		}
		q.and(fmt.Sprintf("(n.assignee_id = %s OR (%s AND %s))", q.arg(r.User), others, team))
	}
	if f.Channel != "" {
		q.and("n.channel = " + q.arg(f.Channel))
	}
	if f.TeamID != nil {
		q.and("n.team_id = " + q.arg(*f.TeamID))
	}
	if f.From != nil {
		q.and("n.created_at >= " + q.arg(*f.From))
	}
	if f.To != nil {
		q.and("n.created_at < " + q.arg(*f.To))
	}
	if f.Number != 0 {
		q.and("n.number = " + q.arg(f.Number))
	}
	return q
}

// ListNotes lists a tenant's notes with keyset pagination; it returns the
// page and the next cursor ("" on the last page).
func ListNotes(ctx context.Context, q Querier, tenantID uuid.UUID, f NoteFilter) ([]Note, string, error) {
	limit := f.Limit
	if limit <= 0 {
		limit = 50
	}
	limit = min(limit, 1000)
	w := noteWhere(tenantID, f)
	switch f.Status {
	case "":
	case "open", "pending", "solved":
		w.and("n.status = " + w.arg(f.Status))
	default:
		return nil, "", fmt.Errorf("status %q: want open, pending or solved: %w", f.Status, ErrInvalidFilter)
	}
	if f.AssigneeID != nil {
		w.and("n.assignee_id = " + w.arg(*f.AssigneeID))
	}
	if f.Unassigned {
		w.and("n.assignee_id IS NULL")
	}
	var order string
	switch f.Sort {
	case "", "created":
		order = "n.number DESC"
	case "updated":
		order = "n.updated_at DESC, n.note_id DESC"
	default:
		return nil, "", fmt.Errorf("sort %q: want created or updated: %w", f.Sort, ErrInvalidFilter)
	}
	if f.After != "" {
		c, err := decodeCursor(f.After)
		if err != nil {
			return nil, "", err
		}
		if f.Sort == "updated" {
			at, err := time.Parse(time.RFC3339Nano, c.Key)
			if err != nil {
				return nil, "", fmt.Errorf("cursor: %w", ErrInvalidFilter)
			}
			w.and(fmt.Sprintf("(n.updated_at, n.note_id) < (%s, %s)", w.arg(at), w.arg(c.ID)))
		} else {
			number, err := strconv.ParseInt(c.Key, 10, 64)
			if err != nil {
				return nil, "", fmt.Errorf("cursor: %w", ErrInvalidFilter)
			}
			w.and("n.number < " + w.arg(number))
		}
	}
	rows, err := q.Query(ctx, `SELECT `+noteColumns+noteFrom+` WHERE `+strings.Join(w.where, " AND ")+
		` ORDER BY `+order+` LIMIT `+strconv.Itoa(limit+1), w.args...)
	if err != nil {
		return nil, "", fmt.Errorf("list notes: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Note, error) { return scanNote(r) })
	if err != nil {
		return nil, "", fmt.Errorf("list notes: %w", err)
	}
	if out == nil {
		out = []Note{}
	}
	next := ""
	if len(out) > limit {
		out = out[:limit]
		last := out[limit-1]
		key := strconv.FormatInt(last.Number, 10)
		if f.Sort == "updated" {
			key = last.UpdatedAt.UTC().Format(time.RFC3339Nano)
		}
		next = encodeCursor(agentCursor{Key: key, ID: last.NoteID})
	}
	return out, next, nil
}

// notesTallied is the note tallies shaped as notes (NULL for no team, no
// holder), so that a filter reads them as it reads notes.
const notesTallied = `(SELECT tenant_id, NULLIF(team_id, '00000000-0000-0000-0000-000000000000') AS team_id,
	NULLIF(assignee_id, '00000000-0000-0000-0000-000000000000') AS assignee_id, channel, status, notes FROM note_tallies)`

// CountNotes counts the notes the filter selects for each tab of the Notes
// page; the filter's status, assignee and page are not applied. Without a
// time range or number it sums the tallies, whatever the tenant's history.
func CountNotes(ctx context.Context, q Querier, tenantID uuid.UUID, f NoteFilter) (NoteCounts, error) {
	w := noteWhere(tenantID, f)
	from, count := `notes n`, `count(*)`
	if f.From == nil && f.To == nil && f.Number == 0 {
		from, count = notesTallied+` n`, `sum(n.notes)`
	}
	var c NoteCounts
	err := q.QueryRow(ctx, fmt.Sprintf(`SELECT COALESCE(%[1]s FILTER (WHERE n.status = 'open'), 0),
		COALESCE(%[1]s FILTER (WHERE n.status = 'pending'), 0), COALESCE(%[1]s FILTER (WHERE n.status = 'solved'), 0),
		COALESCE(%[1]s, 0), COALESCE(%[1]s FILTER (WHERE n.assignee_id IS NULL), 0)
		FROM %[2]s WHERE %[3]s`, count, from, strings.Join(w.where, " AND ")), w.args...).
		Scan(&c.Open, &c.Pending, &c.Solved, &c.All, &c.Unassigned)
	if err != nil {
		return c, fmt.Errorf("count notes: %w", err)
	}
	return c, nil
}
