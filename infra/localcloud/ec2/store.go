package ec2

import (
	"fmt"
	"slices"

	"go.etcd.io/bbolt"

	"github.com/eventchain/eventchain/infra/localcloud/storage"
)

// Bucket names; every EC2 bucket starts with "ec2" so the services sharing
// one state file never collide.
var (
	bucketInstances    = []byte("ec2instances")
	bucketReservations = []byte("ec2reservations")
)

// store keeps instances and reservations (with their client tokens) in
// bbolt, through the data directory's write-ahead log: each put is
// acknowledged once it is in the log.
type store struct {
	db  *bbolt.DB
	log *storage.Log
	own bool // log was opened for this store, and is closed with it
}

func openStore(db *bbolt.DB, shared *storage.Log, st *storage.State) (*store, error) {
	err := db.Update(func(tx *bbolt.Tx) error { return storage.CreateBuckets(tx, bucketInstances, bucketReservations) })
	if err != nil {
		return nil, fmt.Errorf("ec2 state: %w", err)
	}
	log, own, err := storage.LogFor(db, shared, st, storage.LogOptions{Describe: DescribeWrite})
	if err != nil {
		return nil, fmt.Errorf("ec2 log: %w", err)
	}
	return &store{db: db, log: log, own: own}, nil
}

// put writes instances and, when not nil, a reservation.
func (st *store) put(instances []*instance, res *reservation) error {
	ws := make([]storage.Write, 0, len(instances)+1)
	for _, in := range instances {
		w, err := storage.PutJSON(bucketInstances, in.ID, "instance", in)
		if err != nil {
			return err
		}
		ws = append(ws, w)
	}
	if res != nil {
		w, err := storage.PutJSON(bucketReservations, res.ID, "reservation", res)
		if err != nil {
			return err
		}
		ws = append(ws, w)
	}
	if err := storage.Wait(st.log.Enqueue(ws...)); err != nil {
		return fmt.Errorf("ec2 state: %w", err)
	}
	return nil
}

// clear empties both buckets in one commit.
func (st *store) clear() error {
	var ws []storage.Write
	for _, b := range [][]byte{bucketInstances, bucketReservations} {
		ws = append(ws, storage.Write{Bucket: b, DropBucket: true}, storage.Write{Bucket: b, CreateBucket: true})
	}
	if err := storage.Wait(st.log.Enqueue(ws...)); err != nil {
		return fmt.Errorf("ec2 state: %w", err)
	}
	return nil
}

func (st *store) close() error {
	if st == nil || !st.own {
		return nil
	}
	return st.log.Close()
}

// DescribeWrite names a write of the EC2 buckets for reports of what
// damage to the log lost; it returns "" for other buckets.
func DescribeWrite(w storage.Write) string {
	switch string(w.Bucket) {
	case string(bucketInstances):
		return fmt.Sprintf("%s of instance %s", w.Op(), w.Key)
	case string(bucketReservations):
		return fmt.Sprintf("%s of reservation %s", w.Op(), w.Key)
	}
	return ""
}

// load reads every instance (in launch order) and reservation.
func (st *store) load() ([]*instance, []*reservation, error) {
	var instances []*instance
	var reservations []*reservation
	err := st.db.View(func(tx *bbolt.Tx) error {
		if err := storage.EachJSON(tx.Bucket(bucketInstances), "instance", func(in *instance) error {
			instances = append(instances, in)
			return nil
		}); err != nil {
			return err
		}
		return storage.EachJSON(tx.Bucket(bucketReservations), "reservation", func(r *reservation) error {
			reservations = append(reservations, r)
			return nil
		})
	})
	if err != nil {
		return nil, nil, fmt.Errorf("load ec2 state: %w", err)
	}
	slices.SortFunc(instances, func(a, b *instance) int { return compareSeq(a.Seq, b.Seq) })
	return instances, reservations, nil
}
