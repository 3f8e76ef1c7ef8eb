// Package knowledge is the tenant's knowledge base: categories and
// articles (title, body, attachment links) that admins write as drafts and
// publish for agents. Stream: "knowledge-{tenant id}".
package knowledge

import (
	"net/url"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/google/uuid"

	"supportd/domain"
	"supportd/eventschema"
)

// Stream returns the stream of tenant's knowledge base.
func Stream(tenantID uuid.UUID) string { return "knowledge-" + tenantID.String() }

// Limits of the knowledge base.
const (
	MaxCategories  = 200
	MaxArticles    = 10000
	MaxTitleLen    = 200
	MaxBodyLen     = 100000
	MaxAttachments = 20
	MaxNameLen     = 50
)

// Article is one knowledge article.
type Article struct {
	ID        uuid.UUID
	Category  uuid.UUID
	Title     string
	Body      string
	Links     []eventschema.Attachment
	Published bool
}

// State is the knowledge base; Evolve updates its maps in place.
type State struct {
	TenantID   uuid.UUID
	Categories map[uuid.UUID]string // ID → name
	Articles   map[uuid.UUID]Article
}

// Evolve folds one event into the knowledge base.
func Evolve(s State, event any) State {
	s = s.init()
	switch e := event.(type) {
	case eventschema.KnowledgeCategoryAdded:
		s.Categories[e.CategoryID] = e.Name
	case eventschema.KnowledgeCategoryRenamed:
		s.Categories[e.CategoryID] = e.Name
	case eventschema.KnowledgeCategoryDeleted:
		delete(s.Categories, e.CategoryID)
	case eventschema.KnowledgeArticleDrafted:
		s.Articles[e.ArticleID] = Article{ID: e.ArticleID, Category: e.CategoryID, Title: e.Title, Body: e.Body, Links: e.Attachments}
	case eventschema.KnowledgeArticleEdited:
		a := s.Articles[e.ArticleID]
		a.Category, a.Title, a.Body, a.Links = e.CategoryID, e.Title, e.Body, e.Attachments
		s.Articles[e.ArticleID] = a
	case eventschema.KnowledgeArticlePublished:
		a := s.Articles[e.ArticleID]
		a.Published = true
		s.Articles[e.ArticleID] = a
	case eventschema.KnowledgeArticleUnpublished:
		a := s.Articles[e.ArticleID]
		a.Published = false
		s.Articles[e.ArticleID] = a
	case eventschema.KnowledgeArticleDeleted:
		delete(s.Articles, e.ArticleID)
	}
	return s
}

func (s State) init() State {
	if s.Categories == nil {
		s.Categories, s.Articles = map[uuid.UUID]string{}, map[uuid.UUID]Article{}
	}
	return s
}

func (s State) checkCategoryName(self uuid.UUID, name string) (string, error) {
	name = strings.TrimSpace(name)
	if name == "" || utf8.RuneCountInString(name) > MaxNameLen {
		return "", domain.Errorf(domain.Invalid, "knowledge_category.name", "name", "must be 1 to %d characters", MaxNameLen)
	}
	for id, n := range s.Categories {
		if id != self && strings.EqualFold(n, name) {
			return "", domain.Errorf(domain.Conflict, "knowledge_category.name_taken", "name", "a category is already called %q", n)
		}
	}
	return name, nil
}

// AddCategory decides a new category.
func AddCategory(s State, id uuid.UUID, name string) ([]any, error) {
	s = s.init()
	if id == uuid.Nil {
		return nil, domain.Errorf(domain.Invalid, "knowledge_category.id", "category_id", "must be a UUID")
	}
	if _, dup := s.Categories[id]; dup {
		return nil, domain.Errorf(domain.Conflict, "knowledge_category.exists", "category_id", "category %s already exists", id)
	}
	if len(s.Categories) >= MaxCategories {
		return nil, domain.Errorf(domain.Invalid, "knowledge_category.count_limit", "", "at most %d categories", MaxCategories)
	}
	name, err := s.checkCategoryName(id, name)
	if err != nil {
		return nil, err
	}
	return []any{eventschema.KnowledgeCategoryAdded{TenantID: s.TenantID, CategoryID: id, Name: name}}, nil
}

func (s State) category(id uuid.UUID) (string, error) {
	n, ok := s.Categories[id]
	if !ok {
		return "", domain.Errorf(domain.NotFound, "knowledge_category.not_found", "category_id", "category %s not found", id)
	}
	return n, nil
}

// RenameCategory decides a category's new name.
func RenameCategory(s State, id uuid.UUID, name string) ([]any, error) {
	s = s.init()
	cur, err := s.category(id)
	if err != nil {
		return nil, err
	}
	if name, err = s.checkCategoryName(id, name); err != nil || name == cur {
		return nil, err
	}
	return []any{eventschema.KnowledgeCategoryRenamed{TenantID: s.TenantID, CategoryID: id, Name: name}}, nil
}

// DeleteCategory decides the removal of a category. Only an empty one may
// go: deleting articles is a decision of its own, not a side effect.
func DeleteCategory(s State, id uuid.UUID) ([]any, error) {
	s = s.init()
	if _, err := s.category(id); err != nil {
		return nil, err
	}
	for _, a := range s.Articles {
		if a.Category == id {
			return nil, domain.Errorf(domain.Conflict, "knowledge_category.not_empty", "category_id", "the category still holds articles")
		}
	}
	return []any{eventschema.KnowledgeCategoryDeleted{TenantID: s.TenantID, CategoryID: id}}, nil
}

// Draft is an article's content as an admin writes it.
type Draft struct {
	Category    uuid.UUID
	Title       string
	Body        string
	Attachments []eventschema.Attachment
}

func (s State) check(d Draft) (Draft, error) {
	if _, ok := s.Categories[d.Category]; !ok {
		return d, domain.Errorf(domain.Invalid, "knowledge_article.category", "category_id", "category %s not found", d.Category)
	}
	d.Title = strings.TrimSpace(d.Title)
	if d.Title == "" || utf8.RuneCountInString(d.Title) > MaxTitleLen {
		return d, domain.Errorf(domain.Invalid, "knowledge_article.title", "title", "must be 1 to %d characters", MaxTitleLen)
	}
	if len(d.Body) > MaxBodyLen {
		return d, domain.Errorf(domain.Invalid, "knowledge_article.body", "body", "is longer than %d bytes", MaxBodyLen)
	}
	if len(d.Attachments) > MaxAttachments {
		return d, domain.Errorf(domain.Invalid, "knowledge_article.attachments", "attachments", "at most %d attachments", MaxAttachments)
	}
	links := make([]eventschema.Attachment, 0, len(d.Attachments))
	for _, a := range d.Attachments {
		a.Name = strings.TrimSpace(a.Name)
		u, err := url.Parse(a.URL)
		if a.Name == "" || err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return d, domain.Errorf(domain.Invalid, "knowledge_article.attachments", "attachments", "each attachment needs a name and an http(s) URL")
		}
		links = append(links, a)
	}
	d.Attachments = links
	return d, nil
}

// DraftArticle decides a new article, unpublished.
func DraftArticle(s State, id uuid.UUID, d Draft) ([]any, error) {
	s = s.init()
	if id == uuid.Nil {
		return nil, domain.Errorf(domain.Invalid, "knowledge_article.id", "article_id", "must be a UUID")
	}
	if _, dup := s.Articles[id]; dup {
		return nil, domain.Errorf(domain.Conflict, "knowledge_article.exists", "article_id", "article %s already exists", id)
	}
	if len(s.Articles) >= MaxArticles {
		return nil, domain.Errorf(domain.Invalid, "knowledge_article.count_limit", "", "at most %d articles", MaxArticles)
	}
	d, err := s.check(d)
	if err != nil {
		return nil, err
	}
	return []any{eventschema.KnowledgeArticleDrafted{TenantID: s.TenantID, ArticleID: id, CategoryID: d.Category,
		Title: d.Title, Body: d.Body, Attachments: d.Attachments}}, nil
}

func (s State) article(id uuid.UUID) (Article, error) {
	a, ok := s.Articles[id]
	if !ok {
		return Article{}, domain.Errorf(domain.NotFound, "knowledge_article.not_found", "article_id", "article %s not found", id)
	}
	return a, nil
}

// EditArticle decides an article's new content; a published article stays
// published.
func EditArticle(s State, id uuid.UUID, d Draft) ([]any, error) {
	s = s.init()
	a, err := s.article(id)
	if err != nil {
		return nil, err
	}
	if d, err = s.check(d); err != nil {
		return nil, err
	}
	if a.Category == d.Category && a.Title == d.Title && a.Body == d.Body && slices.Equal(a.Links, d.Attachments) {
		return nil, nil
	}
	return []any{eventschema.KnowledgeArticleEdited{TenantID: s.TenantID, ArticleID: id, CategoryID: d.Category,
		Title: d.Title, Body: d.Body, Attachments: d.Attachments}}, nil
}

// SetPublished decides whether agents see an article.
func SetPublished(s State, id uuid.UUID, published bool) ([]any, error) {
	s = s.init()
	a, err := s.article(id)
	if err != nil || a.Published == published {
		return nil, err
	}
	if published {
		return []any{eventschema.KnowledgeArticlePublished{TenantID: s.TenantID, ArticleID: id}}, nil
	}
	return []any{eventschema.KnowledgeArticleUnpublished{TenantID: s.TenantID, ArticleID: id}}, nil
}

// DeleteArticle decides the removal of an article.
func DeleteArticle(s State, id uuid.UUID) ([]any, error) {
	s = s.init()
	if _, err := s.article(id); err != nil {
		return nil, err
	}
	return []any{eventschema.KnowledgeArticleDeleted{TenantID: s.TenantID, ArticleID: id}}, nil
}
