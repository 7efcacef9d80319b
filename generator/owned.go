package generator

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
)

// staleFiles returns the files in the module that kvgen generated earlier
// and produced no longer holds, sorted. kvgen owns, and may delete:
//
//   - a file under QueriesDir or OutDir that starts with a kvgen header;
//   - a file starting with sqlc's header in <OutDir>/<pkg>/db/ (or
//     sqlitedb/, sqlc's SQLite code), when
//     <OutDir>/<pkg>/ holds (or, about to be deleted, held) a kvgen file,
//     or is produced now.
//
// Anything else is someone else's, even in those directories.
func staleFiles(opts Options, produced map[string][]byte) ([]string, error) {
	kvgenFiles, sqlcFiles, err := generatedFiles(opts)
	if err != nil {
		return nil, err
	}
	pkgDirs := packageDirs(opts, produced, kvgenFiles)
	var stale []string
	for p := range kvgenFiles {
		if _, ok := produced[p]; !ok {
			stale = append(stale, p)
		}
	}
	for p := range sqlcFiles {
		dbDir := path.Dir(p)
		if base := path.Base(dbDir); (base != "db" && base != sqliteDBPackage) || !pkgDirs[path.Dir(dbDir)] {
			continue
		}
		if _, ok := produced[p]; !ok {
			stale = append(stale, p)
		}
	}
	slices.Sort(stale)
	return stale, nil
}

// generatedFiles finds the files under the queries and output directories
// that kvgen and sqlc generated, by their headers: module-relative paths.
// They are sets: one of the two directories may lie inside the other.
func generatedFiles(opts Options) (kvgenFiles, sqlcFiles map[string]bool, err error) {
	kvgenFiles, sqlcFiles = map[string]bool{}, map[string]bool{}
	for _, dir := range []string{opts.QueriesDir, opts.OutDir} {
		root := filepath.Join(opts.ModuleDir, filepath.FromSlash(dir))
		err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if errors.Is(err, fs.ErrNotExist) && p == root {
				return fs.SkipDir // nothing generated there yet
			}
			if err != nil || !d.Type().IsRegular() {
				return err
			}
			rel, err := filepath.Rel(opts.ModuleDir, p)
			if err != nil {
				return err
			}
			rel = filepath.ToSlash(rel)
			switch header, err := firstLine(p); {
			case err != nil:
				return err
			case header == headerGo || header == headerSQL || header == headerYAML:
				kvgenFiles[rel] = true
			case header == headerSQLC:
				sqlcFiles[rel] = true
			}
			return nil
		})
		if err != nil {
			return nil, nil, err
		}
	}
	return kvgenFiles, sqlcFiles, nil
}

// packageDirs are the record package directories, <OutDir>/<pkg>, of every
// file produced and every kvgen file found.
func packageDirs(opts Options, produced map[string][]byte, kvgenFiles map[string]bool) map[string]bool {
	dirs := map[string]bool{}
	mark := func(p string) {
		if rest, ok := strings.CutPrefix(p, opts.OutDir+"/"); ok {
			if pkg, _, ok := strings.Cut(rest, "/"); ok {
				dirs[path.Join(opts.OutDir, pkg)] = true
			}
		}
	}
	for p := range produced {
		mark(p)
	}
	for p := range kvgenFiles {
		mark(p)
	}
	return dirs
}

// firstLine returns the first line of a file, without its line ending. Only
// the start is read: a header is short.
func firstLine(name string) (string, error) {
	f, err := os.Open(name)
	if err != nil {
		return "", err
	}
	defer f.Close()
	buf := make([]byte, 128)
	n, err := io.ReadFull(f, buf)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return "", err
	}
	line, _, _ := bytes.Cut(buf[:n], []byte("\n"))
	return string(bytes.TrimSuffix(line, []byte("\r"))), nil
}
