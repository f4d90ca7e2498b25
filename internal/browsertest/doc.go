// Package browsertest drives the dev console in a real browser: Debian's
// chromium, headless, through the DevTools protocol
// (github.com/chromedp/chromedp). Its test plays the demo story, opens
// /_dev/, opens one of the story's emails, checks what the customer sees
// and follows the unsubscribe link, saving screenshots as artifacts.
// chromium is required: .ci/run installs it with apt-get.
package browsertest
