package outbox

import "sync"

// Event is a change the outbox reports to its subscribers: a message's new
// state, or upload progress while it is being sent.
type Event struct {
	ID      int64
	State   State
	Subject string
	// Failure says why, for failed, retrying and unknown, and whom a
	// partial send missed.
	Failure *Failure
	// Progress marks an upload report: Written of Total bytes are sent.
	Progress       bool
	Written, Total int64
	// WasScheduled is set when a message held with "send later" was sent.
	WasScheduled bool
	// Copy is set when the copy of a sent message in the Sent folder
	// changed (State is then StateSent, as before): filed, pending again
	// after a failed try, or failed, with CopyFailure saying why.
	Copy        SentCopy
	CopyFailure *CopyFailure
}

// Subscribe returns a channel of events and a function that ends the
// subscription and closes the channel. The worker never waits for a
// subscriber: each has its own queue, in which a newer progress report
// replaces an older one for the same message, so a slow reader sees every
// state change but perhaps not every progress step.
func (o *Outbox) Subscribe() (<-chan Event, func()) {
	return o.events.subscribe()
}

// maxQueuedEvents bounds a subscriber that stopped reading without
// unsubscribing; beyond it the oldest state changes are dropped.
const maxQueuedEvents = 10000

type hub struct {
	mu     sync.Mutex
	subs   map[*subscriber]bool
	closed bool
}

type subscriber struct {
	out    chan Event
	signal chan struct{} // capacity 1: "something is waiting"
	done   chan struct{}
	once   sync.Once

	mu       sync.Mutex
	queue    []Event
	progress map[int64]Event
}

func (h *hub) subscribe() (<-chan Event, func()) {
	s := &subscriber{
		out:      make(chan Event),
		signal:   make(chan struct{}, 1),
		done:     make(chan struct{}),
		progress: map[int64]Event{},
	}
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		close(s.out)
		return s.out, func() {}
	}
	if h.subs == nil {
		h.subs = map[*subscriber]bool{}
	}
	h.subs[s] = true
	h.mu.Unlock()
	go s.forward()
	return s.out, func() { h.remove(s) }
}

func (h *hub) remove(s *subscriber) {
	h.mu.Lock()
	delete(h.subs, s)
	h.mu.Unlock()
	s.once.Do(func() { close(s.done) })
}

func (h *hub) closeAll() {
	h.mu.Lock()
	subs := h.subs
	h.subs, h.closed = nil, true
	h.mu.Unlock()
	for s := range subs {
		s.once.Do(func() { close(s.done) })
	}
}

// publish hands ev to every subscriber without blocking.
func (h *hub) publish(ev Event) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for s := range h.subs {
		s.put(ev)
	}
}

func (s *subscriber) put(ev Event) {
	s.mu.Lock()
	if ev.Progress {
		s.progress[ev.ID] = ev
	} else {
		delete(s.progress, ev.ID) // a state change ends the upload
		if len(s.queue) >= maxQueuedEvents {
			s.queue = s.queue[1:]
		}
		s.queue = append(s.queue, ev)
	}
	s.mu.Unlock()
	select {
	case s.signal <- struct{}{}:
	default:
	}
}

// forward moves queued events to the subscriber's channel at the pace it
// reads them.
func (s *subscriber) forward() {
	defer close(s.out)
	for {
		select {
		case <-s.done:
			return
		case <-s.signal:
		}
		s.mu.Lock()
		batch := make([]Event, 0, len(s.progress)+len(s.queue))
		for _, ev := range s.progress {
			batch = append(batch, ev)
		}
		batch = append(batch, s.queue...)
		s.queue, s.progress = nil, map[int64]Event{}
		s.mu.Unlock()
		for _, ev := range batch {
			select {
			case s.out <- ev:
			case <-s.done:
				return
			}
		}
	}
}
