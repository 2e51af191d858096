package storage

import (
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
// A segment starts with a header: magic | uint64 size it was created
// with | uint64 prevEnd, where the frames of the segment before it end.
// prevEnd is where a failed write is rolled back: after a write or sync
// fails, the log goes on in a new segment whose prevEnd excludes the
// failed frames, so that replay never applies a change the emulator
// answered with an error and undid in memory.
//
// Replay trusts nothing it cannot explain. Before its successor's
// prevEnd, every frame of a segment was synced, so any bad byte there is
// damage. In the last segment, only a write cut short by the crash may be
// dropped (and it is reported): a frame with a bad checksum counts as cut
// short when nothing but zeros follows it and it ends in zeros, or when a
// whole disk sector inside it is still zeros (a sector the crash kept
// from reaching the disk). A bad frame that fits neither, a segment
// shorter than it was created, or frames past an end the header forbids
// are damage: opening refuses, naming the file and offset, unless
// salvage is asked for. Segments are folded into bbolt in the background
// when they grow past segmentLimit, and on open and close, then removed;
// a fold applies only the writes that decide the result (compact). The
// next segment is prepared while the current one fills (spareName).

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

// segmentMagic opens every segment; segments without it predate the
// header and are read from their first byte.
const segmentMagic = "LCWAL\x00\x02\x00"

const headerSize = 24

// maxFrameBytes bounds the payload length a frame header may claim: a
// larger one is damage, not a write. A group commit carries what the
// requests it acknowledges changed, each bounded by its service's request
// size, so real frames stay far below it.
const maxFrameBytes = 256 << 20

// sectorSize is the unit a disk writes atomically: a crash leaves each
// sector of a frame either written or as it was (zeros).
const sectorSize = 512

// Segments sit next to the database file they are folded into, named
// after it: <db file>.wal-<16-digit number>.log. Before every service
// shared the log it was SQS's alone, and its segments were named
// <db file>.sqs-wal-…; OpenLog renames any such segment a crash left
// (renameLegacySegments), keeping its number, so it is replayed in order.
const segmentInfix, legacyInfix, segmentSuffix = ".wal-", ".sqs-wal-", ".log"

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
func encodeFrame(buf []byte, ws []Write) []byte {
	start := len(buf)
	buf = append(buf, 0, 0, 0, 0, 0, 0, 0, 0)
	for _, w := range ws {
		op := opDelete
		switch {
		case w.DropBucket:
			op = opDropBucket
		case w.Val != nil:
			op = opPut
		case w.CreateBucket:
			op = opCreateBucket
		}
		buf = append(buf, op)
		buf = binary.AppendUvarint(buf, uint64(len(w.Bucket)))
		buf = append(buf, w.Bucket...)
		buf = binary.AppendUvarint(buf, uint64(len(w.Key)))
		buf = append(buf, w.Key...)
		buf = binary.AppendUvarint(buf, uint64(len(w.Val)))
		buf = append(buf, w.Val...)
	}
	payload := buf[start+8:]
	binary.LittleEndian.PutUint32(buf[start:], uint32(len(payload)))
	binary.LittleEndian.PutUint32(buf[start+4:], crc32.Checksum(payload, castagnoli))
	return buf
}

// errBadFrame is a frame payload that does not decode.
var errBadFrame = errors.New("malformed log frame")

func decodeWrites(p []byte) ([]Write, error) {
	var ws []Write
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
			return nil, errBadFrame
		}
		w := Write{Bucket: bucket}
		if len(key) > 0 {
			w.Key = key
		}
		switch op {
		case opPut:
			w.Val = val
			if w.Val == nil {
				w.Val = []byte{}
			}
		case opDelete:
		case opDropBucket:
			w.DropBucket = true
		case opCreateBucket:
			w.CreateBucket = true
		default:
			return nil, errBadFrame
		}
		ws = append(ws, w)
	}
	return ws, nil
}

// headerPrevEnd is the prevEnd a segment's header records, -1 when it
// has no readable header.
func headerPrevEnd(path string) int64 {
	f, err := os.Open(path)
	if err != nil {
		return -1
	}
	defer f.Close()
	var head [headerSize]byte
	if _, err := io.ReadFull(f, head[:]); err != nil || string(head[:8]) != segmentMagic {
		return -1
	}
	return int64(binary.LittleEndian.Uint64(head[16:]))
}

// segmentScan is what reading a segment found.
type segmentScan struct {
	ws      []Write
	frames  int
	prevEnd int64 // from the header; -1 when it has none
	// torn is the offset of a final write the crash cut short, dropped;
	// -1 when there is none.
	torn, tornBytes int64
	damage          *Damage
	lost            []string // what salvage could not keep
}

// scanSegment reads the frames of a segment up to limit (its successor's
// prevEnd), or to its end when limit is negative. With salvage it skips
// damaged frames, keeping every frame it can find after them, and lists
// what it skipped; without, it stops at the first damage.
func scanSegment(path string, limit int64, salvage bool, describe func(Write) string) (*segmentScan, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read log segment: %w", err)
	}
	sc := &segmentScan{prevEnd: -1, torn: -1}
	off, created := int64(0), int64(-1)
	switch {
	case len(data) >= headerSize && string(data[:8]) == segmentMagic:
		created = int64(binary.LittleEndian.Uint64(data[8:]))
		sc.prevEnd = int64(binary.LittleEndian.Uint64(data[16:]))
		off = headerSize
	case allZero(data):
		return sc, nil // a segment whose creation a crash interrupted: it never held a frame
	}
	end := int64(len(data))
	bad := func(at int64, found string) bool {
		if sc.damage == nil {
			sc.damage = &Damage{File: path, Offset: at, Found: found}
		}
		return salvage
	}
	if created < 0 {
		if !bad(0, "the segment header is missing or damaged") {
			return sc, nil
		}
		off = sc.resync(data, 0, end)
	}
	if created > end && !allZero(data[off:]) {
		if !bad(end, fmt.Sprintf("the segment is cut short: it holds %d bytes of the %d it was created with", end, created)) {
			return sc, nil
		}
		sc.lost = append(sc.lost, fmt.Sprintf("whatever was logged past byte %d, where the file was cut", end))
	}
	if limit >= 0 {
		if limit > end {
			if !bad(end, fmt.Sprintf("the segment is cut short: it holds %d bytes, its writes end at %d", end, limit)) {
				return sc, nil
			}
			sc.lost = append(sc.lost, fmt.Sprintf("the writes logged between bytes %d and %d", end, limit))
		} else {
			end = limit
		}
	}
	for off < end {
		rest := data[off:end]
		if len(rest) < 8 || binary.LittleEndian.Uint32(rest) == 0 {
			if allZero(rest) {
				return sc, nil
			}
			if limit < 0 {
				// Zeros where a frame should start, then more: the write
				// there never reached the disk, so nothing after it was
				// acknowledged either.
				sc.torn, sc.tornBytes = off, int64(len(rest))
				return sc, nil
			}
			if !bad(off, "zeros where a frame should start, before the end of the synced writes") {
				return sc, nil
			}
			off = sc.resync(data, off, end)
			continue
		}
		n := int64(binary.LittleEndian.Uint32(rest))
		frameEnd := off + 8 + n
		if n > maxFrameBytes || frameEnd > end {
			if limit < 0 && (frameEnd > end && created <= int64(len(data)) && created >= 0 || allZero(rest[4:])) {
				sc.torn, sc.tornBytes = off, int64(len(rest))
				return sc, nil
			}
			if !bad(off, fmt.Sprintf("a frame header claims %d bytes, past the end of the log at %d", n, end)) {
				return sc, nil
			}
			off = sc.resync(data, off, end)
			continue
		}
		payload := data[off+8 : frameEnd]
		if crc32.Checksum(payload, castagnoli) == binary.LittleEndian.Uint32(rest[4:]) {
			ws, err := decodeWrites(payload)
			if err != nil {
				if !bad(off, "a frame with a good checksum does not decode") {
					return sc, nil
				}
				off = sc.resync(data, off, end)
				continue
			}
			sc.ws = append(sc.ws, ws...)
			sc.frames++
			off = frameEnd
			continue
		}
		if limit < 0 && cutShort(data, off, frameEnd) {
			sc.torn, sc.tornBytes = off, int64(len(data))-off
			return sc, nil
		}
		if !bad(off, fmt.Sprintf("checksum mismatch in the frame of %d bytes there", n)) {
			return sc, nil
		}
		if ws, err := decodeWrites(payload); err == nil {
			for _, w := range ws {
				sc.lost = append(sc.lost, "corrupt: "+describeWrite(w, describe))
			}
		} else {
			sc.lost = append(sc.lost, fmt.Sprintf("an undecodable frame of %d bytes at offset %d", n, off))
		}
		if validFrameAt(data, frameEnd, end) || allZero(data[frameEnd:end]) {
			off = frameEnd // only this frame is damaged
			continue
		}
		off = sc.resync(data, off+1, end)
	}
	return sc, nil
}

func validFrameAt(data []byte, p, end int64) bool {
	if p+8 > end {
		return false
	}
	n := int64(binary.LittleEndian.Uint32(data[p:]))
	return n > 0 && p+8+n <= end && crc32.Checksum(data[p+8:p+8+n], castagnoli) == binary.LittleEndian.Uint32(data[p+4:])
}

// resync finds the next frame with a good checksum at or after from, for
// salvage, and notes the bytes skipped.
func (sc *segmentScan) resync(data []byte, from, end int64) int64 {
	for p := from; p+8 <= end; p++ {
		n := int64(binary.LittleEndian.Uint32(data[p:]))
		if n == 0 || p+8+n > end {
			continue
		}
		if crc32.Checksum(data[p+8:p+8+n], castagnoli) == binary.LittleEndian.Uint32(data[p+4:]) {
			if p > from {
				sc.lost = append(sc.lost, fmt.Sprintf("%d unreadable bytes at offset %d", p-from, from))
			}
			return p
		}
	}
	if !allZero(data[from:end]) {
		sc.lost = append(sc.lost, fmt.Sprintf("%d unreadable bytes at offset %d", end-from, from))
	}
	return end
}

// cutShort tells whether the bad frame at off is a write the crash cut
// short rather than damage: it ends in zeros with only zeros after it (a
// write that stopped part way), or a whole sector inside it is zeros (a
// sector that never reached the disk).
func cutShort(data []byte, off, frameEnd int64) bool {
	if data[frameEnd-1] == 0 && allZero(data[frameEnd:]) {
		return true
	}
	for s := (off + sectorSize - 1) / sectorSize * sectorSize; s+sectorSize <= frameEnd; s += sectorSize {
		if allZero(data[s : s+sectorSize]) {
			return true
		}
	}
	return false
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

// describeWrite names what a logged write changed, for reports of what
// was lost: in the words of the service that wrote it when its describe
// knows the bucket, as a bucket and key otherwise.
func describeWrite(w Write, describe func(Write) string) string {
	if describe != nil {
		if d := describe(w); d != "" {
			return d
		}
	}
	bucket := string(w.Bucket)
	what := w.Op()
	if len(w.Key) > 0 {
		return fmt.Sprintf("%s of key %q in bucket %s", what, w.Key, bucket)
	}
	return fmt.Sprintf("%s of bucket %s", what, bucket)
}

// segmentFile is the segment being appended to.
type segmentFile struct {
	n     uint64
	f     *os.File
	size  int64          // end of the frames written so far
	syncs sync.WaitGroup // syncs in flight on f
}

// createSegment creates segment n filled with size zero bytes behind its
// header, prevEnd being where the frames of segment n-1 end, and makes
// the file, its blocks and its directory entry durable. It is also how
// the log finds out that writes succeed again after a failure, so it
// fails when st has a fault injected.
func createSegment(dbPath string, n uint64, size, prevEnd int64, st *State) (*segmentFile, error) {
	path := segmentName(dbPath, n)
	if err := st.Fault(); err != nil {
		return nil, fmt.Errorf("create log segment: %w", err)
	}
	size = max(size, headerSize)
	f, err := zeroFile(path, size)
	if err != nil {
		return nil, fmt.Errorf("create log segment: %w", err)
	}
	fail := func(err error) (*segmentFile, error) {
		f.Close()
		os.Remove(path)
		return nil, fmt.Errorf("create log segment: %w", err)
	}
	if err := writeHeader(f, size, prevEnd); err != nil {
		return fail(err)
	}
	if err := f.Sync(); err != nil {
		return fail(err)
	}
	if err := SyncDir(filepath.Dir(dbPath)); err != nil {
		return fail(err)
	}
	return &segmentFile{n: n, f: f, size: headerSize}, nil
}

// zeroFile creates path holding size zero bytes, not yet synced.
func zeroFile(path string, size int64) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_TRUNC|os.O_RDWR, 0o600)
	if err != nil {
		return nil, err
	}
	zeros := make([]byte, min(size, 1<<20))
	for off := int64(0); off < size; off += int64(len(zeros)) {
		if _, err := f.Write(zeros[:min(int64(len(zeros)), size-off)]); err != nil {
			f.Close()
			os.Remove(path)
			return nil, err
		}
	}
	return f, nil
}

func writeHeader(f *os.File, size, prevEnd int64) error {
	var head [headerSize]byte
	copy(head[:], segmentMagic)
	binary.LittleEndian.PutUint64(head[8:], uint64(size))
	binary.LittleEndian.PutUint64(head[16:], uint64(prevEnd))
	_, err := f.WriteAt(head[:], 0)
	return err
}

// The spare segment is the next segment, prepared in the background while
// the current one fills, so that starting a segment does not hold every
// writer for the time it takes to write and sync several megabytes of
// zeros (10 ms on a quiet disk, several times that under load). It is
// zeros only, without a header, under a name segments does not list, so
// replay never reads it; OpenLog removes one a crash left, since it never
// held a frame.
func spareName(dbPath string) string { return dbPath + segmentInfix + "spare" }

// prepareSpare writes the spare segment, size zero bytes, and syncs it.
func prepareSpare(dbPath string, size int64) (*os.File, error) {
	path := spareName(dbPath)
	f, err := zeroFile(path, max(size, headerSize))
	if err != nil {
		return nil, fmt.Errorf("prepare the next log segment: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		os.Remove(path)
		return nil, fmt.Errorf("prepare the next log segment: %w", err)
	}
	return f, nil
}

// activateSpare makes the spare f, size bytes long, segment n: its header
// is written and synced (its blocks are, already), then it is renamed into
// place and the directory synced. A crash before the rename is durable
// leaves the spare, which holds no frame; after, an empty segment.
func activateSpare(f *os.File, dbPath string, n uint64, size, prevEnd int64, st *State) (*segmentFile, error) {
	fail := func(err error) (*segmentFile, error) {
		f.Close()
		os.Remove(spareName(dbPath))
		return nil, fmt.Errorf("start log segment: %w", err)
	}
	if err := st.Fault(); err != nil {
		return fail(err)
	}
	if err := writeHeader(f, max(size, headerSize), prevEnd); err != nil {
		return fail(err)
	}
	if err := fdatasync(f); err != nil {
		return fail(err)
	}
	if err := os.Rename(spareName(dbPath), segmentName(dbPath, n)); err != nil {
		return fail(err)
	}
	if err := SyncDir(filepath.Dir(dbPath)); err != nil {
		// The segment is in place but its name may not be durable:
		// frames written to it could vanish with it in a crash.
		f.Close()
		os.Remove(segmentName(dbPath, n))
		return nil, fmt.Errorf("start log segment: %w", err)
	}
	return &segmentFile{n: n, f: f, size: headerSize}, nil
}

// write puts a frame after the previous one; the caller syncs it. Past
// the preallocated size the file grows, which fdatasync also covers.
func (s *segmentFile) write(frame []byte, st *State) error {
	if err := st.Fault(); err != nil {
		return fmt.Errorf("write to log: %w", err)
	}
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

// renameLegacySegments gives segments named before the log was shared
// (legacyInfix) the current name, keeping their numbers, and makes the
// renames durable before anything is replayed.
func renameLegacySegments(dbPath string) error {
	old, err := filepath.Glob(dbPath + legacyInfix + "*" + segmentSuffix)
	if err != nil || len(old) == 0 {
		return err
	}
	for _, name := range old {
		num := strings.TrimSuffix(strings.TrimPrefix(name, dbPath+legacyInfix), segmentSuffix)
		if err := os.Rename(name, dbPath+segmentInfix+num+segmentSuffix); err != nil {
			return fmt.Errorf("rename log segment %s: %w", name, err)
		}
	}
	return SyncDir(filepath.Dir(dbPath))
}
