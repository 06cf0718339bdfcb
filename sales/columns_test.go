package sales

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// otherTables are the name prefixes of the declarations that belong to
// another table than leads: their columns are theirs, even when they share
// a name with a lead's (emailaddress1, statecode).
var otherTables = []string{"Account", "account", "Contact", "contact", "Opportunit", "opportunit",
	"Note", "note", "Close", "Table", "table", "Record", "customer", "Customer"}

// TestLeadColumnsWrittenAtMostTwice checks that each column of Lead is
// written at most twice in the package's code (the read type's tag and the
// write type's tag): in the declarations of every non-test file, their doc
// comments, comments and strings included, except the declarations of the
// other tables and the package's documentation (doc.go's examples).
func TestLeadColumnsWrittenAtMostTwice(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	var texts []string
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		src, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		f, err := parser.ParseFile(fset, name, src, parser.ParseComments)
		if err != nil {
			t.Fatal(err)
		}
		text := func(n ast.Node) string {
			return string(src[fset.Position(n.Pos()).Offset:fset.Position(n.End()).Offset])
		}
		for _, d := range f.Decls {
			if other(declName(d)) {
				continue
			}
			texts = append(texts, text(d))
			if doc := declDoc(d); doc != nil {
				texts = append(texts, text(doc))
			}
		}
	}
	all := strings.Join(texts, "\n")
	lead := reflect.TypeFor[Lead]()
	var report []string
	for i := range lead.NumField() {
		col, _, _ := strings.Cut(lead.Field(i).Tag.Get("json"), ",")
		if col == "" || col == "-" {
			continue
		}
		n := len(regexp.MustCompile(`(^|[^A-Za-z0-9_])`+regexp.QuoteMeta(col)+`($|[^A-Za-z0-9_])`).FindAllStringIndex(all, -1))
		report = append(report, col+"="+strconv.Itoa(n))
		if n > 2 {
			t.Errorf("column %s is written %d times (want at most 2: the read tag and the write tag)", col, n)
		}
	}
	sort.Strings(report)
	t.Logf("occurrences of each Lead column: %s", strings.Join(report, " "))
}

func other(name string) bool {
	for _, p := range otherTables {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}

// declName names a declaration: a function by its receiver's type, if
// any, else by its name; a type, const or var group by its first name.
func declName(d ast.Decl) string {
	switch d := d.(type) {
	case *ast.FuncDecl:
		if d.Recv != nil && len(d.Recv.List) > 0 {
			e := d.Recv.List[0].Type
			if s, ok := e.(*ast.StarExpr); ok {
				e = s.X
			}
			if id, ok := e.(*ast.Ident); ok {
				return id.Name
			}
		}
		return d.Name.Name
	case *ast.GenDecl:
		for _, s := range d.Specs {
			switch s := s.(type) {
			case *ast.TypeSpec:
				return s.Name.Name
			case *ast.ValueSpec:
				return s.Names[0].Name
			}
		}
	}
	return ""
}

func declDoc(d ast.Decl) *ast.CommentGroup {
	switch d := d.(type) {
	case *ast.FuncDecl:
		return d.Doc
	case *ast.GenDecl:
		return d.Doc
	}
	return nil
}
