// Command servicecheck probes the real services that scripts/services starts
// for the integration tests: it is the health check those scripts run, one
// probe per call, so the calling script decides how long to wait and can
// notice a service process that died while it waited.
//
// It is a test-infrastructure tool, not part of faustgen's CLI.
//
// Usage:
//
//	servicecheck free ADDR...                  exit 1 naming the first ADDR that cannot be bound
//	servicecheck kafka BROKERS                 one TCP connect + metadata request
//	servicecheck registry URL                  GET URL/subjects answers 200
//	servicecheck set-compatibility URL LEVEL   PUT URL/config, then read it back
//
// BROKERS is a comma-separated host:port list; URL is the registry's
// Confluent-compatible base URL (for Apicurio: http://host:port/apis/ccompat/v7).
// Exit codes: 0 healthy, 1 not (yet) healthy, 2 usage.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// probeTimeout bounds one probe; the calling script retries.
const probeTimeout = 5 * time.Second

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	ctx, cancel := context.WithTimeout(context.Background(), probeTimeout)
	defer cancel()

	var err error
	switch args := os.Args[2:]; os.Args[1] {
	case "free":
		if len(args) == 0 {
			usage()
		}
		err = checkFree(args)
	case "kafka":
		if len(args) != 1 {
			usage()
		}
		var msg string
		msg, err = checkKafka(ctx, strings.Split(args[0], ","))
		if err == nil {
			fmt.Println(msg)
		}
	case "registry":
		if len(args) != 1 {
			usage()
		}
		err = checkRegistry(ctx, args[0])
	case "set-compatibility":
		if len(args) != 2 {
			usage()
		}
		err = setCompatibility(ctx, args[0], args[1])
	default:
		usage()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "servicecheck:", err)
		os.Exit(1)
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: servicecheck free ADDR... | kafka BROKERS | registry URL | set-compatibility URL LEVEL")
	os.Exit(2)
}

// checkFree binds each address and releases it at once: an address that
// cannot be bound belongs to something else.
func checkFree(addrs []string) error {
	for _, addr := range addrs {
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			return fmt.Errorf("%s is busy: %w", addr, err)
		}
		if err := ln.Close(); err != nil {
			return fmt.Errorf("release %s: %w", addr, err)
		}
	}
	return nil
}

// checkKafka connects to the first seed and asks for cluster metadata; it is
// healthy once a broker and an active controller are reported.
func checkKafka(ctx context.Context, seeds []string) (string, error) {
	conn, err := (&net.Dialer{}).DialContext(ctx, "tcp", seeds[0])
	if err != nil {
		return "", fmt.Errorf("connect to kafka at %s: %w", seeds[0], err)
	}
	conn.Close()

	cl, err := kgo.NewClient(kgo.SeedBrokers(seeds...), kgo.RequestRetries(0))
	if err != nil {
		return "", fmt.Errorf("kafka client for %s: %w", strings.Join(seeds, ","), err)
	}
	defer cl.Close()
	req := kmsg.NewPtrMetadataRequest()
	resp, err := req.RequestWith(ctx, cl)
	if err != nil {
		return "", fmt.Errorf("metadata request to %s: %w", strings.Join(seeds, ","), err)
	}
	if len(resp.Brokers) == 0 {
		return "", errors.New("metadata lists no broker yet")
	}
	if resp.ControllerID < 0 {
		return "", errors.New("metadata names no active controller yet")
	}
	id := "?"
	if resp.ClusterID != nil {
		id = *resp.ClusterID
	}
	return fmt.Sprintf("kafka cluster %s: %d broker(s), controller %d", id, len(resp.Brokers), resp.ControllerID), nil
}

// checkRegistry is healthy when the subject list answers 200.
func checkRegistry(ctx context.Context, base string) error {
	status, body, err := call(ctx, http.MethodGet, strings.TrimRight(base, "/")+"/subjects", nil)
	if err != nil {
		return err
	}
	if status != http.StatusOK {
		return fmt.Errorf("GET %s/subjects: status %d: %s", base, status, body)
	}
	return nil
}

// setCompatibility sets the registry-wide compatibility level and confirms
// the registry reports it back.
func setCompatibility(ctx context.Context, base, level string) error {
	url := strings.TrimRight(base, "/") + "/config"
	payload, err := json.Marshal(map[string]string{"compatibility": level})
	if err != nil {
		return err
	}
	status, body, err := call(ctx, http.MethodPut, url, payload)
	if err != nil {
		return err
	}
	if status != http.StatusOK {
		return fmt.Errorf("PUT %s: status %d: %s", url, status, body)
	}
	status, body, err = call(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	var got struct {
		CompatibilityLevel string `json:"compatibilityLevel"`
	}
	if status != http.StatusOK {
		return fmt.Errorf("GET %s: status %d: %s", url, status, body)
	}
	if err := json.Unmarshal(body, &got); err != nil {
		return fmt.Errorf("GET %s: decode %q: %w", url, body, err)
	}
	if got.CompatibilityLevel != level {
		return fmt.Errorf("GET %s: compatibility is %q after setting %q", url, got.CompatibilityLevel, level)
	}
	return nil
}

func call(ctx context.Context, method, url string, payload []byte) (int, []byte, error) {
	var body io.Reader
	if payload != nil {
		body = bytes.NewReader(payload)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, body)
	if err != nil {
		return 0, nil, fmt.Errorf("%s %s: %w", method, url, err)
	}
	if payload != nil {
		req.Header.Set("Content-Type", "application/vnd.schemaregistry.v1+json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil, fmt.Errorf("%s %s: %w", method, url, err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
	if err != nil {
		return resp.StatusCode, nil, fmt.Errorf("%s %s: read body: %w", method, url, err)
	}
	return resp.StatusCode, bytes.TrimSpace(out), nil
}
