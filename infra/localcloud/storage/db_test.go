package storage

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.etcd.io/bbolt"
)

// fillDB writes n keys of size bytes into bucket "b" of dir's database.
func fillDB(t *testing.T, dir string, n, size int) {
	t.Helper()
	db, err := OpenDB(dir, OpenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.Update(func(tx *bbolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists([]byte("b"))
		if err != nil {
			return err
		}
		for i := range n {
			if err := b.Put(fmt.Appendf(nil, "k%06d", i), bytes.Repeat([]byte{'v'}, size)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestOpenDamagedDB(t *testing.T) {
	tests := []struct {
		name   string
		damage func(t *testing.T, path string) // nil: no damage
		found  string                          // in the refusal; empty: none
		offset int64                           // of the refusal; -2: any
		kept   int                             // keys after salvage at least
	}{
		{name: "sound", kept: 200},
		{
			name:   "empty file",
			damage: func(t *testing.T, path string) { truncate(t, path, 0) },
			found:  "empty", offset: 0,
		},
		{
			name:   "cut in half",
			damage: func(t *testing.T, path string) { truncate(t, path, size(t, path)/2) },
			found:  "cut short", offset: -2,
		},
		{
			name: "garbage over the bucket's root page",
			damage: func(t *testing.T, path string) {
				db, err := bbolt.Open(path, 0o600, &bbolt.Options{ReadOnly: true})
				if err != nil {
					t.Fatal(err)
				}
				var root int64
				db.View(func(tx *bbolt.Tx) error { //nolint:errcheck // always nil
					root = int64(tx.Bucket([]byte("b")).Root())
					return nil
				})
				pageSize := int64(db.Info().PageSize)
				db.Close()
				f, err := os.OpenFile(path, os.O_WRONLY, 0)
				if err != nil {
					t.Fatal(err)
				}
				defer f.Close()
				if _, err := f.WriteAt(bytes.Repeat([]byte{0xa5}, int(pageSize)), root*pageSize); err != nil {
					t.Fatal(err)
				}
			},
			found: "bbolt", offset: -2,
		},
		{
			name: "meta pages zeroed",
			damage: func(t *testing.T, path string) {
				f, err := os.OpenFile(path, os.O_WRONLY, 0)
				if err != nil {
					t.Fatal(err)
				}
				defer f.Close()
				if _, err := f.WriteAt(make([]byte, 2*4096), 0); err != nil {
					t.Fatal(err)
				}
			},
			found: "", offset: 0,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			fillDB(t, dir, 200, 300)
			path := filepath.Join(dir, DBName)
			if tc.damage != nil {
				tc.damage(t, path)
			}
			before, _ := os.ReadFile(path)
			db, err := OpenDB(dir, OpenOptions{})
			if tc.damage == nil {
				if err != nil {
					t.Fatalf("open: %v", err)
				}
				if n := countKeys(t, db); n != tc.kept {
					t.Errorf("%d keys, want %d", n, tc.kept)
				}
				db.Close()
				return
			}
			var dmg *Damage
			if !errors.As(err, &dmg) {
				if db != nil {
					db.Close()
				}
				t.Fatalf("open error %v, want a *Damage", err)
			}
			if dmg.File != path || !strings.Contains(dmg.Found, tc.found) || tc.offset != -2 && dmg.Offset != tc.offset {
				t.Errorf("refused with %v; want %s, offset %d, %q", dmg, path, tc.offset, tc.found)
			}
			if after, _ := os.ReadFile(path); !bytes.Equal(after, before) {
				t.Fatal("the refusal changed the damaged database")
			}

			var logged bytes.Buffer
			st := NewState(slog.New(slog.NewTextHandler(&logged, nil)))
			db, err = OpenDB(dir, OpenOptions{Salvage: true, State: st})
			if err != nil {
				t.Fatalf("open with salvage: %v", err)
			}
			defer db.Close()
			n := countKeys(t, db)
			t.Logf("salvage kept %d of 200 keys; log:\n%s", n, logged.String())
			if !strings.Contains(logged.String(), "salvaged a damaged database") {
				t.Errorf("salvage log lacks its report: %s", logged.String())
			}
			aside, _ := filepath.Glob(path + ".damaged-*")
			if len(aside) != 1 {
				t.Fatalf("moved aside: %v, want one file", aside)
			}
			if kept, _ := os.ReadFile(aside[0]); !bytes.Equal(kept, before) {
				t.Error("the file moved aside is not the damaged database as it was")
			}
		})
	}
}

func TestOpenCompactsFreeSpace(t *testing.T) {
	old := compactWhenFree
	compactWhenFree = 1 << 20
	t.Cleanup(func() { compactWhenFree = old })
	dir := t.TempDir()
	fillDB(t, dir, 2000, 2000)
	db, err := OpenDB(dir, OpenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bbolt.Tx) error {
		b := tx.Bucket([]byte("b"))
		for i := range 1990 {
			if err := b.Delete(fmt.Appendf(nil, "k%06d", i)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	path := filepath.Join(dir, DBName)
	full := size(t, path)
	db, err = OpenDB(dir, OpenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if got := size(t, path); got*4 > full {
		t.Errorf("database of %d bytes after compaction, was %d; want a quarter or less", got, full)
	}
	if n := countKeys(t, db); n != 10 {
		t.Errorf("%d keys after compaction, want 10", n)
	}
}

func countKeys(t *testing.T, db *bbolt.DB) int {
	t.Helper()
	n := 0
	err := db.View(func(tx *bbolt.Tx) error {
		if b := tx.Bucket([]byte("b")); b != nil {
			n = b.Stats().KeyN
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func truncate(t *testing.T, path string, n int64) {
	t.Helper()
	if err := os.Truncate(path, n); err != nil {
		t.Fatal(err)
	}
}

func size(t *testing.T, path string) int64 {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}
