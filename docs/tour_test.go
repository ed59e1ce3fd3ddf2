// Package docs holds the project's documentation; its tests keep the
// guided tour (tour.md) and the README true to the code they quote.
package docs_test

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// marker precedes each code block of the tour: the file and the Example
// function it is taken from, then an optional line of text, the caption
// a reader sees, then the block.
var marker = regexp.MustCompile("(?m)^<!-- example: (\\S+) (\\S+) -->\n(?:([^`\n].*)\n)?```go\n((?s:.*?))\n```")

// TestDocsQuoteTheExamples checks that every code block of the tour
// (tour.md) and of the README is, to the byte, the Example function it
// names — so the snippets run with go test and cannot drift from the
// code.
func TestDocsQuoteTheExamples(t *testing.T) {
	for _, doc := range []struct {
		path string
		min  int // the examples it has at least
	}{
		{"tour.md", 8},
		{"../README.md", 1},
	} {
		t.Run(doc.path, func(t *testing.T) {
			text, err := os.ReadFile(doc.path)
			require.NoError(t, err)
			blocks := marker.FindAllStringSubmatch(string(text), -1)
			require.GreaterOrEqual(t, len(blocks), doc.min, "%s has its examples", doc.path)
			for _, m := range blocks {
				file, name, code := m[1], m[2], m[4]
				t.Run(name+"@"+file, func(t *testing.T) {
					src, err := os.ReadFile(filepath.Join("..", file))
					require.NoError(t, err)
					assert.Contains(t, string(src), code, "the block in %s differs from %s in %s", doc.path, name, file)
					assert.Contains(t, code, "func "+name+"() {")
					assert.Contains(t, code, "// Output:", "an Example with output, checked by go test")
				})
			}
			assert.Equal(t, strings.Count(string(text), "```go"), len(blocks), "every Go block of %s names its example", doc.path)
		})
	}
}

// TestTourNamesEachExamplesFile checks that every block of the tour has a
// caption the reader sees, linking the file the block comes from (the
// marker is an HTML comment, hidden when the page is rendered) and naming
// the imports the block needs, in the file's order, so that the block
// builds when copied under them; and that a block from an internal
// package says so and how to run it, since no other module can import it.
func TestTourNamesEachExamplesFile(t *testing.T) {
	text, err := os.ReadFile("tour.md")
	require.NoError(t, err)
	for _, m := range marker.FindAllStringSubmatch(string(text), -1) {
		file, name, caption := m[1], m[2], m[3]
		t.Run(name+"@"+file, func(t *testing.T) {
			assert.Contains(t, caption, "["+file+"](../"+file+")", "the line above the block links its file")
			if slices.Contains(strings.Split(file, "/"), "internal") {
				assert.Contains(t, caption, "internal package")
				assert.Contains(t, caption, fmt.Sprintf("`go test ./%s -run '^%s$' -v`", path.Dir(file), name))
				return
			}
			// Go refuses an import a file does not use, and the file the
			// block comes from imports what its other examples use too:
			// the caption names the block's own.
			var quoted []string
			for _, p := range importsUsed(t, filepath.Join("..", file), name) {
				quoted = append(quoted, "`\""+p+"\"`")
			}
			assert.Contains(t, caption, "; it imports "+strings.Join(quoted, ", ")+":", "the line above the block names the imports it uses, and only those")
		})
	}
}

// TestQuotedExamplesStandAlone checks that every Example the tour and the
// README quote uses nothing of its package but what the quote shows: no
// helper function, type, variable or constant declared beside it. A
// reader who copies a block into a module of their own then needs only
// the file's imports, not code the page never shows.
func TestQuotedExamplesStandAlone(t *testing.T) {
	declared := map[string]map[string]bool{} // by directory and package, parsed once
	for _, doc := range []string{"tour.md", "../README.md"} {
		text, err := os.ReadFile(doc)
		require.NoError(t, err)
		for _, m := range marker.FindAllStringSubmatch(string(text), -1) {
			file, name := m[1], m[2]
			t.Run(name+"@"+file, func(t *testing.T) {
				used := helpersUsed(t, filepath.Join("..", file), name, declared)
				assert.Empty(t, used, "%s in %s (quoted in %s) uses what the quote does not show: declare it inside the example", name, file, doc)
			})
		}
	}
}

// helpersUsed returns the names of the package-level declarations, other
// than Examples, that the function name of the Go file path refers to.
// cache keeps each package's declarations, by directory and package name.
func helpersUsed(t *testing.T, path, name string, cache map[string]map[string]bool) []string {
	t.Helper()
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, path, nil, 0)
	require.NoError(t, err)
	// Every file of the same package in the directory, the file itself
	// included, may declare a helper.
	key := filepath.Dir(path) + " " + f.Name.Name
	declared, parsed := cache[key]
	if !parsed {
		declared = packageDecls(t, fset, filepath.Dir(path), f.Name.Name)
		cache[key] = declared
	}
	var fn *ast.FuncDecl
	for _, d := range f.Decls {
		if d, ok := d.(*ast.FuncDecl); ok && d.Recv == nil && d.Name.Name == name {
			fn = d
		}
	}
	require.NotNil(t, fn, "func %s in %s", name, path)
	// The names after a dot (fields, methods) and a struct literal's
	// field names are not the package's.
	notPackage := map[*ast.Ident]bool{}
	ast.Inspect(fn.Body, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.SelectorExpr:
			notPackage[n.Sel] = true
		case *ast.KeyValueExpr:
			if k, ok := n.Key.(*ast.Ident); ok {
				notPackage[k] = true
			}
		}
		return true
	})
	var used []string
	ast.Inspect(fn.Body, func(n ast.Node) bool {
		id, ok := n.(*ast.Ident)
		if !ok || notPackage[id] || !declared[id.Name] {
			return true
		}
		// A name declared inside the example (a local that shadows a
		// helper) is the example's own.
		if id.Obj != nil {
			if d, ok := id.Obj.Decl.(ast.Node); ok && d.Pos() >= fn.Pos() && d.End() <= fn.End() {
				return true
			}
		}
		used = append(used, id.Name)
		return true
	})
	slices.Sort(used)
	return slices.Compact(used)
}

// packageDecls returns the names declared at the top level of package pkg
// in directory dir, but its Examples and the blank name.
func packageDecls(t *testing.T, fset *token.FileSet, dir, pkg string) map[string]bool {
	t.Helper()
	declared := map[string]bool{}
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	require.NoError(t, err)
	for _, p := range files {
		g, err := parser.ParseFile(fset, p, nil, parser.SkipObjectResolution)
		require.NoError(t, err)
		if g.Name.Name != pkg {
			continue
		}
		for _, d := range g.Decls {
			switch d := d.(type) {
			case *ast.FuncDecl:
				if d.Recv == nil && !strings.HasPrefix(d.Name.Name, "Example") {
					declared[d.Name.Name] = true
				}
			case *ast.GenDecl:
				for _, s := range d.Specs {
					switch s := s.(type) {
					case *ast.TypeSpec:
						declared[s.Name.Name] = true
					case *ast.ValueSpec:
						for _, n := range s.Names {
							declared[n.Name] = true
						}
					}
				}
			}
		}
	}
	delete(declared, "_")
	return declared
}

// importsUsed returns the paths, in the order the Go file path imports
// them, of the imports that the function name of the file refers to. An
// import is known by its name, or else by the last element of its path
// without a major version ("math/rand/v2" is rand, "gopkg.in/yaml.v3"
// yaml), which is each imported package's name here.
func importsUsed(t *testing.T, path, name string) []string {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), path, nil, 0)
	require.NoError(t, err)
	var fn *ast.FuncDecl
	for _, d := range f.Decls {
		if d, ok := d.(*ast.FuncDecl); ok && d.Recv == nil && d.Name.Name == name {
			fn = d
		}
	}
	require.NotNil(t, fn, "func %s in %s", name, path)
	// A package's name before a dot resolves to nothing in the file: a
	// local or a package-level name of the same spelling does.
	refs := map[string]bool{}
	ast.Inspect(fn, func(n ast.Node) bool {
		if sel, ok := n.(*ast.SelectorExpr); ok {
			if id, ok := sel.X.(*ast.Ident); ok && id.Obj == nil {
				refs[id.Name] = true
			}
		}
		return true
	})
	var used []string
	for _, spec := range f.Imports {
		p, err := strconv.Unquote(spec.Path.Value)
		require.NoError(t, err)
		elems := strings.Split(p, "/")
		pkg := elems[len(elems)-1]
		if len(elems) > 1 && majorVersion.MatchString(pkg) {
			pkg = elems[len(elems)-2]
		}
		pkg, _, _ = strings.Cut(pkg, ".")
		if spec.Name != nil {
			pkg = spec.Name.Name
		}
		if refs[pkg] {
			used = append(used, p)
		}
	}
	return used
}

// majorVersion matches the last element of a module's path that is its
// major version, as in "math/rand/v2".
var majorVersion = regexp.MustCompile(`^v[0-9]+$`)
