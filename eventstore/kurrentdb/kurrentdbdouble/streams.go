package kurrentdbdouble

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/EventStore/EventStore-Client-Go/v4/protos/shared"
	"github.com/EventStore/EventStore-Client-Go/v4/protos/streams"
	"github.com/google/uuid"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// Keys of the system metadata map of an event, as the protocol names them.
const (
	metaType        = "type"
	metaContentType = "content-type"
	metaCreated     = "created"
)

// streamsService implements the Streams service: Append and Read. The
// other calls answer Unimplemented.
type streamsService struct {
	streams.UnimplementedStreamsServer
	srv *Server
}

// Append reads the options message, then the proposed events until the
// client closes its side, and answers once.
func (s *streamsService) Append(call streams.Streams_AppendServer) error {
	first, err := call.Recv()
	if err != nil {
		return err
	}
	opts := first.GetOptions()
	if opts == nil {
		return status.Error(codes.InvalidArgument, "the first append message must carry the options")
	}
	stream := string(opts.GetStreamIdentifier().GetStreamName())
	if stream == "" {
		return status.Error(codes.InvalidArgument, "empty stream name")
	}
	var expected int64
	switch e := opts.GetExpectedStreamRevision().(type) {
	case *streams.AppendReq_Options_Revision:
		expected = int64(e.Revision)
	case *streams.AppendReq_Options_NoStream:
		expected = expectNoStream
	case *streams.AppendReq_Options_Any:
		expected = expectAny
	case *streams.AppendReq_Options_StreamExists:
		expected = expectStreamExists
	default:
		return status.Error(codes.InvalidArgument, "no expected stream revision")
	}
	var ps []proposal
	for {
		req, err := call.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		m := req.GetProposedMessage()
		if m == nil {
			return status.Error(codes.InvalidArgument, "options sent twice")
		}
		id, err := parseUUID(m.GetId())
		if err != nil {
			return status.Error(codes.InvalidArgument, err.Error())
		}
		md := m.GetMetadata()
		if md[metaType] == "" || md[metaContentType] == "" {
			return status.Errorf(codes.InvalidArgument, "event %s: required metadata %q and %q missing", id, metaType, metaContentType)
		}
		ps = append(ps, proposal{id: id, eventType: md[metaType], contentType: md[metaContentType], custom: m.GetCustomMetadata(), data: m.GetData()})
	}
	if s.srv.cfg.appendDelay != nil {
		t := time.NewTimer(s.srv.cfg.appendDelay())
		select {
		case <-t.C:
		case <-call.Context().Done():
			t.Stop()
			return status.FromContextError(call.Context().Err()).Err()
		}
	}
	if len(ps) == 0 {
		// An empty append changes nothing; answer with the stream's state.
		recs, _ := s.srv.log.stream(stream)
		return call.SendAndClose(successResp(int64(len(recs))-1, 0, false))
	}
	out := s.srv.log.append(stream, expected, ps, time.Now().UnixNano()/100)
	switch out.decision {
	case decideWrite:
		return call.SendAndClose(successResp(int64(out.last), out.position, true))
	case decideIdempotent:
		// The real server answers a retried append with the revision the events
		// have but, unlike a write, without a position.
		return call.SendAndClose(successResp(int64(out.last), 0, false))
	default:
		return call.SendAndClose(wrongVersionResp(expected, out.current))
	}
}

func successResp(last int64, position uint64, hasPosition bool) *streams.AppendResp {
	ok := &streams.AppendResp_Success{}
	if last < 0 {
		ok.CurrentRevisionOption = &streams.AppendResp_Success_NoStream{NoStream: &shared.Empty{}}
	} else {
		ok.CurrentRevisionOption = &streams.AppendResp_Success_CurrentRevision{CurrentRevision: uint64(last)}
	}
	if hasPosition {
		ok.PositionOption = &streams.AppendResp_Success_Position{Position: &streams.AppendResp_Position{CommitPosition: position, PreparePosition: position}}
	} else {
		ok.PositionOption = &streams.AppendResp_Success_NoPosition{NoPosition: &shared.Empty{}}
	}
	return &streams.AppendResp{Result: &streams.AppendResp_Success_{Success: ok}}
}

// wrongVersionResp fills both the current fields and those kept for
// clients of protocol version 20.6.0, as the real server does.
func wrongVersionResp(expected, current int64) *streams.AppendResp {
	w := &streams.AppendResp_WrongExpectedVersion{}
	if current < 0 {
		w.CurrentRevisionOption = &streams.AppendResp_WrongExpectedVersion_CurrentNoStream{CurrentNoStream: &shared.Empty{}}
		w.CurrentRevisionOption_20_6_0 = &streams.AppendResp_WrongExpectedVersion_NoStream_20_6_0{NoStream_20_6_0: &shared.Empty{}}
	} else {
		w.CurrentRevisionOption = &streams.AppendResp_WrongExpectedVersion_CurrentRevision{CurrentRevision: uint64(current)}
		w.CurrentRevisionOption_20_6_0 = &streams.AppendResp_WrongExpectedVersion_CurrentRevision_20_6_0{CurrentRevision_20_6_0: uint64(current)}
	}
	switch expected {
	case expectAny:
		w.ExpectedRevisionOption = &streams.AppendResp_WrongExpectedVersion_ExpectedAny{ExpectedAny: &shared.Empty{}}
		w.ExpectedRevisionOption_20_6_0 = &streams.AppendResp_WrongExpectedVersion_Any_20_6_0{Any_20_6_0: &shared.Empty{}}
	case expectStreamExists:
		w.ExpectedRevisionOption = &streams.AppendResp_WrongExpectedVersion_ExpectedStreamExists{ExpectedStreamExists: &shared.Empty{}}
		w.ExpectedRevisionOption_20_6_0 = &streams.AppendResp_WrongExpectedVersion_StreamExists_20_6_0{StreamExists_20_6_0: &shared.Empty{}}
	case expectNoStream:
		w.ExpectedRevisionOption = &streams.AppendResp_WrongExpectedVersion_ExpectedNoStream{ExpectedNoStream: &shared.Empty{}}
	default:
		w.ExpectedRevisionOption = &streams.AppendResp_WrongExpectedVersion_ExpectedRevision{ExpectedRevision: uint64(expected)}
		w.ExpectedRevisionOption_20_6_0 = &streams.AppendResp_WrongExpectedVersion_ExpectedRevision_20_6_0{ExpectedRevision_20_6_0: uint64(expected)}
	}
	return &streams.AppendResp{Result: &streams.AppendResp_WrongExpectedVersion_{WrongExpectedVersion: w}}
}

// Read serves reads and subscriptions, of a stream or of $all.
func (s *streamsService) Read(req *streams.ReadReq, call streams.Streams_ReadServer) error {
	o := req.GetOptions()
	if o == nil {
		return status.Error(codes.InvalidArgument, "no read options")
	}
	structured := o.GetUuidOption().GetString_() == nil
	f, err := newFilter(o.GetFilter())
	if err != nil {
		return status.Error(codes.InvalidArgument, err.Error())
	}
	backwards := o.GetReadDirection() == streams.ReadReq_Options_Backwards
	subscribe := o.GetSubscription() != nil
	if subscribe && backwards {
		return status.Error(codes.InvalidArgument, "subscriptions read forwards")
	}
	switch so := o.GetStreamOption().(type) {
	case *streams.ReadReq_Options_Stream:
		name := string(so.Stream.GetStreamIdentifier().GetStreamName())
		if subscribe {
			return s.subscribeStream(call, name, so.Stream, structured)
		}
		return s.readStream(call, name, so.Stream, backwards, o.GetCount(), structured)
	case *streams.ReadReq_Options_All:
		if subscribe {
			return s.subscribeAll(call, so.All, f, structured)
		}
		return s.readAll(call, so.All, backwards, o.GetCount(), f, structured)
	default:
		return status.Error(codes.InvalidArgument, "read of neither a stream nor $all")
	}
}

func (s *streamsService) readStream(call streams.Streams_ReadServer, name string, so *streams.ReadReq_Options_StreamOptions, backwards bool, count uint64, structured bool) error {
	recs, ok := s.srv.log.stream(name)
	if !ok {
		return call.Send(&streams.ReadResp{Content: &streams.ReadResp_StreamNotFound_{StreamNotFound: &streams.ReadResp_StreamNotFound{
			StreamIdentifier: &shared.StreamIdentifier{StreamName: []byte(name)},
		}}})
	}
	last := uint64(len(recs) - 1)
	if !backwards {
		from := uint64(len(recs)) // End: nothing yet
		switch r := so.GetRevisionOption().(type) {
		case *streams.ReadReq_Options_StreamOptions_Start:
			from = 0
		case *streams.ReadReq_Options_StreamOptions_Revision:
			from = r.Revision
		}
		for i := from; i < uint64(len(recs)) && i-from < count; i++ {
			if err := call.Send(eventResp(recs[i], structured)); err != nil {
				return err
			}
		}
		return nil
	}
	from := last // End
	switch r := so.GetRevisionOption().(type) {
	case *streams.ReadReq_Options_StreamOptions_Start:
		from = 0
	case *streams.ReadReq_Options_StreamOptions_Revision:
		// Reading backwards from past the end starts at the last event.
		from = min(r.Revision, last)
	}
	for n, i := uint64(0), int64(from); i >= 0 && n < count; i, n = i-1, n+1 {
		if err := call.Send(eventResp(recs[i], structured)); err != nil {
			return err
		}
	}
	return nil
}

// readAll reads $all. Forwards, a position is inclusive: the event at it
// comes first. Backwards, the read starts before the position.
func (s *streamsService) readAll(call streams.Streams_ReadServer, ao *streams.ReadReq_Options_AllOptions, backwards bool, count uint64, f *filter, structured bool) error {
	all, _ := s.srv.log.snapshot()
	var start int
	switch p := ao.GetAllOption().(type) {
	case *streams.ReadReq_Options_AllOptions_Start:
		start = 0
		if backwards {
			return nil
		}
	case *streams.ReadReq_Options_AllOptions_End:
		start = len(all)
		if backwards {
			start = len(all) - 1
		}
	case *streams.ReadReq_Options_AllOptions_Position:
		start = firstAfter(all, p.Position.GetCommitPosition(), p.Position.GetPreparePosition(), true)
		if backwards {
			start--
		}
	default:
		return status.Error(codes.InvalidArgument, "no $all position")
	}
	step := 1
	if backwards {
		step = -1
	}
	var n uint64
	for i := start; i >= 0 && i < len(all) && n < count; i += step {
		if !f.match(all[i]) {
			continue
		}
		if err := call.Send(eventResp(all[i], structured)); err != nil {
			return err
		}
		n++
	}
	return nil
}

func (s *streamsService) subscribeStream(call streams.Streams_ReadServer, name string, so *streams.ReadReq_Options_StreamOptions, structured bool) error {
	recs, _ := s.srv.log.stream(name)
	next := len(recs) // End: only new events
	switch r := so.GetRevisionOption().(type) {
	case *streams.ReadReq_Options_StreamOptions_Start:
		next = 0
	case *streams.ReadReq_Options_StreamOptions_Revision:
		// A subscription from a revision starts after it.
		next = int(min(r.Revision+1, uint64(len(recs))))
	}
	return s.subscribe(call, next, nil, structured, func() ([]*record, chan struct{}) {
		return s.srv.log.streamSnapshot(name)
	})
}

func (s *streamsService) subscribeAll(call streams.Streams_ReadServer, ao *streams.ReadReq_Options_AllOptions, f *filter, structured bool) error {
	all, _ := s.srv.log.snapshot()
	next := len(all) // End: only new events
	switch p := ao.GetAllOption().(type) {
	case *streams.ReadReq_Options_AllOptions_Start:
		next = 0
	case *streams.ReadReq_Options_AllOptions_Position:
		// A subscription from a position starts after it.
		next = firstAfter(all, p.Position.GetCommitPosition(), p.Position.GetPreparePosition(), false)
	}
	return s.subscribe(call, next, f, structured, s.srv.log.snapshot)
}

// subscribe confirms the subscription, sends the records from index next
// on, tells the client it caught up, then sends records as they are
// written, until the client leaves, the double stops or the subscription
// is dropped.
func (s *streamsService) subscribe(call streams.Streams_ReadServer, next int, f *filter, structured bool, snapshot func() ([]*record, chan struct{})) error {
	id, drop := s.srv.register()
	defer s.srv.unregister(id)
	if err := call.Send(&streams.ReadResp{Content: &streams.ReadResp_Confirmation{Confirmation: &streams.ReadResp_SubscriptionConfirmation{
		SubscriptionId: uuid.NewString(),
	}}}); err != nil {
		return err
	}
	caughtUp := false
	for {
		recs, changed := snapshot()
		var lastSeen *record
		for ; next < len(recs); next++ {
			select {
			case <-drop:
				return errDropped
			default:
			}
			lastSeen = recs[next]
			if !f.match(recs[next]) {
				continue
			}
			if err := call.Send(eventResp(recs[next], structured)); err != nil {
				return err
			}
		}
		if lastSeen != nil && f != nil {
			// Filtered subscriptions report how far the reader has looked,
			// so clients can store progress through filtered-out events.
			if err := call.Send(&streams.ReadResp{Content: &streams.ReadResp_Checkpoint_{Checkpoint: &streams.ReadResp_Checkpoint{
				CommitPosition: lastSeen.commit, PreparePosition: lastSeen.prepare,
			}}}); err != nil {
				return err
			}
		}
		if !caughtUp {
			caughtUp = true
			if err := call.Send(&streams.ReadResp{Content: &streams.ReadResp_CaughtUp_{CaughtUp: &streams.ReadResp_CaughtUp{}}}); err != nil {
				return err
			}
		}
		select {
		case <-call.Context().Done():
			return status.FromContextError(call.Context().Err()).Err()
		case <-drop:
			return errDropped
		case <-changed:
		}
	}
}

func eventResp(r *record, structured bool) *streams.ReadResp {
	return &streams.ReadResp{Content: &streams.ReadResp_Event{Event: &streams.ReadResp_ReadEvent{
		Event: &streams.ReadResp_ReadEvent_RecordedEvent{
			Id:               protoUUID(r.id, structured),
			StreamIdentifier: &shared.StreamIdentifier{StreamName: []byte(r.stream)},
			StreamRevision:   r.revision,
			PreparePosition:  r.prepare,
			CommitPosition:   r.commit,
			Metadata: map[string]string{
				metaType:        r.eventType,
				metaContentType: r.contentType,
				metaCreated:     strconv.FormatInt(r.created, 10),
			},
			CustomMetadata: r.custom,
			Data:           r.data,
		},
		Position: &streams.ReadResp_ReadEvent_CommitPosition{CommitPosition: r.commit},
	}}}
}

// filter is a server-side subscription or $all read filter: on event type
// or stream name, by regular expression or by prefixes.
type filter struct {
	byType   bool
	re       *regexp.Regexp
	prefixes []string
}

func newFilter(o *streams.ReadReq_Options_FilterOptions) (*filter, error) {
	if o == nil {
		return nil, nil
	}
	var f filter
	var expr *streams.ReadReq_Options_FilterOptions_Expression
	switch e := o.GetFilter().(type) {
	case *streams.ReadReq_Options_FilterOptions_EventType:
		f.byType, expr = true, e.EventType
	case *streams.ReadReq_Options_FilterOptions_StreamIdentifier:
		expr = e.StreamIdentifier
	default:
		return nil, errors.New("filter on neither event type nor stream")
	}
	if expr.GetRegex() != "" {
		re, err := regexp.Compile(expr.GetRegex())
		if err != nil {
			return nil, fmt.Errorf("filter regex: %w", err)
		}
		f.re = re
	}
	f.prefixes = expr.GetPrefix()
	return &f, nil
}

// match reports whether r passes the filter. A nil filter passes all.
func (f *filter) match(r *record) bool {
	if f == nil {
		return true
	}
	s := r.stream
	if f.byType {
		s = r.eventType
	}
	if f.re != nil {
		return f.re.MatchString(s)
	}
	for _, p := range f.prefixes {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

func parseUUID(u *shared.UUID) (uuid.UUID, error) {
	switch v := u.GetValue().(type) {
	case *shared.UUID_Structured_:
		var id uuid.UUID
		binary.BigEndian.PutUint64(id[:8], uint64(v.Structured.GetMostSignificantBits()))
		binary.BigEndian.PutUint64(id[8:], uint64(v.Structured.GetLeastSignificantBits()))
		return id, nil
	case *shared.UUID_String_:
		return uuid.Parse(v.String_)
	default:
		return uuid.Nil, errors.New("event without ID")
	}
}

func protoUUID(id uuid.UUID, structured bool) *shared.UUID {
	if !structured {
		return &shared.UUID{Value: &shared.UUID_String_{String_: id.String()}}
	}
	return &shared.UUID{Value: &shared.UUID_Structured_{Structured: &shared.UUID_Structured{
		MostSignificantBits:  int64(binary.BigEndian.Uint64(id[:8])),
		LeastSignificantBits: int64(binary.BigEndian.Uint64(id[8:])),
	}}}
}
