package api

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"supportd/commands"
	"supportd/domain"
	"supportd/domain/access"
	"supportd/domain/knowledge"
	"supportd/eventschema"
	"supportd/readmodels"
)

// Knowledge: users with the knowledge page read it, admins with the
// catalogues page write it. Drafts are the admins' work in progress, so
// readers without the catalogues page see published articles only.
func (h *handlers) knowledgeRoutes(g *echo.Group) {
	admin := need(access.ManageCatalogues)
	read := need(access.Knowledge)
	g.GET("/knowledge/categories", h.listKnowledgeCategories, read)
	g.POST("/knowledge/categories", h.addKnowledgeCategory, admin)
	g.PUT("/knowledge/categories/:category_id", h.renameKnowledgeCategory, admin)
	g.DELETE("/knowledge/categories/:category_id", h.deleteKnowledgeCategory, admin)
	g.GET("/knowledge/articles", h.listArticles, read)
	g.POST("/knowledge/articles", h.draftArticle, admin)
	g.GET("/knowledge/articles/:article_id", h.getArticle, read)
	g.PUT("/knowledge/articles/:article_id", h.editArticle, admin)
	g.DELETE("/knowledge/articles/:article_id", h.deleteArticle, admin)
	g.POST("/knowledge/articles/:article_id/publish", h.publishArticle(true), admin)
	g.POST("/knowledge/articles/:article_id/unpublish", h.publishArticle(false), admin)
	g.GET("/knowledge/template.csv", h.knowledgeTemplate, admin)
	g.GET("/knowledge/export.csv", h.exportKnowledge, admin)
	g.POST("/knowledge/import", h.importKnowledge, admin)
}

// knowledgeColumns are the columns of the knowledge CSV template, export
// and import; published is "yes" or "no".
var (
	knowledgeColumns   = []string{"category", "title", "content", "published"}
	knowledgeFields    = []string{"category", "title", "body", "published"}
	knowledgeMultiline = []bool{false, false, true, false}
)

func (h *handlers) knowledgeTemplate(c echo.Context) error {
	return writeCSV(c, "knowledge-template.csv", [][]string{knowledgeColumns,
		{"Billing", "How do refunds work?", "Refunds are paid within 30 days of the return.", "yes"}})
}

// exportKnowledge answers every article, drafts included, in the
// template's columns.
func (h *handlers) exportKnowledge(c echo.Context) error {
	if err := h.awaitPosition(c); err != nil {
		return err
	}
	ctx, tenantID := c.Request().Context(), callerOf(c).tenantID
	categories, err := readmodels.ListKnowledgeCategories(ctx, h.d.Reads, tenantID)
	if err != nil {
		return err
	}
	names := map[uuid.UUID]string{}
	for _, k := range categories {
		names[k.CategoryID] = k.Name
	}
	articles, _, err := readmodels.ListArticles(ctx, h.d.Reads, tenantID, readmodels.ArticleFilter{Limit: -1})
	if err != nil {
		return err
	}
	records := [][]string{knowledgeColumns}
	for _, a := range articles {
		records = append(records, []string{names[a.CategoryID], a.Title, a.Body, yesNo(a.Status == "published")})
	}
	return writeCSV(c, "knowledge.csv", records)
}

// importKnowledge reads a CSV file in the template's columns and imports
// it all or nothing; a refused import lists every bad row by line number.
func (h *handlers) importKnowledge(c echo.Context) error {
	recs, err := readCSV(c.Request().Body, knowledgeColumns, knowledgeFields, knowledgeMultiline)
	if err != nil {
		return err
	}
	var rows []knowledge.Row
	var problems []domain.LineProblem
	for _, r := range recs {
		published, ok := parseYesNo(r.cells[3], false)
		if !ok {
			problems = append(problems, domain.LineProblem{Line: r.line, Field: "published", Message: `must be "yes" or "no"`})
			continue
		}
		rows = append(rows, knowledge.Row{Line: r.line, Category: r.cells[0], Title: r.cells[1], Body: r.cells[2], Published: published})
	}
	if len(problems) > 0 {
		return importProblems(problems...)
	}
	return runCatalogue(c, func(m commands.Meta) (commands.Result, error) {
		return h.knowledgeBase(c, func(s knowledge.State) ([]any, error) {
			return knowledge.Import(s, rows, func(i int) uuid.UUID { return commands.NewID(m, i) })
		})(m)
	})
}

// seesDrafts reports whether the caller may read unpublished articles:
// those who may write them.
func seesDrafts(c echo.Context) bool {
	return callerOf(c).principal.Role.Allows(access.ManageCatalogues)
}

func (h *handlers) knowledgeBase(c echo.Context, decide func(knowledge.State) ([]any, error)) func(commands.Meta) (commands.Result, error) {
	return func(m commands.Meta) (commands.Result, error) {
		return h.d.Commands.Knowledge(c.Request().Context(), m, callerOf(c).tenantID, decide)
	}
}

func (h *handlers) listKnowledgeCategories(c echo.Context) error {
	if err := h.awaitPosition(c); err != nil {
		return err
	}
	list, err := readmodels.ListKnowledgeCategories(c.Request().Context(), h.d.Reads, callerOf(c).tenantID)
	if err != nil {
		return err
	}
	return listAnswer(c, list, "")
}

func (h *handlers) addKnowledgeCategory(c echo.Context) error {
	var req struct {
		Name string `json:"name"`
	}
	if err := c.Bind(&req); err != nil {
		return err
	}
	return create(c, func(m commands.Meta, id uuid.UUID) (commands.Result, error) {
		return h.knowledgeBase(c, func(s knowledge.State) ([]any, error) { return knowledge.AddCategory(s, id, req.Name) })(m)
	})
}

func (h *handlers) renameKnowledgeCategory(c echo.Context) error {
	id, err := pathID(c, "category_id")
	if err != nil {
		return err
	}
	var req struct {
		Name string `json:"name"`
	}
	if err := c.Bind(&req); err != nil {
		return err
	}
	return runCatalogue(c, h.knowledgeBase(c, func(s knowledge.State) ([]any, error) { return knowledge.RenameCategory(s, id, req.Name) }))
}

func (h *handlers) deleteKnowledgeCategory(c echo.Context) error {
	id, err := pathID(c, "category_id")
	if err != nil {
		return err
	}
	return runCatalogue(c, h.knowledgeBase(c, func(s knowledge.State) ([]any, error) { return knowledge.DeleteCategory(s, id) }))
}

func (h *handlers) listArticles(c echo.Context) error {
	if err := h.awaitPosition(c); err != nil {
		return err
	}
	f := readmodels.ArticleFilter{Query: c.QueryParam("q"), Status: c.QueryParam("status"), After: c.QueryParam("after")}
	if !seesDrafts(c) {
		f.Status = "published"
	}
	if raw := c.QueryParam("category_id"); raw != "" {
		id, err := uuid.Parse(raw)
		if err != nil {
			return echo.NewHTTPError(http.StatusUnprocessableEntity, "category_id: must be a UUID")
		}
		f.CategoryID = id
	}
	if raw := c.QueryParam("limit"); raw != "" {
		f.Limit, _ = strconv.Atoi(raw)
	}
	list, next, err := readmodels.ListArticles(c.Request().Context(), h.d.Reads, callerOf(c).tenantID, f)
	if errors.Is(err, readmodels.ErrInvalidFilter) {
		return echo.NewHTTPError(http.StatusUnprocessableEntity, err.Error())
	}
	if err != nil {
		return err
	}
	return listAnswer(c, list, next)
}

func (h *handlers) getArticle(c echo.Context) error {
	id, err := pathID(c, "article_id")
	if err != nil {
		return err
	}
	if err := h.awaitPosition(c); err != nil {
		return err
	}
	a, err := readmodels.GetArticle(c.Request().Context(), h.d.Reads, callerOf(c).tenantID, id, !seesDrafts(c))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, a)
}

type articleRequest struct {
	CategoryID  uuid.UUID                `json:"category_id"`
	Title       string                   `json:"title"`
	Body        string                   `json:"body"`
	Attachments []eventschema.Attachment `json:"attachments"`
}

func (r articleRequest) draft() knowledge.Draft {
	return knowledge.Draft{Category: r.CategoryID, Title: r.Title, Body: r.Body, Attachments: r.Attachments}
}

func (h *handlers) draftArticle(c echo.Context) error {
	var req articleRequest
	if err := c.Bind(&req); err != nil {
		return err
	}
	return create(c, func(m commands.Meta, id uuid.UUID) (commands.Result, error) {
		return h.knowledgeBase(c, func(s knowledge.State) ([]any, error) { return knowledge.DraftArticle(s, id, req.draft()) })(m)
	})
}

func (h *handlers) editArticle(c echo.Context) error {
	id, err := pathID(c, "article_id")
	if err != nil {
		return err
	}
	var req articleRequest
	if err := c.Bind(&req); err != nil {
		return err
	}
	return runCatalogue(c, h.knowledgeBase(c, func(s knowledge.State) ([]any, error) { return knowledge.EditArticle(s, id, req.draft()) }))
}

func (h *handlers) deleteArticle(c echo.Context) error {
	id, err := pathID(c, "article_id")
	if err != nil {
		return err
	}
	return runCatalogue(c, h.knowledgeBase(c, func(s knowledge.State) ([]any, error) { return knowledge.DeleteArticle(s, id) }))
}

func (h *handlers) publishArticle(published bool) echo.HandlerFunc {
	return func(c echo.Context) error {
		id, err := pathID(c, "article_id")
		if err != nil {
			return err
		}
		return runCatalogue(c, h.knowledgeBase(c, func(s knowledge.State) ([]any, error) { return knowledge.SetPublished(s, id, published) }))
	}
}
