package compat

import (
	"fmt"

	"github.com/faustgen/faustgen/internal/posjson"
)

// Pos is a position in a schema source: file, 1-based line and column
// (the column counts characters, not bytes, so it is the one an editor
// shows on a line with non-ASCII text). A zero Line means the position is
// unknown.
type Pos struct {
	File string `json:"file,omitempty"`
	Line int    `json:"line,omitempty"`
	Col  int    `json:"col,omitempty"`
}

// String renders the position as "file:line:col", or "file" when the line
// is unknown.
func (p Pos) String() string {
	if p.Line == 0 {
		return p.File
	}
	return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Col)
}

// parseJSON parses one schema source. A syntax error is a *ParseError at
// file:line:col.
func parseJSON(file string, src []byte) (*posjson.Node, error) {
	n, err := posjson.Parse(src)
	if err != nil {
		se := err.(*posjson.SyntaxError) // Parse's only error type
		return nil, &ParseError{Pos: Pos{File: file, Line: se.Pos.Line, Col: se.Pos.Col}, Msg: se.Msg}
	}
	return n, nil
}
