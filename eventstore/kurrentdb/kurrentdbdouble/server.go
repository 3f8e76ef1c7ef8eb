// Package kurrentdbdouble is an in-process test double of the parts of the
// KurrentDB gRPC protocol that EventStore-Client-Go v4 uses for appends,
// stream and $all reads and catch-up subscriptions. It lets the event
// store adapter and its conformance suite run where no KurrentDB server can
// be installed.
//
// The double is not KurrentDB. It keeps events in memory, serves plain
// gRPC (tls=false) on a random port of 127.0.0.1, and implements only what
// the adapter needs: Append with expected-revision checks and idempotency by
// event ID, Read of a stream (forwards and backwards) and of $all (forwards
// from a position, backwards from the end), catch-up subscriptions to a
// stream or to $all (confirmation, stored events, caught-up, then live
// events) with event-type and stream-name filters, the server-features
// call the client makes on connect and a one-member gossip answer. It
// answers with the messages and fields the real protocol uses, so the
// client library sees the same shapes it sees in production.
//
// Deleting, tombstoning, batch appends, persistent subscriptions,
// projections, stream metadata and access control are not implemented.
package kurrentdbdouble

import (
	"context"
	"fmt"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/EventStore/EventStore-Client-Go/v4/protos/gossip"
	"github.com/EventStore/EventStore-Client-Go/v4/protos/serverfeatures"
	"github.com/EventStore/EventStore-Client-Go/v4/protos/shared"
	"github.com/EventStore/EventStore-Client-Go/v4/protos/streams"
	"github.com/google/uuid"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/keepalive"
	"google.golang.org/grpc/status"
)

// maxMessage matches the client's receive limit: an append of one large
// event fits, as it does on a real server.
const maxMessage = 17 << 20

// Option configures a test double.
type Option func(*config)

type config struct {
	appendDelay func() time.Duration
}

// WithAppendDelay makes every append wait delay() after its events arrived
// and before they are checked and written. Concurrent appends then finish
// in an order unrelated to the order they started in, which tests use to
// look for readers that skip or reorder events.
func WithAppendDelay(delay func() time.Duration) Option {
	return func(c *config) { c.appendDelay = delay }
}

// Server is a running test double.
type Server struct {
	cfg    config
	log    *eventLog
	grpc   *grpc.Server
	addr   *net.TCPAddr
	served chan struct{}

	mu      sync.Mutex
	subs    map[uint64]chan struct{} // closed to drop that subscription
	nextSub uint64
}

// Start starts a test double on a random port of 127.0.0.1.
func Start(opts ...Option) (*Server, error) {
	var cfg config
	for _, o := range opts {
		o(&cfg)
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("kurrentdb test double: listen: %w", err)
	}
	s := &Server{
		cfg:    cfg,
		log:    newEventLog(),
		addr:   lis.Addr().(*net.TCPAddr),
		served: make(chan struct{}),
		subs:   map[uint64]chan struct{}{},
	}
	s.grpc = grpc.NewServer(
		grpc.MaxRecvMsgSize(maxMessage),
		// The client pings every 10 s by default; grpc-go servers would
		// otherwise close such a connection as abusive after two pings.
		grpc.KeepaliveEnforcementPolicy(keepalive.EnforcementPolicy{MinTime: time.Second, PermitWithoutStream: true}),
	)
	streams.RegisterStreamsServer(s.grpc, &streamsService{srv: s})
	serverfeatures.RegisterServerFeaturesServer(s.grpc, featuresService{})
	gossip.RegisterGossipServer(s.grpc, gossipService{addr: s.addr})
	go func() {
		defer close(s.served)
		_ = s.grpc.Serve(lis)
	}()
	return s, nil
}

// StartT starts a test double for one test and stops it when the test
// ends.
func StartT(t testing.TB, opts ...Option) *Server {
	t.Helper()
	s, err := Start(opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Stop)
	return s
}

// URL is the connection string clients use, e.g.
// esdb://127.0.0.1:40123?tls=false.
func (s *Server) URL() string { return "esdb://" + s.addr.String() + "?tls=false" }

// Stop closes every connection and stops the double. Subscriptions end
// with an error on the client side.
func (s *Server) Stop() {
	s.grpc.Stop()
	<-s.served
}

// errDropped is how the double ends a subscription it drops, with the
// status code and text the real server uses for a subscriber that cannot
// keep up.
var errDropped = status.Error(codes.Aborted, "Consumer too slow to handle event while live. Client resubscription required.")

// DropSubscriptions ends every active subscription the way the real
// server ends one whose consumer is too slow, and returns how many it
// ended. Clients are expected to resubscribe from the last event they
// processed.
func (s *Server) DropSubscriptions() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := len(s.subs)
	for id, drop := range s.subs {
		close(drop)
		delete(s.subs, id)
	}
	return n
}

// Subscriptions returns how many subscriptions are active.
func (s *Server) Subscriptions() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.subs)
}

func (s *Server) register() (uint64, chan struct{}) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nextSub++
	drop := make(chan struct{})
	s.subs[s.nextSub] = drop
	return s.nextSub, drop
}

func (s *Server) unregister(id uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.subs, id)
}

// featuresService answers the client's first call after connecting. It
// lists only the calls the double implements, so the client never tries
// batch appends or persistent subscriptions.
type featuresService struct {
	serverfeatures.UnimplementedServerFeaturesServer
}

func (featuresService) GetSupportedMethods(context.Context, *shared.Empty) (*serverfeatures.SupportedMethods, error) {
	const streamsService = "event_store.client.streams.streams"
	return &serverfeatures.SupportedMethods{
		// A version nobody mistakes for a real server's.
		EventStoreServerVersion: "0.0.0",
		Methods: []*serverfeatures.SupportedMethod{
			{ServiceName: streamsService, MethodName: "read"},
			{ServiceName: streamsService, MethodName: "append"},
			{ServiceName: "event_store.client.server_features.serverfeatures", MethodName: "getsupportedmethods"},
			{ServiceName: "event_store.client.gossip.gossip", MethodName: "read"},
		},
	}, nil
}

// gossipService answers cluster discovery (connection strings with several
// hosts) with a single live leader: the double itself.
type gossipService struct {
	gossip.UnimplementedGossipServer
	addr *net.TCPAddr
}

func (g gossipService) Read(context.Context, *shared.Empty) (*gossip.ClusterInfo, error) {
	return &gossip.ClusterInfo{Members: []*gossip.MemberInfo{{
		InstanceId:   protoUUID(uuid.New(), true),
		TimeStamp:    time.Now().UnixNano() / 100,
		State:        gossip.MemberInfo_Leader,
		IsAlive:      true,
		HttpEndPoint: &gossip.EndPoint{Address: g.addr.IP.String(), Port: uint32(g.addr.Port)},
	}}}, nil
}
