package sns

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"math/big"
	"strings"
	"sync"
	"time"

	"go.etcd.io/bbolt"

	"github.com/eventchain/eventchain/infra/localcloud/storage"
)

// SNS signs every notification and confirmation it sends with an RSA key
// whose X.509 certificate it serves at the message's SigningCertURL. So
// does localcloud: the key is its own, and its self-signed certificate is
// served under PathPrefix, so a subscriber whose verifier accepts that URL
// verifies localcloud's messages exactly as SNS's.

// signingKeyBits is the size of SNS's signing keys.
const signingKeyBits = 2048

// Keys of the signing bucket.
var (
	bucketSigning  = []byte("sns.signing")
	signingKeyName = []byte("key")         // PKCS #8 DER
	signingCertKey = []byte("certificate") // X.509 DER
)

// signingKey is a private key with its certificate.
type signingKey struct {
	key     *rsa.PrivateKey
	keyDER  []byte
	certDER []byte
	certPEM []byte
	// file is the certificate's name under PathPrefix; it carries a
	// digest of the certificate, as SNS's do, so that a verifier caching
	// certificates by URL never pairs a new key with an old certificate.
	file string
}

// processKey is the key every service of this process signs with until
// one is found in its data directory: generating an RSA key takes a
// noticeable fraction of a second, too much to pay for every emulator a
// test suite starts.
var processKey struct {
	once sync.Once
	key  *signingKey
}

func sharedSigningKey() *signingKey {
	processKey.once.Do(func() {
		k, err := newSigningKey()
		if err != nil {
			// crypto/rand cannot fail, and a certificate of a fresh
			// key always encodes: this is a broken program.
			panic(fmt.Errorf("sns signing key: %w", err))
		}
		processKey.key = k
	})
	return processKey.key
}

// newSigningKey generates a key and its self-signed certificate. The
// subject is SNS's, for verifiers that check it.
func newSigningKey() (*signingKey, error) {
	key, err := rsa.GenerateKey(rand.Reader, signingKeyBits)
	if err != nil {
		return nil, fmt.Errorf("generate rsa key: %w", err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, fmt.Errorf("certificate serial number: %w", err)
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "sns.amazonaws.com", Organization: []string{"localcloud"}},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.AddDate(20, 0, 0),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
	}
	certDER, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, fmt.Errorf("create certificate: %w", err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("encode private key: %w", err)
	}
	return parseSigningKey(keyDER, certDER)
}

// parseSigningKey reads a key and certificate as kept on disk, checking
// that they belong together.
func parseSigningKey(keyDER, certDER []byte) (*signingKey, error) {
	parsed, err := x509.ParsePKCS8PrivateKey(keyDER)
	if err != nil {
		return nil, fmt.Errorf("decode signing key: %w", err)
	}
	key, ok := parsed.(*rsa.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("signing key is a %T, not an RSA key", parsed)
	}
	cert, err := x509.ParseCertificate(certDER)
	if err != nil {
		return nil, fmt.Errorf("decode signing certificate: %w", err)
	}
	if pub, ok := cert.PublicKey.(*rsa.PublicKey); !ok || !pub.Equal(&key.PublicKey) {
		return nil, fmt.Errorf("signing certificate is not the signing key's")
	}
	sum := sha256.Sum256(certDER)
	return &signingKey{
		key:     key,
		keyDER:  keyDER,
		certDER: certDER,
		certPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: certDER}),
		file:    "SimpleNotificationService-" + hex.EncodeToString(sum[:16]) + ".pem",
	}, nil
}

// sign signs a string to sign as SNS does for SignatureVersion version:
// "1" is SHA1withRSA, "2" SHA256withRSA (PKCS #1 v1.5), base64-encoded.
func (k *signingKey) sign(version, stringToSign string) string {
	h := crypto.SHA1
	if version == "2" {
		h = crypto.SHA256
	}
	d := h.New()
	d.Write([]byte(stringToSign))
	sig, err := rsa.SignPKCS1v15(rand.Reader, k.key, h, d.Sum(nil))
	if err != nil {
		// Only a key too small for the digest fails, and ours is not.
		panic(fmt.Errorf("sign sns message: %w", err))
	}
	return base64.StdEncoding.EncodeToString(sig)
}

// loadSigningKey reads the key kept in the data directory, if any.
func loadSigningKey(tx *bbolt.Tx) (*signingKey, error) {
	b := tx.Bucket(bucketSigning)
	if b == nil {
		return nil, nil
	}
	keyDER, certDER := b.Get(signingKeyName), b.Get(signingCertKey)
	if keyDER == nil && certDER == nil {
		return nil, nil
	}
	k, err := parseSigningKey(append([]byte(nil), keyDER...), append([]byte(nil), certDER...))
	if err != nil {
		return nil, fmt.Errorf("bucket %s: %w", bucketSigning, err)
	}
	return k, nil
}

// signer returns the key messages are signed with: the one in the data
// directory, else the process's, which it then keeps there so that a
// restart serves the same certificate. A failed write is tried again on
// the next message; the key is in use meanwhile.
func (s *Service) signer() *signingKey {
	s.signMu.Lock()
	defer s.signMu.Unlock()
	if s.signKey == nil {
		s.signKey = sharedSigningKey()
	}
	if s.log != nil && !s.signSaved {
		err := storage.Wait(s.log.Enqueue(
			storage.Write{Bucket: bucketSigning, Key: signingKeyName, Val: s.signKey.keyDER},
			storage.Write{Bucket: bucketSigning, Key: signingCertKey, Val: s.signKey.certDER}))
		s.signSaved = err == nil
	}
	return s.signKey
}

// signingCertURL is where the certificate of k is served.
func (s *Service) signingCertURL(k *signingKey) string {
	return s.opts.BaseURL + PathPrefix + k.file
}

// SigningCertificate returns the PEM certificate that verifies the
// service's messages, and the URL they name it by.
func (s *Service) SigningCertificate() (pemCert []byte, url string) {
	k := s.signer()
	return k.certPEM, s.signingCertURL(k)
}

// notificationStringToSign is what SNS signs for a Notification: these
// fields, in this order, each as its name, a newline, its value and a
// newline; Subject only when the message has one.
func notificationStringToSign(n *notification) string {
	var b strings.Builder
	field := func(name, value string) { b.WriteString(name + "\n" + value + "\n") }
	field("Message", n.Message)
	field("MessageId", n.MessageID)
	if n.Subject != "" {
		field("Subject", n.Subject)
	}
	field("Timestamp", n.Timestamp)
	field("TopicArn", n.TopicARN)
	field("Type", n.Type)
	return b.String()
}

// confirmationStringToSign is what SNS signs for a
// SubscriptionConfirmation or UnsubscribeConfirmation.
func confirmationStringToSign(c *confirmation) string {
	var b strings.Builder
	field := func(name, value string) { b.WriteString(name + "\n" + value + "\n") }
	field("Message", c.Message)
	field("MessageId", c.MessageID)
	field("SubscribeURL", c.SubscribeURL)
	field("Timestamp", c.Timestamp)
	field("Token", c.Token)
	field("TopicArn", c.TopicARN)
	field("Type", c.Type)
	return b.String()
}
