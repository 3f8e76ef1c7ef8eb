package readmodels

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// Tables of the catalogue read models, written by the "catalogues"
// projector.
const (
	ConversationTagsTable    = "conversation_tags"
	CustomerTagsTable        = "customer_tags"
	ProfileFieldsTable       = "profile_fields"
	PhraseCategoriesTable    = "phrase_categories"
	PhrasesTable             = "phrases"
	KnowledgeCategoriesTable = "knowledge_categories"
	KnowledgeArticlesTable   = "knowledge_articles"
	ReviewCategoriesTable    = "review_categories"
)

// ConversationTag is a tag of the tree, as a flat row or a tree node.
type ConversationTag struct {
	TagID    uuid.UUID          `json:"tag_id"`
	ParentID *uuid.UUID         `json:"parent_id"`
	Name     string             `json:"name"`
	Position int                `json:"position"`
	Enabled  bool               `json:"enabled"`
	Level    int                `json:"level"`
	Path     []string           `json:"path"`
	Children []*ConversationTag `json:"children,omitempty"`
}

// ConversationTagTree lists a tenant's conversation tags both ways: Flat
// in depth-first order (parents before children, siblings in their order)
// and Roots as a nested tree. A tenant has at most 1,000 tags, so the
// whole tree is read at once.
func ConversationTagTree(ctx context.Context, q Querier, tenantID uuid.UUID) (flat []ConversationTag, roots []*ConversationTag, err error) {
	rows, err := q.Query(ctx, `SELECT tag_id, parent_id, name, position, enabled FROM conversation_tags
		WHERE tenant_id = $1 ORDER BY position, lower(name), tag_id`, tenantID)
	if err != nil {
		return nil, nil, fmt.Errorf("conversation tags: %w", err)
	}
	type row struct {
		id, parent uuid.UUID
		tag        *ConversationTag
	}
	all, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (row, error) {
		var x row
		x.tag = &ConversationTag{}
		err := r.Scan(&x.id, &x.parent, &x.tag.Name, &x.tag.Position, &x.tag.Enabled)
		x.tag.TagID = x.id
		return x, err
	})
	if err != nil {
		return nil, nil, fmt.Errorf("conversation tags: %w", err)
	}
	children := map[uuid.UUID][]*ConversationTag{}
	for _, x := range all {
		if x.parent != uuid.Nil {
			p := x.parent
			x.tag.ParentID = &p
		}
		children[x.parent] = append(children[x.parent], x.tag)
	}
	flat = []ConversationTag{}
	var walk func(parent *ConversationTag, level int, path []string) []*ConversationTag
	walk = func(parent *ConversationTag, level int, path []string) []*ConversationTag {
		key := uuid.Nil
		if parent != nil {
			key = parent.TagID
		}
		out := children[key]
		for _, t := range out {
			t.Level = level
			t.Path = append(append([]string{}, path...), t.Name)
			node := *t
			node.Children = nil
			flat = append(flat, node)
			t.Children = walk(t, level+1, t.Path)
		}
		return out
	}
	roots = walk(nil, 1, nil)
	if roots == nil {
		roots = []*ConversationTag{}
	}
	return flat, roots, nil
}

// ConversationTagExists reports whether tagID is a tag of tenantID.
func ConversationTagExists(ctx context.Context, q Querier, tenantID, tagID uuid.UUID) (bool, error) {
	var ok bool
	err := q.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM conversation_tags WHERE tenant_id = $1 AND tag_id = $2)`, tenantID, tagID).Scan(&ok)
	return ok, err
}

// CustomerTag is a customer tag.
type CustomerTag struct {
	TagID uuid.UUID `json:"tag_id"`
	Name  string    `json:"name"`
	Color string    `json:"color"`
}

// ListCustomerTags lists a tenant's customer tags by name.
func ListCustomerTags(ctx context.Context, q Querier, tenantID uuid.UUID) ([]CustomerTag, error) {
	rows, err := q.Query(ctx, `SELECT tag_id, name, color FROM customer_tags WHERE tenant_id = $1 ORDER BY lower(name), tag_id`, tenantID)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (CustomerTag, error) {
		var t CustomerTag
		err := r.Scan(&t.TagID, &t.Name, &t.Color)
		return t, err
	})
}

// ProfileField is a stored field definition: a custom field, or a system
// field whose switches were changed.
type ProfileField struct {
	FieldID  string   `json:"field_id"`
	System   bool     `json:"system"`
	Name     string   `json:"name"`
	Type     string   `json:"type"`
	Options  []string `json:"options"`
	Enabled  bool     `json:"enabled"`
	ReadOnly bool     `json:"read_only"`
}

// ListProfileFields lists a tenant's stored field definitions in the order
// they were added.
func ListProfileFields(ctx context.Context, q Querier, tenantID uuid.UUID) ([]ProfileField, error) {
	rows, err := q.Query(ctx, `SELECT field_id, system, name, type, options, enabled, read_only FROM profile_fields
		WHERE tenant_id = $1 ORDER BY added_version, field_id`, tenantID)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (ProfileField, error) {
		var f ProfileField
		err := r.Scan(&f.FieldID, &f.System, &f.Name, &f.Type, &f.Options, &f.Enabled, &f.ReadOnly)
		return f, err
	})
}

// PhraseCategory is a category of a phrase book.
type PhraseCategory struct {
	CategoryID uuid.UUID  `json:"category_id"`
	ParentID   *uuid.UUID `json:"parent_id"`
	Name       string     `json:"name"`
}

// ListPhraseCategories lists the categories of a book (ownerID nil: the
// public one), level 1 first, by name.
func ListPhraseCategories(ctx context.Context, q Querier, tenantID, ownerID uuid.UUID) ([]PhraseCategory, error) {
	rows, err := q.Query(ctx, `SELECT category_id, parent_id, name FROM phrase_categories WHERE tenant_id = $1 AND owner_id = $2
		ORDER BY parent_id <> '00000000-0000-0000-0000-000000000000', lower(name), category_id`, tenantID, ownerID)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (PhraseCategory, error) {
		var c PhraseCategory
		var parent uuid.UUID
		err := r.Scan(&c.CategoryID, &parent, &c.Name)
		if parent != uuid.Nil {
			c.ParentID = &parent
		}
		return c, err
	})
}

// Phrase is a phrase with the names of its categories.
type Phrase struct {
	PhraseID    uuid.UUID `json:"phrase_id"`
	CategoryID  uuid.UUID `json:"category_id"`
	Category    string    `json:"category"`
	Subcategory string    `json:"subcategory"`
	Text        string    `json:"text"`
	UpdatedAt   time.Time `json:"updated_at"`
}

// PhraseFilter selects phrases of one book. Zero values select everything.
type PhraseFilter struct {
	// CategoryID selects a category and, for a level-1 one, its
	// subcategories.
	CategoryID uuid.UUID
	// Query matches the text (case-insensitive substring).
	Query string
	After string
	// Limit is the page size; 0 means 50, -1 everything (export).
	Limit int
}

// ListPhrases lists a book's phrases in the order they were added, with
// keyset pagination; it returns the cursor of the next page ("" at the end).
func ListPhrases(ctx context.Context, q Querier, tenantID, ownerID uuid.UUID, f PhraseFilter) ([]Phrase, string, error) {
	where := []string{"p.tenant_id = $1", "p.owner_id = $2"}
	args := []any{tenantID, ownerID}
	arg := func(v any) string {
		args = append(args, v)
		return fmt.Sprintf("$%d", len(args))
	}
	if f.CategoryID != uuid.Nil {
		a := arg(f.CategoryID)
		where = append(where, fmt.Sprintf("(c.category_id = %[1]s OR c.parent_id = %[1]s)", a))
	}
	if s := strings.TrimSpace(f.Query); s != "" {
		where = append(where, "lower(p.text) LIKE "+arg("%"+likeEscape(strings.ToLower(s))+"%"))
	}
	if f.After != "" {
		after, err := decodeVersionCursor(f.After)
		if err != nil {
			return nil, "", err
		}
		where = append(where, "p.added_version > "+arg(after))
	}
	limit := pageSize(f.Limit)
	rows, err := q.Query(ctx, `
		SELECT p.phrase_id, p.category_id, coalesce(top.name, c.name), CASE WHEN top.name IS NULL THEN '' ELSE c.name END,
		       p.text, p.updated_at, p.added_version
		FROM phrases p JOIN phrase_categories c ON c.category_id = p.category_id
		LEFT JOIN phrase_categories top ON top.category_id = c.parent_id
		WHERE `+strings.Join(where, " AND ")+` ORDER BY p.added_version`+limitClause(limit), args...)
	if err != nil {
		return nil, "", fmt.Errorf("list phrases: %w", err)
	}
	var versions []int64
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Phrase, error) {
		var p Phrase
		var v int64
		err := r.Scan(&p.PhraseID, &p.CategoryID, &p.Category, &p.Subcategory, &p.Text, &p.UpdatedAt, &v)
		versions = append(versions, v)
		return p, err
	})
	if err != nil {
		return nil, "", fmt.Errorf("list phrases: %w", err)
	}
	out, next := page(out, versions, limit)
	return out, next, nil
}

// KnowledgeCategory is a knowledge category with its article counts.
type KnowledgeCategory struct {
	CategoryID uuid.UUID `json:"category_id"`
	Name       string    `json:"name"`
}

// ListKnowledgeCategories lists a tenant's knowledge categories by name.
func ListKnowledgeCategories(ctx context.Context, q Querier, tenantID uuid.UUID) ([]KnowledgeCategory, error) {
	rows, err := q.Query(ctx, `SELECT category_id, name FROM knowledge_categories WHERE tenant_id = $1 ORDER BY lower(name), category_id`, tenantID)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (KnowledgeCategory, error) {
		var c KnowledgeCategory
		err := r.Scan(&c.CategoryID, &c.Name)
		return c, err
	})
}

// Attachment is a link attached to an article.
type Attachment struct {
	Name string `json:"name"`
	URL  string `json:"url"`
}

// KnowledgeArticle is a knowledge article.
type KnowledgeArticle struct {
	ArticleID   uuid.UUID    `json:"article_id"`
	CategoryID  uuid.UUID    `json:"category_id"`
	Title       string       `json:"title"`
	Body        string       `json:"body"`
	Attachments []Attachment `json:"attachments"`
	Status      string       `json:"status"`
	UpdatedAt   time.Time    `json:"updated_at"`
	Version     uint64       `json:"version"`
}

// ArticleFilter selects knowledge articles. Zero values select everything.
type ArticleFilter struct {
	CategoryID uuid.UUID
	// Query matches title or body (case-insensitive substring).
	Query string
	// Status is "draft", "published" or "" for both.
	Status string
	After  string
	Limit  int
}

const articleColumns = `article_id, category_id, title, body, attachments, published, updated_at, version, added_version`

func scanArticle(r pgx.Row) (KnowledgeArticle, int64, error) {
	var a KnowledgeArticle
	var links []byte
	var published bool
	var v, added int64
	if err := r.Scan(&a.ArticleID, &a.CategoryID, &a.Title, &a.Body, &links, &published, &a.UpdatedAt, &v, &added); err != nil {
		return a, 0, err
	}
	a.Version, a.Status = uint64(v), "draft"
	if published {
		a.Status = "published"
	}
	return a, added, json.Unmarshal(links, &a.Attachments)
}

// ListArticles lists a tenant's articles in the order they were written,
// with keyset pagination.
func ListArticles(ctx context.Context, q Querier, tenantID uuid.UUID, f ArticleFilter) ([]KnowledgeArticle, string, error) {
	where := []string{"tenant_id = $1"}
	args := []any{tenantID}
	arg := func(v any) string {
		args = append(args, v)
		return fmt.Sprintf("$%d", len(args))
	}
	if f.CategoryID != uuid.Nil {
		where = append(where, "category_id = "+arg(f.CategoryID))
	}
	switch f.Status {
	case "":
	case "draft", "published":
		where = append(where, "published = "+arg(f.Status == "published"))
	default:
		return nil, "", fmt.Errorf("status %q: want draft or published: %w", f.Status, ErrInvalidFilter)
	}
	if s := strings.TrimSpace(f.Query); s != "" {
		p := arg("%" + likeEscape(strings.ToLower(s)) + "%")
		where = append(where, fmt.Sprintf("(lower(title) LIKE %[1]s OR lower(body) LIKE %[1]s)", p))
	}
	if f.After != "" {
		after, err := decodeVersionCursor(f.After)
		if err != nil {
			return nil, "", err
		}
		where = append(where, "added_version > "+arg(after))
	}
	limit := pageSize(f.Limit)
	rows, err := q.Query(ctx, `SELECT `+articleColumns+` FROM knowledge_articles WHERE `+strings.Join(where, " AND ")+
		` ORDER BY added_version`+limitClause(limit), args...)
	if err != nil {
		return nil, "", fmt.Errorf("list articles: %w", err)
	}
	defer rows.Close()
	var out []KnowledgeArticle
	var versions []int64
	for rows.Next() {
		a, added, err := scanArticle(rows)
		if err != nil {
			return nil, "", fmt.Errorf("list articles: %w", err)
		}
		out, versions = append(out, a), append(versions, added)
	}
	if err := rows.Err(); err != nil {
		return nil, "", fmt.Errorf("list articles: %w", err)
	}
	out, next := page(out, versions, limit)
	return out, next, nil
}

// GetArticle returns a tenant's article; with publishedOnly a draft is not
// found.
func GetArticle(ctx context.Context, q Querier, tenantID, articleID uuid.UUID, publishedOnly bool) (KnowledgeArticle, error) {
	a, _, err := scanArticle(q.QueryRow(ctx, `SELECT `+articleColumns+` FROM knowledge_articles
		WHERE tenant_id = $1 AND article_id = $2 AND (published OR NOT $3)`, tenantID, articleID, publishedOnly))
	if err == pgx.ErrNoRows {
		return a, fmt.Errorf("article %s: %w", articleID, ErrNotFound)
	}
	return a, err
}

// ReviewCategory is an item of the review form.
type ReviewCategory struct {
	CategoryID uuid.UUID `json:"category_id"`
	Name       string    `json:"name"`
	Kind       string    `json:"kind"`
	Score      int       `json:"score"`
}

// ListReviewCategories lists a tenant's review categories in the order
// they were added.
func ListReviewCategories(ctx context.Context, q Querier, tenantID uuid.UUID) ([]ReviewCategory, error) {
	rows, err := q.Query(ctx, `SELECT category_id, name, kind, score FROM review_categories WHERE tenant_id = $1
		ORDER BY added_version, category_id`, tenantID)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (ReviewCategory, error) {
		var c ReviewCategory
		err := r.Scan(&c.CategoryID, &c.Name, &c.Kind, &c.Score)
		return c, err
	})
}

func likeEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, "%", `\%`, "_", `\_`).Replace(s)
}

func pageSize(limit int) int {
	switch {
	case limit < 0:
		return -1
	case limit == 0 || limit > 200:
		return 50
	}
	return limit
}

// limitClause fetches one row more than a page, to know whether another
// page follows.
func limitClause(limit int) string {
	if limit < 0 {
		return ""
	}
	return " LIMIT " + strconv.Itoa(limit+1)
}

// page cuts rows to limit and returns the cursor after the last row kept:
// the stream version that added it, which orders a catalogue's rows.
func page[T any](rows []T, versions []int64, limit int) ([]T, string) {
	if rows == nil {
		rows = []T{}
	}
	if limit < 0 || len(rows) <= limit {
		return rows, ""
	}
	return rows[:limit], base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(versions[limit-1], 10)))
}

func decodeVersionCursor(s string) (int64, error) {
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return 0, fmt.Errorf("cursor: %w", ErrInvalidFilter)
	}
	v, err := strconv.ParseInt(string(raw), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("cursor: %w", ErrInvalidFilter)
	}
	return v, nil
}
