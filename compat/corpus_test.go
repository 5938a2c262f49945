package compat

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// evolutionCase is one file of testdata/evolution: a history of versions, a
// candidate, a level and the expected verdict.
//
// Format: header lines "key: value" (level, verdict, rules, findings,
// java), then sections "-- NAME --". A section "vN" or "vN/file.avsc" is a
// file of history version N (versions in order of first appearance); "new"
// or "new/file.avsc" belongs to the candidate. Within a version the last
// file is the root schema and earlier ones supply referenced named types.
// "java: compatible|incompatible REASON" records what Apache Avro's Java
// checker (and registries built on it) answer when it differs from ours;
// "registry: VERDICT REASON" what the real registry (Apicurio) answers when
// it differs from that.
type evolutionCase struct {
	name      string
	file      string
	level     Level
	compat    bool
	rules     []string
	findings  int // -1: not asserted
	java      string
	javaWhy   string
	registry  string // the real registry's verdict where it differs from Java's
	regWhy    string
	history   [][]Source
	candidate []Source
}

func loadCorpus(t testing.TB) []evolutionCase {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", "evolution", "*.txt"))
	if err != nil {
		t.Fatal(err)
	}
	var cases []evolutionCase
	for _, f := range files {
		c, err := parseCase(f)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		cases = append(cases, c)
	}
	return cases
}

func parseCase(path string) (evolutionCase, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return evolutionCase{}, err
	}
	c := evolutionCase{name: strings.TrimSuffix(filepath.Base(path), ".txt"), file: path, findings: -1}
	var order []string
	files := map[string][]Source{}
	var cur *Source
	curVersion := ""
	flush := func() {
		if cur != nil {
			files[curVersion] = append(files[curVersion], *cur)
			cur = nil
		}
	}
	sc := bufio.NewScanner(strings.NewReader(string(data)))
	line := 0
	for sc.Scan() {
		line++
		text := sc.Text()
		if strings.HasPrefix(text, "-- ") && strings.HasSuffix(text, " --") {
			flush()
			name := strings.TrimSuffix(strings.TrimPrefix(text, "-- "), " --")
			version, _, _ := strings.Cut(name, "/")
			if _, ok := files[version]; !ok && version != "new" {
				order = append(order, version)
			}
			if _, ok := files[version]; !ok {
				files[version] = nil
			}
			curVersion = version
			// Pad with empty lines so positions are those of the case file.
			cur = &Source{Name: path, Data: []byte(strings.Repeat("\n", line))}
			continue
		}
		if cur != nil {
			cur.Data = append(cur.Data, text+"\n"...)
			continue
		}
		if strings.TrimSpace(text) == "" || strings.HasPrefix(text, "#") {
			continue
		}
		key, val, ok := strings.Cut(text, ":")
		if !ok {
			return c, fmt.Errorf("line %d: expected key: value", line)
		}
		val = strings.TrimSpace(val)
		switch strings.TrimSpace(key) {
		case "level":
			if c.level, err = ParseLevel(val); err != nil {
				return c, fmt.Errorf("line %d: %w", line, err)
			}
		case "verdict":
			switch val {
			case "compatible":
				c.compat = true
			case "incompatible":
			default:
				return c, fmt.Errorf("line %d: verdict must be compatible or incompatible", line)
			}
		case "rules":
			c.rules = strings.Fields(val)
			sort.Strings(c.rules)
		case "findings":
			if c.findings, err = strconv.Atoi(val); err != nil {
				return c, fmt.Errorf("line %d: %w", line, err)
			}
		case "java":
			c.java, c.javaWhy, _ = strings.Cut(val, " ")
		case "registry":
			c.registry, c.regWhy, _ = strings.Cut(val, " ")
		default:
			return c, fmt.Errorf("line %d: unknown key %q", line, key)
		}
	}
	flush()
	if files["new"] == nil {
		return c, fmt.Errorf("no \"-- new --\" section")
	}
	for _, v := range order {
		c.history = append(c.history, files[v])
	}
	c.candidate = files["new"]
	if c.compat != (len(c.rules) == 0) {
		return c, fmt.Errorf("verdict and rules disagree")
	}
	return c, nil
}

// parsed parses the case's versions; history versions are labelled v1, v2...
func (c evolutionCase) parsed() ([]*Schema, *Schema, error) {
	var hist []*Schema
	for i, srcs := range c.history {
		s, err := Parse(fmt.Sprintf("v%d", i+1), srcs...)
		if err != nil {
			return nil, nil, err
		}
		hist = append(hist, s)
	}
	cand, err := Parse("new", c.candidate...)
	return hist, cand, err
}

func ruleSet(fs []Finding) []string {
	var rules []string
	for _, f := range fs {
		if !slices.Contains(rules, f.Rule) {
			rules = append(rules, f.Rule)
		}
	}
	sort.Strings(rules)
	return rules
}

func TestEvolutionCorpus(t *testing.T) {
	cases := loadCorpus(t)
	if len(cases) < 60 {
		t.Fatalf("corpus has %d cases, want at least 60", len(cases))
	}
	levels := map[Level]int{}
	rules := map[string]int{}
	for _, c := range cases {
		levels[c.level]++
		for _, r := range c.rules {
			rules[r]++
		}
		t.Run(c.name, func(t *testing.T) {
			hist, cand, err := c.parsed()
			if err != nil {
				t.Fatalf("parse: %v", err)
			}
			res := Check(hist, cand, c.level)
			if res.Compatible != c.compat {
				t.Errorf("compatible = %v, want %v; findings:\n%s", res.Compatible, c.compat, findingsText(res.Findings))
			}
			if got := ruleSet(res.Findings); !slices.Equal(got, c.rules) {
				t.Errorf("rules = %v, want %v; findings:\n%s", got, c.rules, findingsText(res.Findings))
			}
			if c.findings >= 0 && len(res.Findings) != c.findings {
				t.Errorf("%d findings, want %d:\n%s", len(res.Findings), c.findings, findingsText(res.Findings))
			}
			for _, f := range res.Findings {
				if f.Path == "" || f.Hint == "" || f.Message == "" || f.Candidate != "new" || f.Against == "" || f.Pos.Line == 0 {
					t.Errorf("incomplete finding %+v", f)
				}
			}
		})
	}
	for l := None; l <= FullTransitive; l++ {
		if levels[l] == 0 {
			t.Errorf("no corpus case at level %s", l)
		}
	}
	for _, r := range []string{RuleTypeMismatch, RuleTypeNarrowed, RuleNameMismatch, RuleFieldAddedNoDefault, RuleFieldRemovedNoDef,
		RuleEnumSymbolRemoved, RuleEnumSymbolAdded, RuleFixedSizeChanged, RuleDecimalPrecision, RuleDecimalScale,
		RuleLogicalTypeChanged, RuleUnionBranchMissing} {
		if rules[r] == 0 {
			t.Errorf("no corpus case expects rule %s", r)
		}
	}
}

func findingsText(fs []Finding) string {
	var b strings.Builder
	for _, f := range fs {
		fmt.Fprintf(&b, "  %s [%s %s vs %s]\n", f, f.Direction, f.Candidate, f.Against)
	}
	return b.String()
}
