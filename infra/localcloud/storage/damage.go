package storage

import (
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// Damage is a state file that cannot be read as written: a log segment
// or the database. Opening refuses with it unless salvage was asked for.
type Damage struct {
	File   string // path of the damaged file
	Offset int64  // byte offset where the damage starts; -1 when unknown
	Found  string // what was found there
}

func (d *Damage) Error() string {
	if d.Offset < 0 {
		return fmt.Sprintf("%s is damaged (offset unknown): %s", d.File, d.Found)
	}
	return fmt.Sprintf("%s is damaged at byte offset %d: %s", d.File, d.Offset, d.Found)
}

// MoveAside renames a damaged file out of the way, next to where it was,
// and returns its new path. Damaged files are never deleted: they are
// the evidence, and may hold more than salvage could read.
func MoveAside(path string, now time.Time) (string, error) {
	aside := fmt.Sprintf("%s.damaged-%s", path, now.UTC().Format("20060102T150405.000000000Z"))
	if err := os.Rename(path, aside); err != nil {
		return "", fmt.Errorf("move damaged %s aside: %w", path, err)
	}
	if err := SyncDir(filepath.Dir(path)); err != nil {
		return "", err
	}
	return aside, nil
}

// SyncDir makes the directory entries of dir durable.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("open %s: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	return nil
}
