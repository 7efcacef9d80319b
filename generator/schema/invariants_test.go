package schema

import (
	"slices"
	"testing"
)

// cmpPos orders errors as an ErrorList is sorted.
func cmpPos(a, b Error) int {
	if a.Pos.Line != b.Pos.Line {
		return a.Pos.Line - b.Pos.Line
	}
	if a.Pos.Col != b.Pos.Col {
		return a.Pos.Col - b.Pos.Col
	}
	if a.Msg < b.Msg {
		return -1
	}
	if a.Msg > b.Msg {
		return 1
	}
	return 0
}

// checkSchema asserts what every accepted schema guarantees to the renderers.
func checkSchema(t *testing.T, s *Schema) {
	t.Helper()
	if s.Version != SupportedVersion {
		t.Errorf("version %d accepted", s.Version)
	}
	if why := exportedIdent(s.Record); why != "" {
		t.Errorf("record %q %s", s.Record, why)
	}
	if why := goPackage(s.Package); why != "" {
		t.Errorf("package %q %s", s.Package, why)
	}
	if why := sqlTable(s.Table); why != "" {
		t.Errorf("table %q %s", s.Table, why)
	}
	if why := DocText(s.Description); why != "" {
		t.Errorf("record description %q %s", s.Description, why)
	}
	if why := collectionName(s.Collection); why != "" {
		t.Errorf("collection %q %s", s.Collection, why)
	}
	switch s.Encryption {
	case EncryptFields, EncryptValue, EncryptNone:
	default:
		t.Errorf("encryption %q accepted", s.Encryption)
	}
	if s.TTL < 0 {
		t.Errorf("negative ttl %v accepted", s.TTL)
	}
	key := s.KeyField()
	if key == nil || key.Type.Kind != String || !key.Required || key.Sensitive || key.Hashed {
		t.Errorf("bad key field %#v", key)
	}
	for _, f := range s.Fields {
		if f.Sensitive && (f.Type.Kind != String || f.Hashed || f.Indexed || s.Encryption == EncryptNone) {
			t.Errorf("bad sensitive field %q", f.Name)
		}
		if f.Indexed && (!f.Type.isScalar() || s.Encryption == EncryptValue) {
			t.Errorf("bad indexed field %q", f.Name)
		}
	}
	checkFields(t, s.Fields, true)
}

func checkFields(t *testing.T, fields []*Field, top bool) {
	t.Helper()
	if len(fields) == 0 {
		t.Error("a struct without fields accepted")
	}
	goNames, jsonNames := map[string]bool{}, map[string]bool{}
	for _, f := range fields {
		if !fieldName.MatchString(f.Name) || f.Pos.Line < 1 {
			t.Errorf("field %q at %v accepted", f.Name, f.Pos)
		}
		if why := exportedIdent(f.GoName); why != "" || goNames[f.GoName] {
			t.Errorf("field %q: Go name %q %s (or repeated)", f.Name, f.GoName, why)
		}
		if why := jsonName(f.JSONName); why != "" || jsonNames[f.JSONName] {
			t.Errorf("field %q: json name %q %s (or repeated)", f.Name, f.JSONName, why)
		}
		goNames[f.GoName], jsonNames[f.JSONName] = true, true
		if why := DocText(f.Description); why != "" {
			t.Errorf("field %q: description %q %s", f.Name, f.Description, why)
		}
		if !top && (f.Hashed || f.Indexed) {
			t.Errorf("nested field %q has a top-level-only option", f.Name)
		}
		if f.Type == nil {
			t.Fatalf("field %q has no type", f.Name)
		}
		switch base := f.Type.base(); base.Kind {
		case Enum:
			if len(base.Values) == 0 {
				t.Errorf("enum field %q without values", f.Name)
			}
		case Object:
			if exportedIdent(base.GoName) != "" {
				t.Errorf("object field %q: type name %q", f.Name, base.GoName)
			}
			checkFields(t, base.Fields, false)
		}
		checkDefault(t, f)
	}
}

func checkDefault(t *testing.T, f *Field) {
	t.Helper()
	var ok bool
	switch f.Type.Kind {
	case String, URL, Timestamp:
		_, ok = f.Default.(string)
	case Enum:
		var v string
		v, ok = f.Default.(string)
		ok = ok && slices.Contains(f.Type.Values, v)
	case Int, Unixtime:
		_, ok = f.Default.(int64)
	case Float:
		_, ok = f.Default.(float64)
	case Bool:
		_, ok = f.Default.(bool)
	}
	if f.Default != nil && !ok {
		t.Errorf("field %q: default %#v (%T) does not fit %s", f.Name, f.Default, f.Default, f.Type)
	}
}
