package dynamodb

import (
	"crypto/sha256"
	"encoding/json"
	"net/http"
	"time"

	"github.com/eventchain/eventchain/infra/localcloud/internal/awsproto"
)

// tokenLifetime is how long DynamoDB remembers a TransactWriteItems
// ClientRequestToken.
const tokenLifetime = 10 * time.Minute

// idempotencyToken is a ClientRequestToken whose transaction was applied.
type idempotencyToken struct {
	sum [sha256.Size]byte // of the request's items
	at  time.Time
}

// tokens remembers the tokens of applied transactions, in memory only: a
// restart forgets them, as it ends every client's retry loop anyway.
type tokens map[string]idempotencyToken

func requestSum(items []transactWriteItem) [sha256.Size]byte {
	b, _ := json.Marshal(items) // the items were read from JSON
	return sha256.Sum256(b)
}

// seen tells whether token names an applied transaction: the same one
// (its retry answers success without applying it again) or another one,
// an error.
func (ts tokens) seen(token string, sum [sha256.Size]byte, now time.Time) (bool, *awsproto.Error) {
	t, ok := ts[token]
	if !ok || now.Sub(t.at) > tokenLifetime {
		return false, nil
	}
	if t.sum != sum {
		return true, awsproto.Errorf(http.StatusBadRequest, "IdempotentParameterMismatchException",
			"Request parameters do not match the previous request with the same idempotency token (ClientRequestToken).")
	}
	return true, nil
}

// add records token, forgetting tokens past their lifetime.
func (ts tokens) add(token string, sum [sha256.Size]byte, now time.Time) {
	for k, t := range ts {
		if now.Sub(t.at) > tokenLifetime {
			delete(ts, k)
		}
	}
	ts[token] = idempotencyToken{sum: sum, at: now}
}
