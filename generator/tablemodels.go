package generator

import (
	"path/filepath"

	"github.com/kvgen/kvgen/generator/schema"
)

// TableModels groups the models of schemas by the table their records are
// stored in, as far as the tables go: what `kvgen migrate` and `kvgen copy`
// render a table's DDL and indexes from, with no Go package to generate.
func TableModels(schemas []*schema.Schema) (map[string][]*schema.Model, error) {
	out := map[string][]*schema.Model{}
	for _, s := range schemas {
		m, err := schema.NewModel(s, schema.Target{Source: filepath.ToSlash(s.Path)})
		if err != nil {
			return nil, err
		}
		out[s.Table] = append(out[s.Table], m)
	}
	return out, nil
}
