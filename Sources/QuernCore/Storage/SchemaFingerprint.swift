public import QuernKit

/// Identifies what a batch was made with: extractor name, its options, and the schema. Batches with
/// different fingerprints are never mixed.
public struct SchemaFingerprint: Sendable, Codable, Equatable, Hashable, CustomStringConvertible {
    public var value: String

    public init(value: String) { self.value = value }

    public init(extractor: String, options: String, schema: FeatureSchema) {
        var text = "extractor=\(extractor)\noptions=\(options)\nfeatures="
        text += schema.features.map { "\($0.name)\($0.normalized ? "~" : "")" }.joined(separator: ",")
        text +=
            "\nlabels="
            + schema.labels.map { "\($0.name)/\($0.classes)/\(($0.classNames ?? []).joined(separator: "|"))" }.joined(
                separator: ",")
        text += "\nmasks=" + schema.masks.map { "\($0.name)/\($0.width)/\($0.label ?? "")" }.joined(separator: ",")
        text += "\ngroups=\(schema.hasGroups)"
        // Only when there are some: the fingerprints of schemas without arrays stay what they were.
        if !schema.arrays.isEmpty {
            text +=
                "\narrays="
                + schema.arrays.map { "\($0.name)/\($0.dtype.rawValue)/\($0.width)\($0.normalized ? "~" : "")" }.joined(
                    separator: ",")
        }
        let h = FNV1a64.hash(Array(text.utf8))
        value = String(h, radix: 16).leftPadded(to: 16)
    }

    public var description: String { value }
}
