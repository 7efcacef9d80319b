// Package docs holds kvgen's design documents and the tests that keep the
// documentation of the repository true: every document it cites exists, and
// the README's shell blocks run (readme_test.go).
package docs

import (
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// repoRoot is the repository root, seen from this package's directory.
const repoRoot = ".."

// textFiles returns the repository's files a citation can hide in, by slash
// path relative to the root: sources, documents, templates, scripts.
func textFiles(t *testing.T) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir(repoRoot, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == ".git" || d.Name() == "fuzz") {
			return fs.SkipDir
		}
		if !d.Type().IsRegular() {
			return nil
		}
		rel, err := filepath.Rel(repoRoot, p)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		switch path.Ext(rel) {
		case ".go", ".md", ".tmpl", ".yaml", ".sql", ".sh":
			files = append(files, rel)
		case "":
			if strings.HasPrefix(rel, ".ci/") {
				files = append(files, rel)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 50 {
		t.Fatalf("found only %d text files under %s: not the repository root?", len(files), repoRoot)
	}
	return files
}

var (
	// outsideDocs are citations of documents that are not in the repository:
	// the design document of the team's workspace, and its interop notes.
	outsideDocs = regexp.MustCompile(`DESIGN\.md|(?:\.\./|/work/)shared\b|\bshared/interop\b`)
	// docsPath is a path into docs/ as comments and documents cite it.
	docsPath = regexp.MustCompile(`\bdocs/[A-Za-z0-9_./-]*[A-Za-z0-9_-]\.md\b`)
	// mdLink is a relative link of a Markdown document: [text](target).
	mdLink = regexp.MustCompile(`\]\(([^)#\s]+)(?:#[^)]*)?\)`)
)

// TestCitedDocumentsExist fails when a file of the repository cites a
// document that is not in it: the repository must stand alone.
func TestCitedDocumentsExist(t *testing.T) {
	for _, rel := range textFiles(t) {
		data, err := os.ReadFile(filepath.Join(repoRoot, filepath.FromSlash(rel)))
		if err != nil {
			t.Fatal(err)
		}
		for i, line := range strings.Split(string(data), "\n") {
			where := rel + ":" + strconv.Itoa(i+1)
			if m := outsideDocs.FindString(line); m != "" && rel != "docs/docs_test.go" {
				t.Errorf("%s cites %q, which is not in the repository; cite a document under docs/", where, m)
			}
			for _, p := range docsPath.FindAllString(line, -1) {
				if !exists(p) {
					t.Errorf("%s cites %s, which does not exist", where, p)
				}
			}
			if path.Ext(rel) != ".md" {
				continue
			}
			for _, m := range mdLink.FindAllStringSubmatch(line, -1) {
				target := m[1]
				if strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") {
					continue
				}
				if p := path.Join(path.Dir(rel), target); !exists(p) {
					t.Errorf("%s links to %s, which does not exist", where, target)
				}
			}
		}
	}
}

func exists(rel string) bool {
	_, err := os.Stat(filepath.Join(repoRoot, filepath.FromSlash(rel)))
	return err == nil
}
