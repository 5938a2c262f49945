package runtime

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"syscall"
	"testing"
	"time"
)

func TestSecondSignalExitsAtOnce(t *testing.T) {
	if os.Getenv("FAUSTGEN_SIGNAL_CHILD") == "1" {
		ctx, stop := SignalContext(context.Background())
		defer stop()
		_ = syscall.Kill(syscall.Getpid(), syscall.SIGTERM)
		<-ctx.Done() // the first signal: a graceful stop begins
		_ = syscall.Kill(syscall.Getpid(), syscall.SIGTERM)
		time.Sleep(time.Minute) // a hung graceful stop
		os.Exit(0)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestSecondSignalExitsAtOnce$")
	cmd.Env = append(os.Environ(), "FAUSTGEN_SIGNAL_CHILD=1")
	err := cmd.Run()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 {
		t.Fatalf("child after two SIGTERMs: %v, want exit status 1", err)
	}
}
