import QuernCore
import QuernKit
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The errors plugins throw read exactly like the host's own, so a message does not change with
/// who noticed the problem.
@Suite("Plugin errors")
struct PluginErrorTests {
    @Test(arguments: [ENOSPC, EACCES, ENOENT, EMFILE, EIO])
    func aPluginsFileErrorReadsLikeTheHosts(_ code: Int32) {
        let plugin = PluginError.io(path: "/scratch/bucket_3.bin", operation: "write a shuffle bucket", errno: code)
        let host = StorageError.io(path: "/scratch/bucket_3.bin", operation: "write a shuffle bucket", errno: code)
        #expect(plugin.description == host.description)
        #expect(SystemError.errno(of: plugin) == code)
    }

    @Test func aBadOptionValueReadsTheSameFromThePluginAndTheRegistry() {
        let plugin = PluginError.badOptionValue(
            plugin: "csv", kind: .format, option: "delimiter", value: ";;", expected: "one character",
            valid: ["delimiter"])
        let registry = RegistryError.badOptionValue(
            plugin: "csv", kind: .format, option: "delimiter", value: ";;", expected: "one character",
            valid: ["delimiter"])
        #expect(plugin.description == registry.description)
        #expect(plugin.description.contains("option 'delimiter' of format 'csv' must be one character, not ';;'"))
    }
}
