package sqs

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
)

// The write-ahead log. A bbolt commit costs two fsyncs and rewrites whole
// pages; appending a group commit's changes to a log file and syncing its
// data once is the cheapest way to have them on disk before answering.
// The log is a series of segment files; each holds frames:
//
//	uint32 payload length | uint32 CRC-32C of payload | payload
//
// and a payload is the commit's writes, each encoded as
//
//	op byte | uvarint len | bucket | uvarint len | key | uvarint len | value
//
// A frame cut short by a crash fails its length or checksum; it was never
// acknowledged (the sync comes before the answer), so replay stops there.
// Segments are folded into bbolt by the committer when they grow past
// segmentLimit, and on open and close, then removed.

const (
	opPut byte = iota + 1
	opDelete
	opDropBucket
	opCreateBucket
)

// segmentLimit is the size of a segment: it is written full of zeros and
// synced when created, and the log starts a new one (the old one is folded
// into bbolt in the background) once its frames fill it.
//
// Frames overwrite the zeros instead of growing the file, so the file size
// and block map never change after creation and fdatasync has only data
// to flush: it does not wait for a file-system journal commit, which on a
// shared disk also carries every other process's metadata changes.
var segmentLimit int64 = 4 << 20

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Segments sit next to the database file they are folded into, named
// after it: <db file>.sqs-wal-<16-digit number>.log.
const segmentInfix, segmentSuffix = ".sqs-wal-", ".log"

func segmentName(dbPath string, n uint64) string {
	return fmt.Sprintf("%s%s%016d%s", dbPath, segmentInfix, n, segmentSuffix)
}

// segments lists the log segments of a database file in the order they
// were written.
func segments(dbPath string) ([]uint64, error) {
	entries, err := os.ReadDir(filepath.Dir(dbPath))
	if err != nil {
		return nil, fmt.Errorf("list log segments: %w", err)
	}
	prefix := filepath.Base(dbPath) + segmentInfix
	var ns []uint64
	for _, e := range entries {
		name := e.Name()
		if !strings.HasPrefix(name, prefix) || !strings.HasSuffix(name, segmentSuffix) {
			continue
		}
		n, err := strconv.ParseUint(strings.TrimSuffix(strings.TrimPrefix(name, prefix), segmentSuffix), 10, 64)
		if err != nil {
			continue
		}
		ns = append(ns, n)
	}
	slices.Sort(ns)
	return ns, nil
}

// encodeFrame appends one frame holding ws to buf.
func encodeFrame(buf []byte, ws []write) []byte {
	start := len(buf)
	buf = append(buf, 0, 0, 0, 0, 0, 0, 0, 0)
	for _, w := range ws {
		op := opDelete
		switch {
		case w.dropBckt:
			op = opDropBucket
		case w.val != nil:
			op = opPut
		case w.createBkt:
			op = opCreateBucket
		}
		buf = append(buf, op)
		buf = binary.AppendUvarint(buf, uint64(len(w.bucket)))
		buf = append(buf, w.bucket...)
		buf = binary.AppendUvarint(buf, uint64(len(w.key)))
		buf = append(buf, w.key...)
		buf = binary.AppendUvarint(buf, uint64(len(w.val)))
		buf = append(buf, w.val...)
	}
	payload := buf[start+8:]
	binary.LittleEndian.PutUint32(buf[start:], uint32(len(payload)))
	binary.LittleEndian.PutUint32(buf[start+4:], crc32.Checksum(payload, castagnoli))
	return buf
}

// errTorn marks the end of the usable log: a frame a crash cut short.
var errTorn = errors.New("torn log frame")

// readFrame reads the next frame's writes; io.EOF at a clean end, errTorn
// at a partial or corrupt frame.
func readFrame(r *bufio.Reader) ([]write, error) {
	var head [8]byte
	if _, err := io.ReadFull(r, head[:]); err != nil {
		if err == io.EOF {
			return nil, io.EOF
		}
		return nil, errTorn
	}
	n := binary.LittleEndian.Uint32(head[:4])
	if n == 0 {
		// The zeros a segment is created with: the end of the log. No
		// frame is empty, since a commit has at least one write.
		return nil, io.EOF
	}
	if n > maxRequestBytes*4 {
		return nil, errTorn
	}
	payload := make([]byte, n)
	if _, err := io.ReadFull(r, payload); err != nil {
		return nil, errTorn
	}
	if crc32.Checksum(payload, castagnoli) != binary.LittleEndian.Uint32(head[4:]) {
		return nil, errTorn
	}
	return decodeWrites(payload)
}

func decodeWrites(p []byte) ([]write, error) {
	var ws []write
	field := func() ([]byte, bool) {
		n, k := binary.Uvarint(p)
		if k <= 0 || uint64(len(p)-k) < n {
			return nil, false
		}
		f := p[k : k+int(n)]
		p = p[k+int(n):]
		return f, true
	}
	for len(p) > 0 {
		op := p[0]
		p = p[1:]
		bucket, ok1 := field()
		key, ok2 := field()
		val, ok3 := field()
		if !ok1 || !ok2 || !ok3 {
			return nil, errTorn
		}
		w := write{bucket: bucket}
		if len(key) > 0 {
			w.key = key
		}
		switch op {
		case opPut:
			w.val = val
			if w.val == nil {
				w.val = []byte{}
			}
		case opDelete:
		case opDropBucket:
			w.dropBckt = true
		case opCreateBucket:
			w.createBkt = true
		default:
			return nil, errTorn
		}
		ws = append(ws, w)
	}
	return ws, nil
}

// readSegment returns every complete frame's writes in a segment.
func readSegment(path string) ([]write, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open log segment: %w", err)
	}
	defer f.Close()
	r := bufio.NewReaderSize(f, 1<<16)
	var all []write
	for {
		ws, err := readFrame(r)
		if err == io.EOF || errors.Is(err, errTorn) {
			return all, nil
		}
		if err != nil {
			return nil, fmt.Errorf("read log segment %s: %w", filepath.Base(path), err)
		}
		all = append(all, ws...)
	}
}

// segmentFile is the segment being appended to.
type segmentFile struct {
	n     uint64
	f     *os.File
	size  int64          // end of the frames written so far
	syncs sync.WaitGroup // syncs in flight on f
}

// createSegment creates segment n filled with size zero bytes and makes
// the file, its blocks and its directory entry durable.
func createSegment(dbPath string, n uint64, size int64) (*segmentFile, error) {
	path := segmentName(dbPath, n)
	f, err := os.OpenFile(path, os.O_CREATE|os.O_TRUNC|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("create log segment: %w", err)
	}
	fail := func(err error) (*segmentFile, error) {
		f.Close()
		os.Remove(path)
		return nil, fmt.Errorf("create log segment: %w", err)
	}
	zeros := make([]byte, min(size, 1<<20))
	for off := int64(0); off < size; off += int64(len(zeros)) {
		if _, err := f.Write(zeros[:min(int64(len(zeros)), size-off)]); err != nil {
			return fail(err)
		}
	}
	if err := f.Sync(); err != nil {
		return fail(err)
	}
	if err := syncDir(filepath.Dir(dbPath)); err != nil {
		return fail(err)
	}
	return &segmentFile{n: n, f: f}, nil
}

// write puts a frame after the previous one; the caller syncs it. Past
// the preallocated size the file grows, which fdatasync also covers.
func (s *segmentFile) write(frame []byte) error {
	if _, err := s.f.WriteAt(frame, s.size); err != nil {
		return fmt.Errorf("write to log: %w", err)
	}
	s.size += int64(len(frame))
	return nil
}

func fdatasync(f *os.File) error {
	for {
		err := syscall.Fdatasync(int(f.Fd()))
		if err != syscall.EINTR {
			return err
		}
	}
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("open log dir: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync log dir: %w", err)
	}
	return nil
}
