package kv

import (
	"bytes"
	"strconv"
	"strings"

	"github.com/kvgen/kvgen/kv/internal/wire"
)

// A sealed path says where a schema seals a member on its own (encryption:
// fields): the JSON names from the top of the value joined by dots, and []
// after the name of a list for each of its elements: client_secret,
// upstream.access_token, tokens[].secret. Such a member is bound to its
// place, the path with the index of each element: tokens[2].secret.
type sealedPath []pathStep

// pathStep is a step down a value: into member name, or into each element
// of a list when name is "".
type pathStep struct{ name string }

// parseSealedPath reads a sealed path; the loader keeps '.', '[' and ']'
// out of the names on it.
func parseSealedPath(p string) sealedPath {
	var steps sealedPath
	for part := range strings.SplitSeq(p, ".") {
		name := strings.TrimRight(part, "[]")
		steps = append(steps, pathStep{name: name})
		for range (len(part) - len(name)) / 2 {
			steps = append(steps, pathStep{})
		}
	}
	return steps
}

// parseSealedPaths reads the paths of a schema's sealed members.
func parseSealedPaths(paths []string) []sealedPath {
	out := make([]sealedPath, len(paths))
	for i, p := range paths {
		out[i] = parseSealedPath(p)
	}
	return out
}

// place is the binding path of the member reached by step from the value
// at place.
func (s pathStep) place(place string, index int) string {
	switch {
	case s.name == "":
		return place + "[" + strconv.Itoa(index) + "]"
	case place == "":
		return s.name
	}
	return place + "." + s.name
}

// sealedAt calls visit with the extent and place of every value of the JSON
// text data (at offset base of the whole value) that path reaches. A value
// of another kind than the path goes through (a null object, a string where
// a list is) holds nothing it reaches.
func sealedAt(data []byte, base int, path sealedPath, place string, visit func(start, end int, place string) error) error {
	if len(path) == 0 {
		return visit(base, base+len(data), place)
	}
	step, rest := path[0], path[1:]
	if step.name == "" {
		e := wire.NewElements(data)
		for {
			if ok, err := e.Next(); !ok {
				return ignoreKind(err)
			}
			if err := sealedAt(data[e.Start:e.End], base+e.Start, rest, step.place(place, e.Index), visit); err != nil {
				return err
			}
		}
	}
	m := wire.NewMembers(data)
	for {
		if ok, err := m.Next(); !ok {
			return ignoreKind(err)
		}
		if string(m.Name) == step.name {
			if err := sealedAt(data[m.Start:m.End], base+m.Start, rest, step.place(place, 0), visit); err != nil {
				return err
			}
		}
	}
}

// ignoreKind drops the error of a value of another kind than a path
// expects: there is nothing sealed there. Malformed JSON is an error.
func ignoreKind(err error) error {
	if _, ok := err.(*wire.TypeError); ok {
		return nil
	}
	return err
}

// sealedIn calls leaf with every value of v, decoded JSON, that path
// reaches, and puts what it returns in its place.
func sealedIn(v any, path sealedPath, place string, leaf func(v any, place string) (any, error)) (any, error) {
	if len(path) == 0 {
		return leaf(v, place)
	}
	step, rest := path[0], path[1:]
	var err error
	switch v := v.(type) {
	case []any:
		if step.name == "" {
			for i := range v {
				if v[i], err = sealedIn(v[i], rest, step.place(place, i), leaf); err != nil {
					return nil, err
				}
			}
		}
	case map[string]any:
		if x, ok := v[step.name]; ok && step.name != "" {
			if v[step.name], err = sealedIn(x, rest, step.place(place, 0), leaf); err != nil {
				return nil, err
			}
		}
	}
	return v, nil
}

// edit replaces data[start:end].
type edit struct {
	start, end int
	with       []byte
}

// splice applies edits, in ascending order and disjoint, to data.
func splice(data []byte, edits []edit) []byte {
	var b bytes.Buffer
	at := 0
	for _, e := range edits {
		b.Write(data[at:e.start])
		b.Write(e.with)
		at = e.end
	}
	b.Write(data[at:])
	return b.Bytes()
}
