package storage

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.etcd.io/bbolt"
)

// crashedLog leaves a database whose log holds a bucket's creation and
// n puts, one frame each, as a SIGKILL would, and returns the paths of
// the database and of its one segment, with the offsets of the segment's
// frames.
func crashedLog(t *testing.T, n int) (dbPath, segPath string, frames []int64) {
	t.Helper()
	dbPath = filepath.Join(t.TempDir(), "state.db")
	db, l := openLog(t, dbPath)
	commit(t, l, Write{Bucket: testBucket, CreateBucket: true})
	for i := range n {
		commit(t, l, put(fmt.Sprintf("m%03d", i), fmt.Sprintf("value %03d", i)))
	}
	crash(t, db)
	ns, err := segments(dbPath)
	if err != nil || len(ns) != 1 {
		t.Fatalf("segments after crash: %v, %v; want one", ns, err)
	}
	segPath = segmentName(dbPath, ns[0])
	data, err := os.ReadFile(segPath)
	if err != nil {
		t.Fatal(err)
	}
	for off := int64(headerSize); ; {
		size := int64(binary.LittleEndian.Uint32(data[off:]))
		if size == 0 {
			break
		}
		frames = append(frames, off)
		off += 8 + size
	}
	return dbPath, segPath, frames
}

// describeTest names the test bucket's writes as a service would its own.
func describeTest(w Write) string {
	if string(w.Bucket) != string(testBucket) {
		return ""
	}
	return fmt.Sprintf("%s of test record %s", w.Op(), w.Key)
}

// reopen opens the log again on dbPath and returns how many keys the
// test bucket then holds and what was logged; a refused open leaves the
// database closed.
func reopen(t *testing.T, dbPath string, salvage bool) (int, string, error) {
	t.Helper()
	var logged bytes.Buffer
	db := openDB(t, dbPath)
	st := NewState(slog.New(slog.NewTextHandler(&logged, nil)))
	l, err := OpenLog(db, st, LogOptions{Salvage: salvage, Describe: describeTest})
	if err != nil {
		db.Close()
		return 0, logged.String(), err
	}
	t.Cleanup(func() {
		l.Close()
		db.Close()
	})
	n := 0
	err = db.View(func(tx *bbolt.Tx) error {
		if b := tx.Bucket(testBucket); b != nil {
			n = b.Stats().KeyN
		}
		return nil
	})
	return n, logged.String(), err
}

func TestDamagedLog(t *testing.T) {
	const sent = 20
	tests := []struct {
		name string
		// damage changes the segment; it returns the offset the refusal
		// must name.
		damage  func(t *testing.T, seg string, frames []int64) int64
		found   string // in the refusal; empty: no refusal
		logged  string // in the log when opening with salvage (or without, when found is empty)
		kept    int    // messages after opening with salvage
		keptStr string
	}{
		{
			name: "flipped byte in the middle",
			damage: func(t *testing.T, seg string, frames []int64) int64 {
				flip(t, seg, frames[10]+20) // a byte of the value: the frame still decodes
				return frames[10]
			},
			found:  "checksum mismatch",
			logged: "put of test record m009",
			kept:   sent - 1,
		},
		{
			name: "segment cut short",
			damage: func(t *testing.T, seg string, frames []int64) int64 {
				if err := os.Truncate(seg, frames[15]); err != nil {
					t.Fatal(err)
				}
				return frames[15]
			},
			found:  "cut short",
			logged: "where the file was cut",
			kept:   14, // frame 0 creates the bucket; frames 1-14 are puts
		},
		{
			name: "write cut short by the crash",
			damage: func(t *testing.T, seg string, frames []int64) int64 {
				data, _ := os.ReadFile(seg)
				end := frames[len(frames)-1]
				end += 8 + int64(binary.LittleEndian.Uint32(data[end:]))
				half := encodeFrame(nil, []Write{put("m999", "never acknowledged")})
				writeAt(t, seg, half[:len(half)/2], end)
				return -1
			},
			logged: "cut short before it was acknowledged",
			kept:   sent,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dbPath, seg, frames := crashedLog(t, sent)
			off := tc.damage(t, seg, frames)
			before, _ := os.ReadFile(seg)

			n, logged, err := reopen(t, dbPath, false)
			if tc.found == "" {
				if err != nil {
					t.Fatalf("open refused: %v", err)
				}
				if !strings.Contains(logged, tc.logged) {
					t.Errorf("log %q lacks %q", logged, tc.logged)
				}
				if n != tc.kept {
					t.Errorf("%d keys after replay, want %d", n, tc.kept)
				}
				return
			}
			var dmg *Damage
			if !errors.As(err, &dmg) {
				t.Fatalf("open error %v, want a *Damage", err)
			}
			if dmg.File != seg || dmg.Offset != off || !strings.Contains(dmg.Found, tc.found) {
				t.Errorf("refused with %v; want file %s, offset %d, %q", dmg, seg, off, tc.found)
			}
			if after, err := os.ReadFile(seg); err != nil || !bytes.Equal(after, before) {
				t.Fatalf("the refusal changed or removed the damaged segment (%v)", err)
			}
			n, logged, err = reopen(t, dbPath, true)
			if err != nil {
				t.Fatalf("open with salvage: %v", err)
			}
			if n != tc.kept {
				t.Errorf("%d keys after salvage, want %d", n, tc.kept)
			}
			if !strings.Contains(logged, tc.logged) || !strings.Contains(logged, "moved the damaged log segment aside") {
				t.Errorf("salvage log %q lacks %q or the move aside", logged, tc.logged)
			}
			aside, _ := filepath.Glob(seg + ".damaged-*")
			if len(aside) != 1 {
				t.Fatalf("damaged segments moved aside: %v, want one", aside)
			}
			if kept, _ := os.ReadFile(aside[0]); !bytes.Equal(kept, before) {
				t.Error("the segment moved aside is not the damaged file as it was")
			}
		})
	}
}

func flip(t *testing.T, path string, off int64) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	writeAt(t, path, []byte{data[off] ^ 0x5a}, off)
}

func writeAt(t *testing.T, path string, b []byte, off int64) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteAt(b, off); err != nil {
		t.Fatal(err)
	}
}
