//go:build unix

package localcloud

import (
	"errors"
	"os"
	"strconv"
	"strings"
	"testing"
)

// TestDataDirInUse: a second Cloud on a data directory in use is refused
// at once, naming the process that holds it; once the first closes, the
// directory is free again.
func TestDataDirInUse(t *testing.T) {
	dir := t.TempDir()
	first, err := New(Options{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	_, err = New(Options{DataDir: dir})
	if !errors.Is(err, ErrDataDirInUse) || !strings.Contains(err.Error(), "process "+strconv.Itoa(os.Getpid())) {
		t.Fatalf("second New = %v, want ErrDataDirInUse naming process %d", err, os.Getpid())
	}
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	again, err := New(Options{DataDir: dir})
	if err != nil {
		t.Fatalf("New after Close: %v", err)
	}
	again.Close()
}
