package kvimpl

import (
	"encoding/json"
	"strconv"

	"github.com/kvgen/kvgen/kv"
	"github.com/kvgen/kvgen/kv/internal/wire"
)

// problems collects the failing fields of a record during validation.
type problems []kv.FieldProblem

// add records a problem at path.
func (p *problems) add(path, message string) {
	*p = append(*p, kv.FieldProblem{Path: path, Message: message})
}

// err returns a *kv.ValidationError, or nil when there is no problem.
func (p problems) err() error {
	if len(p) == 0 {
		return nil
	}
	return &kv.ValidationError{Problems: p}
}

// index returns the path of element i of the list at path.
func index(path string, i int) string { return path + "[" + strconv.Itoa(i) + "]" }

// checkJSON reports, at the path of the failing part, what raw JSON may
// not be stored (see wire.CheckJSON).
func checkJSON(p *problems, path string, v json.RawMessage, _ bool) {
	if at, msg := wire.CheckJSON(path, v); msg != "" {
		p.add(at, msg)
	}
}
