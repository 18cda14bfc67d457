package policy

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"slices"
	"strconv"
	"strings"
)

// checkStrict refuses documents that encoding/json would load with a meaning
// their reader did not see: it matches keys case-insensitively, keeps the
// last of duplicate keys and reads null as "absent". It walks the tokens
// against the document type, so the schema has one source, holds each
// value of an enumerated type to its Values, and names the path of the
// first problem.
func checkStrict(doc string) error {
	dec := json.NewDecoder(strings.NewReader(doc))
	dec.UseNumber() // keeps "1.5" and "1e400" whole for the integer check
	w := walker{dec}
	tok, err := w.next()
	if err != nil {
		return err
	}
	if tok != json.Delim('{') {
		return fmt.Errorf("expected the document to be a JSON object, got %s", jsonKind(tok))
	}
	if err := w.object("", reflect.TypeFor[document]()); err != nil {
		return err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return errors.New("unexpected data after the JSON document")
	}
	return nil
}

type walker struct{ dec *json.Decoder }

// next returns the next token; running out of input inside the document is
// malformed JSON, not a clean end.
func (w walker) next() (json.Token, error) {
	tok, err := w.dec.Token()
	if errors.Is(err, io.EOF) {
		err = io.ErrUnexpectedEOF
	}
	if err != nil {
		return nil, describeJSONError(err)
	}
	return tok, nil
}

// object checks the members of an object whose '{' has been read.
func (w walker) object(path string, t reflect.Type) error {
	return w.members(path, func(key string) (reflect.Type, error) { return fieldType(t, key) }, " (leave the field out for its default)")
}

// mapObject checks the members of an object with free keys (profile
// names, pool IDs) whose '{' has been read: each value against elem.
func (w walker) mapObject(path string, elem reflect.Type) error {
	return w.members(path, func(string) (reflect.Type, error) { return elem, nil }, "")
}

// members checks an object's members: each key once, no null, each value
// of the type typeOf gives for its key (or typeOf's error).
func (w walker) members(path string, typeOf func(key string) (reflect.Type, error), nullHint string) error {
	seen := map[string]bool{}
	for w.dec.More() {
		tok, err := w.next()
		if err != nil {
			return err
		}
		key := tok.(string) // Token returns object keys as strings
		at := key
		if path != "" {
			at = path + "." + key
		}
		ft, err := typeOf(key)
		if err != nil && at == "" { // the key "" at the top: no path to show
			return err
		}
		if err != nil {
			return fmt.Errorf("%s: %w", at, err)
		}
		if seen[key] {
			return fmt.Errorf("%s: duplicate key (each key may appear once)", at)
		}
		seen[key] = true
		if tok, err = w.next(); err != nil {
			return err
		}
		if tok == nil {
			return fmt.Errorf("%s: null is not allowed%s", at, nullHint)
		}
		if err := w.value(tok, at, ft); err != nil {
			return err
		}
	}
	_, err := w.next() // '}'
	return err
}

// array checks the elements of an array whose '[' has been read.
func (w walker) array(path string, elem reflect.Type) error {
	for i := 0; w.dec.More(); i++ {
		at := fmt.Sprintf("%s[%d]", path, i)
		tok, err := w.next()
		if err != nil {
			return err
		}
		if tok == nil {
			return fmt.Errorf("%s: null is not allowed", at)
		}
		if err := w.value(tok, at, elem); err != nil {
			return err
		}
	}
	_, err := w.next() // ']'
	return err
}

// value checks a non-null value, whose first token is tok, against t.
func (w walker) value(tok json.Token, path string, t reflect.Type) error {
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	var want string
	switch t.Kind() {
	case reflect.Struct:
		if tok == json.Delim('{') {
			return w.object(path, t)
		}
		want = "an object"
	case reflect.Map:
		if tok == json.Delim('{') {
			return w.mapObject(path, t.Elem())
		}
		want = "an object"
	case reflect.Slice:
		if tok == json.Delim('[') {
			return w.array(path, t.Elem())
		}
		want = "an array"
	case reflect.String, reflect.Bool, reflect.Int, reflect.Float64:
		if err := scalar(tok, path, t.Kind()); err != nil {
			return err
		}
		return oneOf(tok, path, t)
	default:
		// Only a new kind of field in document can get here.
		return fmt.Errorf("%s: strict check does not handle Go kind %s", path, t.Kind())
	}
	return fmt.Errorf("%s: expected %s, got %s", path, want, jsonKind(tok))
}

// enum is a string type that takes only some values.
type enum interface{ Values() []string }

// oneOf checks a string of an enum type against its values.
func oneOf(tok json.Token, path string, t reflect.Type) error {
	e, ok := reflect.Zero(t).Interface().(enum)
	if !ok {
		return nil
	}
	if v := tok.(string); !slices.Contains(e.Values(), v) {
		return fmt.Errorf("%s: %q is not one of %s", path, v, strings.Join(e.Values(), ", "))
	}
	return nil
}

// scalar checks a string, boolean or number token against kind.
func scalar(tok json.Token, path string, kind reflect.Kind) error {
	var want string
	switch kind {
	case reflect.String:
		if _, ok := tok.(string); ok {
			return nil
		}
		want = "a string"
	case reflect.Bool:
		if _, ok := tok.(bool); ok {
			return nil
		}
		want = "true or false"
	case reflect.Int:
		n, ok := tok.(json.Number)
		if !ok {
			want = "an integer"
			break
		}
		if _, err := strconv.ParseInt(n.String(), 10, strconv.IntSize); err != nil {
			return fmt.Errorf("%s: expected an integer, got %s", path, n)
		}
		return nil
	case reflect.Float64:
		n, ok := tok.(json.Number)
		if !ok {
			want = "a number"
			break
		}
		if _, err := strconv.ParseFloat(n.String(), 64); err != nil {
			return fmt.Errorf("%s: expected a number, got %s", path, n)
		}
		return nil
	}
	return fmt.Errorf("%s: expected %s, got %s", path, want, jsonKind(tok))
}

// fieldType returns the type of t's field whose JSON name is exactly key.
func fieldType(t reflect.Type, key string) (reflect.Type, error) {
	var names []string
	for _, f := range jsonFields(t) {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == key {
			return f.Type, nil
		}
		names = append(names, name)
	}
	for _, name := range names {
		if strings.EqualFold(name, key) {
			return nil, fmt.Errorf("unknown field %q (did you mean %q? keys are case-sensitive)", key, name)
		}
	}
	return nil, fmt.Errorf("unknown field %q (known: %s)", key, strings.Join(names, ", "))
}

// jsonFields returns t's fields as encoding/json sees them: an embedded
// struct's fields in its place.
func jsonFields(t reflect.Type) []reflect.StructField {
	var out []reflect.StructField
	for f := range t.Fields() {
		if f.Anonymous {
			out = append(out, jsonFields(f.Type)...)
			continue
		}
		out = append(out, f)
	}
	return out
}

// jsonKind names the JSON type of a value from its first token.
func jsonKind(tok json.Token) string {
	switch v := tok.(type) {
	case nil:
		return "null"
	case string:
		return "string"
	case json.Number:
		return "number"
	case bool:
		return "boolean"
	case json.Delim:
		if v == '{' {
			return "object"
		}
	}
	return "array" // the only other token that starts a value is '['
}
