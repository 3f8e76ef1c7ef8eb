package domain

// LineProblem is what is wrong with one row of a file import.
type LineProblem struct {
	Line    int    `json:"line"`
	Field   string `json:"field"`
	Message string `json:"message"`
}

// ImportError is an import refused because of bad rows; it lists every
// one of them, so that the file can be fixed in one go. Imports are all or
// nothing: a refused one changed nothing.
type ImportError struct {
	Rule     *Error
	Problems []LineProblem
}

func (e *ImportError) Error() string { return e.Rule.Error() }

// Unwrap lets callers treat an ImportError as the rule violation it is.
func (e *ImportError) Unwrap() error { return e.Rule }

// Details lists the bad rows.
func (e *ImportError) Details() any { return e.Problems }
