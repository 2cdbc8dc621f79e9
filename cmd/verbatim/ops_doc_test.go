package main

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/verbatim-archive/verbatim/config"
)

const operationsDoc = "../../docs/operations.md"

// TestDocOperationsConfiguration keeps the configuration reference in
// docs/operations.md in step with the code: every YAML field has a row
// with its environment variable (or "—") and its default, no row names a
// field that is gone, and every environment variable is listed.
func TestDocOperationsConfiguration(t *testing.T) {
	b, err := os.ReadFile(operationsDoc)
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)

	// The settings table: | `field` | `ENV` or — | `default` | meaning |
	rows := map[string][]string{}
	for _, line := range strings.Split(doc, "\n") {
		cells := strings.Split(line, "|")
		if len(cells) != 6 || !strings.HasPrefix(strings.TrimSpace(cells[1]), "`") {
			continue
		}
		field := strings.Trim(strings.TrimSpace(cells[1]), "`")
		if _, dup := rows[field]; dup {
			t.Errorf("two rows for %s", field)
		}
		rows[field] = cells[2:5]
	}

	envOf := map[string]string{}
	for _, v := range config.EnvVars() {
		if v.Secret {
			if !strings.Contains(doc, "| `"+v.Name+"` |") {
				t.Errorf("the secret %s (%s) is not in the secrets table", v.Name, v.Doc)
			}
			continue
		}
		envOf[v.Field] = v.Name
	}

	fields := yamlFields(reflect.ValueOf(config.Default()), "")
	known := map[string]bool{}
	for _, f := range fields {
		known[f.path] = true
		row, ok := rows[f.path]
		if !ok {
			t.Errorf("docs/operations.md has no row for the setting %s", f.path)
			continue
		}
		wantEnv := "—"
		if name, ok := envOf[f.path]; ok {
			wantEnv = "`" + name + "`"
		}
		if got := strings.TrimSpace(row[0]); got != wantEnv {
			t.Errorf("%s: environment variable %s, want %s", f.path, got, wantEnv)
		}
		if f.def != "" && !strings.Contains(row[1], "`"+f.def+"`") {
			t.Errorf("%s: default %s, want `%s`", f.path, strings.TrimSpace(row[1]), f.def)
		}
	}
	for field := range rows {
		if !known[field] && !strings.HasPrefix(field, "VERBATIM_") && field != "GOMEMLIMIT" {
			t.Errorf("docs/operations.md has a row for %s, which is no setting", field)
		}
	}
	for field := range envOf {
		if !known[field] {
			t.Errorf("config.EnvVars names %s, which is no YAML field", field)
		}
	}
	for _, name := range []string{config.EnvConfigFile, ledgerKeyEnv} {
		if !strings.Contains(doc, "| `"+name+"` |") {
			t.Errorf("docs/operations.md does not list %s", name)
		}
	}
}

// TestDocOperationsInterfaces: the interfaces and methods that the guide
// quotes for growing past one machine are quoted as the code has them.
func TestDocOperationsInterfaces(t *testing.T) {
	b, err := os.ReadFile(operationsDoc)
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	for _, c := range []struct {
		dir, name string
		methods   []string // of a concrete type; none: the interface's every method
	}{
		{"../../archive", "BlobStore", nil},
		{"../../archive/snapshot", "Browser", nil},
		{"../../archive/blob", "Store", []string{"Walk", "RemoveUnused", "CopyFrom"}},
	} {
		sigs := signatures(t, c.dir, c.name, c.methods)
		if len(sigs) == 0 {
			t.Errorf("%s.%s: no methods found", filepath.Base(c.dir), c.name)
		}
		for _, sig := range sigs {
			if !strings.Contains(doc, sig) {
				t.Errorf("docs/operations.md does not quote %s.%s's %s", filepath.Base(c.dir), c.name, sig)
			}
		}
	}
}

type yamlField struct {
	path string
	def  string // the default as the doc writes it; "" for lists
}

// yamlFields lists the YAML paths of v's settings with their values,
// leaving out fields that YAML does not read (secrets).
func yamlFields(v reflect.Value, prefix string) []yamlField {
	var out []yamlField
	t := v.Type()
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ",")
		if name == "-" || name == "" {
			continue
		}
		path := prefix + name
		fv := v.Field(i)
		if fv.Kind() == reflect.Struct {
			out = append(out, yamlFields(fv, path+".")...)
			continue
		}
		out = append(out, yamlField{path: path, def: docValue(fv)})
	}
	return out
}

// docValue writes a default as the settings table does.
func docValue(v reflect.Value) string {
	if d, ok := v.Interface().(time.Duration); ok {
		s := d.String() // "24h0m0s" is written "24h", "1h30m0s" "1h30m"
		if strings.HasSuffix(s, "m0s") {
			s = strings.TrimSuffix(s, "0s")
		}
		if strings.HasSuffix(s, "h0m") {
			s = strings.TrimSuffix(s, "0m")
		}
		return s
	}
	switch v.Kind() {
	case reflect.String:
		if v.String() == "" {
			return `""`
		}
		return v.String()
	case reflect.Bool:
		return strconv.FormatBool(v.Bool())
	case reflect.Int, reflect.Int64:
		return strconv.FormatInt(v.Int(), 10)
	}
	return ""
}

// signatures returns the method lines ("Put(ctx context.Context, r
// io.Reader) (BlobRef, error)") of the interface name in the package in
// dir, or of the named methods of the type name.
func signatures(t *testing.T, dir, name string, methods []string) []string {
	t.Helper()
	fset := token.NewFileSet()
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, file := range files {
		if strings.HasSuffix(file, "_test.go") {
			continue
		}
		src, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		f, err := parser.ParseFile(fset, file, src, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		text := func(from, to token.Pos) string {
			return string(src[fset.Position(from).Offset:fset.Position(to).Offset])
		}
		for _, d := range f.Decls {
			switch d := d.(type) {
			case *ast.GenDecl:
				for _, s := range d.Specs {
					ts, ok := s.(*ast.TypeSpec)
					if !ok || ts.Name.Name != name || methods != nil {
						continue
					}
					it, ok := ts.Type.(*ast.InterfaceType)
					if !ok {
						continue
					}
					for _, m := range it.Methods.List {
						out = append(out, text(m.Pos(), m.End()))
					}
				}
			case *ast.FuncDecl:
				if d.Recv == nil || len(d.Recv.List) != 1 {
					continue
				}
				recv := text(d.Recv.List[0].Type.Pos(), d.Recv.List[0].Type.End())
				if strings.TrimPrefix(recv, "*") != name {
					continue
				}
				for _, m := range methods {
					if d.Name.Name == m {
						out = append(out, text(d.Name.Pos(), d.Type.End()))
					}
				}
			}
		}
	}
	return out
}
