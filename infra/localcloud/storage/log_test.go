package storage

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.etcd.io/bbolt"
)

func TestFrameRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		ws   []Write
	}{
		{name: "put", ws: []Write{{Bucket: []byte("b"), Key: []byte("k"), Val: []byte(`{"x":1}`)}}},
		{name: "delete", ws: []Write{{Bucket: []byte("b"), Key: []byte("k")}}},
		{name: "drop bucket", ws: []Write{{Bucket: []byte("b"), DropBucket: true}}},
		{name: "create bucket", ws: []Write{{Bucket: []byte("b"), CreateBucket: true}}},
		{name: "mixed batch", ws: []Write{
			{Bucket: []byte("sqs.queues"), Key: []byte("q"), Val: bytes.Repeat([]byte("v"), 300)},
			{Bucket: []byte("sqs.m.q"), CreateBucket: true},
			{Bucket: []byte("sqs.m.q"), Key: []byte("seq7"), Val: []byte("m")},
			{Bucket: []byte("sqs.m.q"), Key: []byte("seq7")},
			{Bucket: []byte("sqs.d.q"), DropBucket: true},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			frame := encodeFrame(nil, tc.ws)
			got, err := decodeWrites(frame[8:])
			if err != nil {
				t.Fatalf("decodeWrites: %v", err)
			}
			if !reflect.DeepEqual(got, tc.ws) {
				t.Errorf("decoded %+v, want %+v", got, tc.ws)
			}
		})
	}
}

func TestScanSegment(t *testing.T) {
	w := func(v string) []Write { return []Write{{Bucket: []byte("b"), Key: []byte("k"), Val: []byte(v)}} }
	one, two := encodeFrame(nil, w("first value")), encodeFrame(nil, w("second value"))
	tests := []struct {
		name   string
		after  func(data []byte, end int64) // changes the segment; end is where the frames end
		frames int
		torn   bool
		damage string
	}{
		{name: "clean", after: func([]byte, int64) {}, frames: 2},
		{name: "write cut short at the end", after: func(data []byte, end int64) {
			copy(data[end:], one[:len(one)/2])
		}, frames: 2, torn: true},
		{name: "header cut short at the end", after: func(data []byte, end int64) {
			copy(data[end:], one[:3])
		}, frames: 2, torn: true},
		{name: "flipped byte in the first frame", after: func(data []byte, end int64) {
			data[headerSize+10] ^= 1
		}, damage: "checksum mismatch"},
		{name: "flipped byte in the last frame", after: func(data []byte, end int64) {
			data[end-2] ^= 1
		}, damage: "checksum mismatch"},
		{name: "damaged header", after: func(data []byte, end int64) {
			data[0] ^= 1
		}, damage: "header"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			seg, err := createSegment(filepath.Join(dir, "db"), 1, 4096, -1, nil)
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range [][]byte{one, two} {
				if err := seg.write(f, nil); err != nil {
					t.Fatal(err)
				}
			}
			seg.f.Close()
			path := segmentName(filepath.Join(dir, "db"), 1)
			data, _ := os.ReadFile(path)
			tc.after(data, seg.size)
			if err := os.WriteFile(path, data, 0o600); err != nil {
				t.Fatal(err)
			}
			sc, err := scanSegment(path, -1, false, nil)
			if err != nil {
				t.Fatal(err)
			}
			if tc.damage != "" {
				if sc.damage == nil || !strings.Contains(sc.damage.Found, tc.damage) {
					t.Errorf("damage %v, want %q", sc.damage, tc.damage)
				}
				return
			}
			if sc.damage != nil || sc.frames != tc.frames || (sc.torn >= 0) != tc.torn {
				t.Errorf("scan: %d frames, torn at %d, damage %v; want %d frames, torn %v", sc.frames, sc.torn, sc.damage, tc.frames, tc.torn)
			}
		})
	}
}

// The log's tests use one bucket of string keys and values: what a
// service stores there does not matter to the log.
var testBucket = []byte("b")

func put(k, v string) Write { return Write{Bucket: testBucket, Key: []byte(k), Val: []byte(v)} }
func del(k string) Write    { return Write{Bucket: testBucket, Key: []byte(k)} }

func openDB(t testing.TB, path string) *bbolt.DB {
	t.Helper()
	db, err := bbolt.Open(path, 0o600, &bbolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatalf("open db: %v", err)
	}
	return db
}

// openLog opens the database at path and its log; both are closed when
// the test ends unless crash abandoned them first.
func openLog(t testing.TB, path string) (*bbolt.DB, *Log) {
	t.Helper()
	db := openDB(t, path)
	l, err := OpenLog(db, nil, LogOptions{})
	if err != nil {
		db.Close()
		t.Fatalf("OpenLog: %v", err)
	}
	t.Cleanup(func() {
		l.Close()
		db.Close()
	})
	return db, l
}

func commit(t testing.TB, l *Log, ws ...Write) {
	t.Helper()
	if err := Wait(l.Enqueue(ws...)); err != nil {
		t.Fatalf("commit: %v", err)
	}
}

// crash abandons a log without closing it, as a SIGKILL would: its
// segment stays unfolded and its goroutines are left behind.
func crash(t *testing.T, db *bbolt.DB) {
	t.Helper()
	if err := db.Close(); err != nil {
		t.Fatalf("close db: %v", err)
	}
}

// contents replays the log of the database at path, as a restart does,
// and returns the test bucket's keys and values.
func contents(t *testing.T, path string) map[string]string {
	t.Helper()
	db, _ := openLog(t, path)
	got := map[string]string{}
	err := db.View(func(tx *bbolt.Tx) error {
		b := tx.Bucket(testBucket)
		if b == nil {
			return nil
		}
		return b.ForEach(func(k, v []byte) error {
			got[string(k)] = string(v)
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func TestReplayAfterCrashWithTornTail(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	db, l := openLog(t, path)
	for i := range 4 {
		commit(t, l, put(fmt.Sprint(i), fmt.Sprint("value ", i)))
	}
	commit(t, l, del("0"))
	crash(t, db)

	ns, err := segments(path)
	if err != nil || len(ns) != 1 {
		t.Fatalf("segments after crash: %v, %v; want one unfolded segment", ns, err)
	}
	// A crash in the middle of a commit leaves part of a frame: it was
	// never acknowledged and must be ignored.
	half := encodeFrame(nil, []Write{put("4", "never acknowledged")})
	writeAt(t, segmentName(path, ns[0]), half[:len(half)/2], l.seg.size)

	got := contents(t, path)
	if ns, _ := segments(path); len(ns) != 1 || ns[0] != 2 {
		t.Errorf("segments after reopen %v, want only the new segment 2", ns)
	}
	want := map[string]string{"1": "value 1", "2": "value 2", "3": "value 3"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("after replay %v, want %v (0 was deleted, 4 never acknowledged)", got, want)
	}
}

// TestLegacySegmentsReplay: a segment a crash left under the name it had
// when the log was SQS's alone is replayed, not ignored.
func TestLegacySegmentsReplay(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	db, l := openLog(t, path)
	commit(t, l, put("kept", "across the rename"))
	crash(t, db)
	ns, _ := segments(path)
	if err := os.Rename(segmentName(path, ns[0]), fmt.Sprintf("%s%s%016d%s", path, legacyInfix, ns[0], segmentSuffix)); err != nil {
		t.Fatal(err)
	}
	if got := contents(t, path); got["kept"] != "across the rename" {
		t.Errorf("after replay of a legacy segment %v, want the key it held", got)
	}
}

func smallSegments(t *testing.T) {
	old := segmentLimit
	segmentLimit = 512
	t.Cleanup(func() { segmentLimit = old })
}

func TestSegmentsFoldAndReplay(t *testing.T) {
	smallSegments(t)
	path := filepath.Join(t.TempDir(), "state.db")
	db, l := openLog(t, path)
	const n = 60
	for i := range n {
		commit(t, l, put(fmt.Sprintf("k%02d", i), fmt.Sprintf("value %02d", i)))
	}
	// Sealed segments are folded in the background; wait for it.
	deadline := time.Now().Add(10 * time.Second)
	for {
		ns, err := segments(path)
		if err != nil {
			t.Fatal(err)
		}
		if len(ns) == 1 && ns[0] > 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("segments never folded: %v", ns)
		}
		time.Sleep(10 * time.Millisecond)
	}
	crash(t, db)
	if got := contents(t, path); len(got) != n {
		t.Errorf("%d keys after fold and replay, want %d", len(got), n)
	}
}

// TestSpareSegment: the next segment is prepared ahead and taken when the
// current one fills; a spare a crash left holds no frame, so it is
// removed on open and never replayed, whatever it holds; Close removes
// the spare.
func TestSpareSegment(t *testing.T) {
	smallSegments(t)
	path := filepath.Join(t.TempDir(), "state.db")
	db, l := openLog(t, path)
	waitSpare := func() {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for {
			if fi, err := os.Stat(spareName(path)); err == nil && fi.Size() == segmentLimit {
				return
			}
			if time.Now().After(deadline) {
				t.Fatal("no spare segment was prepared")
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	waitSpare()
	// Let the spare land in the log's hands, so the roll takes it.
	deadline := time.Now().Add(10 * time.Second)
	for len(l.spare) == 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	spare, err := os.Stat(spareName(path))
	if err != nil {
		t.Fatal(err)
	}
	fillUntilSegment(t, l, path, 2)
	seg2, err := os.Stat(segmentName(path, 2))
	if err != nil {
		t.Fatalf("segment 2: %v", err)
	}
	if !os.SameFile(spare, seg2) {
		t.Error("segment 2 was created anew instead of taken from the spare")
	}
	waitSpare() // the next one is on its way
	commit(t, l, put("acknowledged", "in segment 2"))
	crash(t, db)

	// A spare holding what looks like frames is not a segment.
	writeAt(t, spareName(path), encodeFrame(nil, []Write{put("never", "acknowledged")}), headerSize)
	got := contents(t, path)
	if got["acknowledged"] != "in segment 2" || got["never"] != "" {
		t.Errorf("after replay %v: want the acknowledged write and nothing from the spare", got)
	}
}

func TestCloseFoldsTheLog(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	db, l := openLog(t, path)
	commit(t, l, put("closed", "folded"))
	if err := l.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if ns, err := segments(path); err != nil || len(ns) != 0 {
		t.Errorf("segments after Close: %v, %v; want none", ns, err)
	}
	if _, err := os.Stat(spareName(path)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the spare segment after Close: %v; want it removed", err)
	}
	err := db.View(func(tx *bbolt.Tx) error {
		if b := tx.Bucket(testBucket); b == nil || string(b.Get([]byte("closed"))) != "folded" {
			return fmt.Errorf("the write is missing from the database")
		}
		return nil
	})
	if err != nil {
		t.Error(err)
	}
}

// fillUntilSegment commits writes until the log has reached segment n,
// then one more: the log hands a sealed segment to the folder before it
// commits the next.
func fillUntilSegment(t *testing.T, l *Log, path string, n uint64) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for i := 0; ; i++ {
		commit(t, l, put(fmt.Sprintf("filler %d", i), "x"))
		ns, err := segments(path)
		if err != nil {
			t.Fatal(err)
		}
		if len(ns) > 0 && ns[len(ns)-1] >= n {
			commit(t, l, put("after roll", "x"))
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("log never reached segment %d: %v", n, ns)
		}
	}
}

// TestFoldFailureKeepsLaterSegments: when folding a sealed segment into
// bbolt fails, that segment stays on disk to be replayed; a later segment
// must not be folded and removed before it, or the replay of the older
// segment would undo the newer changes (here: bring back a deleted key).
func TestFoldFailureKeepsLaterSegments(t *testing.T) {
	smallSegments(t)
	path := filepath.Join(t.TempDir(), "state.db")
	db, l := openLog(t, path)
	var calls atomic.Int32
	firstFold := make(chan struct{})
	l.folder.apply = func(tx *bbolt.Tx, ws []Write) error {
		if calls.Add(1) == 1 {
			defer close(firstFold)
			return errors.New("injected fold failure")
		}
		return apply(tx, ws)
	}
	commit(t, l, put("doomed", "deleted later"))
	// Fill segment 1 so that it is sealed and its fold (which fails) runs.
	fillUntilSegment(t, l, path, 2)
	<-firstFold
	commit(t, l, del("doomed"))
	ns, _ := segments(path)
	// Seal the segment holding the delete, and the next, so that later
	// folds are due.
	fillUntilSegment(t, l, path, ns[len(ns)-1]+2)
	if err := l.folder.stop(); err == nil {
		t.Error("the folder reported no error after an injected fold failure")
	}
	crash(t, db)
	if got := contents(t, path); got["doomed"] != "" {
		t.Fatal("a key deleted after a failed fold came back after the restart")
	}
}

// TestCloseFoldsWhatAFailedFoldLeft: Close folds every segment still on
// disk in order, so a background fold failure that Close makes good
// leaves a database needing no replay and is not reported.
func TestCloseFoldsWhatAFailedFoldLeft(t *testing.T) {
	smallSegments(t)
	path := filepath.Join(t.TempDir(), "state.db")
	db, l := openLog(t, path)
	failed := make(chan struct{})
	var once sync.Once
	l.folder.apply = func(*bbolt.Tx, []Write) error {
		once.Do(func() { close(failed) })
		return errors.New("injected fold failure")
	}
	for i := 0; ; i++ {
		commit(t, l, put(fmt.Sprintf("k%d", i), "x"))
		select {
		case <-failed:
		default:
			continue
		}
		break
	}
	if err := l.Close(); err != nil {
		t.Fatalf("Close after a failed background fold: %v", err)
	}
	if ns, err := segments(path); err != nil || len(ns) != 0 {
		t.Errorf("segments after Close: %v, %v; want none", ns, err)
	}
	err := db.View(func(tx *bbolt.Tx) error {
		if b := tx.Bucket(testBucket); b == nil || b.Stats().KeyN == 0 {
			return fmt.Errorf("no write reached the database")
		}
		return nil
	})
	if err != nil {
		t.Error(err)
	}
}
