package api

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"supportd/commands"
	"supportd/domain"
	"supportd/domain/access"
	"supportd/domain/phrases"
	"supportd/readmodels"
)

// Phrase books: the public one (read by every user, written by admins with
// the catalogues page) under /v1/phrases, and the caller's personal one
// under /v1/me/phrases (agents with the phrases page, acting only on their
// own book: its stream is theirs, so another agent's IDs are not found).
func (h *handlers) phraseRoutes(g *echo.Group) {
	admin := need(access.ManageCatalogues)
	public := func(echo.Context) uuid.UUID { return uuid.Nil }
	g.GET("/phrase-categories", h.listPhraseCategories(public), signedIn)
	g.POST("/phrase-categories", h.addPhraseCategory(public), admin)
	g.PUT("/phrase-categories/:category_id", h.renamePhraseCategory(public), admin)
	g.DELETE("/phrase-categories/:category_id", h.deletePhraseCategory(public), admin)
	g.GET("/phrases", h.listPhrases(public), signedIn)
	g.POST("/phrases", h.addPhrase(public), admin)
	g.PUT("/phrases/:phrase_id", h.editPhrase(public), admin)
	g.DELETE("/phrases/:phrase_id", h.deletePhrase(public), admin)
	g.GET("/phrases/template.csv", h.phraseTemplate, signedIn)
	g.GET("/phrases/export.csv", h.exportPhrases(public), admin)
	g.POST("/phrases/import", h.importPhrases(public), admin)

	own := func(c echo.Context) uuid.UUID { return callerOf(c).agentID }
	mine := []echo.MiddlewareFunc{signedIn, need(access.Phrases)}
	g.GET("/me/phrase-categories", h.listPhraseCategories(own), mine...)
	g.POST("/me/phrase-categories", h.addPhraseCategory(own), mine...)
	g.PUT("/me/phrase-categories/:category_id", h.renamePhraseCategory(own), mine...)
	g.DELETE("/me/phrase-categories/:category_id", h.deletePhraseCategory(own), mine...)
	g.GET("/me/phrases", h.listPhrases(own), mine...)
	g.POST("/me/phrases", h.addPhrase(own), mine...)
	g.PUT("/me/phrases/:phrase_id", h.editPhrase(own), mine...)
	g.DELETE("/me/phrases/:phrase_id", h.deletePhrase(own), mine...)
	g.GET("/me/phrases/export.csv", h.exportPhrases(own), mine...)
	g.POST("/me/phrases/import", h.importPhrases(own), mine...)
}

// bookOwner names the phrase book a route acts on: uuid.Nil for the
// public one, else the agent whose personal book it is.
type bookOwner func(echo.Context) uuid.UUID

func (h *handlers) phraseBook(c echo.Context, owner bookOwner, decide func(phrases.Book) ([]any, error)) func(commands.Meta) (commands.Result, error) {
	return func(m commands.Meta) (commands.Result, error) {
		return h.d.Commands.Phrases(c.Request().Context(), m, callerOf(c).tenantID, owner(c), decide)
	}
}

func (h *handlers) listPhraseCategories(owner bookOwner) echo.HandlerFunc {
	return func(c echo.Context) error {
		if err := h.awaitPosition(c); err != nil {
			return err
		}
		list, err := readmodels.ListPhraseCategories(c.Request().Context(), h.d.Reads, callerOf(c).tenantID, owner(c))
		if err != nil {
			return err
		}
		return listAnswer(c, list, "")
	}
}

func (h *handlers) addPhraseCategory(owner bookOwner) echo.HandlerFunc {
	return func(c echo.Context) error {
		var req struct {
			Name     string    `json:"name"`
			ParentID uuid.UUID `json:"parent_id"`
		}
		if err := c.Bind(&req); err != nil {
			return err
		}
		return create(c, func(m commands.Meta, id uuid.UUID) (commands.Result, error) {
			return h.phraseBook(c, owner, func(s phrases.Book) ([]any, error) {
				return phrases.AddCategory(s, id, req.ParentID, req.Name)
			})(m)
		})
	}
}

func (h *handlers) renamePhraseCategory(owner bookOwner) echo.HandlerFunc {
	return func(c echo.Context) error {
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
		return runCatalogue(c, h.phraseBook(c, owner, func(s phrases.Book) ([]any, error) {
			return phrases.RenameCategory(s, id, req.Name)
		}))
	}
}

func (h *handlers) deletePhraseCategory(owner bookOwner) echo.HandlerFunc {
	return func(c echo.Context) error {
		id, err := pathID(c, "category_id")
		if err != nil {
			return err
		}
		return runCatalogue(c, h.phraseBook(c, owner, func(s phrases.Book) ([]any, error) {
			return phrases.DeleteCategory(s, id)
		}))
	}
}

func (h *handlers) listPhrases(owner bookOwner) echo.HandlerFunc {
	return func(c echo.Context) error {
		if err := h.awaitPosition(c); err != nil {
			return err
		}
		f := readmodels.PhraseFilter{Query: c.QueryParam("q"), After: c.QueryParam("after")}
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
		list, next, err := readmodels.ListPhrases(c.Request().Context(), h.d.Reads, callerOf(c).tenantID, owner(c), f)
		if errors.Is(err, readmodels.ErrInvalidFilter) {
			return echo.NewHTTPError(http.StatusUnprocessableEntity, err.Error())
		}
		if err != nil {
			return err
		}
		return listAnswer(c, list, next)
	}
}

type phraseRequest struct {
	CategoryID uuid.UUID `json:"category_id"`
	Text       string    `json:"text"`
}

func (h *handlers) addPhrase(owner bookOwner) echo.HandlerFunc {
	return func(c echo.Context) error {
		var req phraseRequest
		if err := c.Bind(&req); err != nil {
			return err
		}
		return create(c, func(m commands.Meta, id uuid.UUID) (commands.Result, error) {
			return h.phraseBook(c, owner, func(s phrases.Book) ([]any, error) {
				return phrases.AddPhrase(s, id, req.CategoryID, req.Text)
			})(m)
		})
	}
}

func (h *handlers) editPhrase(owner bookOwner) echo.HandlerFunc {
	return func(c echo.Context) error {
		id, err := pathID(c, "phrase_id")
		if err != nil {
			return err
		}
		var req phraseRequest
		if err := c.Bind(&req); err != nil {
			return err
		}
		return runCatalogue(c, h.phraseBook(c, owner, func(s phrases.Book) ([]any, error) {
			return phrases.EditPhrase(s, id, req.CategoryID, req.Text)
		}))
	}
}

func (h *handlers) deletePhrase(owner bookOwner) echo.HandlerFunc {
	return func(c echo.Context) error {
		id, err := pathID(c, "phrase_id")
		if err != nil {
			return err
		}
		return runCatalogue(c, h.phraseBook(c, owner, func(s phrases.Book) ([]any, error) {
			return phrases.DeletePhrase(s, id)
		}))
	}
}

// phraseColumns are the columns of the CSV template, export and import.
var phraseColumns = []string{"category", "subcategory", "phrase"}

// phraseFields name the columns in problems (as domain/phrases does);
// only the phrase itself may span lines.
var (
	phraseFields    = []string{"category", "subcategory", "text"}
	phraseMultiline = []bool{false, false, true}
)

// csvTextProblem applies the text rules (text.go) to the cells of one
// CSV row: the first cell that breaks them, by line and field.
func csvTextProblem(line int, rec, fields []string, multiline []bool) (phrases.LineProblem, bool) {
	for i, cell := range rec {
		if p := textProblem(cell, multiline[i], 0); p != "" {
			return phrases.LineProblem{Line: line, Field: fields[i], Message: p}, true
		}
	}
	return phrases.LineProblem{}, false
}

// phraseTemplate answers the CSV template: the header and one example row.
func (h *handlers) phraseTemplate(c echo.Context) error {
	return writeCSV(c, "phrases-template.csv", [][]string{phraseColumns,
		{"Greetings", "Welcome", "##dear##, hello, I'm glad to serve you!"}})
}

func (h *handlers) exportPhrases(owner bookOwner) echo.HandlerFunc {
	return func(c echo.Context) error {
		if err := h.awaitPosition(c); err != nil {
			return err
		}
		list, _, err := readmodels.ListPhrases(c.Request().Context(), h.d.Reads, callerOf(c).tenantID, owner(c), readmodels.PhraseFilter{Limit: -1})
		if err != nil {
			return err
		}
		records := [][]string{phraseColumns}
		for _, p := range list {
			records = append(records, []string{p.Category, p.Subcategory, p.Text})
		}
		return writeCSV(c, "phrases.csv", records)
	}
}

func writeCSV(c echo.Context, filename string, records [][]string) error {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	if err := w.WriteAll(records); err != nil {
		return err
	}
	c.Response().Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", filename))
	return c.Blob(http.StatusOK, "text/csv; charset=utf-8", buf.Bytes())
}

// importPhrases reads a CSV file in the template's columns and imports it
// all or nothing; a refused import lists every bad row by line number.
func (h *handlers) importPhrases(owner bookOwner) echo.HandlerFunc {
	return func(c echo.Context) error {
		rows, err := readPhraseCSV(c.Request().Body)
		if err != nil {
			return err
		}
		return runCatalogue(c, func(m commands.Meta) (commands.Result, error) {
			return h.phraseBook(c, owner, func(s phrases.Book) ([]any, error) {
				return phrases.Import(s, rows, func(i int) uuid.UUID { return commands.NewID(m, i) })
			})(m)
		})
	}
}

// readPhraseCSV parses an upload in the phrase template's columns.
func readPhraseCSV(body io.Reader) ([]phrases.Row, error) {
	recs, err := readCSV(body, phraseColumns, phraseFields, phraseMultiline)
	if err != nil {
		return nil, err
	}
	rows := make([]phrases.Row, len(recs))
	for i, r := range recs {
		rows[i] = phrases.Row{Line: r.line, Category: r.cells[0], Subcategory: r.cells[1], Text: r.cells[2]}
	}
	return rows, nil
}

// csvRecord is one data row of an upload and its line in the file.
type csvRecord struct {
	line  int
	cells []string
}

// readCSV parses an upload: a header naming columns, then one record a
// row, each cell checked by the text rules (fields name the cells in
// problems; multiline tells which may span lines). Rows of the wrong shape
// are reported with their line numbers, like the rows domain/ refuses.
func readCSV(body io.Reader, columns, fields []string, multiline []bool) ([]csvRecord, error) {
	r := csv.NewReader(body)
	r.FieldsPerRecord = -1
	header, err := r.Read()
	if err == io.EOF {
		return nil, importProblems(phrases.LineProblem{Line: 1, Field: "header", Message: "the file is empty"})
	}
	if err != nil {
		return nil, importProblems(csvProblem(err))
	}
	for i := range header {
		header[i] = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(header[i], "\ufeff")))
	}
	if strings.Join(header, ",") != strings.Join(columns, ",") {
		return nil, importProblems(phrases.LineProblem{Line: 1, Field: "header",
			Message: "the header must be " + strings.Join(columns, ",")})
	}
	var out []csvRecord
	var problems []phrases.LineProblem
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			problems = append(problems, csvProblem(err))
			if _, ok := err.(*csv.ParseError); ok {
				continue
			}
			break
		}
		line, _ := r.FieldPos(0)
		if len(rec) != len(columns) {
			problems = append(problems, phrases.LineProblem{Line: line, Field: "row",
				Message: fmt.Sprintf("has %d columns, want %d", len(rec), len(columns))})
			continue
		}
		if p, ok := csvTextProblem(line, rec, fields, multiline); ok {
			problems = append(problems, p)
			continue
		}
		out = append(out, csvRecord{line: line, cells: rec})
	}
	if len(problems) > 0 {
		return nil, importProblems(problems...)
	}
	return out, nil
}

func csvProblem(err error) phrases.LineProblem {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return phrases.LineProblem{Line: pe.Line, Field: "row", Message: pe.Err.Error()}
	}
	return phrases.LineProblem{Line: 0, Field: "file", Message: err.Error()}
}

func importProblems(problems ...phrases.LineProblem) error {
	lines := make([]string, len(problems))
	for i, p := range problems {
		lines[i] = strconv.Itoa(p.Line)
	}
	return &phrases.ImportError{
		Rule: domain.Errorf(domain.Invalid, "phrase.import_rows", "", "bad rows on lines %s; nothing was imported",
			strings.Join(lines, ", ")),
		Problems: problems,
	}
}
