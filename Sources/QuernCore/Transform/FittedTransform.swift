import Foundation
public import QuernKit

/// What a merge saves with its outputs so that `quern transform` (and `quern.normalize` in Python)
/// can apply the same extraction and the same fitted normalization to new files: `transform.json`
/// (the schema, its fingerprint and the fitted parameters, every number exactly as the merge used
/// it) beside `quern_config.yaml` (the effective config: the file, flags and hook overrides as the
/// merge resolved them). See docs/formats.md.
///
/// ```json
/// {"fingerprint": "3f0c...", "format": "quern-transform", "input_dim": 12,
///  "normalization": {"method": "standard", "features": [{"column": 0, "name": "x", "shift": 0.51, "scale": 0.29}]},
///  "schema": {...}, "version": 1}
/// ```
public struct FittedTransform: Codable, Sendable, Equatable {
    public static let fileName = OutputFolderLayout.transform
    public static let configFileName = OutputFolderLayout.config

    /// One normalized feature: x' = float32((float64(x) - shift) * (1 / scale)).
    public struct Feature: Codable, Sendable, Equatable {
        public var name: String
        /// Its column in X.
        public var column: Int
        public var shift: Double
        public var scale: Double
    }

    public struct Normalization: Codable, Sendable, Equatable {
        /// `standard`, `minmax` or `none`.
        public var method: String
        public var features: [Feature]
    }

    public var format = "quern-transform"
    public var version = 1
    /// The schema fingerprint of the batches the outputs were made from.
    public var fingerprint: String
    public var inputDim: Int
    public var schema: FeatureSchema
    public var normalization: Normalization

    enum CodingKeys: String, CodingKey {
        case format, version, fingerprint, schema, normalization
        case inputDim = "input_dim"
    }

    public init(fingerprint: String, schema: FeatureSchema, params: Normalizer.Parameters) {
        self.fingerprint = fingerprint
        self.schema = schema
        inputDim = schema.features.count
        let columns = Dictionary(schema.features.enumerated().map { ($1.name, $0) }, uniquingKeysWith: { a, _ in a })
        normalization = Normalization(
            method: params.method.rawValue,
            features: params.features.map {
                Feature(name: $0.name, column: columns[$0.name] ?? -1, shift: $0.shift, scale: $0.scale)
            })
    }

    /// The parameters back, as ``Normalizer`` applies them.
    public var parameters: Normalizer.Parameters {
        get throws(TransformError) {
            guard let method = Normalizer.Method(rawValue: normalization.method) else {
                throw .damaged(path: Self.fileName, reason: "unknown normalization method '\(normalization.method)'")
            }
            let normalized = schema.features.filter(\.normalized).map(\.name)
            let names = normalization.features.map(\.name)
            guard method == .none ? names.isEmpty : names == normalized else {
                throw .damaged(
                    path: Self.fileName,
                    reason:
                        "its normalized features (\(names.joined(separator: ", "))) are not the schema's (\(normalized.joined(separator: ", ")))"
                )
            }
            return Normalizer.Parameters(
                method: method, features: normalization.features.map { ($0.name, $0.shift, $0.scale) })
        }
    }

    /// The file's text: JSON, sorted keys. Doubles are written so that they read back exactly.
    public var text: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let data = (try? encoder.encode(self)) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self) + "\n"
    }

    /// Writes `transform.json` and, when the merge knows its config, `quern_config.yaml` into the
    /// staging folder `dir` (atomically; they are published with the outputs).
    public static func save(
        to dir: String, config: ConfigValue?, fingerprint: String, schema: FeatureSchema, params: Normalizer.Parameters
    ) throws {
        try AtomicFile.write(
            FittedTransform(fingerprint: fingerprint, schema: schema, params: params).text, to: "\(dir)/\(fileName)")
        if let config { try AtomicFile.write(YAMLWriter.write(config), to: "\(dir)/\(configFileName)") }
    }

    /// Reads `transform.json` of the output folder `folder`.
    public static func load(from folder: String) throws -> FittedTransform {
        let path = "\(folder)/\(fileName)"
        guard FileManager.default.fileExists(atPath: path) else {
            throw TransformError.notSaved(folder: folder, file: fileName)
        }
        do {
            return try JSONDecoder().decode(
                FittedTransform.self, from: Data(try BatchFile.readWhole(path, limit: 256 << 20)))
        } catch let e as StorageError {
            throw e
        } catch {
            throw TransformError.damaged(path: path, reason: "\(error)")
        }
    }
}
