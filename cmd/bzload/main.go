// Command bzload is the load and fault tool for the Bluezone servers. It
// starts the real service in-process on a loopback port and drives it over
// real HTTP, bounded in time and count.
//
//	bzload publish --db sqlite|sqlite:PATH|postgres://… [--clients 64] [--duration 10s] [--requests N] [--keys 14]
//
// measures POST /v1/publish of package keyserver (14 keys and a valid ES256
// certificate per request) and, in the same run, the bare net/http ceiling: a
// trivial handler that decodes the same JSON body and answers. It prints
// accepted requests/s, latency percentiles, errors and the ratio. It creates
// its own SQLite file or PostgreSQL schema and removes it afterwards.
//
// It is a measuring tool, not part of the served system; it listens on
// 127.0.0.1 only.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "bzload:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprintln(stderr, "usage: bzload publish --db sqlite|postgres://… [--clients 64] [--duration 10s]")
		return fmt.Errorf("missing command")
	}
	switch args[0] {
	case "publish":
		return runPublish(ctx, args[1:], stdout)
	case "serve-keyserver": // hidden: a keyserver child process for the durability test
		return runServeKeyserver(ctx, args[1:], stdout)
	default:
		return fmt.Errorf("unknown command %q", args[0])
	}
}
