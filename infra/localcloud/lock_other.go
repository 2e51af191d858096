//go:build !unix

package localcloud

import (
	"errors"
	"os"
)

// ErrDataDirInUse is returned by New when another process uses the data
// directory.
var ErrDataDirInUse = errors.New("data directory in use")

// lockDataDir has no advisory lock to take here; the database's own lock
// still keeps a second process out, after its timeout.
func lockDataDir(string) (*os.File, error) { return nil, nil }
