package resolve

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"strconv"

	"github.com/faustgen/faustgen/compat"
)

// ErrCorrupt is wrapped by every error of Transcode about the body itself:
// truncated, an index out of range, a length that runs past the end.
var ErrCorrupt = errors.New("corrupt Avro body")

// MaxDepth is how deeply records may nest in one transcoded value (only a
// recursive schema lets them nest without bound): the outermost record is
// at depth 1, and a record deeper than MaxDepth stops Transcode with an
// error wrapping ErrTooDeep and ErrCorrupt, so that a hostile body cannot
// exhaust the stack. It is runtime.MaxDecodeDepth, which generated
// decoders apply.
const MaxDepth = 4096

// ErrTooDeep is wrapped by the error of a body whose records nest more
// than MaxDepth deep.
var ErrTooDeep = errors.New("records nested more than " + strconv.Itoa(MaxDepth) + " deep (runtime.MaxDecodeDepth)")

// MaxEmptyItems bounds the items of one array or map block whose items
// take no bytes (null, empty records): their count is not bounded by the
// body's length. It is genapi.MaxEmptyItems, which generated decoders
// apply to what this package produces.
const MaxEmptyItems = 1 << 16

// skipper walks one writer type's encoding without producing anything.
// width is the fixed encoded size, or -1 when it varies.
type skipper struct {
	kind     compat.Kind
	width    int
	minSize  int
	size     int        // fixed
	elem     *skipper   // array items, map values
	fields   []*skipper // record
	branches []*skipper // union
}

func (c *compiler) skipper(t *compat.Type) *skipper {
	if s := c.skips[t]; s != nil {
		return s
	}
	s := &skipper{kind: t.Kind, width: -1}
	if t.Kind.Named() {
		c.skips[t] = s // before the children: recursion ends here
	}
	switch t.Kind {
	case compat.Null:
		s.width = 0
	case compat.Boolean:
		s.width, s.minSize = 1, 1
	case compat.Float:
		s.width, s.minSize = 4, 4
	case compat.Double:
		s.width, s.minSize = 8, 8
	case compat.Fixed:
		s.size, s.width, s.minSize = t.Size, t.Size, t.Size
	case compat.Int, compat.Long, compat.String, compat.Bytes, compat.Enum, compat.Array, compat.Map, compat.Union:
		s.minSize = 1
	}
	switch t.Kind {
	case compat.Array:
		s.elem = c.skipper(t.Items)
	case compat.Map:
		s.elem = c.skipper(t.Values)
	case compat.Union:
		for _, b := range t.Branches {
			s.branches = append(s.branches, c.skipper(b))
		}
	case compat.Record:
		width := 0
		for _, f := range t.Fields {
			fs := c.skipper(f.Type)
			s.fields = append(s.fields, fs)
			if fs.width < 0 || width < 0 {
				width = -1
			} else {
				width += fs.width
			}
			s.minSize += fs.minSize
		}
		s.width = width
	}
	return s
}

// machine is the state of one Transcode.
type machine struct {
	in    []byte
	pos   int
	out   []byte
	spans []span // the spans of reordered records being transcoded (a stack)
	depth int
	// copying is set while skipping data that is copied to the output:
	// then sized array and map blocks are walked and checked, not jumped.
	copying bool
}

type span struct{ start, end int }

// Transcode appends to dst the reader encoding of body (a writer-encoded
// value) and returns it. The body must be consumed exactly. Errors about
// the body wrap ErrCorrupt.
func (p *Plan) Transcode(dst, body []byte) ([]byte, error) {
	m := machine{in: body, out: dst}
	if err := m.run(p.root); err != nil {
		return dst, err
	}
	if m.pos != len(m.in) {
		return dst, fmt.Errorf("%w: %d bytes left after the value", ErrCorrupt, len(m.in)-m.pos)
	}
	return m.out, nil
}

func (m *machine) tooDeep() error {
	return fmt.Errorf("%w: %w at byte %d", ErrCorrupt, ErrTooDeep, m.pos)
}

func (m *machine) corrupt(what string) error {
	return fmt.Errorf("%w: %s at byte %d", ErrCorrupt, what, m.pos)
}

// varint reads a zigzag varint of at most maxBytes bytes.
func (m *machine) varint(maxBytes int) (int64, error) {
	var u uint64
	var shift uint
	for i := 0; i < maxBytes; i++ {
		if m.pos >= len(m.in) {
			return 0, m.corrupt("truncated number")
		}
		b := m.in[m.pos]
		m.pos++
		u |= uint64(b&0x7f) << shift
		if b < 0x80 {
			return int64(u>>1) ^ -int64(u&1), nil
		}
		shift += 7
	}
	return 0, m.corrupt("number too long")
}

// skipVarint skips a varint of at most maxBytes bytes.
func (m *machine) skipVarint(maxBytes int) error {
	end := m.pos + maxBytes
	if end > len(m.in) {
		end = len(m.in)
	}
	for i := m.pos; i < end; i++ {
		if m.in[i] < 0x80 {
			m.pos = i + 1
			return nil
		}
	}
	if end-m.pos == maxBytes {
		return m.corrupt("number too long")
	}
	return m.corrupt("truncated number")
}

func (m *machine) need(n int) error {
	if n < 0 || len(m.in)-m.pos < n {
		return m.corrupt(fmt.Sprintf("%d bytes needed, %d left", n, len(m.in)-m.pos))
	}
	return nil
}

// blockCount reads an array or map block header and checks that count
// items of at least minSize bytes can fit. size is the block's byte size
// when the header gives one, else -1.
func (m *machine) blockCount(minSize int) (count, size int64, err error) {
	n, err := m.varint(10)
	if err != nil {
		return 0, 0, err
	}
	size = -1
	if n < 0 {
		if n == math.MinInt64 {
			return 0, 0, m.corrupt("bad block count")
		}
		n = -n
		if size, err = m.varint(10); err != nil {
			return 0, 0, err
		}
		if size < 0 || size > int64(len(m.in)-m.pos) {
			return 0, 0, m.corrupt("block size past the end")
		}
	}
	return n, size, m.checkCount(n, minSize)
}

// checkCount checks that n items of at least minSize bytes can fit.
func (m *machine) checkCount(n int64, minSize int) error {
	if minSize > 0 {
		if n > int64(len(m.in)-m.pos)/int64(minSize) {
			return m.corrupt(fmt.Sprintf("block of %d items past the end", n))
		}
	} else if n > MaxEmptyItems {
		return m.corrupt(fmt.Sprintf("block of %d empty items", n))
	}
	return nil
}

func (m *machine) skip(s *skipper) error {
	if s.width >= 0 {
		if err := m.need(s.width); err != nil {
			return err
		}
		m.pos += s.width
		return nil
	}
	switch s.kind {
	case compat.Int, compat.Enum:
		return m.skipVarint(5)
	case compat.Long:
		return m.skipVarint(10)
	case compat.String, compat.Bytes:
		n, err := m.varint(10)
		if err != nil {
			return err
		}
		if err := m.need(int(n)); err != nil || n < 0 {
			return m.corrupt("length past the end")
		}
		m.pos += int(n)
		return nil
	case compat.Record:
		if m.depth++; m.depth > MaxDepth {
			return m.tooDeep()
		}
		for _, f := range s.fields {
			if err := m.skip(f); err != nil {
				return err
			}
		}
		m.depth--
		return nil
	case compat.Union:
		i, err := m.varint(10)
		if err != nil {
			return err
		}
		if i < 0 || i >= int64(len(s.branches)) {
			return m.corrupt(fmt.Sprintf("union index %d of %d branches", i, len(s.branches)))
		}
		return m.skip(s.branches[i])
	case compat.Array, compat.Map:
		for {
			if !m.copying { // skipped data: jump over sized blocks
				before := m.pos
				n, err := m.varint(10)
				if err != nil {
					return err
				}
				if n < 0 {
					size, err := m.varint(10)
					if err != nil {
						return err
					}
					if size < 0 || size > int64(len(m.in)-m.pos) {
						return m.corrupt("block size past the end")
					}
					m.pos += int(size)
					continue
				}
				m.pos = before // read it again, checked
			}
			n, size, err := m.blockCount(s.elem.minSize + b2i(s.kind == compat.Map))
			if err != nil {
				return err
			}
			if n == 0 {
				return nil
			}
			start := m.pos
			for ; n > 0; n-- {
				if s.kind == compat.Map {
					if err := m.skip(stringSkipper); err != nil {
						return err
					}
				}
				if err := m.skip(s.elem); err != nil {
					return err
				}
			}
			if size >= 0 && int64(m.pos-start) != size {
				return m.corrupt("block size does not match its items")
			}
		}
	}
	return fmt.Errorf("skip %s: unsupported", s.kind)
}

var stringSkipper = &skipper{kind: compat.String, width: -1, minSize: 1}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

func (m *machine) run(n *node) error {
	switch n.op {
	case opCopy:
		start := m.pos
		m.copying = true
		err := m.skip(n.skip)
		m.copying = false
		if err != nil {
			return err
		}
		m.out = append(m.out, m.in[start:m.pos]...)
		return nil
	case opIntToFloat, opIntToDouble:
		v, err := m.varint(10)
		if err != nil {
			return err
		}
		if n.op == opIntToFloat {
			m.out = appendFloat(m.out, float32(v))
		} else {
			m.out = appendDouble(m.out, float64(v))
		}
		return nil
	case opFloatToDouble:
		if err := m.need(4); err != nil {
			return err
		}
		f := math.Float32frombits(binary.LittleEndian.Uint32(m.in[m.pos:]))
		m.pos += 4
		m.out = appendDouble(m.out, float64(f))
		return nil
	case opEnum:
		i, err := m.varint(5)
		if err != nil {
			return err
		}
		if i < 0 || i >= int64(len(n.enum)) {
			return m.corrupt(fmt.Sprintf("enum index %d of %d symbols", i, len(n.enum)))
		}
		j := n.enum[i]
		if j < 0 {
			return m.corrupt(fmt.Sprintf("enum symbol %d is unknown to the reader, which has no default", i))
		}
		m.out = zigzag(m.out, int64(j))
		return nil
	case opToUnion:
		m.out = append(m.out, n.branch...)
		return m.run(n.elem)
	case opUnion:
		i, err := m.varint(10)
		if err != nil {
			return err
		}
		if i < 0 || i >= int64(len(n.branches)) {
			return m.corrupt(fmt.Sprintf("union index %d of %d branches", i, len(n.branches)))
		}
		b := &n.branches[i]
		m.out = append(m.out, b.index...)
		return m.run(b.plan)
	case opArray, opMap:
		return m.blocks(n)
	case opRecord:
		if m.depth++; m.depth > MaxDepth {
			return m.tooDeep()
		}
		var err error
		if n.reorder {
			err = m.reordered(n)
		} else {
			err = m.inOrder(n)
		}
		m.depth--
		return err
	}
	return fmt.Errorf("plan op %d: unsupported", n.op)
}

func (m *machine) blocks(n *node) error {
	minSize := n.skip.minSize
	if n.op == opMap {
		minSize++
	}
	for {
		count, size, err := m.blockCount(minSize)
		if err != nil {
			return err
		}
		if count == 0 {
			m.out = append(m.out, 0)
			return nil
		}
		m.out = zigzag(m.out, count)
		start := m.pos
		for ; count > 0; count-- {
			if n.op == opMap {
				start := m.pos
				if err := m.skip(stringSkipper); err != nil {
					return err
				}
				m.out = append(m.out, m.in[start:m.pos]...)
			}
			if err := m.run(n.elem); err != nil {
				return err
			}
		}
		if size >= 0 && int64(m.pos-start) != size {
			return m.corrupt("block size does not match its items")
		}
	}
}

func (m *machine) inOrder(n *node) error {
	for i := range n.steps {
		s := &n.steps[i]
		switch s.kind {
		case stepSkip:
			for _, k := range s.skips {
				if err := m.skip(k); err != nil {
					return err
				}
			}
		case stepCopy:
			start := m.pos
			m.copying = true
			for _, k := range s.skips {
				if err := m.skip(k); err != nil {
					m.copying = false
					return err
				}
			}
			m.copying = false
			m.out = append(m.out, m.in[start:m.pos]...)
		case stepConvert:
			if err := m.run(s.plan); err != nil {
				return err
			}
		case stepDefault:
			m.out = append(m.out, s.def...)
		}
	}
	return nil
}

// reordered transcodes the writer fields in writer order into spans at
// the end of the output, then appends them in reader order and moves that
// over the spans.
func (m *machine) reordered(n *node) error {
	start := len(m.out)
	base := len(m.spans)
	for range n.nReaders {
		m.spans = append(m.spans, span{})
	}
	for i := range n.steps {
		s := &n.steps[i]
		if s.kind == stepSkip {
			for _, k := range s.skips {
				if err := m.skip(k); err != nil {
					return err
				}
			}
			continue
		}
		from := len(m.out)
		if err := m.run(s.plan); err != nil {
			return err
		}
		m.spans[base+s.reader] = span{from, len(m.out)}
	}
	mid := len(m.out)
	for ri := range n.emit {
		e := &n.emit[ri]
		if e.fromDef {
			m.out = append(m.out, e.def...)
			continue
		}
		sp := m.spans[base+ri]
		m.out = append(m.out, m.out[sp.start:sp.end]...)
	}
	k := copy(m.out[start:], m.out[mid:])
	m.out = m.out[:start+k]
	m.spans = m.spans[:base]
	return nil
}

func appendFloat(dst []byte, f float32) []byte {
	return binary.LittleEndian.AppendUint32(dst, math.Float32bits(f))
}

func appendDouble(dst []byte, f float64) []byte {
	return binary.LittleEndian.AppendUint64(dst, math.Float64bits(f))
}
