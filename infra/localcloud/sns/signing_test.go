package sns

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	"go.etcd.io/bbolt"
)

func openDB(t *testing.T, path string) *bbolt.DB {
	t.Helper()
	db, err := bbolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatalf("open db: %v", err)
	}
	return db
}

// TestSigningKeyKeptInDataDirectory: the key a durable service signs
// with is written to its data directory on first use, and a data
// directory's key is used over the process's, so that a restart serves
// the same certificate; a damaged key refuses the start.
func TestSigningKeyKeptInDataDirectory(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	db := openDB(t, path)
	svc, err := New(Options{DB: db})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	used := svc.signer()
	if err := svc.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	db.View(func(tx *bbolt.Tx) error { //nolint:errcheck // the closure returns nil
		k, err := loadSigningKey(tx)
		if err != nil || k == nil || !bytes.Equal(k.certDER, used.certDER) {
			t.Errorf("kept key = %v, %v; want the one in use", k, err)
		}
		return nil
	})
	db.Close()

	// A data directory holding another key signs with it.
	other, err := newSigningKey()
	if err != nil {
		t.Fatalf("newSigningKey: %v", err)
	}
	path2 := filepath.Join(t.TempDir(), "state.db")
	db2 := openDB(t, path2)
	put := func(db *bbolt.DB, keyDER, certDER []byte) {
		t.Helper()
		if err := db.Update(func(tx *bbolt.Tx) error {
			b, err := tx.CreateBucketIfNotExists(bucketSigning)
			if err != nil {
				return err
			}
			if err := b.Put(signingKeyName, keyDER); err != nil {
				return err
			}
			return b.Put(signingCertKey, certDER)
		}); err != nil {
			t.Fatalf("put key: %v", err)
		}
	}
	put(db2, other.keyDER, other.certDER)
	svc2, err := New(Options{DB: db2, BaseURL: "http://127.0.0.1:4566"})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	pemCert, url := svc2.SigningCertificate()
	if !bytes.Equal(pemCert, other.certPEM) || bytes.Equal(pemCert, sharedSigningKey().certPEM) {
		t.Errorf("service signs with the process key, not its data directory's")
	}
	if !strings.HasPrefix(url, "http://127.0.0.1:4566"+PathPrefix+"SimpleNotificationService-") {
		t.Errorf("certificate URL = %s", url)
	}
	svc2.Close()
	db2.Close()

	// A key that is not the certificate's is damage, not something to
	// replace quietly.
	db3 := openDB(t, filepath.Join(t.TempDir(), "state.db"))
	defer db3.Close()
	put(db3, other.keyDER, used.certDER)
	if _, err := New(Options{DB: db3}); err == nil || !strings.Contains(err.Error(), "sns.signing") {
		t.Errorf("New over a mismatched key and certificate: %v, want an error naming the bucket", err)
	}
}

// TestStringsToSign holds the strings SNS signs to the documented field
// order.
func TestStringsToSign(t *testing.T) {
	n := &notification{Type: "Notification", MessageID: "id", TopicARN: "arn", Subject: "s", Message: "m\nx", Timestamp: "ts"}
	if got, want := notificationStringToSign(n), "Message\nm\nx\nMessageId\nid\nSubject\ns\nTimestamp\nts\nTopicArn\narn\nType\nNotification\n"; got != want {
		t.Errorf("notification string to sign = %q, want %q", got, want)
	}
	n.Subject = ""
	if got := notificationStringToSign(n); strings.Contains(got, "Subject") {
		t.Errorf("a notification without a subject signs %q", got)
	}
	c := &confirmation{Type: "SubscriptionConfirmation", MessageID: "id", Token: "tok", TopicARN: "arn", Message: "m", SubscribeURL: "u", Timestamp: "ts"}
	if got, want := confirmationStringToSign(c), "Message\nm\nMessageId\nid\nSubscribeURL\nu\nTimestamp\nts\nToken\ntok\nTopicArn\narn\nType\nSubscriptionConfirmation\n"; got != want {
		t.Errorf("confirmation string to sign = %q, want %q", got, want)
	}
}
