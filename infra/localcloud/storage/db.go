package storage

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"strconv"
	"time"

	"go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"
)

// DBName is the database file of a data directory.
const DBName = "localcloud.db"

// OpenOptions configures OpenDB.
type OpenOptions struct {
	// Salvage, when the database is damaged, moves it aside, keeps what
	// can be read from it in a new one and reports what was lost,
	// instead of refusing to open.
	Salvage bool
	// State receives the report of what opening found and did.
	State *State
	Now   func() time.Time
}

const openTimeout = 5 * time.Second

// OpenDB opens the database of a data directory, creating it when the
// directory has none. A database that cannot be read as written (empty,
// cut short, or failing bbolt's consistency check) is refused with a
// *Damage, unless opts.Salvage; bbolt's panics on such files become that
// error too. A database whose free pages outweigh its data is compacted.
func OpenDB(dir string, opts OpenOptions) (*bbolt.DB, error) {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	path := filepath.Join(dir, DBName)
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		if err := createDB(path); err != nil {
			return nil, err
		}
	} else if err != nil {
		return nil, fmt.Errorf("localcloud state: %w", err)
	}
	if err := checkDB(path); err != nil {
		var dmg *Damage
		if !errors.As(err, &dmg) || !opts.Salvage {
			return nil, err
		}
		if err := salvageDB(path, dmg, opts); err != nil {
			return nil, err
		}
	}
	db, err := openRW(path)
	if err != nil {
		return nil, err
	}
	return compactIfWorth(db, opts.State)
}

// createDB creates an empty database under a temporary name and renames
// it into place, so that a crash never leaves an empty file at path: an
// empty database file always means lost content.
func createDB(path string) error {
	tmp := path + ".new"
	if err := os.Remove(tmp); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("create localcloud state: %w", err)
	}
	db, err := bbolt.Open(tmp, 0o600, &bbolt.Options{Timeout: openTimeout})
	if err != nil {
		return fmt.Errorf("create localcloud state: %w", err)
	}
	if err := db.Close(); err != nil {
		return fmt.Errorf("create localcloud state: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("create localcloud state: %w", err)
	}
	return SyncDir(filepath.Dir(path))
}

// checkDB reads the database read-only and runs bbolt's consistency
// check over it. Read-only first: bbolt does not release a file whose
// opening panicked, and a shared lock left behind does not stop the
// salvage from reading the file again.
func checkDB(path string) (err error) {
	fi, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("localcloud state: %w", err)
	}
	if fi.Size() == 0 {
		return &Damage{File: path, Offset: 0, Found: "the file is empty (0 bytes), so everything it held is lost; a database always holds at least its two meta pages"}
	}
	var db *bbolt.DB
	defer func() {
		if r := recover(); r != nil {
			err = &Damage{File: path, Offset: panicOffset(r, db), Found: fmt.Sprintf("bbolt cannot read it: %v", r)}
		}
	}()
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	db, err = bbolt.Open(path, 0o600, &bbolt.Options{Timeout: openTimeout, ReadOnly: true})
	if err != nil {
		if errors.Is(err, bolterrors.ErrTimeout) {
			return fmt.Errorf("open %s: another process has it open: %w", path, err)
		}
		return &Damage{File: path, Offset: 0, Found: err.Error()}
	}
	defer db.Close()
	return db.View(func(tx *bbolt.Tx) error {
		if size := tx.Size(); size > fi.Size() {
			return &Damage{File: path, Offset: fi.Size(), Found: fmt.Sprintf("the file is cut short: it holds %d bytes, its meta page says %d", fi.Size(), size)}
		}
		var first error
		n := 0
		for err := range tx.Check() {
			if first == nil {
				first = err
			}
			n++
		}
		if first != nil {
			found := "bbolt's consistency check: " + first.Error()
			if n > 1 {
				found += fmt.Sprintf(" (and %d more problems)", n-1)
			}
			return &Damage{File: path, Offset: pageOffset(first.Error(), db), Found: found}
		}
		return nil
	})
}

// openRW opens a checked database for writing; a panic that got past the
// check still becomes an error.
func openRW(path string) (db *bbolt.DB, err error) {
	defer func() {
		if r := recover(); r != nil {
			db, err = nil, &Damage{File: path, Offset: panicOffset(r, nil), Found: fmt.Sprintf("bbolt cannot read it: %v", r)}
		}
	}()
	db, err = bbolt.Open(path, 0o600, &bbolt.Options{Timeout: openTimeout})
	if err != nil {
		return nil, fmt.Errorf("open localcloud state %s: %w", path, err)
	}
	return db, nil
}

var pageNumber = regexp.MustCompile(`(?i)page\D{0,40}?(\d+)`)

// pageOffset is the byte offset of the first page a bbolt message names,
// or -1 when it names none.
func pageOffset(msg string, db *bbolt.DB) int64 {
	m := pageNumber.FindStringSubmatch(msg)
	if m == nil {
		return -1
	}
	id, err := strconv.ParseInt(m[1], 10, 64)
	if err != nil {
		return -1
	}
	size := int64(os.Getpagesize())
	if db != nil && db.Info() != nil {
		size = int64(db.Info().PageSize)
	}
	return id * size
}

func panicOffset(r any, db *bbolt.DB) int64 {
	defer func() { recover() }() //nolint:errcheck // a half-open db may panic again
	return pageOffset(fmt.Sprint(r), db)
}

// salvageDB moves a damaged database aside and copies what can be read
// from it into a new one at path, reporting what was lost.
func salvageDB(path string, dmg *Damage, opts OpenOptions) error {
	log := opts.State.Logger()
	aside, err := MoveAside(path, opts.Now())
	if err != nil {
		return err
	}
	if err := createDB(path); err != nil {
		return err
	}
	db, err := openRW(path)
	if err != nil {
		return err
	}
	kept, lost := copyReadable(aside, db)
	if err := db.Close(); err != nil {
		return fmt.Errorf("salvage %s: %w", path, err)
	}
	log.Warn("localcloud storage: salvaged a damaged database", "damage", dmg.Error(), "moved_to", aside, "kept_keys", kept, "lost", len(lost))
	for _, l := range lost {
		log.Warn("localcloud storage: lost in the damaged database", "file", aside, "what", l)
	}
	return nil
}

// copyReadable copies every key it can read from the database at src
// into dst, bucket by bucket, and describes what it could not read.
func copyReadable(src string, dst *bbolt.DB) (kept int, lost []string) {
	if fi, err := os.Stat(src); err != nil || fi.Size() == 0 {
		return 0, []string{"everything: the file holds nothing to read"}
	}
	var names [][]byte
	err := readDamaged(src, func(tx *bbolt.Tx) error {
		return tx.ForEach(func(name []byte, _ *bbolt.Bucket) error {
			names = append(names, append([]byte(nil), name...))
			return nil
		})
	})
	if err != nil {
		lost = append(lost, fmt.Sprintf("the list of buckets could not be read (%v); buckets read before that: %d", err, len(names)))
	}
	for _, name := range names {
		var kvs [][2][]byte
		err := readDamaged(src, func(tx *bbolt.Tx) error {
			b := tx.Bucket(name)
			if b == nil {
				return errors.New("bucket not found")
			}
			return b.ForEach(func(k, v []byte) error {
				if v == nil {
					return nil // a nested bucket; localcloud keeps none
				}
				kvs = append(kvs, [2][]byte{append([]byte(nil), k...), append([]byte(nil), v...)})
				return nil
			})
		})
		if err != nil {
			lost = append(lost, fmt.Sprintf("bucket %q: read stopped after %d keys: %v", name, len(kvs), err))
		}
		err = dst.Update(func(tx *bbolt.Tx) error {
			b, err := tx.CreateBucketIfNotExists(name)
			if err != nil {
				return err
			}
			for _, kv := range kvs {
				if err := b.Put(kv[0], kv[1]); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			lost = append(lost, fmt.Sprintf("bucket %q: could not write the %d keys read: %v", name, len(kvs), err))
			continue
		}
		kept += len(kvs)
	}
	return kept, lost
}

// readDamaged runs fn in a read transaction on a damaged database,
// turning bbolt's panics and faults into an error.
func readDamaged(path string, fn func(*bbolt.Tx) error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("bbolt panicked: %v", r)
		}
	}()
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	db, err := bbolt.Open(path, 0o400, &bbolt.Options{Timeout: openTimeout, ReadOnly: true})
	if err != nil {
		return err
	}
	defer db.Close()
	return db.View(fn)
}

// compactWhenFree is how many bytes of free pages make compaction worth
// it on open: deleted messages leave their pages free, and bbolt never
// gives them back to the file system.
var compactWhenFree int64 = 8 << 20

// compactIfWorth rewrites the database without its free pages when they
// take more than compactWhenFree bytes and half the file: bbolt reuses
// free pages but never shrinks the file.
func compactIfWorth(db *bbolt.DB, st *State) (*bbolt.DB, error) {
	path := db.Path()
	fi, err := os.Stat(path)
	if err != nil {
		return db, nil //nolint:nilerr // compaction is an optimisation
	}
	var free int64
	err = db.View(func(tx *bbolt.Tx) error {
		free = int64(db.Stats().FreePageN) * int64(db.Info().PageSize)
		return nil
	})
	if err != nil || free < compactWhenFree || free*2 < fi.Size() {
		return db, nil //nolint:nilerr // compaction is an optimisation
	}
	tmp := path + ".compact"
	os.Remove(tmp)
	dst, err := bbolt.Open(tmp, 0o600, &bbolt.Options{Timeout: openTimeout})
	if err != nil {
		st.Logger().Warn("localcloud storage: cannot compact the database", "err", err)
		return db, nil
	}
	if err := bbolt.Compact(dst, db, 16<<20); err != nil {
		dst.Close()
		os.Remove(tmp)
		st.Logger().Warn("localcloud storage: cannot compact the database", "err", err)
		return db, nil
	}
	if err := errors.Join(dst.Sync(), dst.Close()); err != nil {
		os.Remove(tmp)
		st.Logger().Warn("localcloud storage: cannot compact the database", "err", err)
		return db, nil
	}
	if err := db.Close(); err != nil {
		return nil, fmt.Errorf("close localcloud state for compaction: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return nil, fmt.Errorf("compact localcloud state: %w", err)
	}
	if err := SyncDir(filepath.Dir(path)); err != nil {
		return nil, err
	}
	after, _ := os.Stat(path)
	if after != nil {
		st.Logger().Info("localcloud storage: compacted the database", "bytes_before", fi.Size(), "bytes_after", after.Size())
	}
	return openRW(path)
}
