package sqs

import (
	"context"
	"net/http/httptest"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awssqs "github.com/aws/aws-sdk-go-v2/service/sqs"
	"go.etcd.io/bbolt"

	"github.com/eventchain/eventchain/internal/awsenv"
)

// BenchmarkSendMessage measures SendMessage through the SDK over HTTP from
// 4 concurrent clients, in memory and on disk. (The log's own benchmark,
// storage.BenchmarkCommit, compares how many syncs may overlap.)
func BenchmarkSendMessage(b *testing.B) {
	for _, tc := range []struct {
		name    string
		durable bool
	}{
		{name: "memory"},
		{name: "disk", durable: true},
	} {
		durable := tc.durable
		b.Run(tc.name, func(b *testing.B) {
			var db *bbolt.DB
			if durable {
				var err error
				if db, err = bbolt.Open(filepath.Join(b.TempDir(), "b.db"), 0o600, nil); err != nil {
					b.Fatal(err)
				}
				defer db.Close()
			}
			srv := httptest.NewUnstartedServer(nil)
			srv.Start()
			defer srv.Close()
			s, err := New(Options{BaseURL: srv.URL, DB: db})
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			srv.Config.Handler = s
			client := awssqs.New(awssqs.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL),
				Credentials: credentials.NewStaticCredentialsProvider("test", "test", ""), HTTPClient: awsenv.HTTPClient()})
			ctx := context.Background()
			q, err := client.CreateQueue(ctx, &awssqs.CreateQueueInput{QueueName: aws.String("bench")})
			if err != nil {
				b.Fatal(err)
			}
			// 4 concurrent clients: RunParallel starts parallelism × GOMAXPROCS goroutines.
			b.SetParallelism(max(1, 4/runtime.GOMAXPROCS(0)))
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := client.SendMessage(ctx, &awssqs.SendMessageInput{QueueUrl: q.QueueUrl, MessageBody: aws.String(`{"type":"launch.requested"}`)}); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}
