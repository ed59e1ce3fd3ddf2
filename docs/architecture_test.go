package docs_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The package map of architecture.md is the fenced block that follows
// this marker. Its format:
//
//   - every line that starts at the first column is one package:
//     "path  what it is  (imports a, b, c)", where path and a, b, c are
//     package paths relative to the module root, and "(imports none)"
//     says that the package imports no package of the module;
//   - a line that starts with a space continues the line above it;
//   - blank lines separate groups and mean nothing else.
var packageMapBlock = regexp.MustCompile("(?m)^<!-- package map -->\n```text\n((?s:.*?))\n```")

// packageLine is one package of the map, continuation lines joined.
var packageLine = regexp.MustCompile(`^(\S+)\s+(\S.*?)\s+\(imports ([^()]*)\)$`)

// A mapEntry is one package as the map lists it.
type mapEntry struct {
	line    int // where the entry starts in architecture.md, from 1
	path    string
	imports []string
}

// parsePackageMap reads the package map out of a whole architecture.md.
// Lines that break the format are returned as problems, each saying what
// to change; the entries are those that parsed.
func parsePackageMap(doc string) (entries []mapEntry, problems []string) {
	loc := packageMapBlock.FindStringSubmatchIndex(doc)
	if loc == nil {
		return nil, []string{"no package map: want a line \"<!-- package map -->\" followed by a ```text block"}
	}
	first := strings.Count(doc[:loc[2]], "\n") + 1 // line number of the block's first line
	type pending struct {
		line int
		text string
	}
	var joined []pending
	for i, l := range strings.Split(doc[loc[2]:loc[3]], "\n") {
		switch {
		case strings.TrimSpace(l) == "":
		case l[0] == ' ' || l[0] == '\t':
			if len(joined) == 0 {
				problems = append(problems, fmt.Sprintf("line %d: a continuation line with no package line above it: start the package's line at the first column", first+i))
				continue
			}
			joined[len(joined)-1].text += " " + strings.TrimSpace(l)
		default:
			joined = append(joined, pending{first + i, l})
		}
	}
	seen := map[string]int{}
	for _, p := range joined {
		m := packageLine.FindStringSubmatch(p.text)
		if m == nil {
			problems = append(problems, fmt.Sprintf("line %d: have %q, want \"path  what it is  (imports a, b, c)\" or \"path  what it is  (imports none)\"", p.line, p.text))
			continue
		}
		e := mapEntry{line: p.line, path: m[1]}
		if at, dup := seen[e.path]; dup {
			problems = append(problems, fmt.Sprintf("line %d: %s is listed again (first on line %d): keep one line for it", p.line, e.path, at))
			continue
		}
		seen[e.path] = p.line
		if list := strings.TrimSpace(m[3]); list != "none" {
			for imp := range strings.SplitSeq(list, ",") {
				imp = strings.TrimSpace(imp)
				switch {
				case imp == "" || strings.ContainsAny(imp, " \t"):
					problems = append(problems, fmt.Sprintf("line %d: %s: have (imports %s), want package paths separated by \", \"", p.line, e.path, list))
				case slices.Contains(e.imports, imp):
					problems = append(problems, fmt.Sprintf("line %d: %s: %s is named twice in its imports", p.line, e.path, imp))
				default:
					e.imports = append(e.imports, imp)
				}
			}
		}
		entries = append(entries, e)
	}
	return entries, problems
}

// importsText is the parenthesis the map must show for imports.
func importsText(imports []string) string {
	if len(imports) == 0 {
		return "(imports none)"
	}
	return "(imports " + strings.Join(imports, ", ") + ")"
}

func TestParsePackageMap(t *testing.T) {
	wrap := func(lines ...string) string {
		return "# Architecture\n\n<!-- package map -->\n```text\n" + strings.Join(lines, "\n") + "\n```\n"
	}
	for _, tc := range []struct {
		name     string
		doc      string
		entries  []mapEntry
		problems []string
	}{
		{
			name: "imports none",
			doc:  wrap("blockchain   the domain  (imports none)"),
			entries: []mapEntry{
				{line: 5, path: "blockchain"},
			},
		},
		{
			name: "imports listed, groups apart",
			doc:  wrap("blockchain  the domain (no I/O)  (imports none)", "", "node  Chain + Pool on a log  (imports blockchain, pool)"),
			entries: []mapEntry{
				{line: 5, path: "blockchain"},
				{line: 7, path: "node", imports: []string{"blockchain", "pool"}},
			},
		},
		{
			name: "continuation lines",
			doc:  wrap("examples/internal/app  what the apps share", "    (imports audit, miner,", "     node)"),
			entries: []mapEntry{
				{line: 5, path: "examples/internal/app", imports: []string{"audit", "miner", "node"}},
			},
		},
		{
			name:     "no imports parenthesis",
			doc:      wrap("blockchain  the domain"),
			problems: []string{`line 5: have "blockchain  the domain", want "path  what it is  (imports a, b, c)" or "path  what it is  (imports none)"`},
		},
		{
			name:     "no description",
			doc:      wrap("blockchain  (imports none)"),
			problems: []string{`line 5: have "blockchain  (imports none)", want "path  what it is  (imports a, b, c)" or "path  what it is  (imports none)"`},
		},
		{
			name:     "empty import",
			doc:      wrap("node  Chain + Pool  (imports blockchain,, pool)"),
			entries:  []mapEntry{{line: 5, path: "node", imports: []string{"blockchain", "pool"}}},
			problems: []string{"line 5: node: have (imports blockchain,, pool), want package paths separated by \", \""},
		},
		{
			name:     "import named twice",
			doc:      wrap("node  Chain + Pool  (imports pool, pool)"),
			entries:  []mapEntry{{line: 5, path: "node", imports: []string{"pool"}}},
			problems: []string{"line 5: node: pool is named twice in its imports"},
		},
		{
			name:     "package listed twice",
			doc:      wrap("pool  pending  (imports none)", "pool  again  (imports none)"),
			entries:  []mapEntry{{line: 5, path: "pool"}},
			problems: []string{"line 6: pool is listed again (first on line 5): keep one line for it"},
		},
		{
			name:     "continuation first",
			doc:      wrap("  (imports none)"),
			problems: []string{"line 5: a continuation line with no package line above it: start the package's line at the first column"},
		},
		{
			name:     "no map",
			doc:      "# Architecture\n\n```text\nblockchain  the domain  (imports none)\n```\n",
			problems: []string{"no package map: want a line \"<!-- package map -->\" followed by a ```text block"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			entries, problems := parsePackageMap(tc.doc)
			assert.Equal(t, tc.entries, entries)
			assert.Equal(t, tc.problems, problems)
		})
	}
}

// A listedPackage is what go list says of one package of the module.
type listedPackage struct {
	path    string   // relative to the module root; "." for the root
	imports []string // the module's packages it imports, relative, sorted
	all     []string // every import path, as go list gives them
}

// goList runs go list -json ./... at the module root and returns every
// package of the module with its non-test imports.
func goList(t *testing.T) []listedPackage {
	t.Helper()
	goCmd, err := exec.LookPath("go")
	require.NoError(t, err, "the package map is checked with go list: put the go command on PATH")
	cmd := exec.Command(goCmd, "list", "-json", "./...")
	cmd.Dir = ".."
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	require.NoError(t, err, "go list -json ./...: %s", stderr.String())

	var pkgs []listedPackage
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p struct {
			ImportPath string
			Module     *struct{ Path string }
			Imports    []string
		}
		err := dec.Decode(&p)
		if errors.Is(err, io.EOF) {
			break
		}
		require.NoError(t, err, "decode the output of go list -json")
		require.NotNil(t, p.Module, "go list reports %s outside a module", p.ImportPath)
		rel, ok := relative(p.Module.Path, p.ImportPath)
		require.True(t, ok, "go list reports %s outside module %s", p.ImportPath, p.Module.Path)
		lp := listedPackage{path: rel, imports: []string{}, all: p.Imports}
		for _, imp := range p.Imports {
			if r, ok := relative(p.Module.Path, imp); ok {
				lp.imports = append(lp.imports, r)
			}
		}
		slices.Sort(lp.imports)
		pkgs = append(pkgs, lp)
	}
	require.NotEmpty(t, pkgs, "go list ./... reports no packages")
	return pkgs
}

// relative returns importPath relative to module, and whether it is in
// the module at all.
func relative(module, importPath string) (string, bool) {
	if importPath == module {
		return ".", true
	}
	rel, ok := strings.CutPrefix(importPath, module+"/")
	return rel, ok
}

// TestArchitecturePackageMap checks the package map of architecture.md
// against go list: every package of the module is listed, nothing else
// is, each line names exactly the module's packages its package imports
// (non-test imports), and each package is listed below every package it
// imports, so that the map's arrows point down only.
func TestArchitecturePackageMap(t *testing.T) {
	doc, err := os.ReadFile("architecture.md")
	require.NoError(t, err)
	entries, problems := parsePackageMap(string(doc))
	for _, p := range problems {
		t.Errorf("architecture.md, package map: %s", p)
	}
	require.NotEmpty(t, entries, "architecture.md has a package map")

	fromGo := map[string]listedPackage{}
	for _, p := range goList(t) {
		fromGo[p.path] = p
	}
	listed := map[string]mapEntry{}
	for _, e := range entries {
		listed[e.path] = e
	}
	var paths []string
	for p := range fromGo {
		paths = append(paths, p)
	}
	slices.Sort(paths)
	for _, p := range paths {
		if _, ok := listed[p]; !ok {
			t.Errorf("architecture.md, package map: %s is missing: add the line %q below the packages it imports",
				p, p+"  <what it is>  "+importsText(fromGo[p].imports))
		}
	}
	above := map[string]bool{}
	for _, e := range entries {
		p, ok := fromGo[e.path]
		if !ok {
			t.Errorf("architecture.md:%d: %s is not a package of the module (go list ./... does not report it): remove the line or fix the path", e.line, e.path)
			above[e.path] = true
			continue
		}
		have := slices.Sorted(slices.Values(e.imports))
		assert.Equal(t, importsText(p.imports), importsText(have),
			"architecture.md:%d: the imports of %s: have %s, want %s", e.line, e.path, importsText(have), importsText(p.imports))
		for _, imp := range p.imports {
			if _, isListed := listed[imp]; isListed && !above[imp] { // a missing one is reported above
				t.Errorf("architecture.md:%d: %s imports %s, which is not listed above it: move the line of %s above the line of %s",
					e.line, e.path, imp, imp, e.path)
			}
		}
		above[e.path] = true
	}
}

// TestOnlyKitsImportTesting checks what architecture.md says of test
// kits: a package of the module whose own code (not its tests) imports
// package testing is a kit, and its name ends in "test".
func TestOnlyKitsImportTesting(t *testing.T) {
	for _, p := range goList(t) {
		if slices.Contains(p.all, "testing") {
			assert.True(t, strings.HasSuffix(path.Base(p.path), "test"),
				"%s imports testing outside its tests: only kits (packages named …test) may", p.path)
		}
	}
}

// mdLink finds the target of an inline markdown link or image, and
// mdReference that of a reference definition ("[name]: target").
var (
	mdLink      = regexp.MustCompile(`!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)`)
	mdReference = regexp.MustCompile(`(?m)^ {0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s.*)?$`)
	urlScheme   = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9+.-]*:`)
	fence       = regexp.MustCompile("(?ms)^```.*?^```")
	codeSpan    = regexp.MustCompile("`([^`\n]+)`")
	pathLike    = regexp.MustCompile(`^[A-Za-z0-9_.-]+(?:/[A-Za-z0-9_.-]+)*/?$`)
	fileLike    = regexp.MustCompile(`\.(?:go|md|mod|sum|yaml|yml|json|html|sh|py|txt)$`)
)

// TestArchitectureLinks checks that every link of architecture.md leads
// to a file or directory in the repository, and so does every backticked
// path outside code blocks that is written as one: a span of path
// characters with a slash inside it, that starts with "../" (read from
// docs/), or whose first element is an entry of the repository's root,
// or whose last element is a file name such as main.go or notes.md (read
// from the root). The page maps what is in the repository, so it links
// to nothing outside it, the web included.
func TestArchitectureLinks(t *testing.T) {
	raw, err := os.ReadFile("architecture.md")
	require.NoError(t, err)
	doc := string(raw)
	root, err := filepath.Abs("..")
	require.NoError(t, err)
	top, err := os.ReadDir(root)
	require.NoError(t, err)
	topNames := map[string]bool{}
	for _, e := range top {
		topNames[e.Name()] = true
	}

	// inRepo resolves target, written relative to dir (a directory of the
	// repository, "docs" or "."), and says what is wrong with it, if
	// anything.
	inRepo := func(dir, target string) string {
		if urlScheme.MatchString(target) || strings.HasPrefix(target, "/") {
			return "leaves the repository: link to a file of the repository, by a path relative to docs/"
		}
		rel := path.Clean(path.Join(dir, target))
		if rel == ".." || strings.HasPrefix(rel, "../") {
			return "leaves the repository: link to a file of the repository, by a path relative to docs/"
		}
		if _, err := os.Stat(filepath.Join(root, filepath.FromSlash(rel))); err != nil {
			return fmt.Sprintf("names %s, which is not in the repository: fix the path or remove it", rel)
		}
		return ""
	}

	prose := fence.ReplaceAllString(doc, "") // links and paths in code blocks are code
	var links []string
	for _, m := range mdLink.FindAllStringSubmatch(prose, -1) {
		links = append(links, m[1])
	}
	for _, m := range mdReference.FindAllStringSubmatch(prose, -1) {
		links = append(links, m[1])
	}
	for _, target := range links {
		file, _, _ := strings.Cut(target, "#")
		if file == "" {
			continue // a place on this page
		}
		if problem := inRepo("docs", file); problem != "" {
			t.Errorf("architecture.md: the link (%s) %s", target, problem)
		}
	}

	for _, m := range codeSpan.FindAllStringSubmatch(prose, -1) {
		span := m[1]
		if !pathLike.MatchString(span) || !strings.Contains(strings.TrimSuffix(span, "/"), "/") {
			continue // not a path, or one element only: a word, a file name, a route such as /metrics
		}
		first, _, _ := strings.Cut(span, "/")
		if first != ".." && !topNames[first] && !fileLike.MatchString(span) {
			continue // an import path such as golang.org/x/sync/errgroup
		}
		dir := "." // a path written from the repository's root …
		if first == ".." {
			dir = "docs" // … or from this page's directory
		}
		if problem := inRepo(dir, span); problem != "" {
			t.Errorf("architecture.md: the path `%s` %s", span, problem)
		}
	}
}
