package itest_test

import (
	"net"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/faustgen/faustgen/internal/itest"
)

// TestHelperProcess is run as a child by the test below; alone it does nothing.
func TestHelperProcess(t *testing.T) {
	switch os.Getenv("FAUSTGEN_ITEST_HELPER") {
	case "brokers":
		t.Logf("brokers: %v", itest.Brokers(t))
	case "registry":
		t.Logf("registry: %v", itest.Registry(t))
	}
}

// closedAddr returns a loopback address nothing listens on.
func closedAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

func TestMissingServiceFailsUnderCIAndSkipsOtherwise(t *testing.T) {
	dead := closedAddr(t)
	cases := []struct {
		name     string
		env      []string
		wantFail bool
		wantText string
	}{
		{"brokers unset in CI", []string{"FAUSTGEN_ITEST_HELPER=brokers", "CI=true"}, true, "CI=true and FAUSTGEN_BROKERS is not set"},
		{"brokers unset locally", []string{"FAUSTGEN_ITEST_HELPER=brokers"}, false, "skipped: FAUSTGEN_BROKERS is not set"},
		{"brokers unreachable in CI", []string{"FAUSTGEN_ITEST_HELPER=brokers", "CI=1", "FAUSTGEN_BROKERS=" + dead}, true, "Kafka at FAUSTGEN_BROKERS=" + dead + " is unreachable"},
		{"brokers unreachable locally", []string{"FAUSTGEN_ITEST_HELPER=brokers", "CI=false", "FAUSTGEN_BROKERS=" + dead}, false, "is unreachable"},
		{"registry unset in CI", []string{"FAUSTGEN_ITEST_HELPER=registry", "CI=true"}, true, "CI=true and FAUSTGEN_REGISTRY is not set"},
		{"registry unreachable in CI", []string{"FAUSTGEN_ITEST_HELPER=registry", "CI=true", "FAUSTGEN_REGISTRY=http://" + dead + "/apis/ccompat/v7"}, true, "the registry at FAUSTGEN_REGISTRY=http://" + dead + "/apis/ccompat/v7 is unreachable"},
		{"registry unreachable locally", []string{"FAUSTGEN_ITEST_HELPER=registry", "FAUSTGEN_REGISTRY=http://" + dead}, false, "skipped: the registry"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$", "-test.v", "-test.count=1")
			for _, kv := range os.Environ() {
				if !strings.HasPrefix(kv, "FAUSTGEN_") && !strings.HasPrefix(kv, "CI=") {
					cmd.Env = append(cmd.Env, kv)
				}
			}
			cmd.Env = append(cmd.Env, c.env...)
			out, err := cmd.CombinedOutput()
			if failed := err != nil; failed != c.wantFail {
				t.Errorf("child failed=%v (%v), want failed=%v; output:\n%s", failed, err, c.wantFail, out)
			}
			if !c.wantFail && !strings.Contains(string(out), "--- SKIP: TestHelperProcess") {
				t.Errorf("child did not skip; output:\n%s", out)
			}
			if !strings.Contains(string(out), c.wantText) {
				t.Errorf("child output lacks %q:\n%s", c.wantText, out)
			}
		})
	}
}

func TestUniqueNameIsATopicNameAndNeverRepeats(t *testing.T) {
	a := itest.UniqueName(t, "orders/v1 test")
	b := itest.UniqueName(t, "orders/v1 test")
	if a == b {
		t.Fatalf("two calls returned the same name %q", a)
	}
	for _, name := range []string{a, b} {
		if strings.Trim(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") != "" {
			t.Errorf("name %q has characters Kafka topic names forbid", name)
		}
		if !strings.HasPrefix(name, "orders_v1_test-TestUniqueName") {
			t.Errorf("name %q does not start with the cleaned prefix and test name", name)
		}
	}
}
