// go_tcp_echo: the TCP echo server a Go user would write, as bench/run's peer.
//
//	go_tcp_echo PORT    listens on 127.0.0.1:PORT (0 picks one) and prints
//	                    "listening on 127.0.0.1:PORT" on stderr once it accepts
//
// net.Listen and a goroutine per connection, each reading what is there (up to 64 KiB) and
// writing it back before it reads again, so a client that does not read pushes back. Go sets
// TCP_NODELAY on every TCP connection by default. The standard library only (bench/run builds it
// with `go build`, nothing downloaded). SIGTERM and SIGINT close the listener and exit 0.
package main

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"
)

func echo(conn net.Conn) {
	defer conn.Close()
	buffer := make([]byte, 64*1024)
	for {
		n, err := conn.Read(buffer)
		if n > 0 {
			if _, werr := conn.Write(buffer[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return // io.EOF, or a reset: both normal endings for an echo server
		}
	}
}

func main() {
	port, err := strconv.Atoi(argument())
	if err != nil || port < 0 || port > 65535 {
		fmt.Fprintln(os.Stderr, "usage: go_tcp_echo PORT")
		os.Exit(2)
	}
	listener, err := net.Listen("tcp4", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	if err != nil {
		fmt.Fprintf(os.Stderr, "go_tcp_echo: %v\n", err)
		os.Exit(1)
	}
	fmt.Fprintf(os.Stderr, "listening on 127.0.0.1:%d\n", listener.Addr().(*net.TCPAddr).Port)

	signals := make(chan os.Signal, 1)
	signal.Notify(signals, syscall.SIGTERM, syscall.SIGINT)
	go func() {
		<-signals
		listener.Close()
		os.Exit(0)
	}()

	for {
		conn, err := listener.Accept()
		if errors.Is(err, net.ErrClosed) {
			return
		}
		if err != nil {
			time.Sleep(10 * time.Millisecond) // EMFILE and the like: wait for a descriptor, do not spin
			continue
		}
		go echo(conn)
	}
}

func argument() string {
	if len(os.Args) != 2 {
		return ""
	}
	return os.Args[1]
}
