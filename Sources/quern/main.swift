// The stock `quern`: the command line with the built-in plugins. A team's own executable is the
// same line with its plugins added (docs/plugins.md, docs/examples/team-plugins).
import QuernCLI
import QuernPlugins

await QuernCLI.main(plugins: builtInPlugins)
