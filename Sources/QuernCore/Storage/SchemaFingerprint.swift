public import QuernKit

/// Identifies what a batch was made with: extractor name, its options, and the schema. Batches with
/// different fingerprints are never mixed.
public struct SchemaFingerprint: Sendable, Codable, Equatable, Hashable, CustomStringConvertible {
    public var value: String

    public init(value: String) { self.value = value }

    /// `vocabulary`: the run's block columns (an `.h5ad` run's genes, from its first file or its
    /// `genes:` file), when the inputs have a block: an extractor that numbers genes (token ids)
    /// depends on their order even when its features do not name them, so batches made with
    /// another vocabulary are never mixed. Text formats have none, and their fingerprint is as
    /// it always was.
    public init(extractor: String, options: String, schema: FeatureSchema, vocabulary: [String]? = nil) {
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
        if let vocabulary {
            let names = FNV1a64.hash(Array(vocabulary.joined(separator: "\n").utf8))
            text += "\nblock=\(vocabulary.count)/\(String(names, radix: 16))"
        }
        let h = FNV1a64.hash(Array(text.utf8))
        value = String(h, radix: 16).leftPadded(to: 16)
    }

    public var description: String { value }
}
