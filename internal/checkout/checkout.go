// Package checkout copies this repository's checkout for tests that need
// it as a user has it: a fresh clone (the README's commands), a module
// published on a proxy (the install from a module proxy).
package checkout

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// Copy copies the files of the checkout holding dir that git tracks or
// would track (what a clone holds, plus work not yet committed) to dst.
func Copy(dir, dst string) error {
	cmd := exec.Command("git", "ls-files", "-z", "--cached", "--others", "--exclude-standard")
	cmd.Dir = dir
	list, err := cmd.Output()
	if err != nil {
		return fmt.Errorf("git ls-files in %s: %w", dir, err)
	}
	top := exec.Command("git", "rev-parse", "--show-prefix")
	top.Dir = dir
	prefix, err := top.Output()
	if err != nil {
		return fmt.Errorf("git rev-parse in %s: %w", dir, err)
	}
	if p := strings.TrimSpace(string(prefix)); p != "" {
		return fmt.Errorf("%s is not the root of its checkout (it is %s in it)", dir, p)
	}
	for _, rel := range strings.Split(strings.TrimRight(string(list), "\x00"), "\x00") {
		if err := copyFile(filepath.Join(dir, rel), filepath.Join(dst, rel)); err != nil {
			return err
		}
	}
	return nil
}

func copyFile(src, dst string) error {
	info, err := os.Lstat(src)
	if errors.Is(err, os.ErrNotExist) || err == nil && !info.Mode().IsRegular() {
		return nil // deleted in the work tree, or not a plain file
	}
	if err != nil {
		return err
	}
	data, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	return os.WriteFile(dst, data, info.Mode().Perm())
}
