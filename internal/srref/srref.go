// Package srref fetches, from a Confluent-compatible schema registry, the
// schemas that a registered schema references, as compat sources ready for
// compat.Parse. It serves `faustgen check --against registry:` and the
// runtime's writer-schema resolver; it does not register anything.
package srref

import (
	"context"
	"fmt"

	"github.com/twmb/franz-go/pkg/sr"

	"github.com/faustgen/faustgen/compat"
)

// MaxDepth bounds how deeply references may nest.
const MaxDepth = 32

// Sources fetches the schemas that refs name, and theirs in turn, each
// subject version once, dependencies before the schemas that use them. A
// source is named "registry SUBJECT version N".
func Sources(ctx context.Context, cl *sr.Client, refs []sr.SchemaReference) ([]compat.Source, error) {
	return sources(ctx, cl, refs, map[string]bool{}, 0)
}

func sources(ctx context.Context, cl *sr.Client, refs []sr.SchemaReference, seen map[string]bool, depth int) ([]compat.Source, error) {
	if depth > MaxDepth {
		return nil, fmt.Errorf("schema references nested more than %d deep", MaxDepth)
	}
	var out []compat.Source
	for _, ref := range refs {
		key := fmt.Sprintf("%s/%d", ref.Subject, ref.Version)
		if seen[key] {
			continue
		}
		seen[key] = true
		ss, err := cl.SchemaByVersion(ctx, ref.Subject, ref.Version)
		if err != nil {
			return nil, fmt.Errorf("fetch reference %s (subject %s version %d): %w", ref.Name, ref.Subject, ref.Version, err)
		}
		deps, err := sources(ctx, cl, ss.References, seen, depth+1)
		if err != nil {
			return nil, err
		}
		out = append(out, deps...)
		out = append(out, compat.Source{Name: fmt.Sprintf("registry %s version %d", ref.Subject, ref.Version), Data: []byte(ss.Schema.Schema)})
	}
	return out, nil
}
