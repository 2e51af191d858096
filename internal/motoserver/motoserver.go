package motoserver

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"syscall"
	"testing"
	"time"
)

// Server is a running moto_server.
type Server struct {
	Endpoint string
	cmd      *exec.Cmd
	cancel   context.CancelFunc
	log      *os.File
}

// Start runs moto_server for the duration of the test and returns its
// endpoint. moto_server is part of the machine image and .ci/run checks
// for it, so a missing binary is a test failure, not a skip.
func Start(tb testing.TB) string {
	tb.Helper()
	s, err := Launch()
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(s.Stop)
	return s.Endpoint
}

// Launch starts moto_server and waits until it answers. Call Stop when
// done; for a server shared by a whole test binary, call it from TestMain.
func Launch() (*Server, error) {
	bin, err := exec.LookPath("moto_server")
	if err != nil {
		return nil, fmt.Errorf("moto_server not on PATH (it ships with the machine image): %w", err)
	}
	port, err := freePort()
	if err != nil {
		return nil, fmt.Errorf("free port: %w", err)
	}
	logFile, err := os.CreateTemp("", "moto-*.log")
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, bin, "-H", "127.0.0.1", "-p", fmt.Sprint(port))
	cmd.Stdout, cmd.Stderr = logFile, logFile
	// Die with the test binary even if it is killed before cleanup runs.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		cancel()
		logFile.Close()
		return nil, fmt.Errorf("start moto_server: %w", err)
	}
	s := &Server{Endpoint: fmt.Sprintf("http://127.0.0.1:%d", port), cmd: cmd, cancel: cancel, log: logFile}
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(s.Endpoint + "/moto-api/")
		if err == nil {
			resp.Body.Close()
			return s, nil
		}
		if time.Now().After(deadline) {
			out, _ := os.ReadFile(logFile.Name())
			s.Stop()
			return nil, fmt.Errorf("moto_server not ready after 30s: %v\n%s", err, out)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// Stop ends the server and removes its log.
func (s *Server) Stop() {
	s.cancel()
	_ = s.cmd.Wait()
	s.log.Close()
	os.Remove(s.log.Name())
}

// Reset drops every resource moto holds, so tests sharing one server start clean.
func Reset(endpoint string) error {
	resp, err := http.Post(endpoint+"/moto-api/reset", "application/json", nil)
	if err != nil {
		return fmt.Errorf("reset moto: %w", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return errors.New("reset moto: " + resp.Status)
	}
	return nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
