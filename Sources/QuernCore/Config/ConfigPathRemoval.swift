public import QuernKit

extension ConfigValue {
    /// The tree without the key at a dotted path (`extract.shard`).
    public func removing(_ path: String) -> ConfigValue {
        let parts = path.split(separator: ".").map(String.init)
        guard let head = parts.first, case .map(let entries) = kind else { return self }
        if parts.count == 1 { return ConfigValue(.map(entries.filter { $0.0 != head }), mark: mark) }
        let rest = parts.dropFirst().joined(separator: ".")
        return ConfigValue(.map(entries.map { $0.0 == head ? ($0.0, $0.1.removing(rest)) : $0 }), mark: mark)
    }
}
