package lambdabench

// Goal is issue 9's size goal for every linux/arm64 bootstrap: 10 MB, read
// strictly as 10,000,000 bytes. TestArtifactSizes holds every function to
// it.
//
// What it took (docs/benchmarks.md, "Lambda artifacts: size work"; Go 1.26,
// the SDK versions of go.mod). The send function was 13,566,114 bytes: it
// rendered the journeys' emails with html/template and text/template, and
// text/template looks methods up by name at run time (reflect's
// MethodByName), which makes the linker keep every exported method of every
// type converted to an interface anywhere in the binary (about 2.1 MB).
// internal/mail now executes the same templates itself over
// text/template/parse trees, with html/template's contextual escaping
// ported, and never calls a method by name; TestFunctionDeps keeps
// html/template and text/template out of every function. Second, every
// function built its aws.Config with config.LoadDefaultConfig, which links
// the config package and its credential chain (STS, SSO, SSO OIDC,
// Sign-In, IMDS, shared files): internal/awsenv reads the environment
// Lambda provides instead, and TestFunctionDeps keeps the config package
// out of every function. The embedded time zone database stays in send
// (quiet hours).
const Goal = 10_000_000
