package main

import (
	"bufio"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestExitWithParent kills `eventchain run --exit-with-parent`'s parent
// with SIGKILL, as a killed `make run` is: the run must stop too, rather
// than keep holding its ports.
func TestExitWithParent(t *testing.T) {
	parent := exec.Command("sh", "-c", `"$0" run --exit-with-parent --template ../../template.yaml --memory --port 0 --cloud-port 0 >/dev/null 2>&1 & echo $!; wait`, os.Args[0])
	parent.Env = append(os.Environ(), mainEnv+"=1")
	out, err := parent.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := parent.Start(); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	child, err := strconv.Atoi(strings.TrimSpace(line))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Kill(child, syscall.SIGKILL) })
	// Let the run get past its flags (the death signal is set then).
	time.Sleep(3 * time.Second)
	if gone(child) {
		t.Fatal("eventchain run exited before its parent was killed")
	}
	if err := parent.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	parent.Wait() //nolint:errcheck // killed on purpose
	for deadline := time.Now().Add(30 * time.Second); !gone(child); {
		if time.Now().After(deadline) {
			t.Fatal("eventchain run still running 30s after its parent was killed")
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// gone reports whether pid has exited (a zombie nobody reaped counts).
func gone(pid int) bool {
	raw, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return true
	}
	// pid (comm) state …: the state follows the last ')'.
	s := string(raw)
	fields := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	return len(fields) == 0 || fields[0] == "Z" || fields[0] == "X"
}
