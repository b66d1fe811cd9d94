// go_udp_echo: the UDP echo server a Go user would write, as bench/run's peer.
//
//	go_udp_echo PORT    binds 127.0.0.1:PORT over UDP (0 picks one) and prints
//	                    "listening on 127.0.0.1:PORT (udp)" on stderr once it receives
//
// net.ListenUDP and one goroutine reading with ReadFromUDP into a 64 KiB buffer and answering
// each datagram with WriteToUDP, empty ones too; a failed write is a dropped reply, as UDP may.
// The standard library only (bench/run builds it with `go build`, nothing downloaded).
// SIGTERM and SIGINT close the socket and exit 0.
package main

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/signal"
	"strconv"
	"syscall"
)

func main() {
	port, err := strconv.Atoi(argument())
	if err != nil || port < 0 || port > 65535 {
		fmt.Fprintln(os.Stderr, "usage: go_udp_echo PORT")
		os.Exit(2)
	}
	conn, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: port})
	if err != nil {
		fmt.Fprintf(os.Stderr, "go_udp_echo: %v\n", err)
		os.Exit(1)
	}
	fmt.Fprintf(os.Stderr, "listening on 127.0.0.1:%d (udp)\n", conn.LocalAddr().(*net.UDPAddr).Port)

	signals := make(chan os.Signal, 1)
	signal.Notify(signals, syscall.SIGTERM, syscall.SIGINT)
	go func() {
		<-signals
		conn.Close()
		os.Exit(0)
	}()

	buffer := make([]byte, 64*1024)
	for {
		n, source, err := conn.ReadFromUDP(buffer)
		if errors.Is(err, net.ErrClosed) {
			return
		}
		if err != nil {
			continue // an ICMP error about an earlier reply is no reason to stop echoing
		}
		conn.WriteToUDP(buffer[:n], source)
	}
}

func argument() string {
	if len(os.Args) != 2 {
		return ""
	}
	return os.Args[1]
}
