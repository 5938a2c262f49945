package allgen

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/faustgen/faustgen/runtime"
)

// nodeChain is the encoding of n Nodes, each the next of the one before:
// value 0, no children, next = the following Node (union index 1), the
// last one's next null.
func nodeChain(n int) []byte {
	b := bytes.Repeat([]byte{0x00, 0x00, 0x02}, n-1)
	return append(b, 0x00, 0x00, 0x00)
}

// exprChain is the encoding of n Exprs, each the left of the one before
// through the general union ["long", "Expr"], the innermost one's left the
// long 0; every partner is null.
func exprChain(n int) []byte {
	b := bytes.Repeat([]byte{0x00, 0x02}, n-1) // op "", left: branch 1 (Expr)
	b = append(b, 0x00, 0x00, 0x00, 0x00)      // op "", left: branch 0, long 0, partner null
	return append(b, bytes.Repeat([]byte{0x00}, n-1)...)
}

// Records nested exactly MaxDecodeDepth deep decode; one more is refused
// with ErrTooDeep, through a nullable field, an array and a general union
// alike, instead of recursing until the stack is gone.
func TestDecodeStopsPastMaxDecodeDepth(t *testing.T) {
	childrenChain := func(n int) []byte { // each Node the only child of the one before
		b := bytes.Repeat([]byte{0x00, 0x02}, n-1)                 // value 0, children: a block of 1
		b = append(b, 0x00, 0x00, 0x00)                            // value 0, no children, next null
		return append(b, bytes.Repeat([]byte{0x00, 0x00}, n-1)...) // end of block, next null
	}
	cases := []struct {
		name   string
		encode func(n int) []byte
		decode func(b []byte) (depth int, err error)
	}{
		{"nullable field", nodeChain, func(b []byte) (int, error) {
			var v Node
			err := v.UnmarshalAvro(b)
			d := 0
			for p := &v; p != nil; p = p.Next {
				d++
			}
			return d, err
		}},
		{"array items", childrenChain, func(b []byte) (int, error) {
			var v Node
			err := v.UnmarshalAvro(b)
			d := 1
			for p := &v; len(p.Children) > 0; p = &p.Children[0] {
				d++
			}
			return d, err
		}},
		{"general union", exprChain, func(b []byte) (int, error) {
			var v Expr
			err := v.UnmarshalAvro(b)
			d := 1
			for p := &v; p.Left.Kind == ExprLeftExpr; p = p.Left.Expr {
				d++
			}
			return d, err
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			depth, err := c.decode(c.encode(runtime.MaxDecodeDepth))
			if err != nil {
				t.Fatalf("%d nested records: %v", runtime.MaxDecodeDepth, err)
			}
			if depth != runtime.MaxDecodeDepth {
				t.Fatalf("decoded %d nested records, want %d", depth, runtime.MaxDecodeDepth)
			}
			_, err = c.decode(c.encode(runtime.MaxDecodeDepth + 1))
			if !errors.Is(err, runtime.ErrTooDeep) {
				t.Fatalf("%d nested records: got %v, want ErrTooDeep", runtime.MaxDecodeDepth+1, err)
			}
		})
	}
}

// A value far deeper than the limit (a few megabytes of nested Nodes, as a
// poison record would be) fails fast with ErrTooDeep.
func TestDecodeOfAHugelyNestedValueFails(t *testing.T) {
	var v Node
	if err := v.UnmarshalAvro(nodeChain(1 << 20)); !errors.Is(err, runtime.ErrTooDeep) {
		t.Fatalf("got %v, want ErrTooDeep", err)
	}
}

// Encoding refuses what decoding would: records nested past
// MaxDecodeDepth, and so a value whose pointers form a cycle, fail with an
// error instead of recursing until the stack is gone.
func TestEncodeStopsPastMaxDecodeDepth(t *testing.T) {
	chain := func(n int) *Node {
		var v *Node
		for range n {
			v = &Node{Next: v}
		}
		return v
	}
	b, err := chain(runtime.MaxDecodeDepth).MarshalAvro()
	if err != nil {
		t.Fatalf("%d nested records: %v", runtime.MaxDecodeDepth, err)
	}
	if !bytes.Equal(b, nodeChain(runtime.MaxDecodeDepth)) {
		t.Fatal("the chain encodes to other bytes than nodeChain builds")
	}
	if _, err := chain(runtime.MaxDecodeDepth + 1).MarshalAvro(); err == nil || !strings.Contains(err.Error(), "records nested more than") {
		t.Fatalf("%d nested records: got %v, want a depth error", runtime.MaxDecodeDepth+1, err)
	}
	cycle := &Node{}
	cycle.Next = cycle
	if _, err := cycle.MarshalAvro(); err == nil {
		t.Fatal("a Node that is its own next encoded")
	}
	loop := &Expr{}
	loop.Left = ExprLeft{Kind: ExprLeftExpr, Expr: loop}
	if _, err := loop.MarshalAvro(); err == nil {
		t.Fatal("an Expr that is its own left (through a general union) encoded")
	}
}
