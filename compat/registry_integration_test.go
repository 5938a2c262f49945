//go:build integration

package compat

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/sr"
)

// TestCorpusAgreesWithRealRegistry registers every corpus case's history in
// a real schema registry (FAUSTGEN_REGISTRY: a Confluent-compatible API,
// Apicurio's /apis/ccompat/v7 in `make test-integration`), sets the case's
// level on the subject and registers the candidate: 409 means incompatible.
// The verdict must equal ours, or the documented "java:" verdict where the
// registry (which uses Apache Avro's Java rules) knowingly differs
// (decimals and other logical types), or the documented "registry:"
// verdict where the registry differs from Java (a subject level of NONE).
func TestCorpusAgreesWithRealRegistry(t *testing.T) {
	url := os.Getenv("FAUSTGEN_REGISTRY")
	if url == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("FAUSTGEN_REGISTRY is required when CI=true (run through make test-integration)")
		}
		t.Skip("FAUSTGEN_REGISTRY not set")
	}
	cl, err := sr.NewClient(sr.URLs(url))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	run := fmt.Sprintf("faustgen-compat-%d", time.Now().UnixNano())
	var subjects []string
	defer func() {
		for _, s := range subjects {
			cl.DeleteSubject(ctx, s, sr.SoftDelete)
			cl.DeleteSubject(ctx, s, sr.HardDelete)
		}
	}()

	// register puts one version (its files as referenced subjects) under
	// subject and returns the registry's answer.
	register := func(c evolutionCase, subject string, label string, srcs []Source) error {
		var refs []sr.SchemaReference
		for i, s := range srcs[:len(srcs)-1] {
			parsed, err := Parse("ref", s)
			if err != nil {
				return err
			}
			refSubject := fmt.Sprintf("%s-%s-%s-ref%d", run, c.name, label, i)
			subjects = append(subjects, refSubject)
			cl.SetCompatibility(ctx, sr.SetCompatibility{Level: sr.CompatNone}, refSubject)
			ss, err := cl.CreateSchema(ctx, refSubject, sr.Schema{Schema: string(s.Data), Type: sr.TypeAvro, References: refs})
			if err != nil {
				return fmt.Errorf("register reference %s: %w", refSubject, err)
			}
			refs = append(refs, sr.SchemaReference{Name: parsed.Root.Name, Subject: refSubject, Version: ss.Version})
		}
		_, err := cl.RegisterSchema(ctx, subject, sr.Schema{Schema: string(srcs[len(srcs)-1].Data), Type: sr.TypeAvro, References: refs}, -1, -1)
		return err
	}

	for _, c := range loadCorpus(t) {
		t.Run(c.name, func(t *testing.T) {
			subject := run + "-" + c.name
			subjects = append(subjects, subject)
			// The registry keeps no level for a subject it does not hold
			// yet: register v1 first, then pin NONE for the rest.
			for i, v := range c.history {
				if err := register(c, subject, fmt.Sprintf("v%d", i+1), v); err != nil {
					t.Fatalf("register history v%d: %v", i+1, err)
				}
				if i == 0 {
					if res := cl.SetCompatibility(ctx, sr.SetCompatibility{Level: sr.CompatNone}, subject); res[0].Err != nil {
						t.Fatalf("set NONE: %v", res[0].Err)
					}
				}
			}
			var level sr.CompatibilityLevel
			if err := level.UnmarshalText([]byte(c.level.String())); err != nil {
				t.Fatal(err)
			}
			if len(c.history) > 0 {
				if res := cl.SetCompatibility(ctx, sr.SetCompatibility{Level: level}, subject); res[0].Err != nil {
					t.Fatalf("set %s: %v", c.level, res[0].Err)
				}
			}
			err := register(c, subject, "new", c.candidate)
			got := "compatible"
			var re *sr.ResponseError
			switch {
			case err == nil:
			case errors.As(err, &re) && re.StatusCode == http.StatusConflict:
				got = "incompatible"
			default:
				t.Fatalf("register candidate: %v", err)
			}
			want := "incompatible"
			if c.compat {
				want = "compatible"
			}
			if c.java != "" {
				want = c.java
			}
			if c.registry != "" {
				want = c.registry
			}
			if got != want {
				msg := ""
				if re != nil {
					msg = strings.TrimSpace(re.Message)
				}
				t.Errorf("registry says %s at %s, want %s %s", got, c.level, want, msg)
			}
		})
	}
}
