package kvimpl

import (
	"fmt"
	"io"
	"reflect"
	"sync"
)

// Format prints v, a generated record or object (a struct), as fmt prints a
// struct, but for its exported fields only: the members kept from a read
// (Unknown) are not the record's, and could hold anything. Every verb and
// flag reaches the fields as fmt would hand it to them; %#v prints Go
// syntax. Secrets print as kv.Secret prints them, redacted.
func Format(f fmt.State, verb rune, v any) {
	rv := reflect.ValueOf(v)
	if verb == 'v' && f.Flag('#') {
		goSyntax(f, rv)
		return
	}
	view := reflect.New(exportedView(rv.Type())).Elem()
	for i, j := 0, 0; i < rv.NumField(); i++ {
		if rv.Type().Field(i).IsExported() {
			view.Field(j).Set(rv.Field(i))
			j++
		}
	}
	fmt.Fprintf(f, fmt.FormatString(f, verb), view.Interface())
}

// goSyntax prints rv as %#v prints a struct, its exported fields only.
func goSyntax(w io.Writer, rv reflect.Value) {
	fmt.Fprintf(w, "%s{", rv.Type())
	sep := ""
	for i := 0; i < rv.NumField(); i++ {
		if field := rv.Type().Field(i); field.IsExported() {
			fmt.Fprintf(w, "%s%s:%#v", sep, field.Name, rv.Field(i).Interface())
			sep = ", "
		}
	}
	_, _ = io.WriteString(w, "}")
}

// views caches exportedView: reflect.Type → reflect.Type.
var views sync.Map

// exportedView returns a struct type of the exported fields of t, in order.
func exportedView(t reflect.Type) reflect.Type {
	if v, ok := views.Load(t); ok {
		return v.(reflect.Type)
	}
	var fields []reflect.StructField
	for i := 0; i < t.NumField(); i++ {
		if field := t.Field(i); field.IsExported() {
			fields = append(fields, reflect.StructField{Name: field.Name, Type: field.Type})
		}
	}
	v, _ := views.LoadOrStore(t, reflect.StructOf(fields))
	return v.(reflect.Type)
}
