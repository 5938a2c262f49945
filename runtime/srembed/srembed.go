// Package srembed is an in-process schema registry for demos, examples and
// tests: an HTTP server on 127.0.0.1 (an ephemeral port) that speaks the
// subset of the Confluent schema-registry REST API that franz-go's pkg/sr
// client and faustgen use, and that really enforces compatibility with
// package compat — unlike franz-go's srfake, which answers "compatible" to
// everything.
//
// It holds everything in memory and is not for production: no
// persistence, no authentication, no schema types other than Avro, no
// contexts, modes or metadata rules.
//
// Behaviour worth knowing:
//   - The global compatibility level starts as BACKWARD.
//   - Two schemas are the same (same id) when their compat.Schema.Canonical
//     forms and references are equal: white space, key order and docs do not
//     matter; defaults and aliases do.
//   - Registering a schema already in the subject returns its id and adds no
//     version.
//   - A rejected registration answers 409 with every finding in the message;
//     POST /compatibility/... with ?verbose=true lists them one per message.
//   - Checking against "latest" or against no version follows the subject's
//     level (transitive levels check every live version); checking against
//     a numbered version compares with that version only.
//   - Schema references ({"name","subject","version"}) are resolved against
//     the registry's own subjects: named types cross subjects as they cross
//     files.
package srembed

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/faustgen/faustgen/compat"
)

// Server is a running embedded registry. Its methods are safe for
// concurrent use.
type Server struct {
	ln   net.Listener
	http *http.Server
	done chan struct{}
	stop func() bool

	closeOnce sync.Once
	closeErr  error

	mu       sync.Mutex
	global   compat.Level
	subjects map[string]*subject
	schemas  []*stored      // by id-1
	byKey    map[string]int // identity key → id
}

// Reference is a Confluent schema reference: a named type defined in
// another subject's version.
type Reference struct {
	Name    string `json:"name"`
	Subject string `json:"subject"`
	Version int    `json:"version"`
}

type stored struct {
	id     int
	text   string
	refs   []Reference
	parsed *compat.Schema
}

type subject struct {
	versions    []*version // in version order, soft-deleted ones included
	level       *compat.Level
	lastVersion int
}

type version struct {
	number  int
	id      int
	deleted bool
}

// Start starts a registry on 127.0.0.1 with an ephemeral port. It stops
// when ctx is done or Close is called.
func Start(ctx context.Context) (*Server, error) {
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("start embedded schema registry: %w", err)
	}
	s := &Server{
		ln:       ln,
		done:     make(chan struct{}),
		global:   compat.Backward,
		subjects: map[string]*subject{},
		byKey:    map[string]int{},
	}
	s.http = &http.Server{Handler: s.routes(), ReadHeaderTimeout: 10 * time.Second}
	go func() {
		defer close(s.done)
		_ = s.http.Serve(ln) // returns http.ErrServerClosed after Close
	}()
	s.stop = context.AfterFunc(ctx, func() { _ = s.Close() })
	return s, nil
}

// URL returns the registry's base URL, e.g. "http://127.0.0.1:41234".
func (s *Server) URL() string { return "http://" + s.ln.Addr().String() }

// Close stops the server: it closes the listener and every connection
// (requests in flight are cut off; this is a test registry) and waits for
// the serving goroutine. It is safe to call more than once.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		s.stop()
		if err := s.http.Close(); err != nil {
			s.closeErr = fmt.Errorf("stop embedded schema registry: %w", err)
		}
		<-s.done
	})
	return s.closeErr
}

// Confluent error codes.
const (
	codeSubjectNotFound    = 40401
	codeVersionNotFound    = 40402
	codeSchemaNotFound     = 40403
	codeSubjectSoftDeleted = 40404
	codeNotSoftDeleted     = 40405
	codeSubjectLevelNotSet = 40408
	codeInvalidSchema      = 42201
	codeInvalidVersion     = 42202
	codeInvalidCompatLevel = 42203
	codeIncompatibleSchema = 409
	contentType            = "application/vnd.schemaregistry.v1+json"
	maxRequestBody         = 16 << 20
)

type apiError struct {
	status int
	code   int
	msg    string
}

func (e *apiError) Error() string { return e.msg }

func errf(status, code int, format string, args ...any) *apiError {
	return &apiError{status: status, code: code, msg: fmt.Sprintf(format, args...)}
}

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	h := func(pattern string, fn func(r *http.Request) (any, error)) {
		mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
			r.Body = http.MaxBytesReader(w, r.Body, maxRequestBody)
			s.mu.Lock()
			out, err := fn(r)
			s.mu.Unlock()
			w.Header().Set("Content-Type", contentType)
			var ae *apiError
			if errors.As(err, &ae) {
				w.WriteHeader(ae.status)
				_ = json.NewEncoder(w).Encode(map[string]any{"error_code": ae.code, "message": ae.msg})
				return
			}
			if err != nil {
				w.WriteHeader(http.StatusInternalServerError)
				_ = json.NewEncoder(w).Encode(map[string]any{"error_code": 50001, "message": err.Error()})
				return
			}
			if raw, ok := out.(json.RawMessage); ok {
				_, _ = w.Write(raw)
				return
			}
			_ = json.NewEncoder(w).Encode(out)
		})
	}
	h("GET /{$}", func(*http.Request) (any, error) { return map[string]any{}, nil })
	h("GET /schemas/types", func(*http.Request) (any, error) { return []string{"AVRO"}, nil })
	h("GET /schemas/ids/{id}", s.getSchemaByID)
	h("GET /schemas/ids/{id}/schema", s.getSchemaTextByID)
	h("GET /schemas/ids/{id}/versions", s.getSchemaUsages)
	h("GET /schemas/ids/{id}/subjects", s.getSchemaSubjects)
	h("GET /subjects", s.listSubjects)
	h("GET /subjects/{subject}/versions", s.listVersions)
	h("GET /subjects/{subject}/versions/{version}", s.getVersion)
	h("GET /subjects/{subject}/versions/{version}/schema", s.getVersionText)
	h("POST /subjects/{subject}/versions", s.register)
	h("POST /subjects/{subject}", s.lookup)
	h("DELETE /subjects/{subject}", s.deleteSubject)
	h("DELETE /subjects/{subject}/versions/{version}", s.deleteVersion)
	h("GET /config", s.getGlobalConfig)
	h("PUT /config", s.putGlobalConfig)
	h("DELETE /config", s.deleteGlobalConfig)
	h("GET /config/{subject}", s.getSubjectConfig)
	h("PUT /config/{subject}", s.putSubjectConfig)
	h("DELETE /config/{subject}", s.deleteSubjectConfig)
	h("POST /compatibility/subjects/{subject}/versions", s.checkCompatibility)
	h("POST /compatibility/subjects/{subject}/versions/{version}", s.checkCompatibility)
	h("GET /mode", func(*http.Request) (any, error) { return map[string]string{"mode": "READWRITE"}, nil })
	h("GET /mode/{subject}", func(*http.Request) (any, error) { return map[string]string{"mode": "READWRITE"}, nil })
	return mux
}

// schemaRequest is the body of register, lookup and compatibility calls.
type schemaRequest struct {
	Schema     string      `json:"schema"`
	SchemaType string      `json:"schemaType"`
	References []Reference `json:"references"`
}

type subjectSchema struct {
	Subject    string      `json:"subject"`
	Version    int         `json:"version"`
	ID         int         `json:"id"`
	Schema     string      `json:"schema"`
	References []Reference `json:"references,omitempty"`
}

func readSchemaRequest(r *http.Request) (schemaRequest, error) {
	var req schemaRequest
	dec := json.NewDecoder(r.Body)
	if err := dec.Decode(&req); err != nil {
		return req, errf(http.StatusUnprocessableEntity, codeInvalidSchema, "invalid request body: %v", err)
	}
	if req.SchemaType != "" && !strings.EqualFold(req.SchemaType, "AVRO") {
		return req, errf(http.StatusUnprocessableEntity, codeInvalidSchema, "schema type %s is not supported: only AVRO", req.SchemaType)
	}
	if strings.TrimSpace(req.Schema) == "" {
		return req, errf(http.StatusUnprocessableEntity, codeInvalidSchema, "empty schema")
	}
	return req, nil
}

// parse resolves references and parses the schema. The caller holds mu.
func (s *Server) parse(label string, req schemaRequest) (*compat.Schema, error) {
	var srcs []compat.Source
	seen := map[string]bool{}
	var walk func(refs []Reference, depth int) error
	walk = func(refs []Reference, depth int) error {
		if depth > 32 {
			return errf(http.StatusUnprocessableEntity, codeInvalidSchema, "references nested more than 32 deep")
		}
		for _, ref := range refs {
			key := ref.Subject + "\x00" + strconv.Itoa(ref.Version)
			if seen[key] {
				continue
			}
			seen[key] = true
			st, err := s.versionSchema(ref.Subject, ref.Version)
			if err != nil {
				return errf(http.StatusUnprocessableEntity, codeInvalidSchema, "reference %s to subject %q version %d: %v", ref.Name, ref.Subject, ref.Version, err)
			}
			if err := walk(st.refs, depth+1); err != nil {
				return err
			}
			srcs = append(srcs, compat.Source{Name: fmt.Sprintf("%s/%d", ref.Subject, ref.Version), Data: []byte(st.text)})
		}
		return nil
	}
	if err := walk(req.References, 0); err != nil {
		return nil, err
	}
	srcs = append(srcs, compat.Source{Name: label, Data: []byte(req.Schema)})
	sc, err := compat.Parse(label, srcs...)
	if err != nil {
		return nil, errf(http.StatusUnprocessableEntity, codeInvalidSchema, "invalid schema: %v", err)
	}
	return sc, nil
}

func identity(sc *compat.Schema, refs []Reference) string {
	var b strings.Builder
	b.WriteString(sc.Canonical())
	for _, r := range refs {
		fmt.Fprintf(&b, "\x00%s\x00%s\x00%d", r.Name, r.Subject, r.Version)
	}
	return b.String()
}

func (s *Server) versionSchema(subj string, v int) (*stored, error) {
	_, ver, err := s.findVersion(subj, strconv.Itoa(v), false)
	if err != nil {
		return nil, err
	}
	return s.schemas[ver.id-1], nil
}

// live returns the subject's versions that are not soft-deleted.
func (sub *subject) live() []*version {
	var out []*version
	for _, v := range sub.versions {
		if !v.deleted {
			out = append(out, v)
		}
	}
	return out
}

func (s *Server) liveSubject(name string) (*subject, error) {
	sub, ok := s.subjects[name]
	if !ok || len(sub.live()) == 0 {
		return nil, errf(http.StatusNotFound, codeSubjectNotFound, "Subject '%s' not found.", name)
	}
	return sub, nil
}

func (s *Server) findVersion(name, v string, showDeleted bool) (*subject, *version, error) {
	sub, ok := s.subjects[name]
	if !ok || (!showDeleted && len(sub.live()) == 0) {
		return nil, nil, errf(http.StatusNotFound, codeSubjectNotFound, "Subject '%s' not found.", name)
	}
	if v == "latest" || v == "-1" {
		vs := sub.live()
		if showDeleted {
			vs = sub.versions
		}
		if len(vs) == 0 {
			return nil, nil, errf(http.StatusNotFound, codeVersionNotFound, "Version latest not found.")
		}
		return sub, vs[len(vs)-1], nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		return nil, nil, errf(http.StatusUnprocessableEntity, codeInvalidVersion, "The specified version '%s' is not a valid version id. Allowed values are between [1, 2^31-1] and the string \"latest\"", v)
	}
	for _, ver := range sub.versions {
		if ver.number == n && (showDeleted || !ver.deleted) {
			return sub, ver, nil
		}
	}
	return nil, nil, errf(http.StatusNotFound, codeVersionNotFound, "Version %d not found.", n)
}

func (s *Server) levelOf(name string) compat.Level {
	if sub, ok := s.subjects[name]; ok && sub.level != nil {
		return *sub.level
	}
	return s.global
}

func (s *Server) history(sub *subject) []*compat.Schema {
	var out []*compat.Schema
	for _, v := range sub.live() {
		sc := s.schemas[v.id-1].parsed
		out = append(out, relabel(sc, fmt.Sprintf("version %d", v.number)))
	}
	return out
}

// relabel returns a shallow copy of sc with another Version label.
func relabel(sc *compat.Schema, label string) *compat.Schema {
	c := *sc
	c.Version = label
	return &c
}

func describeFinding(f compat.Finding) string {
	return fmt.Sprintf("%s at %s (%s: %s reads data written with %s): %s; hint: %s",
		f.Rule, f.Path, f.Direction, f.Reader, f.Writer, f.Message, f.Hint)
}

func (s *Server) register(r *http.Request) (any, error) {
	name := r.PathValue("subject")
	req, err := readSchemaRequest(r)
	if err != nil {
		return nil, err
	}
	sc, err := s.parse("new schema", req)
	if err != nil {
		return nil, err
	}
	key := identity(sc, req.References)
	sub := s.subjects[name]
	if id, ok := s.byKey[key]; ok && sub != nil {
		for _, v := range sub.live() {
			if v.id == id {
				return map[string]int{"id": id}, nil
			}
		}
	}
	if sub != nil {
		level := s.levelOf(name)
		res := compat.Check(s.history(sub), sc, level)
		if !res.Compatible {
			msgs := make([]string, len(res.Findings))
			for i, f := range res.Findings {
				msgs[i] = describeFinding(f)
			}
			return nil, errf(http.StatusConflict, codeIncompatibleSchema,
				"Schema being registered is incompatible with an earlier schema for subject %q (compatibility %s), details: [%s]",
				name, level, strings.Join(msgs, "; "))
		}
	} else {
		sub = &subject{}
		s.subjects[name] = sub
	}
	id, ok := s.byKey[key]
	if !ok {
		id = len(s.schemas) + 1
		s.schemas = append(s.schemas, &stored{id: id, text: req.Schema, refs: req.References, parsed: sc})
		s.byKey[key] = id
	}
	sub.lastVersion++
	sub.versions = append(sub.versions, &version{number: sub.lastVersion, id: id})
	return map[string]int{"id": id}, nil
}

func (s *Server) lookup(r *http.Request) (any, error) {
	name := r.PathValue("subject")
	req, err := readSchemaRequest(r)
	if err != nil {
		return nil, err
	}
	sub, err := s.liveSubject(name)
	if err != nil {
		return nil, err
	}
	sc, err := s.parse("schema", req)
	if err != nil {
		return nil, err
	}
	if id, ok := s.byKey[identity(sc, req.References)]; ok {
		for _, v := range sub.live() {
			if v.id == id {
				return s.subjectSchema(name, v), nil
			}
		}
	}
	return nil, errf(http.StatusNotFound, codeSchemaNotFound, "Schema not found")
}

func (s *Server) subjectSchema(name string, v *version) subjectSchema {
	st := s.schemas[v.id-1]
	return subjectSchema{Subject: name, Version: v.number, ID: v.id, Schema: st.text, References: st.refs}
}

func (s *Server) schemaByID(r *http.Request) (*stored, error) {
	id, err := strconv.Atoi(r.PathValue("id"))
	if err != nil || id <= 0 || id > len(s.schemas) {
		return nil, errf(http.StatusNotFound, codeSchemaNotFound, "Schema %s not found", r.PathValue("id"))
	}
	return s.schemas[id-1], nil
}

func (s *Server) getSchemaByID(r *http.Request) (any, error) {
	st, err := s.schemaByID(r)
	if err != nil {
		return nil, err
	}
	out := map[string]any{"schema": st.text}
	if len(st.refs) > 0 {
		out["references"] = st.refs
	}
	return out, nil
}

func (s *Server) getSchemaTextByID(r *http.Request) (any, error) {
	st, err := s.schemaByID(r)
	if err != nil {
		return nil, err
	}
	return json.RawMessage(st.text), nil
}

func (s *Server) usages(id int) (subjects []string, versions []map[string]any) {
	names := make([]string, 0, len(s.subjects))
	for n := range s.subjects {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		used := false
		for _, v := range s.subjects[n].live() {
			if v.id == id {
				versions = append(versions, map[string]any{"subject": n, "version": v.number})
				used = true
			}
		}
		if used {
			subjects = append(subjects, n)
		}
	}
	return subjects, versions
}

func (s *Server) getSchemaUsages(r *http.Request) (any, error) {
	st, err := s.schemaByID(r)
	if err != nil {
		return nil, err
	}
	_, versions := s.usages(st.id)
	if versions == nil {
		versions = []map[string]any{}
	}
	return versions, nil
}

func (s *Server) getSchemaSubjects(r *http.Request) (any, error) {
	st, err := s.schemaByID(r)
	if err != nil {
		return nil, err
	}
	subjects, _ := s.usages(st.id)
	if subjects == nil {
		subjects = []string{}
	}
	return subjects, nil
}

func (s *Server) listSubjects(r *http.Request) (any, error) {
	deleted := r.URL.Query().Get("deleted") == "true"
	out := []string{}
	for n, sub := range s.subjects {
		if len(sub.live()) > 0 || (deleted && len(sub.versions) > 0) {
			out = append(out, n)
		}
	}
	sort.Strings(out)
	return out, nil
}

func (s *Server) listVersions(r *http.Request) (any, error) {
	name := r.PathValue("subject")
	deleted := r.URL.Query().Get("deleted") == "true"
	sub, ok := s.subjects[name]
	if !ok || (len(sub.live()) == 0 && !deleted) {
		return nil, errf(http.StatusNotFound, codeSubjectNotFound, "Subject '%s' not found.", name)
	}
	out := []int{}
	for _, v := range sub.versions {
		if !v.deleted || deleted {
			out = append(out, v.number)
		}
	}
	return out, nil
}

func (s *Server) getVersion(r *http.Request) (any, error) {
	name := r.PathValue("subject")
	_, v, err := s.findVersion(name, r.PathValue("version"), r.URL.Query().Get("deleted") == "true")
	if err != nil {
		return nil, err
	}
	return s.subjectSchema(name, v), nil
}

func (s *Server) getVersionText(r *http.Request) (any, error) {
	_, v, err := s.findVersion(r.PathValue("subject"), r.PathValue("version"), r.URL.Query().Get("deleted") == "true")
	if err != nil {
		return nil, err
	}
	return json.RawMessage(s.schemas[v.id-1].text), nil
}

func (s *Server) deleteSubject(r *http.Request) (any, error) {
	name := r.PathValue("subject")
	permanent := r.URL.Query().Get("permanent") == "true"
	sub, ok := s.subjects[name]
	if !ok || len(sub.versions) == 0 {
		return nil, errf(http.StatusNotFound, codeSubjectNotFound, "Subject '%s' not found.", name)
	}
	out := []int{}
	if permanent {
		if len(sub.live()) > 0 {
			return nil, errf(http.StatusNotFound, codeNotSoftDeleted, "Subject '%s' was not deleted first before being permanently deleted", name)
		}
		for _, v := range sub.versions {
			out = append(out, v.number)
		}
		delete(s.subjects, name)
		return out, nil
	}
	live := sub.live()
	if len(live) == 0 {
		return nil, errf(http.StatusNotFound, codeSubjectSoftDeleted, "Subject '%s' was soft deleted. Set permanent=true to delete permanently", name)
	}
	for _, v := range live {
		v.deleted = true
		out = append(out, v.number)
	}
	return out, nil
}

func (s *Server) deleteVersion(r *http.Request) (any, error) {
	name := r.PathValue("subject")
	permanent := r.URL.Query().Get("permanent") == "true"
	sub, v, err := s.findVersion(name, r.PathValue("version"), permanent)
	if err != nil {
		return nil, err
	}
	if !permanent {
		v.deleted = true
		return v.number, nil
	}
	if !v.deleted {
		return nil, errf(http.StatusNotFound, codeNotSoftDeleted, "Subject '%s' Version %d was not deleted first before being permanently deleted", name, v.number)
	}
	for i, x := range sub.versions {
		if x == v {
			sub.versions = append(sub.versions[:i], sub.versions[i+1:]...)
			break
		}
	}
	if len(sub.versions) == 0 {
		delete(s.subjects, name)
	}
	return v.number, nil
}

func readLevel(r *http.Request) (compat.Level, error) {
	var body struct {
		Compatibility string `json:"compatibility"`
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		return 0, errf(http.StatusUnprocessableEntity, codeInvalidCompatLevel, "invalid request body: %v", err)
	}
	l, err := compat.ParseLevel(body.Compatibility)
	if err != nil {
		return 0, errf(http.StatusUnprocessableEntity, codeInvalidCompatLevel, "Invalid compatibility level. Valid values are none, backward, forward, full, backward_transitive, forward_transitive, and full_transitive")
	}
	return l, nil
}

func (s *Server) getGlobalConfig(*http.Request) (any, error) {
	return map[string]string{"compatibilityLevel": s.global.String()}, nil
}

func (s *Server) putGlobalConfig(r *http.Request) (any, error) {
	l, err := readLevel(r)
	if err != nil {
		return nil, err
	}
	s.global = l
	return map[string]string{"compatibility": l.String()}, nil
}

func (s *Server) deleteGlobalConfig(*http.Request) (any, error) {
	prev := s.global
	s.global = compat.Backward
	return map[string]string{"compatibility": prev.String()}, nil
}

func (s *Server) getSubjectConfig(r *http.Request) (any, error) {
	name := r.PathValue("subject")
	if sub, ok := s.subjects[name]; ok && sub.level != nil {
		return map[string]string{"compatibilityLevel": sub.level.String()}, nil
	}
	if r.URL.Query().Get("defaultToGlobal") == "true" {
		return map[string]string{"compatibilityLevel": s.global.String()}, nil
	}
	return nil, errf(http.StatusNotFound, codeSubjectLevelNotSet, "Subject '%s' does not have subject-level compatibility configured", name)
}

func (s *Server) putSubjectConfig(r *http.Request) (any, error) {
	name := r.PathValue("subject")
	l, err := readLevel(r)
	if err != nil {
		return nil, err
	}
	sub, ok := s.subjects[name]
	if !ok {
		sub = &subject{}
		s.subjects[name] = sub
	}
	sub.level = &l
	return map[string]string{"compatibility": l.String()}, nil
}

func (s *Server) deleteSubjectConfig(r *http.Request) (any, error) {
	name := r.PathValue("subject")
	sub, ok := s.subjects[name]
	if !ok || sub.level == nil {
		return nil, errf(http.StatusNotFound, codeSubjectNotFound, "Subject '%s' not found.", name)
	}
	prev := *sub.level
	sub.level = nil
	return map[string]string{"compatibility": prev.String()}, nil
}

func (s *Server) checkCompatibility(r *http.Request) (any, error) {
	name := r.PathValue("subject")
	req, err := readSchemaRequest(r)
	if err != nil {
		return nil, err
	}
	sc, err := s.parse("new schema", req)
	if err != nil {
		return nil, err
	}
	level := s.levelOf(name)
	var findings []compat.Finding
	switch v := r.PathValue("version"); v {
	case "", "latest", "-1":
		sub, ok := s.subjects[name]
		if ok && len(sub.live()) > 0 {
			findings = compat.Check(s.history(sub), sc, level).Findings
		} else if v != "" {
			return nil, errf(http.StatusNotFound, codeSubjectNotFound, "Subject '%s' not found.", name)
		}
	default:
		_, ver, err := s.findVersion(name, v, false)
		if err != nil {
			return nil, err
		}
		old := relabel(s.schemas[ver.id-1].parsed, fmt.Sprintf("version %d", ver.number))
		findings = compat.Compare(old, sc, level)
	}
	out := map[string]any{"is_compatible": len(findings) == 0}
	if r.URL.Query().Get("verbose") == "true" {
		msgs := make([]string, len(findings))
		for i, f := range findings {
			msgs[i] = describeFinding(f)
		}
		out["messages"] = msgs
	}
	return out, nil
}
