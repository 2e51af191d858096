package ec2

import (
	"encoding/json"
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
// bbolt. Each put is one transaction, committed (and synced) before the
// caller answers.
type store struct {
	db *bbolt.DB
	st *storage.State
}

func openStore(db *bbolt.DB, st *storage.State) (*store, error) {
	err := db.Update(func(tx *bbolt.Tx) error {
		for _, b := range [][]byte{bucketInstances, bucketReservations} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return fmt.Errorf("create bucket %s: %w", b, err)
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("ec2 state: %w", err)
	}
	return &store{db: db, st: st}, nil
}

// put writes instances and, when not nil, a reservation.
func (st *store) put(instances []*instance, res *reservation) error {
	err := st.st.Write(func() error { return st.db.Update(st.putTx(instances, res)) })
	if err != nil {
		return fmt.Errorf("ec2 state: %w", err)
	}
	return nil
}

func (st *store) putTx(instances []*instance, res *reservation) func(*bbolt.Tx) error {
	return func(tx *bbolt.Tx) error {
		ib := tx.Bucket(bucketInstances)
		for _, in := range instances {
			b, err := json.Marshal(in)
			if err != nil {
				return fmt.Errorf("encode instance %s: %w", in.ID, err)
			}
			if err := ib.Put([]byte(in.ID), b); err != nil {
				return fmt.Errorf("put instance %s: %w", in.ID, err)
			}
		}
		if res != nil {
			b, err := json.Marshal(res)
			if err != nil {
				return fmt.Errorf("encode reservation %s: %w", res.ID, err)
			}
			if err := tx.Bucket(bucketReservations).Put([]byte(res.ID), b); err != nil {
				return fmt.Errorf("put reservation %s: %w", res.ID, err)
			}
		}
		return nil
	}
}

// load reads every instance (in launch order) and reservation.
func (st *store) load() ([]*instance, []*reservation, error) {
	var instances []*instance
	var reservations []*reservation
	err := st.db.View(func(tx *bbolt.Tx) error {
		if err := tx.Bucket(bucketInstances).ForEach(func(k, v []byte) error {
			in := new(instance)
			if err := json.Unmarshal(v, in); err != nil {
				return fmt.Errorf("decode instance %s: %w", k, err)
			}
			instances = append(instances, in)
			return nil
		}); err != nil {
			return err
		}
		return tx.Bucket(bucketReservations).ForEach(func(k, v []byte) error {
			r := new(reservation)
			if err := json.Unmarshal(v, r); err != nil {
				return fmt.Errorf("decode reservation %s: %w", k, err)
			}
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
