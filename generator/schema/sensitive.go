package schema

// SensitivePaths returns where the record's sensitive fields are, at any
// depth, in file order: the JSON names from the record joined by dots, []
// after the name of a list for each of its elements (client_secret,
// upstream.access_token, tokens[].secret). They are the places, besides a
// whole value, where an envelope belongs: what kv.NewMapCodec and
// kv.ReencryptOptions.Fields take. The loader keeps '.', '[' and ']' out of
// the names on these paths.
func (s *Schema) SensitivePaths() []string {
	var out []string
	var walk func(prefix string, fields []*Field)
	walk = func(prefix string, fields []*Field) {
		for _, f := range fields {
			path := prefix + f.JSONName
			if f.Sensitive {
				out = append(out, path)
			}
			t := f.Type
			for t != nil && t.Kind == List {
				path += "[]"
				t = t.Elem
			}
			if t != nil && t.Kind == Object {
				walk(path+".", t.Fields)
			}
		}
	}
	walk("", s.Fields)
	return out
}
