//go:build unix

package localcloud

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// lockFile marks a data directory as in use. One process at a time may
// use a data directory; a second one is told which process holds it, at
// once, instead of timing out on the database's own lock.
const lockFile = "localcloud.lock"

// ErrDataDirInUse is returned by New when another process uses the data
// directory.
var ErrDataDirInUse = errors.New("data directory in use")

// lockDataDir takes the directory's lock (released when the process ends,
// however it ends, since the kernel holds it) and writes this process's id
// in it for the next one to read.
func lockDataDir(dir string) (*os.File, error) {
	path := filepath.Join(dir, lockFile)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("lock data directory: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		raw, _ := os.ReadFile(path)
		f.Close()
		holder := strings.TrimSpace(string(raw))
		if holder == "" {
			holder = "another process"
		} else {
			holder = "process " + holder
		}
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("%w: %s is used by %s (an eventchain run or localcloud); stop it, or choose another data directory", ErrDataDirInUse, dir, holder)
		}
		return nil, fmt.Errorf("lock data directory %s: %w", dir, err)
	}
	if err := f.Truncate(0); err == nil {
		f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0) //nolint:errcheck // the id only helps the message above
	}
	return f, nil
}
