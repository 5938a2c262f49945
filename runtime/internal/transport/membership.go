package transport

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// ErrPartitionLost is returned by Inflight.Alive, and so by sends, once
// the partition's record can no longer be processed here: the group
// took the partition away (this member was expelled or fenced, or the
// partition was lost). Processing of it stops; nothing more is committed
// for it; its next owner processes its uncommitted records.
var ErrPartitionLost = errors.New("partition lost: this instance no longer owns it")

// membership keeps a member from acting as a zombie. kgo learns that the
// group expelled it (a session that timed out while the process was
// stopped, a rebalance it missed) only at its next heartbeat, and the
// partitions' goroutines would process records meanwhile. So a freeze
// of the whole process — detected as a gap in a ticker, or by a worker
// that finds the ticker stale — makes every record and every send wait
// until a heartbeat of our own confirms the membership; a coordinator
// that no longer knows the member (UNKNOWN_MEMBER_ID, ILLEGAL_GENERATION)
// has every partition stopped as lost at once, before kgo's own
// heartbeat gets to it. FENCED_INSTANCE_ID (another process took this
// instance id) stops the group.
//
// A slow record is not a freeze: kgo heartbeats from its own goroutine
// while records run, and so does the ticker.
type membership struct {
	g         *Group
	base      time.Time
	threshold time.Duration // a ticker gap longer than this is a freeze
	lastTick  atomic.Int64  // since base, ns
	suspect   atomic.Bool   // a freeze was seen, not confirmed since
	ticking   atomic.Bool   // tick runs: freezes can be told

	mu      sync.Mutex
	pending chan struct{} // closed when the confirmation under way ends
	result  error
}

func (m *membership) init(g *Group, sessionTimeout time.Duration) {
	m.g, m.base = g, time.Now()
	m.threshold = max(sessionTimeout/3, 200*time.Millisecond)
}

func (m *membership) now() int64 { return int64(time.Since(m.base)) }

// tick runs until ctx ends, noticing freezes.
func (m *membership) tick(ctx context.Context) {
	t := time.NewTicker(min(m.threshold/4, time.Second))
	defer t.Stop()
	m.lastTick.Store(m.now())
	m.ticking.Store(true)
	defer m.ticking.Store(false)
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		now := m.now()
		if time.Duration(now-m.lastTick.Load()) > m.threshold {
			m.suspect.Store(true) // before lastTick moves: see check
			m.g.o.Logger.Warn("the process was frozen; confirming the group membership before processing on", "group", m.g.o.Group, "frozen", time.Duration(now-m.lastTick.Load()).Round(time.Millisecond))
			go m.confirm(ctx)
		}
		m.lastTick.Store(now)
	}
}

// check returns nil when the member may go on processing, waiting for a
// confirmation after a freeze; ErrPartitionLost when it was expelled.
func (m *membership) check(ctx context.Context) error {
	// lastTick before suspect: tick stores suspect before lastTick, so a
	// fresh lastTick here means a suspect set with it is seen below.
	last := m.lastTick.Load()
	if !m.ticking.Load() || time.Duration(m.now()-last) <= m.threshold && !m.suspect.Load() {
		return nil
	}
	m.suspect.Store(true)
	return m.confirm(ctx)
}

// confirm asks the coordinator whether this member is still in the
// group (one confirmation at a time; callers share its result).
func (m *membership) confirm(ctx context.Context) error {
	m.mu.Lock()
	if m.pending != nil {
		p := m.pending
		m.mu.Unlock()
		select {
		case <-p:
		case <-ctx.Done():
			return ctx.Err()
		}
		m.mu.Lock()
		defer m.mu.Unlock()
		return m.result
	}
	p := make(chan struct{})
	m.pending = p
	m.mu.Unlock()

	err := m.heartbeat(ctx)
	m.mu.Lock()
	m.result, m.pending = err, nil
	m.mu.Unlock()
	close(p)
	return err
}

// heartbeat sends heartbeats until one answers: alive (nil, or a
// rebalance in progress: still a member) or expelled. While kgo is
// rejoining (no member id) or the coordinator cannot be reached, it keeps
// trying: kgo's own heartbeat settles the membership meanwhile.
func (m *membership) heartbeat(ctx context.Context) error {
	g := m.g
	for wait := 50 * time.Millisecond; ; wait = min(2*wait, time.Second) {
		cl := g.client()
		member, gen := cl.GroupMetadata()
		if member != "" {
			req := kmsg.NewPtrHeartbeatRequest()
			req.Group, req.MemberID, req.Generation = g.o.Group, member, gen
			if g.o.InstanceID != "" {
				req.InstanceID = kmsg.StringPtr(g.o.InstanceID)
			}
			hctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			resp, err := req.RequestWith(hctx, cl)
			cancel()
			if err == nil {
				err = kerr.ErrorForCode(resp.ErrorCode)
				switch {
				case err == nil, errors.Is(err, kerr.RebalanceInProgress):
					m.suspect.Store(false)
					m.lastTick.Store(m.now())
					g.o.Logger.Info("group membership confirmed", "group", g.o.Group, "member", member, "generation", gen)
					return nil
				case errors.Is(err, kerr.UnknownMemberID), errors.Is(err, kerr.IllegalGeneration):
					g.expelled(fmt.Errorf("member %s of generation %d: %w", member, gen, err))
					return ErrPartitionLost
				case errors.Is(err, kerr.FencedInstanceID):
					g.expelled(err)
					g.Fail(fmt.Errorf("instance id %s was taken by another process (FENCED_INSTANCE_ID): give each instance its own id", g.o.InstanceID))
					return ErrPartitionLost
				}
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
	}
}

// expelled stops every owned partition as lost: the group has given them
// to others. They stay listed until kgo's lost callback (or a new
// assignment) ends them.
func (g *Group) expelled(why error) {
	ps := g.owned()
	for _, p := range ps {
		p.beginStop(Lost)
	}
	if len(ps) > 0 {
		g.o.Logger.Error("expelled from the group: stopped processing every partition at once; their uncommitted records go to their next owners", "group", g.o.Group, "partitions", len(ps), "err", why)
	}
}

// isMembershipError says whether a commit error means the coordinator no
// longer knows this member.
func isMembershipError(err error) bool {
	return errors.Is(err, kerr.UnknownMemberID) || errors.Is(err, kerr.IllegalGeneration) || errors.Is(err, kerr.FencedInstanceID)
}
