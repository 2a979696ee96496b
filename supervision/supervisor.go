package supervision

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"runtime/pprof"
	"sync"
	"time"
)

// Strategy is how a [Supervisor] restarts children (OTP supervisor
// strategies).
type Strategy int

const (
	// OneForOne restarts only the child that ended.
	OneForOne Strategy = iota + 1
	// OneForAll terminates the other children (reverse start order) and
	// restarts all of them in start order.
	OneForAll
	// RestForOne terminates the children started after the one that ended
	// (reverse order) and restarts it and them in start order.
	RestForOne
)

func (s Strategy) String() string {
	switch s {
	case OneForOne:
		return "one-for-one"
	case OneForAll:
		return "one-for-all"
	case RestForOne:
		return "rest-for-one"
	}
	return fmt.Sprintf("Strategy(%d)", int(s))
}

// Restart says when a child that ended is restarted (OTP restart types).
type Restart int

const (
	// Permanent children are always restarted.
	Permanent Restart = iota + 1
	// Transient children are restarted only when they end abnormally
	// (a non-nil error or a panic); a nil return removes them.
	Transient
	// Temporary children are never restarted; they are removed when they end.
	Temporary
)

func (r Restart) String() string {
	switch r {
	case Permanent:
		return "permanent"
	case Transient:
		return "transient"
	case Temporary:
		return "temporary"
	}
	return fmt.Sprintf("Restart(%d)", int(r))
}

// DefaultShutdown is the Shutdown time of a child spec that leaves it 0.
const DefaultShutdown = 5 * time.Second

// ChildSpec describes a supervised child.
type ChildSpec struct {
	Name string // unique among the supervisor's children; a pprof label
	// Run is the child. It must return when ctx is done; nil means a normal
	// end, an error or a panic an abnormal one.
	Run     func(ctx context.Context) error
	Restart Restart // default Permanent
	// Shutdown is how long the child is given to return after its context is
	// cancelled; then it is abandoned and a crash report with reason
	// "shutdown-timeout" is written. 0 selects DefaultShutdown; a negative
	// value waits forever (OTP's infinity, for children that are
	// supervisors themselves).
	Shutdown time.Duration
}

// ErrNotRunning is returned by StartChild and TerminateChild when the
// supervisor is not running.
var ErrNotRunning = errors.New("supervision: supervisor not running")

// ErrChildExists is returned by StartChild for a name already in use.
var ErrChildExists = errors.New("supervision: child already exists")

// ErrNoChild is returned by TerminateChild for an unknown name.
var ErrNoChild = errors.New("supervision: no such child")

// Supervisor runs children and restarts them per its Strategy, with OTP
// restart intensity: more than Intensity restarts within Period terminate
// every child and make Run return an *IntensityError (escalation to the
// parent, which sees an abnormal end of this supervisor).
//
// Every child runs in its own goroutine, owned by the supervisor, labelled
// (pprof) "supervisor" and "child", and ends when its context is cancelled.
// Run ends them all in reverse start order when its own context is done.
type Supervisor struct {
	Name      string
	Strategy  Strategy      // default OneForOne
	Intensity int           // restarts allowed within Period; default 3 (with Period 0)
	Period    time.Duration // default 5 s (OTP's defaults: 1 in 5 s; 3 suits a node)
	Children  []ChildSpec   // static children, started in order by Run

	Clock   Clock        // default SystemClock
	Crashes CrashLog     // reports of child panics and abandoned children; default none kept
	Logger  *slog.Logger // default discards
	Node    string       // for crash reports
	Version string       // for crash reports

	mu      sync.Mutex
	running bool
	reqs    chan supReq
	ended   chan struct{} // closed when the current Run returns
}

type supReq struct {
	fn    func(r *supRun) error // runs on the supervisor's goroutine
	reply chan error
}

type child struct {
	spec ChildSpec
	inst *instance // nil while not running
}

// instance is one run of a child.
type instance struct {
	c      *child
	cancel context.CancelFunc
	done   chan struct{} // closed when Run returned
	err    error         // valid after done
	kill   bool          // terminated by the supervisor: its end is not a failure
}

type exit struct {
	inst *instance
}

// Run starts the children in order and supervises them until ctx is done
// (then it terminates them in reverse start order and returns nil) or the
// restart intensity is exceeded (then it terminates them and returns an
// *IntensityError). A Supervisor runs once at a time; it can be run again
// after Run returned (a parent's restart).
func (s *Supervisor) Run(ctx context.Context) error {
	if err := s.validate(); err != nil {
		return err
	}
	s.mu.Lock()
	if s.running {
		s.mu.Unlock()
		return fmt.Errorf("supervision: supervisor %s: %w", s.Name, ErrRunning)
	}
	s.running = true
	reqs, ended := make(chan supReq), make(chan struct{})
	s.reqs, s.ended = reqs, ended
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.running, s.reqs, s.ended = false, nil, nil
		s.mu.Unlock()
		close(ended)
	}()

	clock := s.Clock
	if clock == nil {
		clock = SystemClock{}
	}
	log := s.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	intensity, period := s.Intensity, s.Period
	if period == 0 {
		intensity, period = 3, 5*time.Second
	}
	r := &supRun{s: s, ctx: ctx, log: log.With("supervisor", s.Name), clock: clock,
		exits: make(chan exit), quit: make(chan struct{}),
		win: window{max: intensity, period: period}}
	defer close(r.quit) // children abandoned after their Shutdown stop trying to report
	for i := range s.Children {
		c := &child{spec: withDefaults(s.Children[i])}
		r.children = append(r.children, c)
		r.start(c)
	}
	for {
		select {
		case <-ctx.Done():
			r.terminateAll(0)
			return nil
		case req := <-reqs:
			req.reply <- req.fn(r)
		case ex := <-r.exits:
			if err := r.exited(ex.inst); err != nil {
				r.terminateAll(0)
				return err
			}
		}
	}
}

func (s *Supervisor) validate() error {
	seen := map[string]bool{}
	for _, c := range s.Children {
		if err := validSpec(c); err != nil {
			return fmt.Errorf("supervision: supervisor %s: %w", s.Name, err)
		}
		if seen[c.Name] {
			return fmt.Errorf("supervision: supervisor %s: %w: %s", s.Name, ErrChildExists, c.Name)
		}
		seen[c.Name] = true
	}
	switch s.Strategy {
	case 0, OneForOne, OneForAll, RestForOne:
	default:
		return fmt.Errorf("supervision: supervisor %s: unknown strategy %v", s.Name, s.Strategy)
	}
	if s.Intensity < 0 || s.Period < 0 {
		return fmt.Errorf("supervision: supervisor %s: negative intensity or period", s.Name)
	}
	return nil
}

func validSpec(c ChildSpec) error {
	if c.Name == "" || c.Run == nil {
		return errors.New("child spec needs a name and a Run function")
	}
	switch c.Restart {
	case 0, Permanent, Transient, Temporary:
	default:
		return fmt.Errorf("child %s: unknown restart type %v", c.Name, c.Restart)
	}
	return nil
}

func withDefaults(c ChildSpec) ChildSpec {
	if c.Restart == 0 {
		c.Restart = Permanent
	}
	if c.Shutdown == 0 {
		c.Shutdown = DefaultShutdown
	}
	return c
}

// StartChild adds and starts a dynamic child (e.g. one per eNodeB
// association). It returns ErrChildExists for a name in use and
// ErrNotRunning when the supervisor is not running.
func (s *Supervisor) StartChild(spec ChildSpec) error {
	if err := validSpec(spec); err != nil {
		return fmt.Errorf("supervision: supervisor %s: %w", s.Name, err)
	}
	spec = withDefaults(spec)
	return s.request(supReq{fn: func(r *supRun) error { return r.startChild(spec) }})
}

// TerminateChild ends the named child (giving it its Shutdown time) and
// removes it from the supervisor; it is not restarted.
func (s *Supervisor) TerminateChild(name string) error {
	return s.request(supReq{fn: func(r *supRun) error { return r.terminateChild(name) }})
}

func (s *Supervisor) request(req supReq) error {
	s.mu.Lock()
	reqs, ended := s.reqs, s.ended
	s.mu.Unlock()
	if reqs == nil {
		return fmt.Errorf("supervision: supervisor %s: %w", s.Name, ErrNotRunning)
	}
	req.reply = make(chan error, 1) // the run never blocks on answering
	select {
	case reqs <- req:
		return <-req.reply
	case <-ended:
		return fmt.Errorf("supervision: supervisor %s: %w", s.Name, ErrNotRunning)
	}
}

// Which returns the names of the children currently running, in start
// order (OTP which_children); ErrNotRunning when the supervisor is not.
func (s *Supervisor) Which() ([]string, error) {
	var names []string
	err := s.request(supReq{fn: func(r *supRun) error {
		for _, c := range r.children {
			if c.inst != nil {
				names = append(names, c.spec.Name)
			}
		}
		return nil
	}})
	return names, err
}

// supRun is the state of one Run.
type supRun struct {
	s        *Supervisor
	ctx      context.Context
	log      *slog.Logger
	clock    Clock
	children []*child
	exits    chan exit
	quit     chan struct{}
	win      window
}

func (r *supRun) start(c *child) {
	// A child's context keeps the supervisor's values but not its
	// cancellation: the supervisor cancels children itself, one at a time,
	// in reverse start order.
	ctx, cancel := context.WithCancel(context.WithoutCancel(r.ctx))
	in := &instance{c: c, cancel: cancel, done: make(chan struct{})}
	c.inst = in
	labels := pprof.Labels("supervisor", r.s.Name, "child", c.spec.Name)
	go pprof.Do(ctx, labels, func(ctx context.Context) {
		defer func() {
			if p := recover(); p != nil {
				in.err = &PanicError{Value: p, Stack: debug.Stack()}
			}
			close(in.done)
			select {
			case r.exits <- exit{inst: in}:
			case <-r.quit:
			}
		}()
		in.err = c.spec.Run(ctx)
	})
	r.log.Debug("child started", "child", c.spec.Name)
}

// PanicError is the abnormal end of a child that panicked.
type PanicError struct {
	Value any
	Stack []byte
}

func (e *PanicError) Error() string { return fmt.Sprintf("supervision: child panicked: %v", e.Value) }

func (r *supRun) startChild(spec ChildSpec) error {
	for _, c := range r.children {
		if c.spec.Name == spec.Name {
			return fmt.Errorf("supervision: supervisor %s: %w: %s", r.s.Name, ErrChildExists, spec.Name)
		}
	}
	c := &child{spec: spec}
	r.children = append(r.children, c)
	r.start(c)
	return nil
}

func (r *supRun) terminateChild(name string) error {
	for i, c := range r.children {
		if c.spec.Name == name {
			r.terminate(c)
			r.children = append(r.children[:i], r.children[i+1:]...)
			return nil
		}
	}
	return fmt.Errorf("supervision: supervisor %s: %w: %s", r.s.Name, ErrNoChild, name)
}

// exited handles the end of a child instance; a non-nil result is the
// escalation.
func (r *supRun) exited(in *instance) error {
	c := in.c
	if c.inst != in || in.kill {
		return nil // an instance we terminated, reporting late
	}
	c.inst = nil
	in.cancel()
	abnormal := in.err != nil
	if abnormal {
		r.log.Warn("child ended", "child", c.spec.Name, "err", in.err)
		var pe *PanicError
		if errors.As(in.err, &pe) {
			r.report(c.spec.Name, reasonOf(pe.Value), fmt.Sprint(pe.Value), pe.Stack)
		}
	} else {
		r.log.Info("child ended normally", "child", c.spec.Name)
	}
	restart := c.spec.Restart == Permanent || (c.spec.Restart == Transient && abnormal)
	idx := r.index(c)
	if !restart {
		r.children = append(r.children[:idx], r.children[idx+1:]...)
		return nil
	}
	if r.win.add(r.clock.Now()) {
		last := c.spec.Name + ": normal end"
		if in.err != nil {
			last = c.spec.Name + ": " + in.err.Error()
		}
		err := &IntensityError{Who: r.s.Name, Intensity: r.win.max, Period: r.win.period, Last: last}
		r.log.Error("supervisor escalates", "err", err)
		return err
	}
	switch r.s.Strategy {
	case OneForAll:
		r.terminateAll(0)
		r.restartFrom(0, c)
	case RestForOne:
		r.terminateAll(idx + 1)
		r.restartFrom(idx, c)
	default:
		r.start(c)
	}
	return nil
}

// restartFrom starts the children from index from on, in start order;
// terminated Temporary siblings are removed instead (OTP: a temporary child
// is never restarted, whoever's failure terminated it).
func (r *supRun) restartFrom(from int, failed *child) {
	keep := r.children[:from]
	for _, x := range r.children[from:] {
		if x != failed && x.spec.Restart == Temporary {
			continue
		}
		keep = append(keep, x)
		r.start(x)
	}
	r.children = keep
}

func (r *supRun) index(c *child) int {
	for i, x := range r.children {
		if x == c {
			return i
		}
	}
	return -1
}

// terminateAll ends the running children from the last down to index from.
func (r *supRun) terminateAll(from int) {
	for i := len(r.children) - 1; i >= from; i-- {
		r.terminate(r.children[i])
	}
}

// terminate cancels c's context and waits up to its Shutdown for it to
// return; then it abandons it with a crash report.
func (r *supRun) terminate(c *child) {
	in := c.inst
	if in == nil {
		return
	}
	c.inst = nil
	in.kill = true
	in.cancel()
	if c.spec.Shutdown < 0 {
		<-in.done
		return
	}
	tm := r.clock.NewTimer(c.spec.Shutdown)
	defer tm.Stop()
	select {
	case <-in.done:
	case <-tm.C():
		r.log.Error("child abandoned after shutdown timeout", "child", c.spec.Name, "shutdown", c.spec.Shutdown)
		r.report(c.spec.Name, ReasonShutdownTimeout, fmt.Sprintf("child did not end within %v", c.spec.Shutdown), nil)
	}
}

func (r *supRun) report(childName, reason, msg string, stack []byte) {
	if r.s.Crashes == nil {
		return
	}
	if len(stack) > maxStack {
		stack = stack[:maxStack]
	}
	rep := CrashReport{Time: r.clock.Now(), Node: r.s.Node, Version: r.s.Version,
		Subsystem: "supervisor/" + r.s.Name, Key: childName, Reason: reason, Error: msg, Stack: string(stack)}
	if err := r.s.Crashes.Append(rep); err != nil {
		r.log.Error("crash report not stored", "err", err)
	}
}
