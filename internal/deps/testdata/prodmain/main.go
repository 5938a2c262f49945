// Command prodmain is a production main as a user writes it: the generated
// package, configured from the environment, without runtime/embedded. The
// dependency test checks that it links no test broker.
package main

import (
	"context"
	"fmt"
	"os"

	pageviews "github.com/faustgen/faustgen/examples/generated/pageviews"
	"github.com/faustgen/faustgen/runtime"
)

func main() {
	ctx, stop := runtime.SignalContext(context.Background())
	defer stop()
	cfg, err := runtime.ConfigFromEnv()
	if err == nil {
		var app *pageviews.App
		if app, err = pageviews.New(cfg, pageviews.Agents{}); err == nil {
			err = app.Run(ctx)
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "prodmain:", err)
		os.Exit(1)
	}
}
