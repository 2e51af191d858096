package sqs

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
		ws   []write
	}{
		{name: "put", ws: []write{{bucket: []byte("b"), key: []byte("k"), val: []byte(`{"x":1}`)}}},
		{name: "delete", ws: []write{{bucket: []byte("b"), key: []byte("k")}}},
		{name: "drop bucket", ws: []write{{bucket: []byte("b"), dropBckt: true}}},
		{name: "create bucket", ws: []write{{bucket: []byte("b"), createBkt: true}}},
		{name: "mixed batch", ws: []write{
			{bucket: []byte("sqs.queues"), key: []byte("q"), val: bytes.Repeat([]byte("v"), 300)},
			{bucket: []byte("sqs.m.q"), createBkt: true},
			{bucket: []byte("sqs.m.q"), key: seqKey(7), val: []byte("m")},
			{bucket: []byte("sqs.m.q"), key: seqKey(7)},
			{bucket: []byte("sqs.d.q"), dropBckt: true},
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
	w := func(v string) []write { return []write{{bucket: []byte("b"), key: []byte("k"), val: []byte(v)}} }
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
			sc, err := scanSegment(path, -1, false)
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

// crash abandons a service without closing it, as a SIGKILL would: its
// log segment stays unfolded and its goroutines are left behind.
func crash(t *testing.T, db *bbolt.DB) {
	t.Helper()
	if err := db.Close(); err != nil {
		t.Fatalf("close db: %v", err)
	}
}

func openDB(t testing.TB, path string) *bbolt.DB {
	t.Helper()
	db, err := bbolt.Open(path, 0o600, &bbolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatalf("open db: %v", err)
	}
	return db
}

func TestReplayAfterCrashWithTornTail(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	db := openDB(t, path)
	s, err := New(Options{BaseURL: "http://127.0.0.1:4566", DB: db})
	if err != nil {
		t.Fatal(err)
	}
	url := createQ(t, s, "crashy", map[string]string{"VisibilityTimeout": "60"})
	for i := range 4 {
		send(t, s, url, map[string]any{"MessageBody": fmt.Sprint(i)})
	}
	got := receive(t, s, url, map[string]any{"MaxNumberOfMessages": 1})
	mustCall(t, s, "DeleteMessage", map[string]any{"QueueUrl": url, "ReceiptHandle": got[0]["ReceiptHandle"]})
	crash(t, db)

	ns, err := segments(path)
	if err != nil || len(ns) != 1 {
		t.Fatalf("segments after crash: %v, %v; want one unfolded segment", ns, err)
	}
	// A crash in the middle of a commit leaves part of a frame: it was
	// never acknowledged and must be ignored.
	f, err := os.OpenFile(segmentName(path, ns[0]), os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	half := encodeFrame(nil, []write{{bucket: msgBucket("crashy"), key: seqKey(1), val: []byte("{}")}})
	if _, err := f.WriteAt(half[:len(half)/2], s.store.seg.size); err != nil {
		t.Fatal(err)
	}
	f.Close()

	db = openDB(t, path)
	defer db.Close()
	s2 := newTestService(t, db, nil)
	if ns, _ := segments(path); len(ns) != 1 || ns[0] != 2 {
		t.Errorf("segments after reopen %v, want only the new segment 2", ns)
	}
	if b := bodies(receive(t, s2, url, nil)); b != "1,2,3" {
		t.Errorf("after replay received %q, want 1,2,3 (0 was deleted)", b)
	}
}

func TestSegmentsFoldAndReplay(t *testing.T) {
	old := segmentLimit
	segmentLimit = 512
	t.Cleanup(func() { segmentLimit = old })

	path := filepath.Join(t.TempDir(), "state.db")
	db := openDB(t, path)
	s, err := New(Options{BaseURL: "http://127.0.0.1:4566", DB: db})
	if err != nil {
		t.Fatal(err)
	}
	url := createQ(t, s, "rolling", nil)
	const n = 60
	for i := range n {
		send(t, s, url, map[string]any{"MessageBody": fmt.Sprintf("message %02d", i)})
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

	db = openDB(t, path)
	defer db.Close()
	s2 := newTestService(t, db, nil)
	seen := map[string]bool{}
	for len(seen) < n {
		got := receive(t, s2, url, nil)
		if len(got) == 0 {
			break
		}
		for _, m := range got {
			if seen[m["Body"].(string)] {
				t.Errorf("%q received twice", m["Body"])
			}
			seen[m["Body"].(string)] = true
		}
	}
	if len(seen) != n {
		t.Errorf("received %d distinct messages after fold and replay, want %d", len(seen), n)
	}
}

func TestCloseFoldsTheLog(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	db := openDB(t, path)
	defer db.Close()
	s, err := New(Options{BaseURL: "http://127.0.0.1:4566", DB: db})
	if err != nil {
		t.Fatal(err)
	}
	createQ(t, s, "closed", nil)
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if ns, err := segments(path); err != nil || len(ns) != 0 {
		t.Errorf("segments after Close: %v, %v; want none", ns, err)
	}
	err = db.View(func(tx *bbolt.Tx) error {
		if tx.Bucket(bucketQueues).Get([]byte("closed")) == nil {
			return fmt.Errorf("queue record missing from the database")
		}
		return nil
	})
	if err != nil {
		t.Error(err)
	}
}

// TestFoldFailureKeepsLaterSegments: when folding a sealed segment into
// bbolt fails, that segment stays on disk to be replayed; a later segment
// must not be folded and removed before it, or the replay of the older
// segment would undo the newer changes (here: bring back a deleted
// message).
func TestFoldFailureKeepsLaterSegments(t *testing.T) {
	old := segmentLimit
	segmentLimit = 512
	t.Cleanup(func() { segmentLimit = old })

	path := filepath.Join(t.TempDir(), "state.db")
	db := openDB(t, path)
	s, err := New(Options{BaseURL: "http://127.0.0.1:4566", DB: db})
	if err != nil {
		t.Fatal(err)
	}
	var calls atomic.Int32
	firstFold := make(chan struct{})
	s.store.folder.apply = func(tx *bbolt.Tx, ws []write) error {
		if calls.Add(1) == 1 {
			defer close(firstFold)
			return errors.New("injected fold failure")
		}
		return apply(tx, ws)
	}
	url := createQ(t, s, "folds", map[string]string{"VisibilityTimeout": "0"})
	send(t, s, url, map[string]any{"MessageBody": "doomed"})
	// Fill segment 1 so that it is sealed and its fold (which fails) runs.
	fillUntilSegment := func(n uint64) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for i := 0; ; i++ {
			send(t, s, url, map[string]any{"MessageBody": fmt.Sprintf("filler %d", i), "DelaySeconds": 900})
			ns, err := segments(path)
			if err != nil {
				t.Fatal(err)
			}
			if len(ns) > 0 && ns[len(ns)-1] >= n {
				// One more commit: the committer hands a sealed
				// segment to the folder before it commits the next.
				send(t, s, url, map[string]any{"MessageBody": "after roll", "DelaySeconds": 900})
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("log never reached segment %d: %v", n, ns)
			}
		}
	}
	fillUntilSegment(2)
	<-firstFold

	got := receive(t, s, url, map[string]any{"MaxNumberOfMessages": 1})
	if len(got) != 1 || got[0]["Body"] != "doomed" {
		t.Fatalf("received %v, want the message sent first", got)
	}
	mustCall(t, s, "DeleteMessage", map[string]any{"QueueUrl": url, "ReceiptHandle": got[0]["ReceiptHandle"]})
	ns, _ := segments(path)
	// Seal the segment holding the delete, and the next, so that later
	// folds are due.
	fillUntilSegment(ns[len(ns)-1] + 2)
	if err := s.store.folder.stop(); err == nil {
		t.Error("the folder reported no error after an injected fold failure")
	}
	crash(t, db)

	db = openDB(t, path)
	defer db.Close()
	s2 := newTestService(t, db, nil)
	for _, m := range receive(t, s2, url, nil) {
		if m["Body"] == "doomed" {
			t.Fatal("a message deleted after a failed fold came back after the restart")
		}
	}
}

// TestCloseFoldsWhatAFailedFoldLeft: Close folds every segment still on
// disk in order, so a background fold failure that Close makes good
// leaves a database needing no replay and is not reported.
func TestCloseFoldsWhatAFailedFoldLeft(t *testing.T) {
	old := segmentLimit
	segmentLimit = 512
	t.Cleanup(func() { segmentLimit = old })

	path := filepath.Join(t.TempDir(), "state.db")
	db := openDB(t, path)
	defer db.Close()
	s, err := New(Options{BaseURL: "http://127.0.0.1:4566", DB: db})
	if err != nil {
		t.Fatal(err)
	}
	failed := make(chan struct{})
	var once sync.Once
	s.store.folder.apply = func(*bbolt.Tx, []write) error {
		once.Do(func() { close(failed) })
		return errors.New("injected fold failure")
	}
	url := createQ(t, s, "closing", nil)
	for i := 0; ; i++ {
		send(t, s, url, map[string]any{"MessageBody": fmt.Sprintf("message %d", i)})
		select {
		case <-failed:
		default:
			continue
		}
		break
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close after a failed background fold: %v", err)
	}
	if ns, err := segments(path); err != nil || len(ns) != 0 {
		t.Errorf("segments after Close: %v, %v; want none", ns, err)
	}
	err = db.View(func(tx *bbolt.Tx) error {
		if n := tx.Bucket(msgBucket("closing")).Stats().KeyN; n == 0 {
			return fmt.Errorf("no message of the queue reached the database")
		}
		return nil
	})
	if err != nil {
		t.Error(err)
	}
}
