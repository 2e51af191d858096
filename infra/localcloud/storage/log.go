package storage

import (
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	"go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"
)

// Write is one change to a bbolt bucket: a put (Val != nil), a delete
// (Val == nil), the creation of the bucket, or its removal with all it
// holds.
type Write struct {
	Bucket       []byte
	Key, Val     []byte
	DropBucket   bool
	CreateBucket bool
}

// Op names what the write does, for reports of what was lost.
func (w Write) Op() string {
	switch {
	case w.DropBucket:
		return "drop"
	case w.CreateBucket:
		return "create"
	case w.Val == nil:
		return "delete"
	}
	return "put"
}

// LogOptions configures OpenLog.
type LogOptions struct {
	// Salvage replays what can be read of a damaged log instead of
	// refusing to open (see foldSegments).
	Salvage bool
	// Describe names a write in its service's words (a message of a
	// queue, an item of a table) for reports of what damage lost; it
	// returns "" for a bucket it does not know.
	Describe func(Write) string
}

// Log groups concurrent writes into one commit: writes queue up
// while a commit is in flight and go together in the next one, so a commit
// costs one sync however many requests it acknowledges, with no timer
// delay when the load is light. A commit appends the writes to the
// write-ahead log (wal.go) and syncs it; sealed log segments are folded
// into bbolt in the background, off the requests' path. Writes are applied
// in the order they were queued, and callers queue them while holding the
// lock of the state they describe, so the disk sees changes in memory
// order.
type Log struct {
	db     *bbolt.DB
	dbPath string
	state  *State

	mu      sync.Mutex
	pending []Write
	waiters []chan error
	kick    chan struct{}
	done    chan struct{}
	closed  bool

	// Owned by run.
	seg       *segmentFile
	segWs     []Write // the writes in seg, for folding
	frame     []byte
	last      *batch // the latest batch, which the next one answers after
	limit     int64  // segment size that starts the next segment
	syncSlots chan struct{}
	// spare receives the next segment prepared in the background (nil
	// when preparing it failed); spareBusy is true while one is on its
	// way or waiting there.
	spare     chan *os.File
	spareBusy bool

	// A failed log write or sync fails its batch and every later one
	// until the log goes on in a new segment that leaves the failed
	// frames out (recoverLog). failOff and failWs are where the first
	// failed frame starts in the segment and in segWs.
	failMu  sync.Mutex
	failure error
	failOff int64
	failWs  int

	folder   folder
	describe func(Write) string
}

// folder folds sealed log segments into bbolt, one batch at a time.
//
// Replay on open applies every segment left on disk in order, so the
// segments on disk must always be a suffix of the log: once a fold fails,
// its segments stay, and so must every later one, or replaying the failed
// (older) segment over the newer state folded after it would bring back
// what the newer one changed. The folder therefore stops folding at its
// first failure; the log keeps working, and replay on the next open (or
// the fold in close) puts the segments into bbolt in order.
type folder struct {
	db     *bbolt.DB
	dbPath string
	state  *State
	// apply puts a batch of writes into a transaction; nil is the package
	// function apply (tests inject failures here).
	apply  func(*bbolt.Tx, []Write) error
	mu     sync.Mutex
	ws     []Write
	segs   []uint64
	kick   chan struct{}
	done   chan struct{}
	err    error // the first failed fold; nothing is folded after it
	closed bool
}

// OpenLog replays the log segments a crash left into the database,
// removes them and starts a new log. Damaged segments refuse the open
// unless opts.Salvage (see foldSegments). Every service of a data
// directory shares the one log, so one sync acknowledges the writes of
// all of them.
func OpenLog(db *bbolt.DB, st *State, opts LogOptions) (*Log, error) {
	path := db.Path()
	if err := renameLegacySegments(path); err != nil {
		return nil, err
	}
	last, err := foldSegments(db, path, st, opts.Salvage, opts.Describe)
	if err != nil {
		return nil, err
	}
	if err := os.Remove(spareName(path)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("remove the spare log segment: %w", err)
	}
	seg, err := createSegment(path, last+1, segmentLimit, -1, st)
	if err != nil {
		return nil, err
	}
	c := &Log{describe: opts.Describe, db: db, dbPath: path, state: st, limit: segmentLimit, syncSlots: make(chan struct{}, maxSyncsInFlight), kick: make(chan struct{}, 1), done: make(chan struct{}), seg: seg,
		spare:  make(chan *os.File, 1),
		folder: folder{db: db, dbPath: path, state: st, kick: make(chan struct{}, 1), done: make(chan struct{})}}
	c.prepareSpare()
	go c.folder.run()
	go c.run()
	return c, nil
}

// foldSegments applies every log segment of db to it in one transaction,
// then removes them, returning the highest segment number seen. Applying
// a segment whose writes already reached bbolt (a crash between a fold and
// the removal) is harmless: replaying a run of puts and deletes in order
// leaves every key as the run's last write to it left it.
//
// A damaged segment (scanSegment) stops it with a *Damage before
// anything is applied or removed. With salvage, the frames that can be
// read are applied, the damaged segment is moved aside instead of being
// removed, and what was lost is logged write by write.
func foldSegments(db *bbolt.DB, dbPath string, st *State, salvage bool, describe func(Write) string) (uint64, error) {
	ns, err := segments(dbPath)
	if err != nil || len(ns) == 0 {
		return 0, err
	}
	log := st.Logger()
	var all []Write
	damaged := map[uint64]bool{}
	for i, n := range ns {
		limit := int64(-1)
		if i+1 < len(ns) {
			limit = headerPrevEnd(segmentName(dbPath, ns[i+1]))
		}
		name := segmentName(dbPath, n)
		sc, err := scanSegment(name, limit, salvage, describe)
		if err != nil {
			return 0, err
		}
		if sc.damage != nil {
			if !salvage {
				return 0, sc.damage
			}
			damaged[n] = true
			log.Warn("localcloud storage: salvaging a damaged log segment", "damage", sc.damage.Error(), "frames_kept", sc.frames, "lost", len(sc.lost))
			for _, l := range sc.lost {
				log.Warn("localcloud storage: lost in the damaged log segment", "file", name, "what", l)
			}
		}
		if sc.torn >= 0 {
			log.Warn("localcloud storage: dropped the last log write, which the crash cut short before it was acknowledged",
				"file", name, "offset", sc.torn, "bytes", sc.tornBytes, "frames_kept", sc.frames)
		}
		all = append(all, sc.ws...)
	}
	all = compact(all)
	if err := db.Update(func(tx *bbolt.Tx) error { return apply(tx, all) }); err != nil {
		return 0, fmt.Errorf("fold log into the database: %w", err)
	}
	for _, n := range ns {
		if !damaged[n] {
			continue
		}
		aside, err := MoveAside(segmentName(dbPath, n), time.Now())
		if err != nil {
			return 0, err
		}
		log.Warn("localcloud storage: moved the damaged log segment aside", "moved_to", aside)
	}
	if err := removeSegments(dbPath, ns); err != nil {
		return 0, err
	}
	return ns[len(ns)-1], nil
}

func removeSegments(dbPath string, ns []uint64) error {
	for _, n := range ns {
		if err := os.Remove(segmentName(dbPath, n)); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("remove folded log segment: %w", err)
		}
	}
	return nil
}

// Enqueue queues writes and returns a channel that receives the commit's
// result: callers queue them while they hold the lock of the state the
// writes describe, and wait after releasing it. A nil Log (memory only)
// returns nil, which Wait accepts.
func (c *Log) Enqueue(ws ...Write) chan error {
	if c == nil || len(ws) == 0 {
		return nil
	}
	ch := make(chan error, 1)
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		ch <- errors.New("localcloud state is closed")
		return ch
	}
	c.pending = append(c.pending, ws...)
	c.waiters = append(c.waiters, ch)
	select {
	case c.kick <- struct{}{}:
	default:
	}
	c.mu.Unlock()
	return ch
}

// Wait blocks until the writes behind ch (from Enqueue) are on disk.
func Wait(ch chan error) error {
	if ch == nil {
		return nil
	}
	return <-ch
}

func (c *Log) run() {
	defer close(c.done)
	for range c.kick {
		for {
			c.mu.Lock()
			ws, waiters := c.pending, c.waiters
			c.pending, c.waiters = nil, nil
			closed := c.closed
			c.mu.Unlock()
			if len(waiters) == 0 {
				if closed {
					c.seg.syncs.Wait()
					return
				}
				break
			}
			c.commit(ws, waiters)
		}
	}
	c.seg.syncs.Wait()
}

// maxSyncsInFlight is how many fdatasync calls on the log may run at once.
// A sync covers every frame written before it started, and the file
// system merges concurrent syncs into fewer journal commits, so letting a
// few overlap keeps the disk busy while the next batch gathers, instead of
// holding every request until the previous sync ends.
var maxSyncsInFlight = 4

// batch is one commit on its way to disk. Batches are answered in order:
// a batch is acknowledged only when its own sync and every earlier
// batch's succeeded, since after a failed sync the kernel may report the
// lost writeback to only one of the syncs running at that time.
type batch struct {
	done chan struct{}
	err  error
}

// commit writes ws to the log and starts its sync; the waiters are
// answered when it, and every earlier batch, is on disk. When the segment
// is full it hands it to the folder and starts the next one.
func (c *Log) commit(ws []Write, waiters []chan error) {
	if c.failed() != nil {
		if err := c.recoverLog(); err != nil {
			err = fmt.Errorf("commit localcloud state: %w", err)
			c.state.Failed(err)
			reply(waiters, err)
			return
		}
	}
	c.frame = encodeFrame(c.frame[:0], ws)
	off, wsLen := c.seg.size, len(c.segWs)
	if err := c.seg.write(c.frame, c.state); err != nil {
		// What was written may or may not be on disk: the frame is left
		// out of the log when it goes on (recoverLog).
		reply(waiters, c.fail(fmt.Errorf("commit localcloud state: %w", err), off, wsLen))
		return
	}
	c.segWs = append(c.segWs, ws...)
	seg, prev := c.seg, c.last
	b := &batch{done: make(chan struct{})}
	c.last = b
	c.syncSlots <- struct{}{}
	seg.syncs.Add(1)
	go func() {
		defer seg.syncs.Done()
		err := c.state.Fault()
		if err == nil {
			err = fdatasync(seg.f)
		}
		<-c.syncSlots
		if err != nil {
			err = c.fail(fmt.Errorf("sync log: %w", err), off, wsLen)
		}
		if prev != nil {
			<-prev.done
			if err == nil && prev.err != nil {
				// Acknowledging this batch would build on one that
				// failed: it is left out of the log with it.
				err = c.fail(prev.err, off, wsLen)
			}
		}
		b.err = err
		close(b.done)
		reply(waiters, err)
	}()
	if seg.size >= c.limit {
		// The next segment's header records where this one's frames end,
		// so every frame before that must be known to be on disk.
		seg.syncs.Wait()
		if c.failed() != nil {
			return // recoverLog starts the next segment
		}
		next, err := c.nextSegment(seg.n+1, seg.size)
		if err != nil {
			return // keep appending to the full segment; it is folded later
		}
		seg.f.Close()
		c.folder.add(c.segWs, seg.n)
		c.seg, c.segWs = next, nil
		c.prepareSpare()
	}
}

// prepareSpare starts preparing the next segment in the background,
// unless one is already on its way or ready. Only run calls it (and
// OpenLog before run starts).
func (c *Log) prepareSpare() {
	if c.spareBusy {
		return
	}
	c.spareBusy = true
	go func() {
		f, err := prepareSpare(c.dbPath, c.limit)
		if err != nil {
			// Nothing acknowledged depends on it: the next segment is
			// then created when it is needed, as without a spare.
			c.state.Logger().Warn("localcloud storage: could not prepare the next log segment ahead", "err", err)
		}
		c.spare <- f
	}()
}

// nextSegment starts segment n, whose predecessor's frames end at
// prevEnd: from the spare when it is ready, else created here.
func (c *Log) nextSegment(n uint64, prevEnd int64) (*segmentFile, error) {
	select {
	case f := <-c.spare:
		c.spareBusy = false
		if f != nil {
			if next, err := activateSpare(f, c.dbPath, n, c.limit, prevEnd, c.state); err == nil {
				return next, nil
			}
		}
	default:
	}
	return createSegment(c.dbPath, n, c.limit, prevEnd, c.state)
}

// dropSpare removes the spare segment when the log closes.
func (c *Log) dropSpare() error {
	if c.spareBusy {
		if f := <-c.spare; f != nil {
			f.Close()
		}
		c.spareBusy = false
	}
	if err := os.Remove(spareName(c.dbPath)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("remove the spare log segment: %w", err)
	}
	return nil
}

func reply(waiters []chan error, err error) {
	for _, w := range waiters {
		w <- err
	}
}

// fail records a failed frame, which starts at off in the segment and
// at wsLen in segWs, and returns the first failure. Every frame from the
// earliest failed one on is left out of the log.
func (c *Log) fail(err error, off int64, wsLen int) error {
	c.failMu.Lock()
	if c.failure == nil {
		c.failure, c.failOff, c.failWs = err, off, wsLen
	} else if off < c.failOff {
		c.failOff, c.failWs = off, wsLen
	}
	first := c.failure
	c.failMu.Unlock()
	c.state.Failed(first)
	return first
}

// recoverLog goes on after a failed write in a new segment whose header
// ends the failed one before its first failed frame, so that replay never
// applies a change that was answered with an error and rolled back. The
// creation of the segment (writing and syncing it) is the test that
// writes succeed again; until it passes every commit fails at once.
func (c *Log) recoverLog() error {
	c.seg.syncs.Wait()
	c.failMu.Lock()
	off, wsLen := c.failOff, c.failWs
	c.failMu.Unlock()
	next, err := createSegment(c.dbPath, c.seg.n+1, c.limit, off, c.state)
	if err != nil {
		return err
	}
	c.seg.f.Close()
	c.folder.add(c.segWs[:wsLen], c.seg.n)
	c.seg, c.segWs, c.last = next, nil, nil
	c.failMu.Lock()
	c.failure = nil
	c.failMu.Unlock()
	c.state.Succeeded()
	return nil
}

func (c *Log) failed() error {
	c.failMu.Lock()
	defer c.failMu.Unlock()
	return c.failure
}

// add hands a sealed segment to the folder. Once the folder has stopped,
// the segment simply stays on disk: Close, or the next start, folds every
// segment it finds there, in order.
func (f *folder) add(ws []Write, seg uint64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return
	}
	f.ws = append(f.ws, ws...)
	f.segs = append(f.segs, seg)
	select {
	case f.kick <- struct{}{}:
	default:
	}
}

func (f *folder) run() {
	defer close(f.done)
	for range f.kick {
		for {
			f.mu.Lock()
			ws, segs, stopped := f.ws, f.segs, f.err != nil
			f.ws, f.segs = nil, nil
			f.mu.Unlock()
			if len(segs) == 0 {
				break
			}
			if stopped {
				// An earlier fold failed: these segments stay on disk
				// behind it, to be replayed in order.
				continue
			}
			applyWrites := f.apply
			if applyWrites == nil {
				applyWrites = apply
			}
			ws = compact(ws)
			err := f.db.Update(func(tx *bbolt.Tx) error { return applyWrites(tx, ws) })
			if err == nil {
				err = removeSegments(f.dbPath, segs)
			}
			if err != nil {
				// The segments stay on disk (all or some of them, if
				// only a removal failed) and are replayed on the next
				// open; nothing acknowledged is lost, provided no later
				// segment is folded and removed before them.
				f.mu.Lock()
				f.err = fmt.Errorf("fold log segments %d-%d: %w", segs[0], segs[len(segs)-1], err)
				f.mu.Unlock()
				f.state.Logger().Warn("localcloud storage: folding the log into the database failed; the log is kept and folded on close or the next start", "err", err)
			}
		}
	}
}

// stop waits for the folds queued so far and stops the folder. It
// returns the first failed fold, if any.
func (f *folder) stop() error {
	f.mu.Lock()
	if !f.closed {
		f.closed = true
		close(f.kick)
	}
	f.mu.Unlock()
	<-f.done
	return f.err
}

// zeroFailedTail overwrites the failed frames at the end of the segment
// with zeros and syncs them.
func (c *Log) zeroFailedTail() error {
	c.seg.syncs.Wait()
	c.failMu.Lock()
	off := c.failOff
	c.failMu.Unlock()
	if err := c.state.Fault(); err != nil {
		return err
	}
	if n := c.seg.size - off; n > 0 {
		if _, err := c.seg.f.WriteAt(make([]byte, n), off); err != nil {
			return err
		}
	}
	return fdatasync(c.seg.f)
}

// compact returns the writes of ws that decide what the database holds
// once all of ws are applied, in their order. Folding a segment applies
// every change its requests made, and most are overridden within it (an
// SQS message sent and deleted, a DynamoDB item updated several times):
// leaving those out spares bbolt the pages they would dirty, and the disk
// the writes that would slow the log's syncs meanwhile.
//
// Left out: a put or delete followed by another write to the same key,
// and every write to a bucket before its last removal. A put left out
// still creates its bucket, as applying it would have (CreateBucket in
// its place, once per bucket).
func compact(ws []Write) []Write {
	type bucketKey struct{ bucket, key string }
	lastKey := make(map[bucketKey]int, len(ws))
	lastDrop := map[string]int{}
	for i, w := range ws {
		switch {
		case w.DropBucket:
			lastDrop[string(w.Bucket)] = i
		case w.Val != nil || !w.CreateBucket:
			lastKey[bucketKey{string(w.Bucket), string(w.Key)}] = i
		}
	}
	out := make([]Write, 0, len(lastKey)+len(lastDrop))
	created := map[string]bool{} // buckets the kept writes have created since their last removal
	create := func(w Write) {
		if !created[string(w.Bucket)] {
			created[string(w.Bucket)] = true
			out = append(out, Write{Bucket: w.Bucket, CreateBucket: true})
		}
	}
	for i, w := range ws {
		b := string(w.Bucket)
		if d, ok := lastDrop[b]; ok && i < d {
			continue
		}
		switch {
		case w.DropBucket:
			out = append(out, w)
		case w.Val != nil:
			if lastKey[bucketKey{b, string(w.Key)}] != i {
				create(w)
				continue
			}
			created[b] = true
			out = append(out, w)
		case w.CreateBucket:
			create(w)
		default:
			if lastKey[bucketKey{b, string(w.Key)}] == i {
				out = append(out, w)
			}
		}
	}
	return out
}

// apply puts writes into a bbolt transaction, in order.
func apply(tx *bbolt.Tx, ws []Write) error {
	for _, w := range ws {
		switch {
		case w.DropBucket:
			if err := tx.DeleteBucket(w.Bucket); err != nil && !errors.Is(err, bolterrors.ErrBucketNotFound) {
				return err
			}
		case w.Val != nil:
			b, err := tx.CreateBucketIfNotExists(w.Bucket)
			if err != nil {
				return err
			}
			if err := b.Put(w.Key, w.Val); err != nil {
				return err
			}
		case w.CreateBucket:
			if _, err := tx.CreateBucketIfNotExists(w.Bucket); err != nil {
				return err
			}
		default:
			if b := tx.Bucket(w.Bucket); b != nil {
				if err := b.Delete(w.Key); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// Close commits what is queued, stops the log and folds it whole into
// bbolt, so that a cleanly closed database needs no replay. It is safe to
// call more than once, and on a nil Log.
func (c *Log) Close() error {
	if c == nil {
		return nil
	}
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil
	}
	c.closed = true
	close(c.kick)
	c.mu.Unlock()
	<-c.done
	if c.failed() != nil {
		if err := c.recoverLog(); err != nil {
			// The failed frames are the end of the log: zeros over them
			// end it there, without needing space the disk may lack.
			err = errors.Join(err, c.zeroFailedTail())
			if err != nil {
				errFold := c.folder.stop()
				return errors.Join(fmt.Errorf("close log after a failed write: %w", err), errFold, c.seg.f.Close())
			}
		}
	}
	errFold := c.folder.stop()
	errClose := errors.Join(c.seg.f.Close(), c.dropSpare())
	// Every segment still on disk, including any a failed background fold
	// left, is folded here in order; if this succeeds, the earlier
	// failure has been made good.
	_, err := foldSegments(c.db, c.dbPath, c.state, false, c.describe)
	if err != nil {
		return errors.Join(errFold, errClose, err)
	}
	return errClose
}

// LogFor returns the log a service of db writes to: shared when the
// caller was given one (a Cloud opens one log for all its services),
// else a log of the service's own, opened on db with opts, which the
// service closes (own is true).
func LogFor(db *bbolt.DB, shared *Log, st *State, opts LogOptions) (log *Log, own bool, err error) {
	if shared != nil {
		return shared, false, nil
	}
	log, err = OpenLog(db, st, opts)
	return log, err == nil, err
}
