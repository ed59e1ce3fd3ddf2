package shipping

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The assertion check: coverage counts only what tests check, so every
// Test function must be able to fail. It does if it (or a closure in it,
// such as a t.Run subtest's body) calls
//
//   - anything in testify's assert or require,
//   - Error, Errorf, Fatal, Fatalf, Fail or FailNow on a *testing.T, B or
//     F or a testing.TB (a parameter so typed, or a struct field),
//   - a function outside the module known to fail the test it is given
//     (failingFuncs), or
//   - a function or method of the module that does one of these: a
//     helper taking testing.TB, a kit such as eventlogtest.Run, a
//     package-level table of check functions.
//
// It reads the syntax only (go/ast), so it resolves a method call by the
// method's name among the packages the file imports; a test that only
// logs, only skips, or calls a logger's Error does not pass.

// assertPackages fail a test from any of their functions.
var assertPackages = map[string]bool{
	"github.com/stretchr/testify/assert":  true,
	"github.com/stretchr/testify/require": true,
}

// failMethods are the testing.TB methods that fail a test.
var failMethods = map[string]bool{"Error": true, "Errorf": true, "Fatal": true, "Fatalf": true, "Fail": true, "FailNow": true}

// failingFuncs are functions outside the module that fail the test they
// are given, by import path and name.
var failingFuncs = map[string]bool{
	"go.uber.org/goleak.VerifyNone": true,
	"testing/slogtest.Run":          true,
}

// assertCheck is the module's functions, read for the check.
type assertCheck struct {
	root    string
	fset    *token.FileSet
	funcs   map[string]*checkedFunc   // by funcKey: functions, and package-level variables
	methods map[string][]*checkedFunc // by funcKey of the method's name, any receiver
	tests   []*checkedFunc
}

// checkedFunc is a function (or a package-level variable holding
// functions) and what it calls.
type checkedFunc struct {
	name    string
	pos     token.Position
	asserts bool
	refs    []string    // funcKeys of functions it names
	methods [][2]string // {dir, name} of methods it names, any receiver
}

func funcKey(dir, name string) string { return dir + "\x00" + name }

// fileScope is what resolving names in one file needs.
type fileScope struct {
	dir        string
	imports    map[string]string // name → import path
	testing    string            // the name "testing" is imported as
	moduleDirs []string          // this file's directory and those of the module packages it imports
}

// loadAssertCheck parses every Go file under root (module is its module
// path), skipping testdata, vendor and hidden directories.
func loadAssertCheck(root, module string) (*assertCheck, error) {
	c := &assertCheck{root: root, fset: token.NewFileSet(), funcs: map[string]*checkedFunc{}, methods: map[string][]*checkedFunc{}}
	files := map[string][]*ast.File{} // by directory
	pkgName := map[string]string{}    // non-test package name by directory
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if p != root && (d.Name() == "testdata" || d.Name() == "vendor" || strings.HasPrefix(d.Name(), ".") || strings.HasPrefix(d.Name(), "_")) {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(p, ".go") {
			return nil
		}
		f, err := parser.ParseFile(c.fset, p, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		dir := filepath.Dir(p)
		files[dir] = append(files[dir], f)
		if !strings.HasSuffix(p, "_test.go") {
			pkgName[dir] = f.Name.Name
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	dirOf := map[string]string{} // import path → directory
	for dir := range files {
		rel, err := filepath.Rel(root, dir)
		if err != nil {
			return nil, err
		}
		dirOf[path.Join(module, filepath.ToSlash(rel))] = dir
	}
	for dir, fs := range files {
		fields := testingFields(fs)
		for _, f := range fs {
			scope := fileScope{dir: dir, imports: map[string]string{}, moduleDirs: []string{dir}}
			for _, imp := range f.Imports {
				p, _ := strconv.Unquote(imp.Path.Value)
				name := importName(p, dirOf, pkgName)
				if imp.Name != nil {
					name = imp.Name.Name
				}
				scope.imports[name] = p
				if p == "testing" {
					scope.testing = name
				}
				if d, ok := dirOf[p]; ok {
					scope.moduleDirs = append(scope.moduleDirs, d)
				}
			}
			c.addFile(f, scope, dirOf, fields)
		}
	}
	return c, nil
}

// importName is the name a package is known by when imported unnamed.
func importName(importPath string, dirOf, pkgName map[string]string) string {
	if d, ok := dirOf[importPath]; ok && pkgName[d] != "" {
		return pkgName[d]
	}
	elems := strings.Split(importPath, "/")
	last := elems[len(elems)-1]
	if len(elems) > 1 && len(last) > 1 && last[0] == 'v' && strings.Trim(last[1:], "0123456789") == "" {
		last = elems[len(elems)-2] // go.yaml.in/yaml/v3
	}
	return last
}

// testingFields returns the names of struct fields, in a package's
// files, whose type is a testing type.
func testingFields(files []*ast.File) map[string]bool {
	out := map[string]bool{}
	for _, f := range files {
		alias := ""
		for _, imp := range f.Imports {
			if imp.Path.Value == `"testing"` {
				alias = "testing"
				if imp.Name != nil {
					alias = imp.Name.Name
				}
			}
		}
		if alias == "" {
			continue
		}
		ast.Inspect(f, func(n ast.Node) bool {
			if st, ok := n.(*ast.StructType); ok {
				for _, field := range st.Fields.List {
					if isTestingType(field.Type, alias) {
						for _, name := range field.Names {
							out[name.Name] = true
						}
					}
				}
			}
			return true
		})
	}
	return out
}

// isTestingType says whether e is *testing.T, *testing.B, *testing.F or
// testing.TB, with "testing" imported as alias.
func isTestingType(e ast.Expr, alias string) bool {
	if alias == "" {
		return false
	}
	ptr := false
	if star, ok := e.(*ast.StarExpr); ok {
		e, ptr = star.X, true
	}
	sel, ok := e.(*ast.SelectorExpr)
	if !ok {
		return false
	}
	if id, ok := sel.X.(*ast.Ident); !ok || id.Name != alias {
		return false
	}
	switch sel.Sel.Name {
	case "T", "B", "F":
		return ptr
	case "TB":
		return !ptr
	}
	return false
}

// addFile records a file's functions, methods and package-level
// variables, and its tests.
func (c *assertCheck) addFile(f *ast.File, scope fileScope, dirOf map[string]string, fields map[string]bool) {
	isTestFile := strings.HasSuffix(c.fset.Position(f.Pos()).Filename, "_test.go")
	for _, decl := range f.Decls {
		switch d := decl.(type) {
		case *ast.FuncDecl:
			fn := &checkedFunc{name: d.Name.Name, pos: c.fset.Position(d.Pos())}
			if d.Body != nil {
				c.scan(fn, d.Body, scope, dirOf, fields, paramScope(nil, d.Type, scope.testing))
			}
			if d.Recv != nil {
				k := funcKey(scope.dir, d.Name.Name)
				c.methods[k] = append(c.methods[k], fn)
				continue
			}
			c.funcs[funcKey(scope.dir, d.Name.Name)] = fn
			if isTestFile && isTestFunc(d, scope.testing) {
				c.tests = append(c.tests, fn)
			}
		case *ast.GenDecl:
			if d.Tok != token.VAR {
				continue
			}
			for _, spec := range d.Specs {
				vs := spec.(*ast.ValueSpec)
				fn := &checkedFunc{pos: c.fset.Position(vs.Pos())}
				for _, v := range vs.Values {
					c.scan(fn, v, scope, dirOf, fields, nil)
				}
				for _, name := range vs.Names {
					c.funcs[funcKey(scope.dir, name.Name)] = fn
				}
			}
		}
	}
}

// isTestFunc says whether d is a test: TestXxx(t *testing.T).
func isTestFunc(d *ast.FuncDecl, testingName string) bool {
	name, ok := strings.CutPrefix(d.Name.Name, "Test")
	if !ok || d.Recv != nil || d.Type.Params == nil || len(d.Type.Params.List) != 1 {
		return false
	}
	if r, _ := utf8.DecodeRuneInString(name); name != "" && unicode.IsLower(r) {
		return false
	}
	star, ok := d.Type.Params.List[0].Type.(*ast.StarExpr)
	return ok && isTestingType(star, testingName) && star.X.(*ast.SelectorExpr).Sel.Name == "T"
}

// paramScope returns the names bound to testing values inside a
// function: outer's, updated by the function's own parameters.
func paramScope(outer map[string]bool, ft *ast.FuncType, testingName string) map[string]bool {
	inner := map[string]bool{}
	for k := range outer {
		inner[k] = true
	}
	if ft.Params == nil {
		return inner
	}
	for _, p := range ft.Params.List {
		for _, name := range p.Names {
			if isTestingType(p.Type, testingName) {
				inner[name.Name] = true
			} else {
				delete(inner, name.Name) // shadowed
			}
		}
	}
	return inner
}

// scan records what n (a function's body, or a variable's value) does:
// whether it asserts, and which functions and methods it names.
func (c *assertCheck) scan(fn *checkedFunc, n ast.Node, scope fileScope, dirOf map[string]string, fields map[string]bool, tvals map[string]bool) {
	isTestingValue := func(x ast.Expr) bool {
		switch x := x.(type) {
		case *ast.Ident:
			return tvals[x.Name]
		case *ast.SelectorExpr:
			return fields[x.Sel.Name]
		}
		return false
	}
	var visit func(ast.Node) bool
	visit = func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.FuncLit:
			c.scan(fn, n.Body, scope, dirOf, fields, paramScope(tvals, n.Type, scope.testing))
			return false
		case *ast.CallExpr:
			if sel, ok := n.Fun.(*ast.SelectorExpr); ok && failMethods[sel.Sel.Name] && isTestingValue(sel.X) {
				fn.asserts = true
			}
		case *ast.SelectorExpr:
			if id, ok := n.X.(*ast.Ident); ok {
				if p, ok := scope.imports[id.Name]; ok && !tvals[id.Name] {
					switch {
					case assertPackages[p], failingFuncs[p+"."+n.Sel.Name]:
						fn.asserts = true
					case dirOf[p] != "":
						fn.refs = append(fn.refs, funcKey(dirOf[p], n.Sel.Name))
					}
					return false
				}
			}
			if !isTestingValue(n.X) { // t.Run, t.Cleanup: the testing package's, not the module's
				for _, d := range scope.moduleDirs {
					fn.methods = append(fn.methods, [2]string{d, n.Sel.Name})
				}
			}
			ast.Inspect(n.X, visit)
			return false
		case *ast.Ident:
			fn.refs = append(fn.refs, funcKey(scope.dir, n.Name))
		}
		return true
	}
	ast.Inspect(n, visit)
}

// resolve marks as asserting every function that names one that asserts,
// until nothing changes.
func (c *assertCheck) resolve() {
	all := slices.Collect(func(yield func(*checkedFunc) bool) {
		for _, fn := range c.funcs {
			if !yield(fn) {
				return
			}
		}
		for _, ms := range c.methods {
			for _, fn := range ms {
				if !yield(fn) {
					return
				}
			}
		}
	})
	for changed := true; changed; {
		changed = false
		for _, fn := range all {
			if fn.asserts {
				continue
			}
			for _, k := range fn.refs {
				if g := c.funcs[k]; g != nil && g.asserts {
					fn.asserts = true
				}
			}
			for _, m := range fn.methods {
				for _, g := range c.methods[funcKey(m[0], m[1])] {
					if g.asserts {
						fn.asserts = true
					}
				}
			}
			changed = changed || fn.asserts
		}
	}
}

// silent returns the tests that assert nothing, as "file:line: Name"
// with the file relative to root, sorted.
func (c *assertCheck) silent() []string {
	c.resolve()
	var out []string
	for _, fn := range c.tests {
		if !fn.asserts {
			rel, _ := filepath.Rel(c.root, fn.pos.Filename)
			out = append(out, fmt.Sprintf("%s:%d: %s", filepath.ToSlash(rel), fn.pos.Line, fn.name))
		}
	}
	slices.Sort(out)
	return out
}

// The check catches what it should and passes what it should, on a
// fixture of tests each named for the case it is (testdata/asserts).
func TestAssertCheckFixture(t *testing.T) {
	c, err := loadAssertCheck(filepath.Join("testdata", "asserts"), "fixture")
	require.NoError(t, err)
	silent := map[string]bool{}
	for _, s := range c.silent() {
		silent[s[strings.LastIndex(s, " ")+1:]] = true
	}
	var found []string
	for _, fn := range c.tests {
		found = append(found, fn.name)
	}

	tests := []struct {
		name   string
		silent bool
	}{
		{"TestNothing", true},
		{"TestOnlyLogs", true},
		{"TestOnlySkips", true},
		{"TestLoggerError", true},
		{"TestSubtestAssertsNothing", true},
		{"TestHelperAssertsNothing", true},
		{"TestKitAssertsNothing", true},
		{"TestFatalOnAnotherType", true},
		{"TestParamShadowsT", true},
		{"TestRequire", false},
		{"TestAssert", false},
		{"TestErrorf", false},
		{"TestFatalInSubtest", false},
		{"TestHelper", false},
		{"TestHelperOfHelper", false},
		{"TestKit", false},
		{"TestTableOfChecks", false},
		{"TestMethodOnHarness", false},
		{"TestGoleak", false},
		{"TestNamedSubtest", false},
	}
	var want []string
	for _, tt := range tests {
		want = append(want, tt.name)
		t.Run(tt.name, func(t *testing.T) {
			require.Contains(t, found, tt.name, "the fixture has no such test")
			assert.Equal(t, tt.silent, silent[tt.name], "silent: have %v, want %v", silent[tt.name], tt.silent)
		})
	}
	assert.ElementsMatch(t, want, found, "the fixture's tests and this table")
}

// Every Test function in the module asserts something.
func TestEveryTestAsserts(t *testing.T) {
	c, err := loadAssertCheck(root, module)
	require.NoError(t, err)
	require.Greater(t, len(c.tests), 100, "the check found too few tests to be reading the module")
	silent := c.silent()
	assert.Empty(t, silent, "these tests assert nothing; make each check something with assert, require or t.Error/Fatal:\n%s", strings.Join(silent, "\n"))
}
