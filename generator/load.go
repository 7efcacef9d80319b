package generator

import "github.com/kvgen/kvgen/generator/schema"

// LoadSchemas loads every schema file, in the order given, and reports the
// mistakes of all of them at once, file by file.
func LoadSchemas(paths []string) ([]*schema.Schema, error) {
	var (
		schemas []*schema.Schema
		errs    []error
	)
	for _, p := range paths {
		s, err := schema.LoadFile(p)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		schemas = append(schemas, s)
	}
	if err := joinErrors(errs); err != nil {
		return nil, err
	}
	return schemas, nil
}
