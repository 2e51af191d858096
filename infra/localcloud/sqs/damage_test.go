package sqs

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

	"github.com/eventchain/eventchain/infra/localcloud/storage"
)

// crashedLog leaves a database whose log holds a queue and n sent
// messages, as a SIGKILL would, and returns the paths of the database and
// of its one segment, with the offsets of the segment's frames.
func crashedLog(t *testing.T, n int) (dbPath, segPath string, frames []int64) {
	t.Helper()
	dbPath = filepath.Join(t.TempDir(), "state.db")
	db := openDB(t, dbPath)
	s, err := New(Options{BaseURL: "http://127.0.0.1:4566", DB: db})
	if err != nil {
		t.Fatal(err)
	}
	url := createQ(t, s, "work", nil)
	for i := range n {
		send(t, s, url, map[string]any{"MessageBody": fmt.Sprintf("m%03d", i)})
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

// reopen opens the service again on dbPath; a refused open leaves the
// database closed.
func reopen(t *testing.T, dbPath string, salvage bool) (*Service, string, error) {
	t.Helper()
	var logged bytes.Buffer
	db := openDB(t, dbPath)
	st := storage.NewState(slog.New(slog.NewTextHandler(&logged, nil)))
	s, err := New(Options{BaseURL: "http://127.0.0.1:4566", DB: db, State: st, Salvage: salvage})
	if err != nil {
		db.Close()
		return nil, logged.String(), err
	}
	t.Cleanup(func() {
		s.Close()
		db.Close()
	})
	return s, logged.String(), nil
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
				flip(t, seg, frames[10]+120)
				return frames[10]
			},
			found:  "checksum mismatch",
			logged: "MessageId",
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
			kept:   14, // frame 0 creates the queue; frames 1-14 are messages
		},
		{
			name: "write cut short by the crash",
			damage: func(t *testing.T, seg string, frames []int64) int64 {
				data, _ := os.ReadFile(seg)
				end := frames[len(frames)-1]
				end += 8 + int64(binary.LittleEndian.Uint32(data[end:]))
				half := encodeFrame(nil, []write{{bucket: msgBucket("work"), key: seqKey(999), val: []byte(`{"Body":"never acknowledged"}`)}})
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

			s, logged, err := reopen(t, dbPath, false)
			if tc.found == "" {
				if err != nil {
					t.Fatalf("open refused: %v", err)
				}
				if !strings.Contains(logged, tc.logged) {
					t.Errorf("log %q lacks %q", logged, tc.logged)
				}
				if n := s.queues["work"].counts[stateVisible]; n != tc.kept {
					t.Errorf("%d messages after replay, want %d", n, tc.kept)
				}
				return
			}
			var dmg *storage.Damage
			if !errors.As(err, &dmg) {
				t.Fatalf("open error %v, want a *storage.Damage", err)
			}
			if dmg.File != seg || dmg.Offset != off || !strings.Contains(dmg.Found, tc.found) {
				t.Errorf("refused with %v; want file %s, offset %d, %q", dmg, seg, off, tc.found)
			}
			if after, err := os.ReadFile(seg); err != nil || !bytes.Equal(after, before) {
				t.Fatalf("the refusal changed or removed the damaged segment (%v)", err)
			}
			s, logged, err = reopen(t, dbPath, true)
			if err != nil {
				t.Fatalf("open with salvage: %v", err)
			}
			if n := s.queues["work"].counts[stateVisible]; n != tc.kept {
				t.Errorf("%d messages after salvage, want %d", n, tc.kept)
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
