package generator

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// insideModule refuses to let rel (slash, relative to the module root
// root) lead out of the module through a symbolic link: a link at any of
// its directories, or at the file itself, whose target lies outside the
// module. The options already keep rel itself inside, lexically.
func insideModule(root, rel string) error {
	realRoot, err := filepath.EvalSymlinks(root)
	if err != nil {
		return err
	}
	// The deepest part of the path that exists is what a write goes through.
	p := filepath.Join(root, filepath.FromSlash(rel))
	for {
		_, err := os.Lstat(p)
		if err == nil {
			break
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		p = filepath.Dir(p)
	}
	real, err := filepath.EvalSymlinks(p)
	if err != nil {
		return fmt.Errorf("kvgen: %s: %w", rel, err)
	}
	if real != realRoot && !strings.HasPrefix(real, realRoot+string(filepath.Separator)) {
		shown, _ := filepath.Rel(root, p)
		return fmt.Errorf("kvgen: refusing to write %s: %s is a symbolic link leading outside the module, to %s",
			rel, filepath.ToSlash(shown), real)
	}
	return nil
}
